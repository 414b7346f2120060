"""The feed handler: a venue's market data, NASDAQ TotalView-ITCH 5.0 in MoldUDP64 packets over
UDP, received (``subscriber``: retransmission requests for gaps, snapshot load for late joiners),
decoded (``itch``) and rebuilt into books (``book`` on ``mirror``), as book events (``events``).

It lives in the gateway because it is a venue protocol like the FIX and OUCH venue sessions (and
the ITCH prices use the OUCH symbol scale), so the control plane may hold one (import direction:
core <- hw <- gateway <- control). The venues' side, the publisher and its retransmission and
snapshot servers, is in ``sim/feed/``.
"""
from .book import BookReset, FeedBook, FeedBookError, SymbolBook
from .itch import FeedSymbol, ItchDecoder, ItchEncoder, ItchError, StockDirectory
from .mold import MoldError
from .subscriber import FeedSubscriber

__all__ = ["BookReset", "FeedBook", "FeedBookError", "FeedSubscriber", "FeedSymbol", "ItchDecoder", "ItchEncoder",
           "ItchError", "MoldError", "StockDirectory", "SymbolBook"]
