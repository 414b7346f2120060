"""OrderTx: risk decisions in, orders out as Ethernet/IPv4/TCP packets on the MAC-facing
AXI4-Stream: an order encoder (OUCH, or FIX) followed by ``EthTx``.

The FIX encoder runs without its own frame buffer (``contiguous=False``): ``EthTx`` stores
each payload whole anyway (its checksum goes in the header), so a second store would only add
latency. Every port of the encoder but its beat output, and every port of ``EthTx`` but its
beat input, is a port of this top, under the same name (EthTx's ``seq`` as ``tcp_seq``). The FIX encoder's SendingTime and
TransactTime come from the card's clock (``TimeCounter``, hw/time) instead of its ``utc`` port:
the host sets and slews it through ``time`` (hw/host/ring.py ``time_control``), and ``ns``
reads it."""
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import flipped

from ..encode.fix import FixEncoder
from ..encode.ouch import OuchEncoder
from ..host.ring import connect_time, time_control
from ..time.counter import TimeCounter
from .tx import EthTx

ENCODERS = ("ouch", "fix")
#: EthTx ports renamed on this top (the FIX encoder's ``seq`` is MsgSeqNum)
RENAMED = {"seq": "tcp_seq"}


class OrderTx(wiring.Component):
    def __init__(self, encoder: str = "ouch", depth: int = 64, store: int = 32, period_ns=4):
        if encoder not in ENCODERS:
            self._MustUse__silence = True
            raise ValueError(f"encoder must be one of {ENCODERS}, not {encoder!r}")
        self.encoder, self.depth = encoder, depth
        self._enc = OuchEncoder(depth) if encoder == "ouch" else FixEncoder(depth, contiguous=False)
        self._eth = EthTx(store)
        self._clock = TimeCounter(period_ns) if encoder == "fix" else None
        members = {n: mb for n, mb in self._enc.signature.members.items() if n not in ("o", "utc")}
        members.update({RENAMED.get(n, n): mb for n, mb in self._eth.signature.members.items() if n != "i"})
        if self._clock is not None:
            members.update({"time": wiring.In(time_control(self._clock)), "ns": wiring.Out(64)})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.encoder = enc = self._enc
        m.submodules.eth = eth = self._eth
        wiring.connect(m, enc.o, eth.i)
        if self._clock is not None:
            m.submodules.clock = clock = self._clock
            connect_time(m, self.time, clock)
            m.d.comb += [enc.utc.eq(clock.utc), self.ns.eq(clock.ns)]
        from_eth = {RENAMED.get(n, n): n for n in eth.signature.members if n != "i"}
        for name, member in self.signature.members.items():
            if name in ("time", "ns"):
                continue
            inner = getattr(eth, from_eth[name]) if name in from_eth else getattr(enc, name)
            outer = getattr(self, name)
            if member.is_port:
                if member.flow == wiring.In:
                    m.d.comb += inner.eq(outer)
                else:
                    m.d.comb += outer.eq(inner)
            else:
                wiring.connect(m, flipped(outer), inner)
        return m
