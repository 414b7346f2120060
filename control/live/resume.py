"""A restarted desk carries its parents on: each parent the desk store (``parent_store.py``)
says was still working is rebuilt on the children the gateway rebuilt from its audit trail
(gateway/order_recovery.py), and its algorithm goes on with what is left.

For each working parent:

1. **Fills.** Its CumQty / AvgPx / per-venue fills are the store's fill events. A child fill the
   gateway applied but the desk had not yet reported (the process died between the two: the
   gateway's ER to the desk is delivered a loop turn later) is in the gateway's order, not in
   the store: the difference per leg (CumQty and notional) is reported to the client now as one
   PartialFill each, so no share is lost and none is reported twice.
2. **Children.** Every working gateway order of the desk's session whose leg id names the parent
   (``P3.7@XNAS#1``, after a replace ``P3.7@XNAS#1.r5``) becomes the parent's again: the live
   context's leg (its current ClOrdID, its path), the runner's child and leg, and the algorithm's
   working child (its quantity, price, fills): the venue's resent fills and the reconciliation's
   answers reach the parent as they would have before the restart.
3. **The algorithm is re-planned, not restored**: its own state (the schedule's phase, an
   iceberg's refresh, POV's volume count, the seeded draws) is not on disk. A new instance of the
   same algorithm, with the parent's config (the request, the seed), works the quantity left
   (OrderQty - CumQty) from now to the parent's EndTime, the adopted children counting against
   it, exactly as a replace re-plans (``ParentRunner.replan``). A parent whose EndTime passed
   while the desk was down makes no new decision: its children are canceled once the venues are
   up (``AlgoDesk.tick``: a link still reconciling refuses cancels), and it ends DoneForDay
   with what is left.
4. **Frozen until the venues are up**: the parents are rebuilt before the venue sessions
   connect (so what the venues resend finds them), with their contexts halted (no child, no
   timer); ``start`` (the desk service's, after the connects) lets them decide.
"""
from __future__ import annotations

import dataclasses
import itertools
import logging
import re

from wirespeed.enums import Side, TimeInForce
from wirespeed.gateway import order_state as fsm

from ..algorithms import ALGORITHMS, TwapConfig
from ..algorithms.base import Working
from ..context import VenueOrder
from ..marketdata import MarketState
from ..model import ExecutionRefused, NewChild, ParentOrder, Urgency
from ..routing import Router
from ..runner import ParentRunner, _Child, _Leg
from .context import LiveContext
from .desk import Parent, apply_request
from .parent_store import ParentStore, StoredParent, request_from

log = logging.getLogger("wirespeed.control.desk")

_AMEND = re.compile(r"\.[rc]\d+$")          # a leg's ClOrdID after a replace / of a cancel (context.py)


def leg_of(cl_ord_id: str) -> str:
    return _AMEND.sub("", cl_ord_id)


def resume_parents(desk, store: ParentStore, clients: dict) -> list:
    """Rebuild the store's working parents on ``desk`` (frozen); returns them (``start_resumed``
    lets them decide). ``clients``: CompID -> the session a parent's reports go to."""
    desk._ids = itertools.count(store.max_id + 1)          # a new parent's id is new to the clients
    gw = desk.orders
    me = desk.session.config.target_comp_id
    by_parent: dict[str, list] = {}
    for s in list(gw.orders.values()):
        if s.client_id == me:
            lid = leg_of(s.order.cl_ord_id)
            by_parent.setdefault(lid.split(".", 1)[0], []).append((lid, s))
    now = desk.clock.time_ns()
    resumed = []
    for sp in store.parents.values():
        client = clients.get(sp.new["client"])
        if client is None:
            log.error("desk store %s: parent %s of client %r not resumed: no such client now", sp.where, sp.id,
                      sp.new["client"])
            continue
        p = _rebuild(desk, sp, client, by_parent.get(sp.id, []), now)
        resumed.append(p)
    if resumed:
        log.warning("desk: %d parents resumed from %s (%s)", len(resumed), store.folder,
                    ", ".join(f"{p.order_id} {p.cum}/{p.order.qty}" for p in resumed))
    desk._resumed = resumed
    return resumed


def _child_no(leg: str) -> int:
    """7 of a leg id ``P3.7@XNAS#1`` (0 for anything else)."""
    no = leg.split("@", 1)[0].rpartition(".")[2]
    return int(no) if no.isdigit() else 0


def _venue_of(desk, link: str) -> str:
    for venue, sel in desk.paths.items():
        if link in sel.paths:
            return venue
    return link


def _rebuild(desk, sp: StoredParent, client, children: list, now: int):
    plan, pid = sp.plan, sp.id
    sym = desk.symbols.by_name(plan["symbol"])
    whole = ParentOrder(pid, plan["symbol"], Side(plan["side"]), int(plan["qty"]), int(plan["start"]),
                        int(plan["end"]), plan["limit"])
    request = request_from(plan.get("request"))
    algo_name = sp.new["algo"]
    # 1. the fills: the store's, then what the gateway applied that the store has not
    stored: dict[str, list[int]] = {}
    cum = notional = 0
    by_venue: dict[str, int] = {}
    for leg, qty, px, venue in sp.fills:
        q = stored.setdefault(leg, [0, 0])
        q[0] += qty
        q[1] += qty * px
        cum += qty
        notional += qty * px
        by_venue[venue] = by_venue.get(venue, 0) + qty
    catch_up = []
    # the algorithm's child numbers go on above every child it had (still at the gateway, or filled)
    seq = max((_child_no(leg) for leg in [lid for lid, _ in children] + list(stored)), default=0)
    for lid, s in children:
        have = stored.get(lid, [0, 0])
        missed = s.cum_qty - have[0]
        if missed > 0:
            catch_up.append((lid, s, missed, (s.avg_px_num - have[1]) // missed))
    left = whole.qty - cum - sum(m for _, _, m, _ in catch_up)
    # 3. the algorithm for what is left, from now (or its start) to the parent's end
    overdue = whole.end_ns <= now
    start = max(whole.start_ns, now)
    rest = ParentOrder(pid, whole.symbol, whole.side, max(left, 1), start,
                       whole.end_ns if not overdue else start + 1, whole.limit)
    market = MarketState(whole.symbol)
    for q in desk._books.get(whole.symbol, {}).values():
        market.update(q)
    try:
        cfg = desk.configs(algo_name, rest)
        if request is not None:
            cfg = apply_request(cfg, request)
        cfg = dataclasses.replace(cfg, seed=sp.new.get("seed") or cfg.seed)
        algo = ALGORITHMS[algo_name][0](rest, cfg, market)
    except ExecutionRefused as exc:
        # The rest cannot be planned now (a VWAP profile that expects nothing over what is left,
        # a config the desk no longer gives): no new decision; its children are canceled once the
        # venues are up and it ends DoneForDay with what is left, its fills reported.
        log.error("parent %s: its %s cannot be re-planned on the %d left (%s): its children are canceled and "
                  "it ends", pid, algo_name, left, exc.reason)
        cfg = TwapConfig()
        algo = ALGORITHMS["twap"][0](rest, cfg, market)
        overdue = True
    ctx = LiveContext(desk.orders, desk.clock, sym, desk.venues, desk.session, paths=desk.paths,
                      breakers=desk.breakers)
    runner = ParentRunner(algo, Router(desk.venues, desk.router_config), ctx)
    ctx.runner = runner
    runner._base_filled = whole.qty - max(left, 0)
    p = Parent(client, sp.cl, pid, whole, algo_name, runner, ctx, cum=cum, notional=notional,
               status="1" if cum else "0", cancel_cl=sp.cancel_cl, fills_by_venue=by_venue, request=request)
    ctx.on_fill = lambda o, q, px, ts, p=p: desk._fill(p, o, q, px)
    # 2. the children the gateway still works for it
    urgency = getattr(cfg, "urgency", Urgency.PASSIVE)
    for lid, s in children:
        if s.status not in fsm.WORKING:
            continue
        cid = lid.split("@", 1)[0]
        venue = _venue_of(desk, s.venue)
        tif = TimeInForce(int(s.order.tif))
        vo = VenueOrder(lid, venue, whole.symbol, whole.side, s.qty, s.order.price, tif, cid, pid, algo_name)
        ctx.sent[lid] = vo
        ctx.open.add(lid)
        ctx._leg_of[lid] = lid
        ctx.path_of[lid] = s.venue
        if s.order.cl_ord_id != lid:
            ctx._leg_of[s.order.cl_ord_id] = lid
            ctx._current[lid] = s.order.cl_ord_id
        runner.legs[lid] = _Leg(vo, now, filled=s.cum_qty)
        ch = runner.children.get(cid)
        if ch is None:
            ch = runner.children[cid] = _Child(NewChild(cid, pid, algo_name, whole.side, 0, s.order.price, tif,
                                                        urgency, None), s.order.price)
        ch.new = ch.new._replace(qty=ch.new.qty + s.qty)
        ch.legs.append(lid)
        ch.tried.add(venue)
        ch.filled += s.cum_qty
        w = algo.working.get(cid)
        if w is None:
            algo.working[cid] = Working(s.qty, s.order.price, now, urgency, tif, filled=s.cum_qty)
        else:
            w.qty += s.qty
            w.filled += s.cum_qty
    algo._seq = seq
    # The context numbers its cancels' and replaces' ClOrdIDs (``.c7``, ``.r8``) on from those
    # the children had: one it used before is still live at the gateway after a replace.
    used = [int(m.group(0)[2:]) for _, s in children for cl in (s.order.cl_ord_id, s.pending_cl)
            if (m := _AMEND.search(cl))]
    ctx._req = itertools.count(max(used, default=0) + 1)
    # 4. frozen until the venues are up
    ctx.halted = True
    desk.parents[(client.config.target_comp_id, sp.cl)] = p
    p.overdue = overdue or left <= 0
    for lid, s, missed, px in catch_up:
        vo = ctx.sent.get(lid) or VenueOrder(lid, _venue_of(desk, s.venue), whole.symbol, whole.side, s.qty,
                                             s.order.price, TimeInForce(int(s.order.tif)), lid.split("@")[0], pid,
                                             algo_name)
        log.warning("parent %s: %d of leg %s filled at the gateway before the restart, not yet reported: "
                    "reported now", pid, missed, lid)
        desk._fill(p, vo, missed, px)
    return p


def start_resumed(desk) -> int:
    """The venues are up: every resumed parent decides again (an overdue one cancels its children
    and ends). Returns how many."""
    resumed, desk._resumed = getattr(desk, "_resumed", []), []
    now = desk.clock.time_ns()
    for p in resumed:
        if p.done:
            continue
        ctx, runner = p.ctx, p.runner
        ctx.halted = False
        for q in desk._books.get(p.order.symbol, {}).values():
            runner.market.update(q)
        if p.cancel_cl or p.overdue:
            runner.algo.next_timer_ns = None
            ctx.halted = True                # no decision; its children canceled on the desk's tick once
            desk._halt_when_up.append(p)     # their links are up, then Canceled / DoneForDay
        else:
            runner.algo.next_timer_ns = max(runner.algo.parent.start_ns, now)
            runner._rearm()
        desk._check_done(p)
    return len(resumed)
