"""A book rebuilt from book events alone: ``wirespeed.gateway.feed.mirror`` (the feed handler's
books stand on it), re-exported so the engine's tests keep their ``sim.mirror`` names."""
from wirespeed.gateway.feed.mirror import MirrorBook, MirrorBooks  # noqa: F401
