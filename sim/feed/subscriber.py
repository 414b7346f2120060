"""The feed subscriber: ``wirespeed.gateway.feed.subscriber`` (the control plane holds one too),
re-exported so ``sim.feed.subscriber`` names stay."""
from wirespeed.gateway.feed.subscriber import FeedSubscriber  # noqa: F401
