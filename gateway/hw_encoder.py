"""The hardware's OUCH encoder on the gateway's wire: with ``encoder = "verilator"`` on an OUCH
venue, the Enter Order frames the venue session writes come from the Verilated
``hw/encode/ouch.py`` (``wirespeed.hw.vsim.encoder``, built on first use and cached) instead of
the software encoder it is bit-identical to, so a test can show the hardware's frame reaching a
venue and being acknowledged. Replace and Cancel Order stay in software (the hardware encodes
Enter Order only)."""
from __future__ import annotations

from wirespeed.order import Order

from .ouch import OuchSymbol

ENCODERS = ("software", "verilator")


class VerilatorOuchEncoder:
    """The SoupBinTCP-framed Enter Order for an order, from the Verilated encoder, whose symbol
    table holds the venue session's symbols (names and price scales)."""

    name = "verilator"

    def __init__(self, scales: dict[int, OuchSymbol]):
        from wirespeed.hw.vsim.encoder import VerilatedOuchEncoder
        depth = 2
        while depth <= max(scales, default=0):
            depth *= 2                          # the table's rows: a power of two holding every index
        self.hw = VerilatedOuchEncoder(depth)
        for index, sym in scales.items():
            self.hw.set_symbol(index, sym.name_bytes, sym.price_scale)

    def frame(self, order: Order) -> bytes:
        return self.hw.encode(order)


def make_ouch_encoder(name: str, scales: dict[int, OuchSymbol]) -> VerilatorOuchEncoder | None:
    """None for the software encoder (the session's default path)."""
    if name not in ENCODERS:
        raise ValueError(f"encoder: must be one of {', '.join(ENCODERS)}, not {name!r}")
    return VerilatorOuchEncoder(scales) if name == "verilator" else None
