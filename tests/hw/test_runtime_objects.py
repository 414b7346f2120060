"""The cache of Verilator's run-time objects (hw/runtime_objects.py): its key must change with
anything that changes the objects make would compile, so a cached build is never a stale one.
A fake build directory (a Vtop.mk in verilated.mk's shape) keeps this to make -n, no compiler run."""
import shutil

import pytest

from wirespeed.hw.runtime_objects import objects_and_key, seed, store

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _build_dir(tmp_path, root, opt="-Os"):
    build = tmp_path / "build"
    build.mkdir(exist_ok=True)
    (build / "Vtop.mk").write_text(
        f"VERILATOR_ROOT = {root}\nCXX = c++\nVK_GLOBAL_OBJS = verilated.o\n"
        f"verilated.o: $(VERILATOR_ROOT)/include/verilated.cpp Vtop.mk\n"
        f"\t$(CXX) {opt} -I$(VERILATOR_ROOT)/include -c -o $@ $<\n")
    return build


def _verilator(tmp_path, version="5.030"):
    include = tmp_path / "verilator" / "include"
    include.mkdir(parents=True, exist_ok=True)
    (include / "verilated.cpp").write_text('#include "verilated_config.h"\n')
    (include / "verilated_config.h").write_text(f'#define VERILATOR_VERSION "{version}"\n')
    return include.parent


def test_the_key_changes_with_the_flags_and_with_verilator_upgraded_in_place(tmp_path):
    root = _verilator(tmp_path)
    build = _build_dir(tmp_path, root)
    names, key = objects_and_key(build, ["OPT_FAST=-O1"])
    assert names == ["verilated.o"] and objects_and_key(build, ["OPT_FAST=-O1"])[1] == key
    assert objects_and_key(_build_dir(tmp_path, root, "-O2"), [])[1] != key      # other flags
    _build_dir(tmp_path, root)
    _verilator(tmp_path, "5.032")      # the same paths, the same commands: another Verilator
    assert objects_and_key(build, ["OPT_FAST=-O1"])[1] != key


def test_seed_takes_only_what_store_kept_under_the_same_key(tmp_path):
    root = _verilator(tmp_path)
    build, cache = _build_dir(tmp_path, root), tmp_path / "cache"
    assert seed(build, cache, []) == 0
    (build / "verilated.o").write_bytes(b"objects of 5.030")
    store(build, cache)
    (build / "verilated.o").unlink()
    assert seed(build, cache, []) == 1 and (build / "verilated.o").read_bytes() == b"objects of 5.030"
    (build / "verilated.o").unlink()
    _verilator(tmp_path, "5.032")
    assert seed(build, cache, []) == 0 and not (build / "verilated.o").exists()


def test_a_seed_that_failed_leaves_no_old_key_for_store_to_file_this_build_under(tmp_path):
    root = _verilator(tmp_path)
    build, cache = _build_dir(tmp_path, root), tmp_path / "cache"
    seed(build, cache, [])             # an earlier build in this directory: its key noted
    (build / "Vtop.mk").write_text("this is not a makefile\n")     # (make: missing separator)
    with pytest.raises(RuntimeError):
        seed(build, cache, [])         # (main() logs it and goes on: make builds everything)
    (build / "verilated.o").write_bytes(b"objects of another build")
    with pytest.raises(OSError):
        store(build, cache)            # (main() logs it): nothing filed under the old key
    assert not cache.exists() or not any(cache.iterdir())
