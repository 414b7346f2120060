"""The gateway's orders rebuilt from its own audit trail when it starts again after a crash.

The order path keeps its orders in memory; the audit trail (audit.py) has every message in and
out and every risk decision, made durable before any client was told. A gateway started on a
directory that holds a previous run's trail reads it once, front to back, one line at a time
(``iter_trail``), and **replays** it into the empty order path:

- a risk ``accept`` of a new order books it again: the order record decoded from the client's
  NewOrderSingle just before it (the same decoder, the same order id, the client's session
  index assigned in the same order), its reservation taken in the risk backend by ``check`` (the
  checks run in the order the first run ran them, so its positions are what the first run's
  were at that point) inside ``risk.restoring()``: without the checks that depend on time (rate
  throttle, stale reference, price collar), which the first run made with its clock; a replace's ``accept`` books the pending replace the same way;
- the cancels and replaces sent to the venue set the order pending (and which client ClOrdID
  asked, and the venue ClOrdID suffix used, so the next one is new to the venue);
- every venue report in the trail goes through the order path's own code (``_venue_event``,
  ``on_venue_cancel_reject``, ``on_ouch_message``): the state machine, the fills (risk's
  positions, CumQty, AvgPx), the ends, and the venue ExecIDs applied, so the same report
  resent after the restart is dropped as a duplicate;
- the last kill / resume of the trail is applied at the end.

While it replays, nothing is sent (no report to a client, no message to a venue), nothing is
recorded (the trail has it all already), and the counts and latency hops are the new run's
(put back after). What is left are the orders still working, each with its client's session,
known by its ClOrdID; a venue that logs on then reconciles them (status requests) and resends
what it sent while the gateway was down, which the rebuilt orders now take, each fill once.

Bounded: one trail line in memory at a time; the orders kept are the working ones and the
retained finished ones (``retain_finished``); a client NewOrderSingle waits for its risk
decision in a table of at most ``MAX_WAITING`` entries. A line that is not JSON or a record
that is not one the order path writes raises ``ConfigError`` naming ``file:line``.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from wirespeed.clock import now_ns
from wirespeed.config import ConfigError
from wirespeed.enums import OrdStatus, OrdType

from . import order_state as fsm
from .audit import _DAY_FILE, _day_files, iter_trail
from .fix.message import FixMessage
from .fix.orders import DecodeError, decode_exec_report, decode_new_order, venue_cl_ord_id
from .ouch.messages import REPLACE, OuchDecodeError, decode as ouch_decode

log = logging.getLogger("wirespeed.orders")

S = OrdStatus
MAX_WAITING = 10_000        # client NewOrderSingles in the trail waiting for their risk record


@dataclass
class Recovery:
    """What a rebuild found (``OrderGateway.recovered``)."""

    records: int = 0
    orders: int = 0               # orders booked again from their risk accept
    working: int = 0              # of them still working at the end
    venue_reports: int = 0        # venue reports replayed
    risk_unrestored: list = field(default_factory=list)  # (cl_ord_id, why): booked without a reservation
    skipped: list = field(default_factory=list)          # (where, why): orders not rebuilt
    days_not_read: list = field(default_factory=list)    # day files of earlier days: their orders ended
    killed: bool = False


def _pairs(fields) -> dict[str, str]:
    """A trail record's message fields (a dict, or a list of [tag, value]) as a FixMessage's dict."""
    if isinstance(fields, dict):
        return {str(k): str(v) for k, v in fields.items()}
    out: dict[str, str] = {}
    for t, v in fields:
        out.setdefault(str(t), str(v))
    return out


def _suffix(venue_cl: str) -> int:
    """n of a venue ClOrdID ``XXXXXXXX.n`` (0 without one)."""
    _, _, n = venue_cl.partition(".")
    return int(n) if n.isdigit() else 0


class _Replay:
    def __init__(self, gw, clients: dict):
        self.gw, self.clients = gw, clients
        self.result = Recovery()
        self._waiting: dict[tuple[str, str], dict] = {}   # (client, ClOrdID) -> its D's fields
        self._prev: dict | None = None
        self._kill: tuple[bool, bool] | None = None

    def record(self, where: str, r) -> None:
        if not isinstance(r, dict) or not isinstance(r.get("kind"), str):
            raise ConfigError(f"audit.directory: {where}: not a trail record (an object with a kind)")
        self.result.records += 1
        try:
            getattr(self, "_" + r["kind"], self._other)(where, r)
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"audit.directory: {where}: a {r['kind']} record the order path cannot read "
                              f"({type(exc).__name__}: {exc})") from None
        self._prev = r

    def _other(self, where: str, r: dict) -> None:
        pass                                  # a kind the order path does not act on

    # -- client side -------------------------------------------------------------------------
    def _in(self, where: str, r: dict) -> None:
        gw = self.gw
        if "client" in r:
            if r["msg"] == "D":
                client = r["client"]
                gw._session_index.setdefault(client, len(gw._session_index) & 0xFF)   # as on_new_order does
                if len(self._waiting) >= MAX_WAITING:
                    self._waiting.pop(next(iter(self._waiting)))
                self._waiting[(client, r["cl_ord_id"])] = r["fields"]
            return
        venue, msg = r["venue"], r["msg"]
        self.result.venue_reports += 1
        if msg == "8":
            rep = decode_exec_report(FixMessage(_pairs(r["fields"])))
            state = _state_of(gw, rep["cl_ord_id"])
            if state is not None and (not venue or state.venue == venue):
                gw._venue_event(state, rep, venue, now_ns())
        elif msg == "9":
            gw.on_venue_cancel_reject(FixMessage(_pairs(r["fields"])), None)
        elif "hex" in r:
            link = gw.venues.get(venue)
            if link is not None and link.ouch:
                try:
                    gw.on_ouch_message(link.session, ouch_decode(bytes.fromhex(r["hex"])))
                except OuchDecodeError as exc:
                    raise ValueError(str(exc)) from None

    def _risk(self, where: str, r: dict) -> None:
        gw = self.gw
        key = (r.get("client", ""), r.get("cl_ord_id", ""))
        if "replace" in r:
            if r["decision"] == "accept":
                self._replace(where, r)
            return
        fields = self._waiting.pop(key, None)
        if r["decision"] != "accept":
            return
        client = self.clients.get(key[0])
        link = gw.venues.get(r["venue"])
        why = ("no NewOrderSingle before it in the trail" if fields is None else
               f"client {key[0]!r} is not configured now" if client is None else
               f"venue {r['venue']!r} is not a venue session now" if link is None else "")
        if why:
            self.result.skipped.append((where, f"order {key[1]!r} not rebuilt: {why}"))
            log.error("audit %s: order %s/%s not rebuilt: %s", where, key[0], key[1], why)
            return
        order_id = r["order_id"]
        try:
            order = decode_new_order(FixMessage(_pairs(fields)), gw.symbols, order_id, gw._session_index[key[0]])
        except DecodeError as exc:
            raise ValueError(f"its NewOrderSingle does not decode now: {exc.text}") from None
        if order.ord_type == OrdType.MARKET:
            order = dataclasses.replace(order, price=gw.risk.protection_price(order.symbol, order.side))
        mask = gw.risk.check(order)
        state = gw._book_new(client, order, link.name, venue_cl_ord_id(order_id))
        state.acked = True                    # (sent by the run before: no round trip to measure)
        if mask:
            state.reserved = 0                # nothing reserved, so nothing is released
            self._unrestored(state.order.cl_ord_id, mask)
        if link.ouch:
            state.venue_cl = str(order_id)
            gw._ouch_refs[order_id] = order_id
            state.ouch_refs.append(order_id)
        self.result.orders += 1

    def _replace(self, where: str, r: dict) -> None:
        """A replace risk accepted: booked pending as ``OrderGateway.on_replace`` books it."""
        gw = self.gw
        state = gw.orders.get(r["order_id"])
        if state is None or state.status not in fsm.AMENDABLE:
            return
        qty, price, cl = int(r["replace"]["qty"]), int(r["replace"]["price"]), r["cl_ord_id"]
        record = dataclasses.replace(state.order, cl_ord_id=cl, qty=qty - state.cum_qty, price=price, cl_ord_key=0)
        mask = gw.risk.check(record)
        if mask:
            self._unrestored(cl, mask)
            record = dataclasses.replace(record, qty=0)       # (what is released later is then nothing)
        state.prior, state.status = state.status, fsm.advance(state.status, S.PENDING_REPLACE)
        state.pending, state.pending_qty, state.pending_cl = record, qty, cl
        gw._book(state, record.qty * record.price)
        gw._live[(state.client_id, cl)] = state.order.order_id
        state.requests += 1

    def _out(self, where: str, r: dict) -> None:
        if "venue" not in r or r["msg"] not in ("F", "G"):
            return                            # reports to clients, new orders to venues: nothing to do
        gw = self.gw
        state = gw.orders.get(r["order_id"])
        if state is None or state.status in fsm.TERMINAL:
            return
        fields = r["fields"]
        venue_cl = _pairs(fields).get("11", "") if not isinstance(fields, str) else ""
        if r["msg"] == "F":
            # ``_send_cancel``: a client's cancel is the record just before (its "in" F); the
            # kill switch, cancel-on-disconnect and a venue stop send their own.
            prev = self._prev or {}
            asked = (prev.get("kind") == "in" and prev.get("msg") == "F" and prev.get("client") == state.client_id
                     and prev.get("orig") == state.order.cl_ord_id)
            state.pending_cl = prev["cl_ord_id"] if asked else ""
            if asked:
                gw._live[(state.client_id, state.pending_cl)] = state.order.order_id
            if state.status is not S.PENDING_REPLACE:
                state.prior = state.status if state.status is not S.PENDING_NEW else S.NEW
                state.status = fsm.advance(state.status, S.PENDING_CANCEL)
            state.requests = max(state.requests + 1, _suffix(venue_cl))
            return
        if isinstance(fields, str):           # OUCH: the replacement's UserRefNum is in the message
            new_ref = REPLACE.unpack_from(bytes.fromhex(fields))[2]
            gw._ouch_refs[new_ref] = state.order.order_id
            state.ouch_refs.append(new_ref)
            state.pending_venue_cl = str(new_ref)
        else:
            state.pending_venue_cl = venue_cl
            state.requests = max(state.requests, _suffix(venue_cl))

    def _control(self, where: str, r: dict) -> None:
        if r.get("action") == "kill":
            self._kill = (True, bool(r.get("reduce_only")))
        elif r.get("action") == "resume":
            self._kill = (False, False)

    def _unrestored(self, cl: str, mask: int) -> None:
        from wirespeed.reasons import reasons_in
        why = ", ".join(x.check_name for x in reasons_in(mask))
        self.result.risk_unrestored.append((cl, why))
        log.error("rebuilt order %s: risk refuses its reservation now (%s): its open quantity and fills are "
                  "not in the risk positions", cl, why)

    def finish(self) -> Recovery:
        gw = self.gw
        if self._kill is not None and self._kill[0]:
            reduce_only = self._kill[1]
            gw.risk.set_controls(kill=not reduce_only, reduce_only=reduce_only)
            gw.killed = self.result.killed = True
        self.result.working = len(gw.working())
        return self.result


def _state_of(gw, venue_cl: str):
    from .fix.orders import venue_order_id
    oid = venue_order_id(venue_cl)
    return gw.orders.get(oid) if oid is not None else None


DAY_NS = 86_400 * 10**9


def recover(gw, directory, clients: dict, wall_ns: int | None = None) -> Recovery:
    """Replay the trail in ``directory`` into ``gw`` (an ``OrderGateway`` with its venues added and
    no orders yet); ``clients``: client CompID -> the session its reports go to (the acceptor's
    sessions, the desk's ``ControlSession``). Returns what it found.

    Only today's session is replayed: the records of the current UTC day (the trail's day files
    are UTC days; ``wall_ns``: now, epoch ns, for tests), day file and journal. An earlier day's
    orders ended with their day (every order the gateway takes is DAY or shorter in practice,
    and a GTC one from an earlier day is not carried: docs/gateway/audit.md), and start-up
    reads one day's trail, not every day kept."""
    if gw.orders:
        raise RuntimeError("orders are rebuilt from the trail only into an order path that has none")
    since = ((time.time_ns() if wall_ns is None else wall_ns) // DAY_NS) * DAY_NS
    replay = _Replay(gw, clients)
    first_day = time.strftime("%Y%m%d", time.gmtime(since // 10**9))
    replay.result.days_not_read = [p.name for p in _day_files(Path(directory))
                                   if _DAY_FILE.fullmatch(p.name).group(1) < first_day]
    if replay.result.days_not_read:
        log.info("audit trail %s: %d day files of earlier days not replayed (their orders ended with their day)",
                 directory, len(replay.result.days_not_read))
    counts, rejects = dict(gw.counts), dict(gw.rejects_by_reason)
    auditing, on_change = gw._auditing, gw.on_change
    gw._auditing, gw.on_change = False, None
    gw._to_client = lambda client, msg_type, fields: None      # (an instance attribute over the method)
    try:
        # (the reports to clients are not needed: a third of the lines, not parsed) The
        # reservations are taken again without the checks that depend on time (``restoring``):
        # today's clock would throttle a burst the first run took over minutes.
        with gw.risk.restoring():
            for where, r in iter_trail(directory, skip=(b'"kind":"out","client"',), since_ns=since):
                replay.record(where, r)
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"audit.directory: {exc}") from None
    finally:
        del gw._to_client
        gw._auditing, gw.on_change = auditing, on_change
        gw.counts.clear()
        gw.counts.update(counts)
        gw.rejects_by_reason.clear()
        gw.rejects_by_reason.update(rejects)
        gw._hop_buf.clear()
        if gw._ring is not None:
            gw._ring.clear()
    result = replay.finish()
    if result.orders:
        log.warning("audit trail %s: %d orders rebuilt, %d still working; %d venue reports replayed%s", directory,
                    result.orders, result.working, result.venue_reports,
                    f"; {len(result.risk_unrestored)} without their risk reservation" if result.risk_unrestored
                    else "")
    return result
