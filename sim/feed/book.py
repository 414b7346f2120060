"""The books a feed subscriber keeps: ``wirespeed.gateway.feed.book``, re-exported."""
from wirespeed.gateway.feed.book import BookReset, FeedBook, FeedBookError, SymbolBook  # noqa: F401
