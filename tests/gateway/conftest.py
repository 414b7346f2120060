import asyncio
import functools

import pytest

from wirespeed.config import load_config
from wirespeed.gateway.server import Gateway
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config


def run_async(fn):
    """Run an async test on a fresh uvloop loop, bounded in time."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import uvloop

        async def bounded():
            return await asyncio.wait_for(fn(*args, **kwargs), 30)
        return uvloop.run(bounded())
    return wrapper


class Stack:
    """A venue and a gateway on loopback, for tests that need the whole order path."""

    def __init__(self, clients=("CLIENT1", "CLIENT2")):
        self.config = load_config(overrides={"risk": {"default": {"max_qty": 1000, "collar_ticks": 100}}})
        self.symbols = table_from_config(self.config.symbols)
        self.venue = SimVenue(self.config.venue, self.symbols)
        self.clients = clients

    async def __aenter__(self):
        await self.venue.start()
        self.gateway = Gateway(self.config, self.venue.port, clients=self.clients, symbols=self.symbols)
        await self.gateway.start()
        return self

    async def __aexit__(self, *exc):
        await self.gateway.stop()
        await self.venue.stop()


@pytest.fixture
def stack_factory():
    return Stack
