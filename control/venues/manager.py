"""One manager per venue: its sessions (one gateway venue link per network path), their
reconnect policy, its limits in the gateway and the risk tables, its daily caps and its feed.

``VenueManager(VenueConfig, orders, initiators, breakers)``; ``start()`` pushes the limits
(``limits.py``), installs the reconnect policy on each of the venue's initiators (the gateway's
``FixInitiator`` / ``OuchVenueSession`` call it between attempts) and hands the venue's caps to
the desk's ``Breakers``, which stop the venue and cancel its working children when one is
reached. ``poll()`` (the desk's periodic tick calls it) records each session going down and
coming back.

Sequence recovery: a FIX session the manager owns keeps its numbers across connections
(``PathEndpoint.reset_on_logon`` False, the default): no Logon asks for a reset (141=Y) unless the
numbers disagree as below. After a lost connection the Logons carry the next numbers,
and what the venue sent meanwhile (a fill on a resting order) comes by ResendRequest, PossDupFlag=Y,
as the FIX session protocol says (the gateway drops a report it already applied by its ExecID).
A venue that comes back with numbers below ours has lost its store (restarted without it): our
session refuses its Logon (``MsgSeqNum too low``); a venue that refuses ours as too low kept
numbers this process does not have (the desk restarted without ``PathEndpoint.store_path``: its
store was in memory; with one, a FileStore in QuickFIX's FileStorePath layout, it resumes its
numbers and the venue resends what it missed). Either way the
manager asks for a reset on the next attempt (``sequence reset`` in ``events``). Either way the gateway then reconciles every order
working there with OrderStatusRequests before new flow goes out: that covers what resend cannot
give (an order the restarted venue no longer knows is ended Canceled, its shares go back to the
parent; a fill is reported once). An OUCH session logs in at the next sequence number it has not
seen, and the venue replays the rest. Until a link is reconciled its state is ``reconciling``, not
``up``: the desk routes nothing there (its venue breaker counts only ``up`` links) and the gateway
refuses new orders to it.

Session windows: a path with ``start_time`` / ``end_time`` (``start_day`` / ``end_day``) is
connected only inside its window: out of it ``connect()`` leaves it to start at the next
StartTime, and a reconnect waits for that instead of the policy's delay (``window.py``;
``closed until TIME`` in ``events``).

Owning its sessions: with ``VenueConfig.paths`` and ``gateway=`` (the ``Gateway``), the manager
builds one gateway venue session per path (``Gateway.add_venue(..., managed=True)``: the gateway
neither starts nor stops them), and ``await connect()`` starts them, waits for each logon (bounded
by ``logon_timeout_s``; one that is late keeps trying on the reconnect policy) and joins the
venue's feed. ``await stop()`` cancels the orders working at the venue (``cancel_on_stop``;
bounded by ``stop_timeout_s``), logs out each session and leaves the feed.

Market data: ``feed`` is the venue's ITCH/MoldUDP64 feed client: with ``VenueConfig.feed`` and a
``market`` sink (the desk's ``on_market``) the manager builds a ``MarketFeed`` on the gateway's feed
handler (``feed.py``), which recovers gaps itself by MoldUDP64 retransmission requests and loads a
snapshot to join late; any object with ``stale``, ``lost``, ``stats`` may be handed in instead.
When it reports a gap it could not recover, ``poll()`` trips the venue's ``feed_stale`` breaker:
its books are not trusted, so nothing is routed there on them.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import re
import time
from dataclasses import dataclass

from wirespeed.clock import WALL
from wirespeed.gateway.controls import RateLimit, TokenBucket
from wirespeed.gateway.store import FileStore, FsyncPolicy, StoreError

from ..risk.breakers import VenueCaps
from .endpoints import FeedEndpoint, PathEndpoint, _seconds
from .feed import MarketFeed
from .limits import VenueLimits, tightened
from .reconnect import Backoff, ReconnectPolicy
from .window import opens_in

log = logging.getLogger("wirespeed.control.venues")
#: A venue's Logout refusing our Logon because our numbers are below what it expects, in the
#: words counterparties use (QuickFIX: "MsgSeqNum too low, expecting N but received M"; others
#: "lower than expected", "sequence number ... low"). Words are a hint only: a Logon refused
#: twice running, with any text or none, also resets (REFUSALS_BEFORE_RESET).
TOO_LOW = re.compile(r"too\s+low|lower\s+than\s+expected|seq\w*\s*(num\w*)?\W.*\blow\b", re.I)
REFUSALS_BEFORE_RESET = 2
REJOIN_RETRY_S = 1.0
WINDOW_MARGIN_S = 0.05


@dataclass(frozen=True, slots=True)
class VenueConfig:
    """name: the venue (the router's and the breakers' name); links: the gateway venue sessions
    that reach it, one per network path (default: the one named ``name``); or paths: the
    sessions the manager builds and owns itself (their names are the links); feed: the venue's
    ITCH feed (None: no market data from it); cancel_on_stop: ``stop()`` cancels what works there
    first; logon_timeout_s: how long ``connect()`` waits for the logons; stop_timeout_s: how
    long ``stop()`` waits for the cancels to be confirmed."""
    name: str
    links: tuple[str, ...] = ()
    limits: VenueLimits = VenueLimits()
    caps: VenueCaps = VenueCaps()
    reconnect: ReconnectPolicy = ReconnectPolicy()
    paths: tuple[PathEndpoint, ...] = ()
    feed: FeedEndpoint | None = None
    cancel_on_stop: bool = True
    logon_timeout_s: float = 5.0
    stop_timeout_s: float = 2.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"venue.name: must be a venue name, not {self.name!r}")
        if len(set(self.links)) != len(self.links):
            raise ValueError(f"venue {self.name}: links: a session named twice in {self.links!r}")
        for what, cls in (("limits", VenueLimits), ("caps", VenueCaps), ("reconnect", ReconnectPolicy)):
            if not isinstance(getattr(self, what), cls):
                raise ValueError(f"venue {self.name}: {what}: must be a {cls.__name__}, not "
                                 f"{type(getattr(self, what)).__name__}")
        if self.paths and self.links:
            raise ValueError(f"venue {self.name}: links and paths: give one (a path names its session)")
        names = [p.name for p in self.paths]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f"venue {self.name}: paths[{i}].name: {n!r} named twice")
        if self.feed is not None and not isinstance(self.feed, FeedEndpoint):
            raise ValueError(f"venue {self.name}: feed: must be a FeedEndpoint, not {type(self.feed).__name__}")
        for key in ("logon_timeout_s", "stop_timeout_s"):
            _seconds(key, getattr(self, key))

    @property
    def sessions(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.paths) or self.links or (self.name,)


@dataclass(frozen=True, slots=True)
class VenueEvent:
    ts: float            # the manager's clock (seconds)
    link: str
    what: str            # down | up | reconciling | retry N in S | sequence reset | stopped |
                         # closed until TIME (out of its session window); for link
                         # "feed": stale | fresh | rejoin | rejoined HOST:PORT | rejoin failed


class VenueManager:
    def __init__(self, config: VenueConfig, orders, initiators: dict | None = None, breakers=None,
                 clock=time.monotonic, max_events: int = 10_000, feed=None, desk_clock=None, *,
                 gateway=None, market=None):
        self.config, self.orders, self.breakers, self.clock = config, orders, breakers, clock
        self.desk_clock = desk_clock         # the breakers' time (the desk's clock); None: ``clock``
        self._feed_stale = False
        # The sessions this manager builds, starts and stops (its paths), by link name.
        self.owned: dict = {}
        self._stores: list = []              # the owned sessions' file stores, closed by stop()
        self.windows: dict = {}              # link -> its session window (Schedule), paths that have one
        self.wall = lambda: dt.datetime.now(dt.timezone.utc)   # the windows' time (the sessions' own)
        self._opening: dict = {}             # link -> the timer that starts it when its window opens
        self._stopped = False
        self._starting: set = set()          # the tasks starting a session at its window's start
        if config.paths:
            if gateway is None:
                raise ValueError(f"venue {config.name}: paths: the manager needs the gateway to build them")
            for p in config.paths:
                if p.name not in orders.venues:
                    self.owned[p.name] = gateway.add_venue(p.endpoint(config.name), managed=True)
                    if p.store_path:
                        self._file_store(p, self.owned[p.name].session)
                    if p.start_time:
                        self.windows[p.name] = self._session_window(p, self.owned[p.name].session)
        initiators = {**(initiators or {}), **self.owned}
        self._own_feed = feed is None and config.feed is not None and config.feed.enabled
        if self._own_feed:
            if market is None:
                raise ValueError(f"venue {config.name}: feed: the manager needs a market sink (the desk's on_market)")
            feed = MarketFeed(config.name, config.feed, orders.symbols, desk_clock or WALL, market)
        self.feed = feed
        self._started = False
        self._rejoin: asyncio.Task | None = None
        self._rejoin_after = 0.0             # a failed rejoin (no announcement yet) is tried again after
        missing = [n for n in config.sessions if n not in orders.venues]
        if missing:
            raise ValueError(f"venue {config.name}: links: {', '.join(missing)} is no gateway venue session "
                             f"(known: {', '.join(orders.venues)})")
        self.initiators = {n: (initiators or {}).get(n) for n in config.sessions}
        self.backoffs: dict[str, Backoff] = {}
        self._refusals: dict[str, int] = {}   # Logons refused in a row, per owned session
        self.events: list[VenueEvent] = []
        self.max_events = max_events       # bounded: a flapping venue cannot grow it without end
        self._states = {n: orders.venues[n].state for n in config.sessions}

    def _file_store(self, p: PathEndpoint, session) -> None:
        """The path's session keeps its numbers and sent messages in ``p.store_path`` (QuickFIX's
        FileStorePath layout): a restarted desk logs on with the numbers it had, so nothing resets
        and the venue resends what the desk missed. Set before the session ever connects."""
        c = session.config
        sid = f"{c.begin_string}-{c.sender_comp_id}-{c.target_comp_id}"
        try:
            session.store = FileStore(p.store_path, sid, FsyncPolicy.BATCH)
        except StoreError as exc:
            for store in self._stores:   # (the stores already opened: their locks are released)
                store.close()
            self._stores.clear()
            raise ValueError(f"venue {self.config.name}: paths.{p.name}.store_path: {exc}") from None
        self._stores.append(session.store)

    @staticmethod
    def _session_window(p: PathEndpoint, session) -> None:
        """The path's session keeps QuickFIX's StartTime / EndTime: out of the window it logs out,
        and at each new session day its store is reset (numbers from 1, messages cleared), so a
        desk running for days keeps one day in its store. Set before the session ever connects."""
        window = p.window()
        session.config = dataclasses.replace(session.config, start_time=window.start_time,
                                             end_time=window.end_time, start_day=window.start_day,
                                             end_day=window.end_day, time_zone=window.time_zone)
        session._schedule = session.config.schedule     # (a Session reads its window once, when built)
        return window

    # -- start ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.push_limits()
        for i, (name, init) in enumerate(self.initiators.items()):
            if init is None:
                continue
            # One draw sequence per session, all from the venue's seed: a replay is exact.
            p = self.config.reconnect
            b = Backoff(ReconnectPolicy(p.initial_s, p.max_s, p.jitter, p.seed * 1009 + i),
                        on_delay=lambda attempt, d, name=name: self._before_retry(name, attempt, d))
            init.backoff = b if name not in self.windows else \
                (lambda attempt, b=b, name=name: self._retry_delay(name, b(attempt)))
            self.backoffs[name] = b
        if self.breakers is not None and self.config.caps != VenueCaps():
            self.breakers.caps[self.config.name] = self.config.caps

    def _before_retry(self, name: str, attempt: int, delay: float) -> None:
        """Between two attempts of session ``name`` (its initiator calls the backoff): logged, and
        if the connection that ended was refused because one side's numbers were below what the
        other expects (the venue lost its store, or this process has none of a venue that kept
        its numbers), the next Logon asks for a reset (then reconciled by status)."""
        self._event(name, f"retry {attempt} in {delay:.3f}s")
        session = getattr(self.initiators.get(name), "session", None)
        failure = getattr(session, "logon_failure", "")
        if failure == "refused":
            self._refusals[name] = self._refusals.get(name, 0) + 1
        else:
            self._refusals.pop(name, None)
        # Decided on the session's structured state of the Logon exchange, not on a mid-session
        # error: the venue's Logon below our numbers, or ours refused (as too low, or twice).
        if failure == "peer_low" or (failure == "refused" and (
                TOO_LOW.search(session.logon_refused_text) or self._refusals[name] >= REFUSALS_BEFORE_RESET)):
            why = session.last_error
            session.reset_next_logon = True
            session.logon_failure = session.last_error = ""
            self._refusals.pop(name, None)
            self._event(name, "sequence reset")
            log.warning("venue %s: session %s: %s; one side lost its numbers (restarted without its store): "
                        "the next Logon resets them, orders reconciled by status", self.config.name, name, why)

    def _closed_for(self, name: str) -> float:
        """Seconds until session ``name``'s window opens (0: open, or it has none); when closed,
        said in ``events`` (``closed until TIME``) and logged."""
        window = self.windows.get(name)
        if window is None:
            return 0.0
        wait, at = opens_in(window, self.wall())
        if wait > 0:
            # (a timer may fire a clock tick early, and the loop's clock is not the wall's: a Logon
            # sent a moment before StartTime would be refused by a venue keeping the same window)
            wait += WINDOW_MARGIN_S
            self._event(name, f"closed until {at:%Y-%m-%d %H:%M:%S} UTC")
            log.info("venue %s: session %s is out of its session window: no Logon before %s UTC (in %.0fs)",
                     self.config.name, name, f"{at:%Y-%m-%d %H:%M:%S}", wait)
        return wait

    def _retry_delay(self, name: str, delay: float) -> float:
        """The policy's ``delay``, or longer: out of the window, the wait until its next start (a
        session logged out at EndTime does not knock on a closed venue all night)."""
        return max(delay, self._closed_for(name))

    def _open(self, name: str) -> None:
        self._opening.pop(name, None)
        if not self._stopped:      # (the task kept: the loop holds only a weak reference to it)
            task = asyncio.get_running_loop().create_task(self.owned[name].start())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    def push_limits(self) -> int:
        """The venue's limits into the gateway: credit and rate on each of its sessions, per-symbol
        rows in the risk table through the register interface. Returns the rows written."""
        lim, orders = self.config.limits, self.orders
        for name in self.config.sessions:
            link = orders.venues[name]
            if lim.credit_limit:
                link.credit_limit = lim.credit_limit
            if lim.rate:
                link.throttle = TokenBucket(RateLimit(lim.rate, lim.burst), orders.clock())
        written = 0
        for s in lim.symbols:
            sym = orders.symbols.by_name(s.symbol)
            if sym is None:
                raise ValueError(f"venue {self.config.name}: limits.symbols.{s.symbol}: not a configured symbol")
            row = orders.risk.row(sym.index)
            if row is None or not row.valid:
                raise ValueError(f"venue {self.config.name}: limits.symbols.{s.symbol}: the risk table has no row "
                                 "for it")
            new = tightened(row, s)
            if new != row:
                orders.risk.set_limits(sym.index, new)
                written += 1
                log.info("venue %s: risk row %s: max_qty %d, max_notional %d", self.config.name, s.symbol,
                         new.max_qty, new.max_notional)
        return written

    async def connect(self) -> str:
        """Start what the manager owns: limits and policy (``start``), each path's session (logged
        on within ``logon_timeout_s``, or left retrying on the policy), the venue's feed. Returns
        the venue's state."""
        self.start()
        loop = asyncio.get_running_loop()
        names = []
        for name, init in self.owned.items():
            wait = self._closed_for(name)
            if wait > 0:         # started when its window opens (the desk routes elsewhere meanwhile)
                self._opening[name] = loop.call_later(wait, self._open, name)
                continue
            await init.start()
            names.append(name)
        if names:
            ok = await asyncio.gather(*(self.owned[n].wait_logged_on(self.config.logon_timeout_s) for n in names))
            for name, on in zip(names, ok):
                if on:
                    log.info("venue %s: session %s logged on", self.config.name, name)
                else:
                    log.warning("venue %s: session %s not logged on after %.1fs; it keeps trying (reconnect "
                                "policy), orders go elsewhere meanwhile", self.config.name, name,
                                self.config.logon_timeout_s)
        if self._own_feed:
            await self.feed.start()
        self.poll()
        return self.state

    async def stop(self, cancel: bool | None = None) -> int:
        """Cancel the orders working at the venue (``cancel``, default ``cancel_on_stop``), wait
        for them to be out (at most ``stop_timeout_s``), log out the owned sessions, leave the
        feed. Returns the cancels sent."""
        cancel = self.config.cancel_on_stop if cancel is None else cancel
        sent = 0
        orders = self.orders
        if cancel:
            for name in self.config.sessions:
                sent += orders.cancel_venue_orders(name, f"venue {self.config.name} manager stopping")
            deadline = time.monotonic() + self.config.stop_timeout_s
            while any(orders.working(venue=n) for n in self.config.sessions) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            left = sum(len(orders.working(venue=n)) for n in self.config.sessions)
            if left:
                log.warning("venue %s: %d orders still working after %.1fs of cancels", self.config.name, left,
                            self.config.stop_timeout_s)
        for timer in self._opening.values():
            timer.cancel()
        self._opening.clear()
        self._stopped = True
        for name, init in self.owned.items():
            await init.stop()
            self._event(name, "stopped")
        for store in self._stores:
            store.close()
        self._stores.clear()
        if self._rejoin is not None:
            self._rejoin.cancel()
        if self._own_feed:
            await self.feed.stop()
        return sent

    async def _rejoin_feed(self) -> None:
        try:
            await self.feed.rejoin()
            e = self.feed.endpoint
            self._event("feed", f"rejoined {e.host}:{e.request_port}")
            log.warning("venue %s: feed rejoined at %s:%d after the venue ended its session", self.config.name,
                        e.host, e.request_port)
        except (OSError, ValueError) as exc:
            # (an announcement not there yet, or bad: tried again a second later, said each time)
            self._rejoin_after = self.clock() + REJOIN_RETRY_S
            self._event("feed", "rejoin failed")
            log.warning("venue %s: feed rejoin failed: %s", self.config.name, exc)
        finally:
            self._rejoin = None

    # -- sessions --------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """up when any session is up (new flow can go), else reconciling when one is, else down."""
        states = {self.orders.venues[n].state for n in self.config.sessions}
        return "up" if "up" in states else "reconciling" if "reconciling" in states else "down"

    def poll(self) -> None:
        if self._own_feed and self.feed.ended and self._rejoin is None and self.state == "up" \
                and self.clock() >= self._rejoin_after:
            # The venue ended its feed session (it stopped) and its sessions are back: it restarted,
            # so its feed is a new day on the same ports. Join it again (books rebuilt from it).
            self._event("feed", "rejoin")
            self._rejoin = asyncio.get_running_loop().create_task(self._rejoin_feed())
        f = self.feed
        if f is not None and bool(f.stale) != self._feed_stale:
            self._feed_stale = bool(f.stale)
            lost = getattr(f, "lost", [])
            why = f"feed lost messages {lost[-1][0]}..{lost[-1][1]} for good" if lost else "feed stale"
            self._event("feed", "stale" if self._feed_stale else "fresh")
            if self.breakers is not None:
                ts = self.desk_clock.time_ns() if self.desk_clock is not None else int(self.clock() * 1e9)
                self.breakers.on_feed(self.config.name, ts, self._feed_stale, why)
        for name in self.config.sessions:
            st = self.orders.venues[name].state
            if st != self._states[name]:
                self._states[name] = st
                self._event(name, st)
                (log.warning if st == "down" else log.info)("venue %s: session %s %s", self.config.name, name, st)

    def _event(self, link: str, what: str) -> None:
        if len(self.events) >= self.max_events:
            del self.events[: self.max_events // 10]
        self.events.append(VenueEvent(self.clock(), link, what))
