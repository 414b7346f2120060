"""Market-data feed: book events as NASDAQ TotalView-ITCH 5.0 in MoldUDP64 packets over UDP
on loopback, a request server for retransmission, a subscriber that rebuilds the books and
recovers gaps, and in-process subscriptions (``FeedPublisher.subscribe``)."""
from .book import BookReset, FeedBook, FeedBookError, SymbolBook
from .itch import FeedSymbol, ItchDecoder, ItchEncoder, ItchError, StockDirectory
from .mold import MoldError, MoldSession
from .publisher import FeedPublisher
from .subscriber import FeedSubscriber

__all__ = ["BookReset", "FeedBook", "FeedBookError", "FeedPublisher", "FeedSubscriber", "FeedSymbol", "ItchDecoder",
           "ItchEncoder", "ItchError", "MoldError", "MoldSession", "StockDirectory", "SymbolBook"]
