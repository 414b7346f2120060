"""OrderTx: risk decisions in, orders out as Ethernet/IPv4/TCP packets on the MAC-facing
AXI4-Stream: an order encoder (OUCH, or FIX) followed by ``EthTx``.

The FIX encoder runs without its own frame buffer (``contiguous=False``): ``EthTx`` stores
each payload whole anyway (its checksum goes in the header), so a second store would only add
latency. Every port of the encoder but its beat output, and every port of ``EthTx`` but its
beat input, is a port of this top, under the same name."""
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import flipped

from ..encode.fix import FixEncoder
from ..encode.ouch import OuchEncoder
from .tx import EthTx

ENCODERS = ("ouch", "fix")


class OrderTx(wiring.Component):
    def __init__(self, encoder: str = "ouch", depth: int = 64, store: int = 32):
        if encoder not in ENCODERS:
            self._MustUse__silence = True
            raise ValueError(f"encoder must be one of {ENCODERS}, not {encoder!r}")
        self.encoder, self.depth = encoder, depth
        self._enc = OuchEncoder(depth) if encoder == "ouch" else FixEncoder(depth, contiguous=False)
        self._eth = EthTx(store)
        members = {n: mb for n, mb in self._enc.signature.members.items() if n != "o"}
        members.update({n: mb for n, mb in self._eth.signature.members.items() if n != "i"})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.encoder = enc = self._enc
        m.submodules.eth = eth = self._eth
        wiring.connect(m, enc.o, eth.i)
        for name, member in self.signature.members.items():
            inner = getattr(enc if name in enc.signature.members else eth, name)
            outer = getattr(self, name)
            if member.is_port:
                if member.flow == wiring.In:
                    m.d.comb += inner.eq(outer)
                else:
                    m.d.comb += outer.eq(inner)
            else:
                wiring.connect(m, flipped(outer), inner)
        return m
