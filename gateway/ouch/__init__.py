"""NASDAQ OUCH 5.0 over SoupBinTCP: the software encoder (also the hardware encoder's golden model)."""
from .encoder import ENTER_ORDER_FRAME_BYTES, OuchSymbol, enter_order, soup_unsequenced

__all__ = ["ENTER_ORDER_FRAME_BYTES", "OuchSymbol", "enter_order", "soup_unsequenced"]
