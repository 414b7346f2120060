"""``wirespeed fix-acceptor`` and ``wirespeed fix-initiator``: the engine from a .cfg file."""
from __future__ import annotations

import asyncio
import signal
import sys

from wirespeed.clock import now_ns
from wirespeed.latency import LatencyRecorder

from .apps import APPS
from .cfg import load_cfg
from .client import FixClient
from .engine import Engine, _client_ssl, make_store
from .transport import install_uvloop, tune_gc


async def _serve(engine: Engine, stop: asyncio.Event) -> None:
    await engine.start()
    tune_gc()
    for (host, _), acc in engine.acceptors.items():
        names = ", ".join(sorted(acc.sessions)) or "-"
        dyn = " + dynamic sessions" if acc.factory else ""
        print(f"listening on {host}:{acc.port} sessions: {names}{dyn}", flush=True)
    await stop.wait()
    await engine.stop()


def acceptor_main(config: str, app: str) -> int:
    settings = [s for s in load_cfg(config) if s.is_acceptor]
    if not settings:
        print(f"wirespeed: {config}: no acceptor sessions", file=sys.stderr)
        return 2
    install_uvloop()
    application = APPS[app]()
    engine = Engine(settings, lambda _s: application)

    async def run():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await _serve(engine, stop)
    asyncio.run(run())
    return 0


async def _probe(s, orders: int, symbol: str, price: str, timeout: float) -> tuple[bool, str]:
    alternates = s.connect_addresses[1:]   # SocketConnectHost<n>/Port<n>: tried in turn until the timeout
    client = FixClient(s.SenderCompID, s.TargetCompID, s.SocketConnectHost, s.SocketConnectPort,
                       config=s.session_config(), store=make_store(s), ssl=_client_ssl(s),
                       alternates=alternates, reconnect=bool(alternates),
                       backoff_initial=min(max(s.ReconnectInterval, 0.01), 1.0), backoff_max=1.0)
    rec = LatencyRecorder()
    try:
        await client.start(timeout)
    except ConnectionError as exc:
        return False, f"{s.label}: logon FAILED: {exc}"
    try:
        for i in range(3):
            rec.record("test request rtt", await client.test_request(f"probe-{i}", timeout))
        for i in range(orders):
            cl = f"P{now_ns()}-{i}"
            t0 = client.new_order(cl, symbol, "1", 100, price)
            first = (await client.wait_report(cl, timeout=timeout))[0]
            rec.record("order -> first report", first.recv_ns - t0)
    except TimeoutError as exc:
        why = f" (session: {client.session.last_error})" if client.session.last_error else ""
        return False, f"{s.label}: FAILED: {exc}{why}"
    finally:
        await client.stop()
    return True, f"{s.label}: logon ok, logout ok\n{rec.table('us')}"


def initiator_main(config: str, orders: int, symbol: str, price: str, timeout: float) -> int:
    settings = [s for s in load_cfg(config) if not s.is_acceptor]
    if not settings:
        print(f"wirespeed: {config}: no initiator sessions", file=sys.stderr)
        return 2
    install_uvloop()

    async def run():
        return await asyncio.gather(*(_probe(s, orders, symbol, price, timeout) for s in settings))
    results = asyncio.run(run())
    for _, text in results:
        print(text)
    return 0 if all(ok for ok, _ in results) else 1
