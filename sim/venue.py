"""A simulated venue: one order book per symbol behind a FIX acceptor built on gateway/.

A resident market maker quotes ``levels`` price levels each side of the reference
price and re-quotes what is taken, so orders that cross find liquidity. Every
venue action is answered with ExecutionReports: New (ack), Trade (each fill, to
both sides when the passive side is a client), Canceled (cancel, or the unfilled
rest of an IOC / market order), Rejected (with the reason in Text).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from decimal import Decimal

from wirespeed.config import VenueConfig
from wirespeed.enums import ExecType, OrdStatus, OrdType, Side, TimeInForce
from wirespeed.order import ExecutionReport
from wirespeed.reasons import RejectReason
from wirespeed.symbols import SymbolTable
from wirespeed.gateway.acceptor import FixAcceptor
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.fix.orders import DecodeError, decode_new_order, exec_report_fields
from wirespeed.gateway.fix.tags import MsgTypes as M
from wirespeed.gateway.session import Session, SessionConfig

from .book import BookOrder, OrderBook, Trade

log = logging.getLogger("wirespeed.venue")

MARKET_MAKER = "MM"


@dataclass(slots=True)
class _Owner:
    session: Session | None
    cl_ord_id: str
    qty: int
    price: int
    ord_type: OrdType
    tif: TimeInForce
    cum_qty: int = 0
    px_num: int = 0


class SimVenue:
    def __init__(self, config: VenueConfig, symbols: SymbolTable, *, levels: int = 5, level_qty: int = 500,
                 heartbeat_s: int = 30):
        self.config = config
        self.symbols = symbols
        self.levels, self.level_qty = levels, level_qty
        self.books = {s.name: OrderBook(s.name) for s in symbols}
        self._ids = itertools.count(1)
        self._exec_ids = itertools.count(1)
        self._owners: dict[int, _Owner] = {}
        self._by_client: dict[tuple[str, str], int] = {}
        self.heartbeat_s = heartbeat_s
        self.acceptor = FixAcceptor(config.host, config.port, factory=self._new_session)
        self.stats = {"orders": 0, "fills": 0, "filled_qty": 0, "notional": Decimal(0), "fees": Decimal(0),
                      "rejects": 0, "cancels": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        for sym in symbols:
            self._quote(sym.name)

    # -- lifecycle ---------------------------------------------------------------
    def _new_session(self, comp_id: str) -> Session:
        cfg = SessionConfig(sender_comp_id=self.config.comp_id, target_comp_id=comp_id, role="acceptor",
                            heartbeat_s=self.heartbeat_s)
        return Session(cfg, self)

    async def start(self) -> int:
        self._loop = asyncio.get_running_loop()
        return await self.acceptor.start()

    async def stop(self) -> None:
        await self.acceptor.stop()

    @property
    def port(self) -> int:
        return self.acceptor.port

    # -- market maker ------------------------------------------------------------
    def _quote(self, symbol: str) -> None:
        """Fill any empty level of the maker's ladder around the reference price."""
        sym = self.symbols.by_name(symbol)
        ref, book = sym.reference_ticks, self.books[symbol]
        for k in range(1, self.levels + 1):
            for side, price in ((Side.BUY, ref - k), (Side.SELL, ref + k)):
                levels = (book.bids if side == Side.BUY else book.asks).levels
                if price > 0 and price not in levels:
                    oid = next(self._ids)
                    self._owners[oid] = _Owner(None, MARKET_MAKER, self.level_qty, price, OrdType.LIMIT,
                                               TimeInForce.DAY)
                    book.submit(BookOrder(oid, side, price, self.level_qty, owner=MARKET_MAKER))

    # -- Application -------------------------------------------------------------
    def on_logon(self, session: Session) -> None:
        log.info("%s: %s logged on", self.config.name, session.config.target_comp_id)

    def on_logout(self, session: Session) -> None:
        log.info("%s: %s logged out", self.config.name, session.config.target_comp_id)

    def on_message(self, session: Session, msg: FixMessage) -> None:
        delay = self.config.latency_us / 1e6
        if delay and self._loop is not None:
            self._loop.call_later(delay, self._dispatch, session, msg)
        else:
            self._dispatch(session, msg)

    def _dispatch(self, session: Session, msg: FixMessage) -> None:
        if not session.active:
            return
        mt = msg.msg_type
        if mt == M.NEW_ORDER_SINGLE:
            self._new_order(session, msg)
        elif mt == M.ORDER_CANCEL_REQUEST:
            self._cancel(session, msg)
        else:
            session.business_reject(msg, 3, f"unsupported message type {mt}")

    def _report(self, owner: _Owner, venue_id: int, symbol: str, side: Side, exec_type: ExecType,
                status: OrdStatus, *, last_qty=0, last_px=0, text="", leaves=None, cl_ord_id=None) -> None:
        if owner.session is None or not owner.session.active:
            return
        leaves = owner.qty - owner.cum_qty if leaves is None else leaves
        r = ExecutionReport(cl_ord_id or owner.cl_ord_id, venue_id, f"{self.config.name}-{next(self._exec_ids)}",
                            exec_type, status, symbol, side, owner.qty, owner.price, last_qty, last_px,
                            owner.cum_qty, leaves, owner.px_num, RejectReason.VENUE_REJECT if exec_type is
                            ExecType.REJECTED else RejectReason.NONE, text, owner.ord_type, owner.tif)
        owner.session.send(M.EXECUTION_REPORT, exec_report_fields(r, self.symbols, owner.session.config.begin_string))

    def _new_order(self, session: Session, msg: FixMessage) -> None:
        self.stats["orders"] += 1
        venue_id = next(self._ids)
        try:
            order = decode_new_order(msg, self.symbols, venue_id, 0)
        except DecodeError as exc:
            self.stats["rejects"] += 1
            owner = _Owner(session, msg.get(T.ClOrdID, ""), 0, 0, OrdType.LIMIT, TimeInForce.DAY)
            side = Side.from_fix(msg[T.Side]) if msg.get(T.Side) in ("1", "2", "5") else Side.BUY
            self._report(owner, venue_id, msg.get(T.Symbol, "?"), side, ExecType.REJECTED, OrdStatus.REJECTED,
                         text=exc.text, leaves=0)
            return
        sym = self.symbols.by_index(order.symbol)
        owner = _Owner(session, order.cl_ord_id, order.qty, order.price, order.ord_type, order.tif)
        self._owners[venue_id] = owner
        self._by_client[(session.name, order.cl_ord_id)] = venue_id
        self._report(owner, venue_id, sym.name, order.side, ExecType.NEW, OrdStatus.NEW)
        book_order = BookOrder(venue_id, order.side, order.price, order.qty, order.ord_type, order.tif, owner=owner)
        trades, rested = self.books[sym.name].submit(book_order)
        for trade in trades:
            self._on_trade(sym.name, trade)
        if not rested and book_order.qty:
            self._report(owner, venue_id, sym.name, order.side, ExecType.CANCELED, OrdStatus.CANCELED, leaves=0,
                         text="unfilled quantity canceled (IOC/FOK/market)")
        if trades:
            self._quote(sym.name)

    def _on_trade(self, symbol: str, trade: Trade) -> None:
        self.stats["fills"] += 1
        self.stats["filled_qty"] += trade.qty
        notional = trade.qty * self.symbols.by_name(symbol).price(trade.price)
        self.stats["notional"] += notional
        # Both sides pay; the maker's side is the venue's own book, so one fee per trade here.
        self.stats["fees"] += (notional * Decimal(str(self.config.fee_bps)) / 10_000).quantize(Decimal("0.0001"))
        for bo in (trade.aggressor, trade.passive):
            owner = self._owners.get(bo.id)
            if owner is None:
                continue
            owner.cum_qty += trade.qty
            owner.px_num += trade.qty * trade.price
            status = OrdStatus.FILLED if owner.cum_qty >= owner.qty else OrdStatus.PARTIALLY_FILLED
            self._report(owner, bo.id, symbol, bo.side, ExecType.TRADE, status, last_qty=trade.qty,
                         last_px=trade.price)

    def _cancel(self, session: Session, msg: FixMessage) -> None:
        orig = msg.get(T.OrigClOrdID, "")
        venue_id = self._by_client.get((session.name, orig))
        sym = msg.get(T.Symbol, "")
        book = self.books.get(sym)
        removed = book.cancel(venue_id) if (book is not None and venue_id is not None) else None
        if removed is None:
            session.send(M.ORDER_CANCEL_REJECT, [
                (T.OrderID, venue_id or "NONE"), (T.ClOrdID, msg.get(T.ClOrdID, "")), (T.OrigClOrdID, orig),
                (T.OrdStatus, OrdStatus.REJECTED.fix), (T.CxlRejResponseTo, "1"), (T.CxlRejReason, 1),
                (T.Text, "unknown or no longer working order")])
            return
        self.stats["cancels"] += 1
        owner = self._owners[venue_id]
        self._report(owner, venue_id, sym, removed.side, ExecType.CANCELED, OrdStatus.CANCELED, leaves=0,
                     cl_ord_id=msg.get(T.ClOrdID, ""))
