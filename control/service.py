"""``wirespeed control --config FILE``: the desk service, the gateway and the control plane in one
long-running process.

``DeskService(cfg)`` builds what the demo and the tests used to wire by hand: the gateway (client
acceptor, order path, risk backend; no venue sessions of its own), one ``VenueManager`` per
venue that builds, connects and owns the venue's sessions (one per path) and joins its feed, a
``PathSelector`` (probed by ``PathProber``) for every venue reached over several paths, the
``Breakers`` and the ``AlgoDesk`` on the gateway's TargetStrategy hook. ``start()`` brings them
up in that order (the venues first, so the first parent finds them logged on and their books
in), ``stop()`` takes them down in the reverse: parents canceled or left (``desk.on_stop``), the
venues' working orders canceled (each venue's ``cancel_on_stop``) and their sessions logged out,
the acceptor closed, the stores and audit trail flushed.

``serve`` prints one ``listening`` line per endpoint and one line per venue session (so a
supervisor or a test knows the ports); SIGTERM / SIGINT stop it cleanly.
"""
from __future__ import annotations

import asyncio
import logging
import sys

from wirespeed.clock import WALL, ScaledClock
from wirespeed.gateway.server import Gateway
from wirespeed.symbols import table_from_config

from .live import AlgoDesk
from .live.parent_store import ParentStore
from .live.resume import resume_parents, start_resumed
from .paths import PathProber, PathSelector
from .risk import Breakers
from .service_config import ControlServiceConfig, load_control_config
from .venues import VenueManager

log = logging.getLogger("wirespeed.control.service")


class DeskService:
    def __init__(self, cfg: ControlServiceConfig, clock=None, configs=None):
        """clock: the desk's (default: the wall clock, or ``desk.speed`` times faster; the demo's
        is its own accelerated one); configs: the algorithms' config factory (default:
        ``cfg.algo``'s; the demo's builds VWAP's profile from its own flow)."""
        if clock is None:
            clock = WALL if cfg.desk.speed == 1 else ScaledClock(cfg.desk.speed)
        self.cfg, self.clock = cfg, clock
        self.symbols = table_from_config(cfg.symbols)
        audit = cfg.audit.trail()
        self.gateway = Gateway(
            cfg.core(), clients=tuple(c.comp_id for c in cfg.clients), symbols=self.symbols, venues=[],
            routes={c.comp_id: c.route for c in cfg.clients if c.route}, audit=audit,
            cancel_on_disconnect={c.comp_id: c.cancel_grace_s for c in cfg.clients if c.cancel_on_disconnect},
            client_rates={c.comp_id: c.rate_limit for c in cfg.clients if c.rate_limit},
            client_credit={c.comp_id: c.credit_limit for c in cfg.clients if c.credit_limit}, transport=cfg.transport)
        orders = self.gateway.orders
        self.breakers = Breakers(cfg.breakers, desk_caps=cfg.desk_caps)
        self.selectors = {v.name: PathSelector(v.name, [p.name for p in v.paths], cfg.paths)
                          for v in cfg.venues if len(v.paths) > 1}
        if configs is None:
            configs = lambda name, parent: cfg.algo.configs(name, parent, self.symbols)  # noqa: E731
        self.desk = AlgoDesk(orders, self.symbols, [v.info for v in cfg.venues], clock, configs=configs,
                             comp_id=cfg.desk.comp_id, max_parents=cfg.desk.max_parents, paths=self.selectors,
                             breakers=self.breakers)
        self.managers = [VenueManager(v.manager_config(), orders, breakers=self.breakers, gateway=self.gateway,
                                      market=self.desk.on_market, desk_clock=clock) for v in cfg.venues]
        self.desk.managers = self.managers
        # A previous run's orders from its audit trail (gateway/order_recovery.py): the venues are
        # added (the managers' links), nothing is connected yet, so what the venues resend after
        # the logons finds its orders. The desk's children report to its ControlSession.
        self.recovered = None
        if cfg.audit.directory:
            clients = {**self.gateway.acceptor.sessions, cfg.desk.comp_id: self.desk.session}
            try:
                self.recovered = orders.recover_from_trail(cfg.audit.directory, clients)
            except BaseException:
                self._release()          # (nothing started: the stores' and the trail's locks go)
                raise
        # The parents of the previous run (control/live/parent_store.py, resume.py): rebuilt on the
        # children just recovered, frozen until start() has the venues up.
        self.parent_store = None
        if cfg.desk.store_path:
            try:
                self.parent_store = ParentStore(cfg.desk.store_path, cfg.desk.store_fsync, clock=clock.time_ns)
                self.desk.store = self.parent_store
                resume_parents(self.desk, self.parent_store, clients)
            except BaseException:
                self._release()
                raise
        self.prober = PathProber(orders, list(self.selectors.values())) if self.selectors else None
        self._ticker: asyncio.Task | None = None
        self.port: int | None = None

    def _release(self) -> None:
        if getattr(self, "parent_store", None) is not None:
            self.parent_store.close()
        for m in self.managers:
            for store in m._stores:
                store.close()
        self.gateway.orders.audit.close()

    async def start(self) -> int:
        """Venues (sessions logged on, feeds joined), then the client acceptor; returns its port."""
        for m in self.managers:
            state = await m.connect()
            log.info("venue %s: %s", m.config.name, state)
        start_resumed(self.desk)         # (the resumed parents decide again, the venues up)
        self.port = await self.gateway.start()
        if self.prober is not None:
            self.prober.start()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        return self.port

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.desk.tick_s)
            try:
                self.desk.tick()
            except Exception:  # pragma: no cover - the desk's tick must outlive one bad round
                log.exception("desk tick failed")

    async def stop(self) -> dict:
        """Parents (per ``desk.on_stop``), then each venue (cancels, logout, feed), then the gateway
        (acceptor, stores, audit). Returns what was done."""
        done = {"parents_canceled": 0, "venue_cancels": 0, "parents_left": 0}
        working = lambda: [p for p in self.desk.parents.values() if not p.done]  # noqa: E731
        if self.cfg.desk.on_stop == "cancel":
            done["parents_canceled"] = self.desk.cancel_all("desk service stopping")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.cfg.desk.stop_timeout_s
            while working() and loop.time() < deadline:
                self.desk.tick()                 # parents end when their last child is out
                await asyncio.sleep(0.01)
        done["parents_left"] = len(working())
        if done["parents_left"]:
            # Left (or not out in time): frozen where they are, so a venue's cancels on stop are
            # not re-routed elsewhere while everything goes down.
            self.desk.freeze()
            log.warning("desk service stopping with %d parents still working", done["parents_left"])
        if self._ticker is not None:
            self._ticker.cancel()
        if self.prober is not None:
            await self.prober.stop()
        self.gateway.orders.stopping = True      # the venues' logouts that follow are expected
        for m in self.managers:
            done["venue_cancels"] += await m.stop()
        await self.gateway.stop()
        if self.parent_store is not None:
            self.parent_store.close()
        return done


async def serve(cfg: ControlServiceConfig, stop: asyncio.Event, out=sys.stdout) -> DeskService:
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    svc = DeskService(cfg)
    try:
        port = await svc.start()
    except BaseException:
        await svc.stop()           # what did start (venue sessions, feeds) is taken down again
        raise
    for m in svc.managers:
        for name in m.config.sessions:
            link = svc.gateway.orders.venues[name]
            init = m.owned.get(name)
            where = f"{init.host}:{init.port}" if init is not None else "-"
            say(f"venue {m.config.name} session {name} {where} {link.state}")
        if m.feed is not None:
            e = m.feed.endpoint if hasattr(m.feed, "endpoint") else m.config.feed   # (announced ports)
            say(f"venue {m.config.name} feed {e.host}:{e.request_port} {'stale' if m.feed.stale else 'joined'}")
    say(f"listening fix {cfg.gateway.host}:{port} clients: {', '.join(c.comp_id for c in cfg.clients)} "
        f"(algo desk {cfg.desk.comp_id}{f', clock at {cfg.desk.speed:g}x' if cfg.desk.speed != 1 else ''})")
    try:
        await stop.wait()
    finally:
        done = await svc.stop()
        say(f"stopped: {done['parents_canceled']} parents canceled, {done['parents_left']} left working, "
            f"{done['venue_cancels']} venue orders canceled")
    return svc


def main(config: str) -> int:
    cfg = load_control_config(config)        # a ConfigError names the key; the CLI exits 2
    from wirespeed.gateway.service import run_until_signalled
    try:
        run_until_signalled(serve, cfg)
    except OSError as exc:         # the acceptor's port taken, an address not ours: say so, exit 1
        print(f"wirespeed control: cannot listen on {cfg.gateway.host}:{cfg.gateway.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
