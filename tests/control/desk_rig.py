"""The set-up the desk restart, venue store and venue recovery tests share: one sim FIX venue
(XNAS, MSFT), a desk service configured against it, optionally through a ``sim/net`` relay (so
the link can go before the desk does), and one teardown for whatever is still running.

    async with DeskRig(relay_seed=4) as rig:            # rig.venue, rig.path (the relay's)
        svc = rig.desk(desk_config(rig.path.port, store=tmp_path / "store"))
        ...
        await rig.cut()                                   # link, client, then the process
        svc = rig.desk(desk_config(...))                  # the next process
"""
from __future__ import annotations

from wirespeed.config import GatewayConfig, RiskConfig, SymbolConfig, SymbolLimits
from wirespeed.control.live.algo_client import AlgoClient
from wirespeed.control.service import DeskService
from wirespeed.control.service_config import AlgoDefaults, ControlServiceConfig, DeskConfig, VenueEntry
from wirespeed.control.venues import FeedEndpoint, PathEndpoint, ReconnectPolicy
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.service_config import AuditConfig, ClientSessionConfig
from wirespeed.gateway.session import SessionConfig
from wirespeed.sim.net import Relay
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol

SYMBOLS = (VenueSymbol("MSFT", "0.01", "410.00", levels=3, level_qty=500),)
SPEC = VenueSpec("XNAS", ouch=False, symbols=SYMBOLS)


def desk_config(port: int, *, route: str | None = "XNAS", store=None, audit=None, seed: int = 0,
                cancel_on_stop: bool = False, **more) -> ControlServiceConfig:
    """A desk with one client (CLIENT1, routed to XNAS unless ``route`` is None) and one XNAS path
    on ``port``: its FIX store in ``store``, the gateway's trail in ``audit``, reconnecting at
    50-100 ms (jitter 0.2, ``seed``). ``more``: ``start_time``/``end_time`` for the path, and
    ``feed``, ``algo``, ``desk`` for the service."""
    window = {k: more.pop(k) for k in ("start_time", "end_time") if k in more}
    feed = {"feed": more.pop("feed")} if "feed" in more else {}
    venue = VenueEntry("XNAS", paths=(PathEndpoint("XNAS", port, store_path="" if store is None else str(store),
                                                   **window),),
                       cancel_on_stop=cancel_on_stop, **feed,
                       reconnect=ReconnectPolicy(0.05, 0.1, 0.2, seed=seed))
    if audit is not None:
        more["audit"] = AuditConfig(str(audit))
    return ControlServiceConfig(
        clients=(ClientSessionConfig("CLIENT1", route=route),), venues=(venue,),
        gateway=GatewayConfig(port=0), risk=RiskConfig(default=SymbolLimits(max_qty=5000, collar_ticks=200)),
        symbols=(SymbolConfig("MSFT", "0.01", "410.00"),), **more)


def parent_desk(rig: "DeskRig", tmp_path) -> ControlServiceConfig:
    """The desk that carries parents across a restart: its parent store, its gateway's trail and
    its venue store under ``tmp_path``, on the rig's relay path, joined to the venue's feed."""
    feed = rig.venue.feed
    return desk_config(rig.path.port, route=None, store=tmp_path / "store", audit=tmp_path / "audit", seed=3,
                       feed=FeedEndpoint(feed.request_port, snapshot_port=feed.snapshot_port),
                       algo=AlgoDefaults(decision_s=0.5, min_child=100),
                       desk=DeskConfig(on_stop="leave", store_path=str(tmp_path / "parents")))


async def resuming_client(rig: "DeskRig", port: int) -> AlgoClient:
    """One FIX session kept across the desk's restart (no reset): what the desk says while the
    client is away comes by resend after its Logon. The rig stops it (at the cut, or at the end)."""
    fix = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", port, config=SessionConfig(
        sender_comp_id="CLIENT1", target_comp_id="WIRESPEED", role="initiator", reset_on_logon=False,
        strategy_parameters=True))
    rig.client = fix
    await fix.start()
    return AlgoClient.attach(fix)


class _Taker:
    def on_report(self, r):
        pass


def take(venue: SimVenue, qty: int, px: int) -> None:
    """Someone sells ``qty`` at ``px`` (IOC) at the venue: it fills our bid resting there."""
    venue.core.new_order(_Taker(), None, "T", "MSFT", Side.SELL, OrdType.LIMIT, TimeInForce.IOC, qty, px)


class Recorder:
    """Stands in for the venue session's application: records what reaches it, then delegates."""
    def __init__(self, app):
        self.app, self.messages = app, []

    def on_logon(self, session):
        self.app.on_logon(session)

    def on_logout(self, session):
        self.app.on_logout(session)

    def on_message(self, session, msg):
        self.messages.append(msg)
        self.app.on_message(session, msg)


def spy(session):
    """The Logons the session sends, as their fields."""
    logons = []
    send_raw = session._send_raw

    def record(mt, fields, *a, **k):
        if mt == "A":
            logons.append(dict(fields))
        return send_raw(mt, fields, *a, **k)
    session._send_raw = record
    return logons


async def killed(svc: DeskService) -> None:
    """The process dies: its trail's journal is left unsettled (a kill -9 leaves it so; the next
    open settles it), nothing is canceled, the sockets go."""
    trail = svc.gateway.orders.audit
    trail.close = trail._release              # the descriptors and the lock go; no settle
    await svc.stop()


class DeskRig:
    """The venue (started), a relay path to it when ``relay_seed`` is given, the desk service the
    test built last (``desk``) and the FIX client it names (``client``): stopped on exit,
    client first, whatever the test left running."""

    def __init__(self, relay_seed: int | None = None, spec: VenueSpec = SPEC):
        self.venue = SimVenue(spec)
        self.relay = None if relay_seed is None else Relay(seed=relay_seed)
        self.path = None
        self.svc: DeskService | None = None
        self.client = None                    # a FixClient (an AlgoClient's .client)

    async def __aenter__(self) -> "DeskRig":
        await self.venue.start()
        try:
            if self.relay is not None:
                self.path = await self.relay.create("xnas", f"127.0.0.1:{self.venue.port}")
        except BaseException:
            await self.venue.stop()
            raise
        return self

    def desk(self, config: ControlServiceConfig) -> DeskService:
        """The next desk process (built, not started)."""
        self.svc = DeskService(config)
        return self.svc

    async def cut(self, kill: bool = True) -> None:
        """The desk goes: its link first (nothing it says reaches the venue), its client, then the
        process (``kill``: as by kill -9, else a stop)."""
        await self.path.disable()
        await self.stop_client()
        await (killed(self.svc) if kill else self.svc.stop())

    async def stop_client(self) -> None:
        c, self.client = self.client, None
        if c is not None:
            await c.stop()

    async def __aexit__(self, *exc) -> None:
        try:
            await self.stop_client()
            if self.svc is not None:
                await self.svc.stop()
        finally:
            if self.relay is not None:
                await self.relay.close()
            await self.venue.stop()
