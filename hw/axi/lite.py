"""An AXI4-Lite (ARM IHI 0022, AXI4-Lite) slave in front of the register bus (hw/regs/bus.py).

One transaction at a time, a write before a read when both are offered. A write is taken
when both AW and W are valid (AWREADY and WREADY rise together), passed to the register
bus as one ``we`` pulse, and answered on B once it is applied; a read is passed as one ``re``
pulse and answered on R with the bus's ``rdata`` when ``rvalid`` comes back. The
response is OKAY, or SLVERR for a bad access: a write out of range, to a read-only
address or with WSTRB other than all four bytes; a read out of range or of a write-only
address. A bad access changes nothing: it still goes to the register bus, which ignores
it and sets the error flag (STATUS bit 0), except a partial-strobe write, which is not
passed on at all. The address decode is ``regs.map``'s, the one the register file uses.
A write the register file refuses on its contents (a ROW_COMMIT of an incomplete shadow row
or of an index beyond the table) is answered SLVERR too: the error flag rose during it.
"""
from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..regs import map as regmap
from ..regs.bus import WRITE_LATENCY, RegBus

OKAY, SLVERR = 0b00, 0b10


def axi_lite(addr_width: int = regmap.ADDR_WIDTH, data_width: int = 32) -> wiring.Signature:
    """AXI4-Lite seen from the manager (AWPROT/ARPROT are optional in AXI4-Lite and left out)."""
    return wiring.Signature({
        "awaddr": Out(addr_width), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(data_width), "wstrb": Out(data_width // 8), "wvalid": Out(1), "wready": In(1),
        "bresp": In(2), "bvalid": In(1), "bready": Out(1),
        "araddr": Out(addr_width), "arvalid": Out(1), "arready": In(1),
        "rdata": In(data_width), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
    })


def _table(addr, depth: int):
    """(in the limit table, the word is a limit word) for an aligned address."""
    end = regmap.TABLE_BASE + depth * regmap.TABLE_STRIDE
    in_table = (addr >= regmap.TABLE_BASE) & (addr < end)
    return in_table, addr[2:6] < len(regmap.LIMIT_WORDS)


def writable(addr, depth: int):
    """A writable global (RW, W1C, the shadow row and its commit); no table word is written in place."""
    rw = [addr == r.offset for r in regmap.GLOBALS if r.access != "RO"]
    hit = rw[0]
    for h in rw[1:]:
        hit = hit | h
    return (addr[:2] == 0) & hit


def readable(addr, depth: int):
    in_table, limit_word = _table(addr, depth)
    hit = in_table & ~limit_word
    for r in regmap.GLOBALS:
        if r.access != "WO":
            hit = hit | (addr == r.offset)
    return (addr[:2] == 0) & hit


class AxiLiteRegs(wiring.Component):
    """``s``: the AXI4-Lite port; ``bus``: the register bus it drives (connect it to a block's ``bus``)."""

    def __init__(self, depth: int):
        self.depth = depth
        super().__init__({"s": In(axi_lite()), "bus": Out(RegBus)})

    def elaborate(self, platform):
        m = Module()
        s, bus = self.s, self.bus
        wait = Signal(range(WRITE_LATENCY + 2))
        err_before = Signal()                     # the error flag as the write was taken
        m.d.sync += [bus.we.eq(0), bus.re.eq(0)]
        # if/elif on the state, not m.FSM() or m.Switch(): their case statements come out
        # incomplete under verilator -Wall
        IDLE, WRITE, READ, RDATA = range(4)
        state = Signal(2)
        with m.If(state == IDLE):
            with m.If(s.awvalid & s.wvalid):
                m.d.comb += [s.awready.eq(1), s.wready.eq(1)]
                full = s.wstrb == 0xF
                m.d.sync += [bus.addr.eq(s.awaddr), bus.wdata.eq(s.wdata), bus.we.eq(full),
                             s.bresp.eq(Mux(full & writable(s.awaddr, self.depth), OKAY, SLVERR)),
                             err_before.eq(bus.err), wait.eq(WRITE_LATENCY + 1), state.eq(WRITE)]
            with m.Elif(s.arvalid):
                m.d.comb += s.arready.eq(1)
                m.d.sync += [bus.addr.eq(s.araddr), bus.re.eq(1),
                             s.rresp.eq(Mux(readable(s.araddr, self.depth), OKAY, SLVERR)), state.eq(READ)]
        with m.Elif(state == WRITE):
            # answer once the write (or the error flag) has taken effect, so a read after B sees it
            with m.If(wait == 0):
                m.d.comb += s.bvalid.eq(1)
                with m.If(s.bready):
                    m.d.sync += state.eq(IDLE)
            with m.Else():
                m.d.sync += wait.eq(wait - 1)
                with m.If((wait == 1) & bus.err & ~err_before):    # the flag is set by then
                    m.d.sync += s.bresp.eq(SLVERR)
        with m.Elif(state == READ):
            with m.If(bus.rvalid):
                m.d.sync += [s.rdata.eq(bus.rdata), state.eq(RDATA)]
        with m.Else():    # RDATA
            m.d.comb += s.rvalid.eq(1)
            with m.If(s.rready):
                m.d.sync += state.eq(IDLE)
        return m
