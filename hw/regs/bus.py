"""A simple memory-mapped register bus (host side drives addr/wdata/we/re).

A write takes effect ``WRITE_LATENCY`` clock edges after (and counting) the one that
samples ``we``. A read returns ``rdata`` with ``rvalid`` ``READ_LATENCY`` cycles after
``re``; a read may start every cycle. A bad access (unmapped, misaligned, a write to a
read-only or a read of a write-only register) changes nothing and sets STATUS bit 0,
which ``err`` mirrors until software clears it.
"""
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .map import ADDR_WIDTH

READ_LATENCY = 6     # cycles from re to rvalid
WRITE_LATENCY = 2    # edges from the one that samples we to the one that applies the write

RegBus = wiring.Signature({
    "addr": Out(ADDR_WIDTH),
    "wdata": Out(32),
    "we": Out(1),
    "re": Out(1),
    "rdata": In(32),
    "rvalid": In(1),
    "err": In(1),
})
