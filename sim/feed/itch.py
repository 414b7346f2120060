"""ITCH 5.0, encoder and decoder: ``wirespeed.gateway.feed.itch`` (the format defined once, beside
the decoder the feed handler uses), re-exported so ``sim.feed.itch`` names stay."""
from wirespeed.gateway.feed.itch import (CROSS_TYPES, LAYOUTS, SIZES, FeedSymbol, ItchDecoder,  # noqa: F401
                                         ItchEncoder, ItchError, StockDirectory)
