"""The gateway process: client acceptor, order path, risk backend and one initiator per venue."""
from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass

from wirespeed.config import ConfigError, WirespeedConfig
from wirespeed.symbols import SymbolTable, table_from_config

from .acceptor import FixAcceptor, _wait_for
from .controls import RateLimit
from .hw_encoder import make_fix_encoder
from .initiator import FixInitiator
from .orders import OrderGateway
from .ouch_venue import OuchVenueSession
from .risk import make_backend
from .service_config import TransportConfig
from .fix import tags as T
from .fix.tags import ADMIN_TYPES, HEADER_TAGS
from .session import Session, SessionConfig
from .store import MemoryStore
from .store.spill import Spill, SpillDir
from .transport import Spinner, WriteBatcher

log = logging.getLogger("wirespeed.gateway")
#: The header fields a message's encoding makes itself (the rest of its header is kept when a message
#: taken back is sent again)
_NUMBERED_HEADER = frozenset({T.BeginString, T.BodyLength, T.MsgType, T.MsgSeqNum, T.SenderCompID,
                               T.TargetCompID, T.SendingTime, T.CheckSum})
#: How often the buffered latency stamps go into their histograms (``OrderGateway.drain_latency``),
#: seconds; the rest of the order path's timer runs every ``TICK_S``. A drain stops the loop for
#: its length: under ``make bench-load`` (20,000 orders/s) half a second's stamps took 16-17 ms to
#: drain, and every order that arrived meanwhile waited (the round trip's p99 was that stall);
#: 50 ms of stamps are ~1/10 of it, still in cache (docs/gateway/order_path.md, "Measured",
#: 2026-12-03). ``WIRESPEED_DRAIN_MS=500``: the drain with the rest of the timer only, as before.
TICK_S = 0.5


def drain_period(ms: str | None) -> float:
    """The drain's period in seconds from ``WIRESPEED_DRAIN_MS`` (None: 50 ms), within 1 ms .. TICK_S
    and rounded to the nearest whole fraction of TICK_S (the timer runs every TICK_S in whole
    periods: 300 ms is 250, 400 is 500)."""
    if ms is None:
        return 0.05
    try:
        value = float(ms)
    except ValueError:
        raise ConfigError(f"WIRESPEED_DRAIN_MS must be a number of milliseconds, not {ms!r}") from None
    if not value > 0:      # (nan too)
        raise ConfigError(f"WIRESPEED_DRAIN_MS must be a positive number of milliseconds, not {ms!r}")
    return TICK_S / max(1, round(TICK_S / min(TICK_S, max(0.001, value / 1e3))))


DRAIN_S = drain_period(os.environ.get("WIRESPEED_DRAIN_MS"))


@dataclass(frozen=True, slots=True)
class VenueEndpoint:
    """One venue session the gateway initiates."""

    name: str
    host: str
    port: int
    comp_id: str
    rate: RateLimit | None = None        # the gateway's order-rate throttle toward this venue
    protocol: str = "fix"                # fix (FIX 4.4) | ouch (OUCH 5.0 over SoupBinTCP)
    username: str = ""                   # ouch: the SoupBinTCP login
    password: str = ""
    credit_limit: int = 0                # open notional allowed at this venue, ticks x shares (0: none)
    sender_comp_id: str = ""             # fix: our CompID on this session (default: the gateway's); two
                                         # paths to one venue are two sessions, so two CompIDs
    encoder: str = "software"            # "verilator": new-order frames from the Verilated encoder (OUCH
                                         # Enter Order, FIX NewOrderSingle; gateway/hw_encoder.py)
    reset_on_logon: bool = True          # fix: every Logon asks for a sequence reset (141=Y); False: the
                                         # numbers go on across connections (a lost link is recovered
                                         # by ResendRequest), QuickFIX's ResetOnLogon=N
    store_path: str = ""                 # fix: QuickFIX's FileStorePath (a FileStore in a subfolder
                                         # BeginString-Sender-Target); "": the numbers and messages in memory



def _spill_dir(directory) -> SpillDir:
    """The client stores' spill folder's root, checked now: a bad one names the key."""
    if not isinstance(directory, str):
        raise ConfigError(f"retention.client_store_directory: must be a string, not {directory!r}")
    if directory:
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"retention.client_store_directory: cannot create {directory!r}: "
                              f"{exc.strerror or exc}") from None
        if not os.path.isdir(directory) or not os.access(directory, os.W_OK | os.X_OK):
            raise ConfigError(f"retention.client_store_directory: {directory!r} is not a folder this "
                              f"process can write")
    return SpillDir(directory)


def _latency_keys(keys: tuple[int, bool, bool] | None) -> dict:
    if keys is None:
        return {}
    max_latency_s, check_latency, backlog_credit = keys
    return {"sending_time_tolerance_s": max_latency_s, "check_latency": check_latency,
            "backlog_credit": backlog_credit}

class Gateway:
    """Accepts client FIX sessions on ``config.gateway`` and routes to one or more venues.

    ``clients`` lists the client CompIDs allowed to log on; a Logon from any other
    CompID is refused without a reply. With ``venues`` omitted there is one venue, the
    config's ``[venue]`` at ``venue_port``. ``routes`` maps a client CompID to its
    default venue (an order's ExDestination overrides it). ``cancel_on_disconnect``
    maps a client CompID to the grace period (seconds) after its session drops before
    its working orders are canceled; a Logon within the grace keeps them.
    """

    def __init__(self, config: WirespeedConfig, venue_port: int | None = None, clients: tuple[str, ...] = ("CLIENT1",),
                 symbols: SymbolTable | None = None, *, venues: list[VenueEndpoint] | None = None,
                 routes: dict[str, str] | None = None, audit=None,
                 cancel_on_disconnect: dict[str, float] | None = None,
                 client_rates: dict[str, RateLimit] | None = None, client_credit: dict[str, int] | None = None,
                 risk=None, transport: TransportConfig | None = None,
                 client_latency: dict[str, tuple[int, bool, bool]] | None = None,
                 retain_finished: int = 10_000, stored_messages: int = 20_000,
                 client_stored_messages: int = 0, client_memory_messages: int = 20_000,
                 client_store_directory: str = ""):
        self.config = config
        # Sent messages each session keeps in memory for a ResendRequest (0: all day, QuickFIX's
        # memory store; older ones are gap-filled): a venue's bounded, so no venue's flow grows
        # the process over a long day (a venue with store_path keeps all of its own on disk); a
        # client's all day unless bounded (``client_stored_messages``): its reports are owed to it.
        self.stored_messages = stored_messages
        self.symbols = symbols or table_from_config(config.symbols)
        self.risk = risk or make_backend(config.risk, self.symbols, sessions=max(len(clients), 1))
        self.orders = OrderGateway(self.symbols, self.risk, audit=audit, retain_finished=retain_finished)
        self.orders.routes.update(routes or {})
        for client, limit in (client_rates or {}).items():
            self.orders.set_client_throttle(client, limit)
        self.orders.client_credit.update(client_credit or {})
        gw = config.gateway
        # Client sessions take parent orders too (TargetStrategy + StrategyParametersGrp).
        # client_latency: comp_id -> (MaxLatency s, CheckLatency, SendingTimeBacklogCredit); else the defaults.
        latency = client_latency or {}
        # A client's store keeps all of the day (client_stored_messages 0) but only its last
        # ``client_memory_messages`` in memory: the older ones on disk, in a folder of this process's
        # under ``client_store_directory`` (store/spill.py, docs/gateway/service.md "Retention").
        self.spill_dir = _spill_dir(client_store_directory) \
            if not client_stored_messages and client_memory_messages else None

        def client_store(c):
            if self.spill_dir is None:
                return MemoryStore(client_stored_messages)
            return MemoryStore(0, client_memory_messages, Spill(self.spill_dir, f"{gw.comp_id}-{c}"))
        sessions = {c: Session(SessionConfig(sender_comp_id=gw.comp_id, target_comp_id=c, role="acceptor",
                                             heartbeat_s=gw.heartbeat_s, max_message_bytes=gw.max_message_bytes,
                                             strategy_parameters=True,
                                             **_latency_keys(latency.get(c))),
                               self.orders.client_app, client_store(c)) for c in clients}
        # One spinner for the loop: a read on any session keeps it polling (transport/spin.py).
        self.transport = t = transport or TransportConfig()
        self.spinner = Spinner(t.spin_micros) if t.spin_micros else None
        stamps = self.orders.kernel_hop if t.kernel_timestamps else None
        self.batcher = WriteBatcher() if t.coalesce_writes else None    # shared: a burst's writes per connection
        # (WIRESPEED_TRAIL_GATE=0: a flush per client report, the gate's "before" in a bench)
        if self.batcher is not None and audit is not None and os.environ.get("WIRESPEED_TRAIL_GATE", "1") != "0":
            # Client bytes leave only once the trail's journal holds everything recorded: one flush
            # a read for all its client reports (WriteBatcher.gate, docs/gateway/audit.md).
            self.batcher.gate = self.orders.trail_gate
            self.orders.write_gated = True
            self.orders.gate_batcher = self.batcher     # (venue->client hops stamped at the real write)
            self.batcher.on_written = self.orders.gate_written
            self.batcher.take_back = self._take_back
            for s in sessions.values():
                s.trail_gated = True
        self.acceptor = FixAcceptor(gw.host, gw.port, sessions=sessions, max_message_bytes=gw.max_message_bytes,
                                    busy_poll_us=t.busy_poll_us, spinner=self.spinner, kernel_stamps=stamps,
                                    batcher=self.batcher)
        if venues is None:
            if venue_port is None:
                raise ValueError("venue_port: required when no venues are given")
            venues = [VenueEndpoint(config.venue.name, config.venue.host, venue_port, config.venue.comp_id)]
        self.initiators: dict[str, FixInitiator] = {}
        self._stores: list = []       # the venue sessions' FileStores (store_path), closed by stop()
        for v in venues:
            self.add_venue(v)
        self.cancel_on_disconnect = dict(cancel_on_disconnect or {})
        self._cod_timers: dict[str, asyncio.TimerHandle] = {}
        self._trim_failing: set[Session] = set()   # sessions whose store's trim failed (logged once)
        self.orders.client_app.on_logout_hook = self._client_gone
        self.orders.client_app.on_logon_hook = self._client_back
        self._timer: asyncio.Task | None = None

    def add_venue(self, v: VenueEndpoint, managed: bool = False):
        """One more venue session: a link of the order path and its initiator (not started), the
        constructor's for each of ``venues``. ``managed``: the caller starts and stops the
        initiator (the control plane's venue managers own their sessions), so it is not in
        ``initiators`` and ``start`` / ``stop`` leave it alone."""
        if v.name in self.orders.venues:
            raise ValueError(f"venue {v.name}: a gateway venue session of that name exists already")
        t, stamps = self.transport, (self.orders.kernel_hop if self.transport.kernel_timestamps else None)
        gw = self.config.gateway
        if v.protocol == "ouch":
            app = self.orders.venue_app
            ouch = OuchVenueSession(v.name, v.host, v.port, v.username, v.password, self.symbols,
                                    app.on_logon, app.on_logout, self.orders.on_ouch_message,
                                    encoder=v.encoder, kernel_stamps=stamps, batcher=self.batcher)
            self.orders.add_venue(v.name, ouch, v.rate, v.credit_limit)
            if not managed:
                self.initiators[v.name] = ouch  # starts, stops and waits like an initiator
            return ouch
        session = Session(SessionConfig(sender_comp_id=v.sender_comp_id or gw.comp_id, target_comp_id=v.comp_id,
                                        role="initiator", reset_on_logon=v.reset_on_logon,
                                        heartbeat_s=gw.heartbeat_s), self.orders.venue_app,
                          MemoryStore(self.stored_messages))
        if v.store_path:
            self._file_store(v, session)
        hw = make_fix_encoder(v.encoder, self.symbols, session.config.sender_comp_id, v.comp_id,
                              session.config.begin_string)
        self.orders.add_venue(v.name, session, v.rate, v.credit_limit, fix_encoder=hw)
        init = FixInitiator(session, v.host, v.port, busy_poll_us=t.busy_poll_us, spinner=self.spinner,
                            kernel_stamps=stamps, batcher=self.batcher)
        if not managed:
            self.initiators[v.name] = init
        return init

    def _file_store(self, v: VenueEndpoint, session: Session) -> None:
        """The venue session keeps its numbers and sent messages in ``v.store_path`` (QuickFIX's
        FileStorePath layout, as the control plane's paths do): a restarted gateway logs on with
        the numbers it had (with ``reset_on_logon`` off) and the venue resends what it missed."""
        from .store import FileStore, FsyncPolicy, StoreError
        c = session.config
        try:
            session.store = FileStore(v.store_path, f"{c.begin_string}-{c.sender_comp_id}-{c.target_comp_id}",
                                      FsyncPolicy.BATCH)
        except StoreError as exc:
            self.close_stores()        # (the stores already opened: their locks let go)
            raise ConfigError(f"venue {v.name}: store_path: {exc}") from None
        self._stores.append(session.store)

    def close_stores(self) -> None:
        """Flush and close the venue sessions' file stores (``store_path``), letting go their locks."""
        while self._stores:
            self._stores.pop().close()
        if self.spill_dir is not None:      # (the client stores' spilled messages: this process's own)
            for s in self.acceptor.sessions.values():
                s.store.close()
            self.spill_dir.remove()

    @property
    def initiator(self) -> FixInitiator:
        """The first venue's initiator (one-venue setups)."""
        return next(iter(self.initiators.values()))

    # -- cancel-on-disconnect ----------------------------------------------------------
    def _client_gone(self, session: Session) -> None:
        client = session.config.target_comp_id
        grace = self.cancel_on_disconnect.get(client)
        if grace is None or self.orders.stopping:
            return
        loop = asyncio.get_running_loop()
        self._cod_timers[client] = loop.call_later(
            grace, self.orders.cancel_client_orders, client, f"cancel-on-disconnect after {grace:g}s")

    def _take_back(self, proto, data: bytes) -> bool:
        """The trail's gate failed on a client connection's bytes (already numbered): their numbers
        taken back (``Session.take_back``), its session messages (a Heartbeat answering a
        TestRequest, a Logon reply, a Reject) sent again at once with fresh numbers, and its
        application messages (reports) held unnumbered behind the journal with the rest
        (``OrderGateway._held``, sent in order by ``release_held``; their ``out`` records are already
        made). So a full disk silences no session, this one included, and after it the client sees
        contiguous numbers, every report once (docs/gateway/audit.md). False: held numbered."""
        session = getattr(proto, "session", None)
        msgs = session.take_back(data) if isinstance(session, Session) else None
        if msgs is None:
            return False
        reports = []
        for msg in msgs:
            body = msg.body()
            if msg.msg_type in ADMIN_TYPES:
                extra = [(t, v) for t, v in msg.pairs if t in HEADER_TAGS and t not in _NUMBERED_HEADER]
                session._send_raw(msg.msg_type, body, extra)
            else:
                reports.append((session, msg.msg_type, body))
        # Ahead of everything held: what is in ``_held`` was held after these were numbered (a
        # report is numbered only while nothing is held), so these go first (a connection gated
        # after the failure was seen may find its read's later reports held already)
        self.orders._held.extendleft(reversed(reports))
        log.error("%s: the audit journal cannot be written: %d messages taken back (un-numbered), %d "
                  "reports held until it can, its session traffic goes on", session.name, len(msgs), len(reports))
        return True

    def _client_back(self, session: Session) -> None:
        timer = self._cod_timers.pop(session.config.target_comp_id, None)
        if timer is not None:
            timer.cancel()

    def _trim_stores(self) -> None:
        """The bounded in-memory stores' bound applied (``MemoryStore.trim``) between the sessions'
        once-a-second timers: the C paths' appends leave it to the timer's flush, so a venue's store
        let go a second's messages at once (~10,000 at 20,000 orders/s across two venues, up to 2.4
        ms of the loop); a 50-ms tick lets go a twentieth of them. (Python's ``save_sent`` trims at
        every append: the same messages kept.)"""
        sessions = [link.session for link in self.orders.venues.values()] + list(self.acceptor.sessions.values())
        failing = self._trim_failing
        for session in sessions:       # (an OUCH venue's session has no store: getattr)
            trim = getattr(getattr(session, "store", None), "trim", None)
            if trim is None:
                continue
            try:                       # (one store's failure keeps no other's bound back, and is logged once)
                trim()
            except Exception:
                if session not in failing:
                    failing.add(session)
                    log.exception("trimming %s's message store failed (logged once until it trims again)",
                                  getattr(getattr(session, "config", None), "target_comp_id", session))
            else:
                failing.discard(session)

    async def _tick(self) -> None:
        per_tick, n = max(1, round(TICK_S / DRAIN_S)), 0
        while True:
            await asyncio.sleep(TICK_S / per_tick)
            n += 1
            if n % per_tick:      # (a drain only; on_timer drains too)
                try:
                    t0 = time.perf_counter_ns()
                    self.orders.drain_latency()
                    # the loop's stall for it (every order that arrived meanwhile waited): its own hop
                    self.orders.latency.record("latency drain", time.perf_counter_ns() - t0)
                except Exception:  # pragma: no cover - the timer must outlive a bad tick
                    log.exception("latency drain failed")
            else:
                try:
                    self.orders.on_timer()
                except Exception:  # pragma: no cover - the timer must outlive a bad tick
                    log.exception("order path timer failed")
                try:    # (its own try: a failing on_timer must not keep the held client writes back)
                    if self.batcher is not None and self.batcher.gate is not None:
                        self.batcher.release()      # client writes the trail's gate held, if it lets them out now
                except Exception:  # pragma: no cover - the timer must outlive a bad tick
                    log.exception("releasing the trail gate's held writes failed")
            self._trim_stores()   # (every tick, the half-second one too; a store's failure its own, inside)

    # -- lifecycle -------------------------------------------------------------------
    async def start(self, venue_timeout: float = 5.0) -> int:
        for init in self.initiators.values():
            await init.start()
        for name, init in self.initiators.items():
            if not await init.wait_logged_on(venue_timeout):
                log.warning("venue %s not logged on after %.1fs; its orders are rejected (no_venue)", name,
                            venue_timeout)
        self._timer = asyncio.create_task(self._tick())
        return await self.acceptor.start()

    @property
    def port(self) -> int:
        return self.acceptor.port

    async def stop(self, cancel_wait: float = 1.0) -> None:
        """Stop cleanly: the cancel-on-disconnect rules applied at once (the clients are all
        going), their cancels given ``cancel_wait`` to be confirmed, stores and trail flushed."""
        orders = self.orders
        sent = sum(orders.cancel_client_orders(c, "gateway stopping") for c in self.cancel_on_disconnect)
        if sent:
            await _wait_for(lambda: not any(orders.working(client=c) for c in self.cancel_on_disconnect),
                            cancel_wait)
        orders.stopping = True
        for timer in self._cod_timers.values():
            timer.cancel()
        if self._timer is not None:
            self._timer.cancel()
        await self.acceptor.stop()
        for init in self.initiators.values():
            await init.stop()
        self.close_stores()
        orders.audit.close()
