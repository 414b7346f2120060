"""Verilator's run-time objects (verilated.o, verilated_vpi.o, ...), compiled once and shared by
every cocotb build (toolchain.run_cocotb).

Each cocotb build directory would otherwise compile the same run-time sources again: about a
third of a small design's build. They do not depend on the design, only on what compiles them, so
they are cached under a key that hashes exactly that: the compile commands make would run for
them (``make -n``: compiler, flags, the sources' paths in this Verilator), the compiler's
version, and the contents of this Verilator's ``include`` folder (the run-time sources and headers
they compile from: a Verilator upgraded in place keeps the same paths and commands). Run as commands of the cocotb runner's build: ``seed`` after Verilator has written the
makefiles and before make (copies newer than the makefiles, so make keeps them), ``store`` after a
make that succeeded (atomic: a concurrent build of the same key loses cleanly)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

KEY_FILE = ".ws_runtime_key"
_PRINT = "_ws_runtime: ; @echo $(VK_GLOBAL_OBJS); echo $(VERILATOR_ROOT); $(CXX) --version"


def _make(build_dir: Path, *args: str) -> str:
    # (run from a make, e.g. `make test`, a sub-make inherits MAKEFLAGS / MAKELEVEL and prints
    # "make[1]: Entering directory" into the output parsed here: a make of its own, silent)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    proc = subprocess.run(["make", "--no-print-directory", "-f", "Vtop.mk", *args], cwd=build_dir,
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"make {' '.join(args)} in {build_dir} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def objects_and_key(build_dir: Path, make_vars: list[str]) -> tuple[list[str], str]:
    """The run-time objects of this build and the key of how they are compiled."""
    objs, root, compiler = (_make(build_dir, *make_vars, "--eval", _PRINT, "_ws_runtime").split("\n", 2) + ["", ""])[:3]
    names = objs.split()
    commands = _make(build_dir, *make_vars, "-n", "-B", *names) if names else ""
    digest = hashlib.sha256("\0".join([commands, compiler]).encode())
    include = Path(root.strip()) / "include"
    if not root.strip() or not include.is_dir():
        raise RuntimeError(f"no Verilator include folder at {include} (VERILATOR_ROOT {root.strip()!r})")
    for path in sorted(p for p in include.rglob("*") if p.is_file()):
        digest.update(b"\0" + str(path.relative_to(include)).encode() + b"\0" + path.read_bytes())
    return names, digest.hexdigest()[:20]


def seed(build_dir: Path, cache: Path, make_vars: list[str]) -> int:
    """Copy the cached objects into ``build_dir`` (where make would compile them); how many."""
    (build_dir / KEY_FILE).unlink(missing_ok=True)      # (an earlier build's: store must not use it)
    names, key = objects_and_key(build_dir, make_vars)
    (build_dir / KEY_FILE).write_text(key + "\n" + " ".join(names))
    src = cache / key
    if not src.is_dir():
        return 0
    stamp = (build_dir / "Vtop.mk").stat().st_mtime_ns
    seeded = 0
    for name in names:
        target = build_dir / name
        if target.exists() and target.stat().st_mtime_ns > stamp:
            continue                       # already up to date: make keeps it anyway
        for suffix in (".o", ".d"):
            if (src / (name[:-2] + suffix)).exists():
                shutil.copyfile(src / (name[:-2] + suffix), build_dir / (name[:-2] + suffix))
        seeded += 1
    return seeded


def store(build_dir: Path, cache: Path) -> None:
    """After a successful make: keep this build's run-time objects if the key has none yet."""
    key, _, names = (build_dir / KEY_FILE).read_text().partition("\n")
    out = cache / key
    if out.is_dir() or not names.split() or not all((build_dir / name).exists() for name in names.split()):
        return
    tmp = cache / f"{key}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in names.split():
        for suffix in (".o", ".d"):
            if (build_dir / (name[:-2] + suffix)).exists():
                shutil.copyfile(build_dir / (name[:-2] + suffix), tmp / (name[:-2] + suffix))
    try:
        os.replace(tmp, out)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str]) -> int:
    action, build_dir, cache, *make_vars = argv
    if action not in ("seed", "store"):
        raise SystemExit(f"unknown action {action!r}: seed or store")
    try:
        if action == "seed":
            print(f"run-time objects: {seed(Path(build_dir), Path(cache), make_vars)} taken from {cache}")
        else:
            store(Path(build_dir), Path(cache))
    except (OSError, RuntimeError) as exc:       # only a cache: make builds whatever is missing
        print(f"run-time object cache skipped ({action}): {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
