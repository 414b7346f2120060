import asyncio
import functools

import pytest

from wirespeed.config import load_config
from wirespeed.gateway.server import Gateway
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config


def run_async(fn=None, *, timeout: float = 30):
    """Run an async test on a fresh uvloop loop, bounded in time (``@run_async(timeout=90)`` for
    tests that start processes, which a loaded machine makes slow)."""
    if fn is None:
        return functools.partial(run_async, timeout=timeout)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import uvloop

        async def bounded():
            return await asyncio.wait_for(fn(*args, **kwargs), timeout)
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


class CfgEngine:
    """An Engine from .cfg text, acceptors on ephemeral ports; ``port`` is the first acceptor's."""

    def __init__(self, text: str, app: str = "echo"):
        from wirespeed.gateway.apps import APPS
        from wirespeed.gateway.cfg import parse_cfg
        from wirespeed.gateway.engine import Engine
        application = APPS[app]()
        self.engine = Engine(parse_cfg(text), lambda _s: application)

    async def __aenter__(self):
        await self.engine.start()
        self.port = next(iter(self.engine.acceptors.values())).port
        return self

    async def __aexit__(self, *exc):
        await self.engine.stop()


def acceptor_cfg(**keys) -> str:
    base = {"ConnectionType": "acceptor", "BeginString": "FIX.4.4", "SenderCompID": "GW",
            "TargetCompID": "CLIENT1", "SocketAcceptPort": "0"}
    base.update({k: str(v) for k, v in keys.items()})
    return "[SESSION]\n" + "".join(f"{k}={v}\n" for k, v in base.items())


async def until(cond, what: str, tries: int = 500):
    """Wait, one 10 ms step at a time, until ``cond()`` holds; fail naming ``what`` after ``tries``."""
    for _ in range(tries):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)
