"""Block-RAM budget of the risk pipeline on ECP5: per state memory its shape, its read ports
and the DP16KD blocks it takes, and the bits per (symbol, side) entry by field.

The shapes and ports come from the elaborated design (the pipeline's own read ports, the
fill path's and the register file's read-back), so the figures follow the code. yosys maps a
memory with one write port and ``r`` read ports to ``r`` copies (each copy a DP16KD's two
ports: the write and one read), each copy in the DP16KD shape that needs the fewest blocks
(``DP16KD_SHAPES``, 512 x 36 as a pseudo-dual-port block); a read port on the write port's
address shares its port when the memory has ``no_rw_check`` (``released``: the fill's read and
write, true-dual-port shapes, 18 bits a port at most); ``tests/hw/test_risk_budget.py``
checks that count against yosys's mapping of memories of the same shapes, and the depth-512
pipeline's 33 blocks (``docs/hw/performance.md``) are what ``synth_ecp5`` gives.

``python -m wirespeed.hw.risk.budget 512 2048 8192`` prints the table for those depths
(symbols; entries = 2 x symbols).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from amaranth.hdl import Fragment, Shape
from amaranth.lib.memory import Memory

from wirespeed.layout import SYMBOL_LIMITS

from .tables import LIMIT_WIDTH

#: (depth, width) of a DP16KD (ECP5 sysMEM, 18 Kbit) in each data-width mode
DP16KD_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
DP16KD_ON_LFE5UM_85F = 208


#: the shapes of a true-dual-port DP16KD (both ports read / write: 18 bits wide at most)
DP16KD_TDP_SHAPES = tuple((d, w) for d, w in DP16KD_SHAPES if w <= 18)


def blocks(width: int, depth: int, tdp: bool = False) -> int:
    """DP16KD blocks for one copy of a ``width`` x ``depth`` memory (one write, one read port;
    ``tdp``: a read port and the write port share a port, so true-dual-port shapes only)."""
    if width < 1 or depth < 1:
        raise ValueError(f"a memory of {width} x {depth} bits has no storage")
    return min(-(-width // w) * -(-depth // d) for d, w in (DP16KD_TDP_SHAPES if tdp else DP16KD_SHAPES))


@dataclass(frozen=True)
class MemoryUse:
    name: str
    width: int
    depth: int
    read_ports: int
    #: read ports on the write port's address (one DP16KD port that reads or writes; yosys
    #: shares them only with ``no_rw_check``: counters.RELEASED_ATTRS): 0 or 1
    shared: int = 0
    #: the bits a slice (slices.SlicedMemory: each slice a memory of its own); the width if whole
    slice_bits: int = 0

    @property
    def copies(self) -> int:
        return max(1, self.read_ports - self.shared)

    @property
    def slices(self) -> list[int]:
        step = self.slice_bits or self.width
        return [min(step, self.width - at) for at in range(0, self.width, step)]

    @property
    def blocks(self) -> int:
        return self.copies * sum(blocks(w, self.depth, tdp=bool(self.shared)) for w in self.slices)


def memories(depth: int, sessions: int = 8, window: int = 8) -> list[MemoryUse]:
    """The state memories of ``RiskPipeline(depth, sessions, window)`` as elaborated."""
    from .pipeline import RiskPipeline
    from ..ecp5 import ECP5
    from .slices import SlicedMemory

    top = RiskPipeline(depth, sessions, window)
    found: dict[str, MemoryUse] = {}

    def walk(elaboratable, name: str) -> None:
        if isinstance(elaboratable, (Memory, SlicedMemory)):
            # a sliced memory is one for the pipeline, its slices each their own blocks, with the
            # ports of its first slice; a memory with ``no_rw_check`` has its last read port on the
            # write port's address (the fill's read and write of ``released``: counters.py)
            sliced = isinstance(elaboratable, SlicedMemory)
            ports = elaboratable.slices[0] if sliced else elaboratable
            reads = len(ports.read_ports)
            shared = int(bool(ports.attrs.get("no_rw_check")) and reads > 1)
            found[name] = MemoryUse(name, Shape.cast(elaboratable.shape).width, elaboratable.depth, reads, shared,
                                    elaboratable.slice_bits if sliced else 0)
            return
        frag = Fragment.get(elaboratable, platform=ECP5)      # the ECP5 flow's memories (slices.py)
        for sub, sub_name, *_ in frag.subfragments:
            orig = getattr(sub, "origins", None) or (sub,)
            walk(next((o for o in orig if isinstance(o, SlicedMemory)), orig[-1]), sub_name or "?")

    walk(top, "risk_pipeline")
    return list(found.values())


def limit_row_fields() -> dict[str, int]:
    """Bits of the limit row by field (``_pad*``: padding for the bus's 32-bit words, not stored)."""
    return dict(SYMBOL_LIMITS.fields)


def report(depths) -> str:
    lines = []
    for d in depths:
        mems = memories(d)
        total = sum(m.blocks for m in mems)
        fits = "fits" if total <= DP16KD_ON_LFE5UM_85F else "does not fit"
        lines.append(f"depth {d} symbols ({2 * d} entries): {total} DP16KD ({fits} the LFE5UM-85F's "
                     f"{DP16KD_ON_LFE5UM_85F})")
        for m in mems:
            shared = f" ({m.shared} on the write port's)" if m.shared else ""
            sliced = f" as {len(m.slices)} slices of {m.slice_bits}" if m.slice_bits else ""
            per_copy = m.blocks // m.copies
            lines.append(f"  {m.name:9} {m.width:4} bits x {m.depth:6}{sliced}, {m.read_ports} read port(s){shared} -> "
                         f"{m.copies} x {per_copy} = {m.blocks} DP16KD")
    fields = limit_row_fields()
    pad = sum(w for f, w in fields.items() if f.startswith("_pad"))
    lines.append("limit row by field: " + ", ".join(f"{f} {w}" for f, w in fields.items())
                 + f" ({sum(fields.values())} on the bus, {pad} of them padding, {LIMIT_WIDTH} stored: tables.py)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:]) or ["64", "512", "2048", "8192"]
    bad = [a for a in args if not a.isdigit()]
    if bad:
        print(f"depths must be numbers of symbols, not {bad}", file=sys.stderr)
        return 2
    print(report(int(a) for a in args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
