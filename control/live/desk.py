"""The algo desk: parent orders over FIX, worked by control's algorithms through the gateway.

``AlgoDesk`` registers itself as the gateway's ``strategy_orders`` hook (the gateway never
imports control). A NewOrderSingle carrying TargetStrategy (847) comes here: its strategy and
StrategyParametersGrp are validated (``strategy.parse_strategy``; a reject names the bad parameter),
the algorithm, the router and a ``ParentRunner`` are built on a ``LiveContext``, and the client
hears ExecutionReports on the parent: New, then one Trade (150=F) per child fill with LastMkt (30)
= the venue and CumQty/AvgPx over all children, and the end (Filled, or DoneForDay with what the
algorithm left; Canceled after an OrderCancelRequest once every child is out of the market).
The algorithm, router and TCA code are the backtest's, unchanged.
"""
from __future__ import annotations

import dataclasses
import itertools
from collections import deque
import logging
from dataclasses import dataclass, field
from typing import Callable

from wirespeed.enums import Side
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.fix.tags import MsgTypes as M
from wirespeed.ids import StringIds
from wirespeed.symbols import SymbolTable

from ..algorithms import ALGORITHMS, AlgoConfig, IcebergConfig, PovConfig, TwapConfig
from ..marketdata import MarketData, MarketState, Quote, TradePrint
from ..model import ExecutionRefused, ParentOrder, make_parent
from ..routing import Router, RouterConfig, VenueInfo
from ..runner import ParentRunner
from ..tca.tape import MarketRecord, ParentRecord
from .child_session import ControlSession
from .context import LiveContext
from .amend import parse_amend
from .strategy import TargetStrategy, StrategyRequest, parse_strategy

log = logging.getLogger("wirespeed.control.desk")

LastMkt = 30
NS = 1_000_000_000
TAPE_AFTER_S = 30          # a finished parent's tape takes the market this long past its EndTime
ConfigFactory = Callable[[str, ParentOrder], AlgoConfig]


def default_configs(name: str, parent: ParentOrder) -> AlgoConfig:
    """Configs that need nothing but the order; VWAP/IS/adaptive need a day's profile or impact
    parameters, which whoever runs the desk supplies (``AlgoDesk(configs=...)``)."""
    if name == "twap":
        return TwapConfig()
    if name == "pov":
        return PovConfig()
    if name == "iceberg":
        return IcebergConfig(display_qty=max(100, parent.qty // 40))
    raise ExecutionRefused(f"TargetStrategy(847): {name} needs a volume profile / impact parameters this desk "
                           "was not given")


def apply_request(cfg: AlgoConfig, req: StrategyRequest) -> AlgoConfig:
    """The FIX strategy parameters onto the algorithm's config (validated again by the config)."""
    changes = {}
    if req.max_pct_volume is not None:
        if isinstance(cfg, PovConfig):
            r = req.max_pct_volume
            changes.update(rate=r, max_rate=r, min_rate=min(cfg.min_rate, r))
        else:
            changes["participation_cap"] = req.max_pct_volume
    if req.urgency is not None:
        changes["urgency"] = req.urgency
    if req.display_qty is not None:
        changes["display_qty"] = req.display_qty
    if req.min_child is not None:
        changes["min_child"] = req.min_child
    if req.decision_s is not None:
        changes["decision_s"] = req.decision_s
    return dataclasses.replace(cfg, **changes) if changes else cfg


@dataclass(slots=True)
class Parent:
    client: object
    cl_ord_id: str
    order_id: str
    order: ParentOrder
    algo: str
    runner: ParentRunner
    ctx: LiveContext
    cum: int = 0
    notional: int = 0                 # ticks x shares
    status: str = "0"
    cancel_cl: str = ""
    fills_by_venue: dict = field(default_factory=dict)
    request: StrategyRequest | None = None
    replaces: int = 0
    last_mid: float | None = None
    overdue: bool = False             # resumed after its EndTime (resume.py): no new decision

    @property
    def done(self) -> bool:
        return self.status in ("2", "3", "4", "8")


class AlgoDesk:
    def __init__(self, orders, symbols: SymbolTable, venues: list[VenueInfo], clock, *,
                 configs: ConfigFactory = default_configs, router_config: RouterConfig = RouterConfig(),
                 comp_id: str = "CONTROL", max_parents: int = 1000, paths: dict | None = None, breakers=None,
                 managers=()):
        self.orders, self.symbols, self.venues, self.clock = orders, symbols, list(venues), clock
        self.configs, self.router_config, self.max_parents = configs, router_config, max_parents
        self.paths = dict(paths or {})       # venue -> control.paths.PathSelector
        self.breakers = breakers             # control.risk.Breakers (None: none)
        self.managers = list(managers)       # control.venues.VenueManager, polled on tick
        if breakers is not None:
            breakers.on_trip = self._on_trip
        self.session = ControlSession(comp_id, self._on_report)
        self.parents: dict[tuple[str, str], Parent] = {}
        self._ids = itertools.count(1)
        self._exec_ids = StringIds("A")
        self._child_seq = itertools.count(1)
        # Finished parents stay answerable (a late cancel gets "too late") for the last
        # ``retain_finished`` of them, then are dropped: memory stays flat over a long day.
        self.retain_finished = 1000
        self._finished: deque = deque()
        self._recording: list[Parent] = []   # finished before their end: their tapes still take the market
        # The latest book of every (symbol, venue): a new parent starts knowing the market (its
        # arrival mid, the router's books) instead of waiting for each venue's next quote.
        self._books: dict[str, dict[str, MarketData]] = {}
        # The parents on disk (parent_store.py; None: in memory only) and those a restart
        # rebuilt from it, frozen until the venues are up (resume.py).
        self.store = None
        self._resumed: list[Parent] = []
        self._halt_when_up: list[Parent] = []    # resumed parents to stop once their venues take cancels
        self._store_failed = False
        orders.strategy_orders = self

    # -- the gateway hook --------------------------------------------------------------------
    def on_new(self, client, msg: FixMessage) -> None:
        client_id = client.config.target_comp_id
        cl = msg.get(T.ClOrdID, "")
        try:
            if not cl:
                raise ExecutionRefused("ClOrdID(11) missing")
            if (client_id, cl) in self.parents and not self.parents[(client_id, cl)].done:
                raise ExecutionRefused(f"ClOrdID(11) {cl!r} is a working parent already")
            if sum(not p.done for p in self.parents.values()) >= self.max_parents:
                raise ExecutionRefused(f"{self.max_parents} parent orders working: no more accepted")
            parent = self._start(client, msg, cl)
        except ExecutionRefused as exc:
            log.warning("parent %s/%s rejected: %s", client_id, cl, exc.reason)
            self._raw_reject(client, msg, exc.reason)
            return
        self._persist("new", parent)
        self._report(parent, "0", "0")
        parent.runner.submit(self.clock.time_ns())
        self._check_done(parent)

    def on_cancel(self, client, msg: FixMessage) -> bool:
        p = self.parents.get((client.config.target_comp_id, msg.get(T.OrigClOrdID, "")))
        if p is None:
            return False
        if p.done or p.cancel_cl:
            self._cancel_reject(p, client, msg.get(T.ClOrdID, ""), "1", "0" if p.done else "3",
                                "parent already done" if p.done else "parent cancel already pending")
            return True
        p.cancel_cl = msg.get(T.ClOrdID, "")
        self._persist("cancel", p)
        n = p.ctx.halt()
        log.info("parent %s cancel: %d children being canceled", p.order_id, n)
        self._report(p, "6", "6")
        self._check_done(p)
        return True

    def on_replace(self, client, msg: FixMessage) -> bool:
        """OrderCancelReplaceRequest on a parent: validated like a new one (``amend.parse_amend``),
        the algorithm re-planned on what is left, ExecutionReport Replaced (150=5); a refusal is
        OrderCancelReject (434=2) whose Text names the bad tag or parameter."""
        cid = client.config.target_comp_id
        p = self.parents.get((cid, msg.get(T.OrigClOrdID, "")))
        if p is None:
            return False
        cl = msg.get(T.ClOrdID, "")
        if p.done or p.cancel_cl:
            self._cancel_reject(p, client, cl, "2", "0" if p.done else "3",
                                "parent already done" if p.done else "parent cancel already pending")
            return True
        if not cl or cl == p.cl_ord_id or ((cid, cl) in self.parents and not self.parents[(cid, cl)].done):
            self._cancel_reject(p, client, cl, "2", "6", f"ClOrdID(11) {cl!r}: missing, the OrigClOrdID(41), or a "
                                                         "working parent's")
            return True
        algo = p.runner.algo
        now = self.clock.time_ns()
        working = sum(w.leaves for w in algo.working.values())
        try:
            body = msg.body()
            fields: dict[int, str] = {}
            for t, v in body:
                fields.setdefault(t, v)
            am = parse_amend(body, fields, p.order, p.request, self.symbols.by_name(p.order.symbol),
                             p.cum, working, algo.started, now)
            cfg = apply_request(self.configs(p.algo, am.remaining), am.request)
            cfg = dataclasses.replace(cfg, seed=algo.config.seed)
            new_algo = ALGORITHMS[p.algo][0](am.remaining, cfg, p.runner.market)
        except ExecutionRefused as exc:
            log.warning("parent %s replace %s refused: %s", p.order_id, cl, exc.reason)
            self._cancel_reject(p, client, cl, "2", "2", exc.reason)
            return True
        # Children priced past a new limit come out; the re-planned algorithm places them again.
        past = tuple(c for c, w in algo.working.items() if not am.order.allows(w.price))
        old_cl = p.cl_ord_id
        p.order, p.request, p.replaces = am.order, am.request, p.replaces + 1
        del self.parents[(cid, old_cl)]
        p.cl_ord_id = cl
        self.parents[(cid, cl)] = p
        log.info("parent %s replaced (%s -> %s): qty %d, end %d, limit %s; %d children past the limit canceled",
                 p.order_id, old_cl, cl, am.order.qty, am.order.end_ns, am.order.limit, len(past))
        self._persist("replace", p)
        self._report(p, "5", p.status, orig=old_cl)
        # The new plan on the tape (TCA reports each plan's fill rate and arrival, and the whole
        # parent's from its first): what it works, from when, to when, at which mid.
        r = am.remaining
        p.runner.tape.add(ParentRecord(now, r.parent_id, r.symbol, int(r.side), r.qty, r.start_ns, r.end_ns,
                                       r.limit or 0, p.algo, p.runner.market.mid() or 0.0))
        p.runner.replan(new_algo, now, past)
        self._check_done(p)
        return True

    def on_status(self, client, msg: FixMessage) -> bool:
        """OrderStatusRequest (H) on a parent: ExecutionReport 150=I with CumQty / AvgPx / LeavesQty
        and, in Text, what is working at the venues now."""
        p = self.parents.get((client.config.target_comp_id, msg.get(T.ClOrdID, "")))
        if p is None:
            return False
        self._report(p, "I", p.status, text=self._working_text(p))
        return True

    def on_mass_status(self, client, msg: FixMessage) -> None:
        """OrderMassStatusRequest (AF): one 150=I per parent of this client (working ones and the
        finished ones still retained), each with MassStatusReqID (584), TotNumReports (911) and
        LastRptRequested (912); none: one report with ClOrdID NONE and TotNumReports 0."""
        cid = client.config.target_comp_id
        req = msg.get(584, "")
        mine = [p for (c, _), p in self.parents.items() if c == cid]
        if not mine:
            self.orders.send_to_client(client, M.EXECUTION_REPORT, [
                (T.OrderID, "NONE"), (T.ClOrdID, "NONE"), (T.ExecID, next(self._exec_ids)), (T.ExecType, "I"),
                (T.OrdStatus, "8"), (T.Symbol, "NA"), (T.Side, "1"), (T.LeavesQty, 0), (T.CumQty, 0), (T.AvgPx, 0),
                (584, req), (911, 0), (912, "Y"), (T.Text, "no parent orders")])
            return
        for i, p in enumerate(mine, 1):
            self._report(p, "I", p.status, text=self._working_text(p),
                         extra=[(584, req), (911, len(mine)), (912, "Y" if i == len(mine) else "N")])

    def _working_text(self, p: Parent) -> str:
        working: dict[str, int] = {}
        for leg in p.runner.legs.values():
            if leg.live:
                working[leg.order.venue] = working.get(leg.order.venue, 0) + leg.order.qty - leg.filled
        return "working " + (", ".join(f"{q}@{v}" for v, q in sorted(working.items())) or "0")

    def _cancel_reject(self, p: Parent, client, cl: str, response_to: str, reason: str, text: str) -> None:
        self.orders.send_to_client(client, M.ORDER_CANCEL_REJECT, [
            (T.OrderID, p.order_id), (T.ClOrdID, cl), (T.OrigClOrdID, p.cl_ord_id),
            (T.OrdStatus, p.status), (434, response_to), (102, reason), (T.Text, text)])

    # -- building a parent -------------------------------------------------------------------
    def _start(self, client, msg: FixMessage, cl: str) -> Parent:
        req = parse_strategy(msg.body())
        name = msg.get(T.Symbol, "")
        sym = self.symbols.by_name(name)
        side = {"1": Side.BUY, "2": Side.SELL}.get(msg.get(T.Side, ""))
        if side is None:
            raise ExecutionRefused(f"Side(54): {msg.get(T.Side)!r} is neither 1 (buy) nor 2 (sell)")
        qty_text = msg.get(T.OrderQty, "")
        if not qty_text.isdigit():
            raise ExecutionRefused(f"OrderQty(38): not a positive integer: {qty_text!r}")
        now = self.clock.time_ns()
        start = req.start_ns if req.start_ns is not None else now
        if req.end_ns is None and req.duration_s is not None:
            req = dataclasses.replace(req, end_ns=start + int(req.duration_s * 1e9), duration_s=None)
        if req.end_ns is None:
            raise ExecutionRefused("strategy parameter EndTime: required (or DurationSecs)")
        if req.end_ns <= now:
            raise ExecutionRefused(f"strategy parameter EndTime: already past")
        limit = msg.get(T.Price) if msg.get(T.OrdType, "2") == "2" else None
        pid = f"P{next(self._ids)}"
        parent = make_parent(pid, sym, side, int(qty_text), start, req.end_ns, limit, symbol_name=name)
        cfg = apply_request(self.configs(req.algo, parent), req)
        # A seed the config factory chose is kept (a live run replaying a backtest's); else each
        # parent draws its own.
        seq = next(self._child_seq)
        cfg = cfg if cfg.seed else dataclasses.replace(cfg, seed=seq)
        market = MarketState(parent.symbol)
        for q in self._books.get(parent.symbol, {}).values():
            market.update(q)
        algo = ALGORITHMS[req.algo][0](parent, cfg, market)
        ctx = LiveContext(self.orders, self.clock, sym, self.venues, self.session, paths=self.paths,
                          breakers=self.breakers)
        runner = ParentRunner(algo, Router(self.venues, self.router_config), ctx)
        ctx.runner = runner
        mid = market.mid()
        if mid is not None:
            # The book as the parent arrives goes on the tape: TCA's arrival mid is the market's at
            # the parent's start, which a tape that begins with the next quote would place later.
            runner.tape.add(MarketRecord(now, "", mid, 0))
        p = Parent(client, cl, pid, parent, req.algo, runner, ctx, request=req)
        ctx.on_fill = lambda o, q, px, ts, p=p: self._fill(p, o, q, px)
        self.parents[(client.config.target_comp_id, cl)] = p
        return p

    # -- breakers and the kill switch ----------------------------------------------------------
    def _on_trip(self, trip) -> None:
        if trip.venue:
            moved = sum(p.ctx.reroute_from(trip.venue) for p in self._working())
            if moved:
                log.warning("%s %s: %d working child orders canceled to re-route", trip.breaker, trip.venue, moved)
        elif trip.breaker == "desk_caps":
            # The desk stopped for the day: every working child comes out; no venue takes a new one,
            # so what they held goes back to each parent's remaining quantity.
            moved = sum(p.ctx.reroute_from(v.name) for p in self._working() for v in self.venues)
            log.warning("desk caps: %d working child orders canceled; trading stopped for the day", moved)

    def tick(self) -> None:
        """Periodic: venue availability from the gateway's links (a venue is down when every
        session to it is), held children released when a pause is over, parents' ends."""
        now = self.clock.time_ns()
        for m in self.managers:
            m.poll()
        if self.breakers is not None:
            for v in self.venues:
                names = list(self.paths[v.name].paths) if v.name in self.paths else [v.name]
                links = [self.orders.venues.get(n) for n in names]
                up = any(l is not None and l.state == "up" for l in links)
                if up:
                    self.breakers.on_venue_up(v.name, now)
                elif v.name not in {t.venue for t in self.breakers.active(now) if t.breaker == "venue_down"}:
                    self.breakers.on_venue_down(v.name, now)
        for p in self._working():
            p.ctx.release_held()
            self._check_done(p)
        if self._halt_when_up:
            self._halt_resumed()
        if self.store is not None:
            try:
                self.store.sync()
            except OSError as exc:
                self._store_error(exc)

    def _halt_resumed(self) -> None:
        """Resumed parents that are to end (overdue, a cancel pending before the restart) cancel
        their children once every gateway link those are on is up: a link still reconciling
        refuses cancels, which would leave the children working and the parent never ending."""
        keep = []
        for p in self._halt_when_up:
            if p.done:
                continue
            links = {p.ctx.path_of.get(lid, p.ctx.sent[lid].venue) for lid in p.ctx.open}
            if all(getattr(self.orders.venues.get(n), "state", "") == "up" for n in links):
                p.ctx.halt()
                self._check_done(p)
            else:
                keep.append(p)
        self._halt_when_up = keep

    def kill(self, reduce_only: bool = False, why: str = "desk kill switch") -> dict:
        """The desk kill switch: every parent stopped, then the gateway's kill (risk CTRL written
        through the register bus, every working order at every venue canceled)."""
        parents = self._working()
        for p in parents:
            p.cancel_cl = p.cancel_cl or p.cl_ord_id
            self._persist("cancel", p)
            p.ctx.halt()
        stats = self.orders.kill(reduce_only)
        log.warning("%s: %d parents stopped; gateway kill %s", why, len(parents), stats)
        for p in parents:
            self._check_done(p)
        return {"parents": len(parents), **stats}

    def cancel_all(self, why: str = "desk stopping") -> int:
        """Every working parent canceled as an OrderCancelRequest would (PendingCancel, each child
        canceled, Canceled to the client when the last is out); unlike ``kill`` the gateway's kill
        switch stays off. Returns the parents."""
        parents = [p for p in self._working() if not p.cancel_cl]
        for p in parents:
            p.cancel_cl = p.cl_ord_id
            self._persist("cancel", p)
            p.ctx.halt()
            self._report(p, "6", "6", text=why)
        if parents:
            log.warning("%s: %d parents being canceled", why, len(parents))
        for p in parents:
            self._check_done(p)
        return len(parents)

    def freeze(self) -> int:
        """Every working parent stops deciding (no new child, no timer) and leaves its children
        where they are: the desk going away without canceling (a service's ``on_stop = leave``).
        Returns the parents."""
        parents = self._working()
        for p in parents:
            p.ctx.halted = True            # LiveContext.send drops anything new
            timer = getattr(p.ctx, "_timer", None)
            if timer is not None:
                timer.cancel()
                p.ctx._timer = None
        return len(parents)

    def resume(self) -> None:
        self.orders.resume()

    # -- reports -----------------------------------------------------------------------------
    def _on_report(self, msg_type: str, f: dict[int, str]) -> None:
        # A leg id starts with its child id, which starts with the parent id ("P3-..." or "P3.").
        cl = f.get(T.ClOrdID, "")
        for p in self._working():
            if cl in p.ctx._leg_of:
                p.ctx.on_report(msg_type, f)
                self._check_done(p)
                return

    def _working(self):
        return [p for p in self.parents.values() if not p.done]

    def on_market(self, md: MarketData) -> None:
        """Market data handed over by whoever owns the feeds (sim's subscriber, a live feed handler)."""
        if isinstance(md, Quote):
            books = self._books.setdefault(md.symbol, {})
            if md.venue in books or len(books) < 64:
                books[md.venue] = md
        for p in self._working():
            if p.order.symbol == md.symbol:
                p.ctx.on_market(md)
                self._check_done(p)
        if self._recording:
            self._record_after(md)

    def _record_after(self, md: MarketData) -> None:
        """A parent that finished before its EndTime keeps the market on its tape until then (and
        ``TAPE_AFTER_S`` past it, as the backtest runs on): TCA's market VWAP, end mid and
        opportunity cost are over the parent's whole horizon, not up to its last fill. Only the
        tape sees it; the finished algorithm decides nothing more."""
        keep = []
        for p in self._recording:
            if md.ts_ns > p.order.end_ns + TAPE_AFTER_S * NS:
                continue
            keep.append(p)
            if p.order.symbol != md.symbol:
                continue
            r = p.runner
            r.market.update(md)
            if isinstance(md, TradePrint):
                r.tape.add(MarketRecord(md.ts_ns, md.venue, float(md.price), md.qty))
            else:
                mid = r.market.mid()
                if mid is not None and mid != p.last_mid:
                    p.last_mid = mid
                    r.tape.add(MarketRecord(md.ts_ns, "", mid, 0))
        self._recording = keep

    def _persist(self, event: str, p: Parent, *args) -> None:
        """One event of ``p`` to the desk store before the client hears of it (parent_store.py)."""
        if self.store is None:
            return
        try:
            getattr(self.store, event)(p, *args)
        except OSError as exc:
            self._store_error(exc)

    def _store_error(self, exc: OSError) -> None:
        # The parents go on (their children are the gateway's, in its trail); a restart would
        # then resume them from what the store had. Said once, loudly.
        if not self._store_failed:
            self._store_failed = True
            log.error("desk store %s cannot be written (%s): parents are not carried over a restart from here",
                      self.store.folder, exc)

    def _fill(self, p: Parent, o, qty: int, px: int) -> None:
        self._persist("fill", p, o.order_id, qty, px, o.venue)
        p.cum += qty
        p.notional += qty * px
        p.fills_by_venue[o.venue] = p.fills_by_venue.get(o.venue, 0) + qty
        p.status = "2" if p.cum >= p.order.qty else "1"
        self._report(p, "F", p.status, last=(qty, px, o.venue))

    def _check_done(self, p: Parent) -> None:
        if p.done:
            return
        if p.cancel_cl:
            if not p.ctx.open:
                p.status = "4"
                self._report(p, "4", "4", text="parent canceled")
            return
        if p.runner.finished and not p.ctx.open:
            p.status = "3"
            self._report(p, "3", "3", text=f"{p.algo} finished with {p.order.qty - p.cum} unfilled")

    def _retire(self, p: Parent) -> None:
        if self.clock.time_ns() < p.order.end_ns + TAPE_AFTER_S * NS and len(self._recording) < self.retain_finished:
            p.last_mid = p.runner.market.mid()
            self._recording.append(p)
        self._finished.append((p.client.config.target_comp_id, p.cl_ord_id))
        while len(self._finished) > self.retain_finished:
            key = self._finished.popleft()
            old = self.parents.get(key)
            if old is not None and old.done:
                del self.parents[key]

    def _report(self, p: Parent, exec_type: str, status: str, last=None, text: str = "", orig: str | None = None,
                extra: list | None = None) -> None:
        sym = self.symbols.by_name(p.order.symbol)
        avg = (sym.tick.to_decimal(p.notional) / p.cum).quantize(sym.tick.to_decimal(1) / 10 ** 4) if p.cum else 0
        cl, orig = (p.cancel_cl, p.cl_ord_id) if p.cancel_cl and exec_type in ("6", "4") else (p.cl_ord_id, orig)
        if orig == cl:
            orig = None                      # stopped by the desk (kill switch), not by a client's cancel
        fields = [(T.OrderID, p.order_id), (T.ClOrdID, cl), (T.ExecID, next(self._exec_ids))]
        if orig:
            fields.append((T.OrigClOrdID, orig))
        if p.client.config.begin_string == "FIX.4.2":
            fields.append((T.ExecTransType, "0"))
        leaves = 0 if status in ("2", "3", "4", "8") else p.order.qty - p.cum
        fields += [(T.ExecType, exec_type), (T.OrdStatus, status), (T.Symbol, p.order.symbol),
                   (T.Side, p.order.side.fix), (T.OrderQty, p.order.qty)]
        if p.order.limit is not None:
            fields += [(T.OrdType, "2"), (T.Price, sym.tick.format(p.order.limit))]
        else:
            fields.append((T.OrdType, "1"))
        fields.append((TargetStrategy, p.algo.upper()))
        if last is not None:
            q, px, venue = last
            fields += [(T.LastQty, q), (T.LastPx, sym.tick.format(px)), (LastMkt, venue)]
        fields += [(T.LeavesQty, leaves), (T.CumQty, p.cum), (T.AvgPx, avg)]
        if text:
            fields.append((T.Text, text))
        fields += extra or []
        if status in ("2", "3", "4") and exec_type != "I":
            self._persist("end", p)
        self.orders.send_to_client(p.client, M.EXECUTION_REPORT, fields)
        if status in ("2", "3", "4"):
            self._retire(p)

    def _raw_reject(self, client, msg: FixMessage, reason: str) -> None:
        fields = [(T.OrderID, "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")), (T.ExecID, next(self._exec_ids))]
        if client.config.begin_string == "FIX.4.2":
            fields.append((T.ExecTransType, "0"))
        # (a value the client sent empty gets the placeholder of a missing one, as the gateway's own
        # reject does, gateway/orders.py ``_reject_raw``: ``tag=`` is not FIX)
        fields += [(T.ExecType, "8"), (T.OrdStatus, "8"), (T.Symbol, msg.get(T.Symbol) or "?"),
                   (T.Side, msg.get(T.Side) or "1"), (T.OrderQty, msg.get(T.OrderQty) or "0"), (T.LeavesQty, 0),
                   (T.CumQty, 0), (T.AvgPx, 0), (T.OrdRejReason, "99"), (T.Text, reason)]
        self.orders.send_to_client(client, M.EXECUTION_REPORT, fields)
