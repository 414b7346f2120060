"""A top's Verilog wrapped so that every input port goes through one register stage before it
reaches the design (the harness's speed, not the design's behaviour).

Why: Verilator evaluates the combinational logic that reads a top-level input twice per
``eval``: in its input region (before the edge: the values the registers sample) and again in
its NBA region (after the edge, with the new register values and the old inputs). A harness
changes the inputs before the next edge, so the second pass is thrown away: on the risk
pipeline it was 170 of the 221 signals of the input region, about a third of a cycle's
instructions (callgrind, 2026-12-01). With the inputs registered, no logic reads a top-level
input, the input region is empty and each net is computed once a cycle.

The cost is one cycle on every input path (``DELAY``): what a harness sets before edge ``c``
the design sees in cycle ``c + 1``. The harness accounts for it (harness.h); the design, its
latency and its decisions are unchanged.
"""
from __future__ import annotations

import re

#: cycles the wrapper adds on every input path
DELAY = 1

_PORT = re.compile(r"^  (input|output) (?:\[(\d+):0\] )?(\w+);$", re.M)


def wrap(text: str, top: str) -> str:
    """``text`` (Amaranth's Verilog with ``module top(...)``) with that module renamed
    ``top__core`` and a new ``top`` with the same ports in front of it, its inputs registered
    (``clk`` excepted). Raises ValueError naming what it cannot read."""
    head = re.search(rf"^module {re.escape(top)}\((.*?)\);$", text, re.M)
    if head is None:
        raise ValueError(f"wrap: no 'module {top}(...);' in the Verilog")
    end = text.index("\nendmodule", head.end())
    names = [n.strip() for n in head.group(1).split(",")]
    ports = {name: (kind, int(msb) + 1 if msb else 1) for kind, msb, name in _PORT.findall(text, head.end(), end)}
    missing = [n for n in names if n not in ports]
    if missing:
        raise ValueError(f"wrap: no width found for port(s) {', '.join(missing)} of {top}")
    if ports.get("clk", ("", 0))[0] != "input":
        raise ValueError(f"wrap: {top} has no input 'clk'")
    decl, regs, conn = [], [], []
    for name in names:
        kind, width = ports[name]
        rng = f"[{width - 1}:0] " if width > 1 else ""
        decl.append(f"  {kind} {rng}{name};")
        if kind == "input" and name != "clk":
            regs.append((name, rng))
            conn.append(f"    .{name}({name}__q)")
        else:
            conn.append(f"    .{name}({name})")
    body = "\n".join([
        f"module {top}({', '.join(names)});", *decl,
        *(f"  reg {rng}{name}__q = 0;" for name, rng in regs),
        "  always @(posedge clk) begin",
        *(f"    {name}__q <= {name};" for name, _ in regs),
        "  end",
        f"  {top}__core core (", ",\n".join(conn), "  );",
        "endmodule", ""])
    renamed = text[:head.start()] + f"module {top}__core(" + text[head.start() + len(f"module {top}("):]
    return body + "\n" + renamed
