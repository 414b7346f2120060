"""What the order encoders share: parameter checks, their ports, the table write port, hex digits."""
from amaranth import Const, Mux
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from wirespeed.layout import BEAT, RISK_OUT


def check_depth(component, depth) -> None:
    """A depth (table rows, queue entries) must be a power of two >= 2 (raised before the
    component exists, so no "created but never used" warning follows the error)."""
    if not isinstance(depth, int) or depth < 2 or depth & (depth - 1):
        component._MustUse__silence = True
        raise TypeError(f"depth must be a power of two >= 2, not {depth!r}")


def table_signature(row_layout, depth: int) -> wiring.Signature:
    """A per-symbol table's write port: one row per cycle while ``en`` is high."""
    return wiring.Signature({"addr": Out(range(depth)), "data": Out(row_layout), "en": Out(1)})


def encoder_members(component, row_layout, depth, **extra) -> dict:
    """An encoder's ports: risk decisions in, 8-byte beats out, the symbol table's write port
    (``depth`` rows of ``row_layout``, checked first), and any ports of its own."""
    check_depth(component, depth)
    return {"i": In(stream.Signature(RISK_OUT.layout)), "o": Out(stream.Signature(BEAT.layout)),
            "table": In(table_signature(row_layout, depth)), **extra}


#: tables up to this depth are asked for in LUT-RAM (yosys's ``ram_style``): yosys maps an ECP5
#: block RAM without its output register (REGMODE "NOREG" in its techmap), whose 4.26 ns
#: clock-to-out alone caps a path from it at ~170 MHz (measured: docs/hw/performance.md)
LUTRAM_DEPTH = 64


def symbol_table(m, table, row_layout, depth: int, transparent: bool):
    """The per-symbol table in a memory written from the ``table`` port; returns its read port
    (synchronous). ``transparent``: a read in the cycle its row is written returns the new row
    (a bypass compare in front of the read register); otherwise the row as it was."""
    attrs = {"ram_style": "distributed"} if depth <= LUTRAM_DEPTH else None
    m.submodules.symbols = mem = Memory(shape=row_layout, depth=depth, init=[], attrs=attrs)
    wr = mem.write_port()
    m.d.comb += [wr.addr.eq(table.addr), wr.data.eq(table.data), wr.en.eq(table.en)]
    return mem.read_port(transparent_for=(wr,) if transparent else ())


def hex_digit(nibble):
    """An upper-case hex digit, exactly 8 bits wide (Cat packs elements at their own width)."""
    return (Const(0, 8) | Mux(nibble < 10, nibble + 0x30, nibble + 0x37))[:8]
