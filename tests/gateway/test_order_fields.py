"""``OrderGateway.on_new_order_fields`` (the control plane's children as typed values) against
``on_new_order`` of the NewOrderSingle those values stand for.

Sans-IO: the same orders go into two gateways built alike, one through each entry; the venue
bytes (a real initiator session), the reports to the client, the audit trail (less the hop
stamps, clock readings), every order's state and the counts must be equal, over accepts and
every reject: unknown symbol, quantity out of range, a limit order without a price, duplicate
ClOrdID, unknown venue, risk, the venue's rate, credit, a venue down, a market order."""
import pytest

from wirespeed.clock import fix_timestamp as real_timestamp
from wirespeed.config import load_config
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway import orders as orders_mod
from wirespeed.gateway.controls import RateLimit
from wirespeed.gateway.fix import encoder as encoder_mod
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.fix.orders import ExDestination
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.session import session as session_mod
from wirespeed.ids import OrderIds, StringIds
from wirespeed.symbols import table_from_config

from .test_fast_path import Audit   # (the trail that keeps its records, hop stamps taken out)

PINNED = "20261201-12:00:00.000"
RISK = {"default": {"max_qty": 500, "collar_ticks": 60, "long_limit": 5000, "short_limit": 5000}}


@pytest.fixture(autouse=True)
def pinned_time(monkeypatch):
    for mod in (session_mod, orders_mod, encoder_mod):
        monkeypatch.setattr(mod, "fix_timestamp", lambda epoch_ns=None: PINNED if epoch_ns is None
                            else real_timestamp(epoch_ns))


class Client:
    """The control plane's side of the gateway (``ControlSession``'s contract): reports kept."""
    class config:
        target_comp_id = "CONTROL"
        begin_string = "FIX.4.4"
    name = "control:CONTROL"
    active = True

    def __init__(self):
        self.got = []

    def send(self, msg_type, fields):
        self.got.append((msg_type, [(int(t), str(v)) for t, v in fields]))


class Rig:
    def __init__(self):
        cfg = load_config(overrides={"risk": RISK})
        self.symbols = table_from_config(cfg.symbols)
        self.audit = Audit()
        gw = self.gw = OrderGateway(self.symbols, make_backend(cfg.risk, self.symbols), audit=self.audit,
                                    clock=lambda: 0.0)
        gw._ids, gw._exec_ids = OrderIds(epoch_ns=10**12), StringIds("W", epoch_ns=10**12)
        self.out = {}
        for name in ("V1", "V2", "V3"):
            venue = Session(SessionConfig("GW", name, role="initiator"), gw.venue_app)
            out = self.out[name] = []
            venue.connection_made(out.append, lambda: None)
            venue.data_received(encode_message("FIX.4.4", "A", name, "GW", 1, [(98, 0), (108, 30)], real_timestamp()))
            gw.add_venue(name, venue, throttle=RateLimit(2, 2) if name == "V2" else None,
                         credit_limit=19_000_000 if name == "V3" else 0)
        self.client = Client()

    def result(self):
        gw = self.gw
        return {"venues": {n: b"".join(o) for n, o in self.out.items()}, "client": self.client.got,
                "audit": self.audit.records, "counts": dict(gw.counts), "rejects": dict(gw.rejects_by_reason),
                "live": dict(gw._live),
                "orders": sorted((i, s.order, s.client_id, s.venue, s.status, s.qty, s.reserved, s.venue_cl)
                                 for i, s in gw.orders.items())}


B, S = Side.BUY, Side.SELL
L, M = OrdType.LIMIT, OrdType.MARKET
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
# (ClOrdID, symbol, side, type, tif, qty, price ticks, venue)
ORDERS = [
    ("C1", "AAPL", B, L, DAY, 100, 19_001, "V1"),
    ("C2", "AAPL", S, L, IOC, 200, 19_003, "V1"),
    ("C3", "MSFT", B, M, IOC, 50, 0, "V1"),                 # market: checked at its protection price
    ("C1", "AAPL", B, L, DAY, 100, 19_001, "V1"),           # duplicate of a live ClOrdID
    ("C4", "NOPE", B, L, DAY, 100, 100, "V1"),              # unknown symbol: through on_new_order
    ("C5", "AAPL", B, L, DAY, 0, 19_001, "V1"),             # zero quantity: risk's zero_qty
    ("C6", "AAPL", B, L, DAY, 1 << 33, 19_001, "V1"),       # out of range: the decoder's reject
    ("C7", "AAPL", B, L, DAY, 100, 0, "V1"),                # a limit order without a price
    ("C8", "AAPL", B, L, DAY, 900, 19_001, "V1"),           # over max_qty
    ("C9", "AAPL", B, L, DAY, 100, 18_000, "V1"),           # outside the collar
    ("C10", "AAPL", B, L, DAY, 100, 19_001, "NOWHERE"),     # unknown venue
    ("C11", "AAPL", B, L, DAY, 100, 19_001, "V2"),
    ("C12", "AAPL", B, L, DAY, 100, 19_001, "V2"),
    ("C13", "AAPL", B, L, DAY, 100, 19_001, "V2"),          # over the venue's rate (2 a second)
    ("C14", "AAPL", S, L, DAY, 500, 19_002, "V3"),
    ("C15", "AAPL", S, L, DAY, 500, 19_002, "V3"),          # over the venue's credit
    ("C16", "AAPL", B, L, DAY, 100, 19_000, ""),            # no ExDestination: the first venue
    ("C17", "MSFT", S, M, IOC, 40, 40_000, "V1"),           # a market order with a Price: not read
    ("C18", "MSFT", S, M, IOC, 40, 40_000, "NOWHERE"),      # ... nor in its reject
]


def _pairs(rig, cl, sym, side, ord_type, tif, qty, price, venue):
    s = rig.symbols.by_name(sym)
    pairs = [(T.ClOrdID, cl), (T.Symbol, sym), (T.Side, side.fix), (T.TransactTime, PINNED), (T.OrderQty, qty),
             (T.OrdType, ord_type.fix)]
    if price:
        pairs.append((T.Price, s.tick.format(price) if s else price))
    pairs.append((T.TimeInForce, tif.fix))
    return pairs + ([(ExDestination, venue)] if venue else [])


def _run(by_fields: bool, orders=ORDERS, down=None):
    rig = Rig()
    if down:
        rig.gw.venues[down].state = "down"
    for o in orders:
        if by_fields:
            rig.gw.on_new_order_fields(rig.client, *o, transact_time=PINNED)
        else:
            rig.gw.on_new_order(rig.client, FixMessage.from_pairs(_pairs(rig, *o)))
    return rig.result()


def test_the_typed_entry_gives_the_same_bytes_reports_trail_and_state_as_the_message():
    by_msg, by_fields = _run(False), _run(True)
    assert by_msg["counts"]["accepted"] == 8 and by_msg["counts"]["rejected"] == 11      # the script covers both
    assert set(by_msg["rejects"]) >= {"duplicate_clordid", "unknown_symbol", "zero_qty", "bad_field", "bad_price",
                                      "max_qty", "price_collar", "no_venue", "rate_limit", "credit_limit"}
    assert by_msg["venues"]["V1"].count(b"\x0135=D\x01") == 5
    for key in by_msg:
        assert by_fields[key] == by_msg[key], key


def test_a_venue_down_rejects_alike_and_gives_the_reservation_back():
    orders = [("D1", "AAPL", B, L, DAY, 100, 19_001, "V1"), ("D2", "AAPL", B, L, DAY, 100, 19_001, "V1")]
    by_msg, by_fields = _run(False, orders, down="V1"), _run(True, orders, down="V1")
    assert by_msg["counts"]["rejected"] == 2 and "no venue session" in str(by_msg["client"])
    assert by_fields == by_msg


def test_a_quantity_or_price_that_is_not_an_int_is_the_messages_reject():
    """A bool, a float (100.0 too) or NaN is no OrderQty nor tick count: each goes through the
    message (38=100.5, 38=True, 38=100.0), whose decoder decides it exactly as for a client; the
    venue never sees a Python float's text."""
    qtys = [("Q1", "AAPL", B, L, DAY, 100.5, 19_001, "V1"), ("Q2", "AAPL", B, L, DAY, True, 19_001, "V1"),
            ("Q3", "AAPL", B, L, DAY, 100.0, 19_001, "V1")]
    by_msg, by_fields = _run(False, qtys), _run(True, qtys)
    assert by_fields == by_msg
    assert by_msg["counts"]["rejected"] == 2 and by_msg["counts"]["accepted"] == 1   # 100.0 decodes as 100
    assert b"\x0138=100\x01" in by_fields["venues"]["V1"] and b"38=100." not in by_fields["venues"]["V1"]
    assert b"38=True" not in by_fields["venues"]["V1"]
    prices = [("P1", "AAPL", B, L, DAY, 100, 19_001.5, "V1"), ("P2", "AAPL", B, L, DAY, 100, float("nan"), "V1"),
              ("P3", "AAPL", B, L, DAY, 100, float("inf"), "V1"), ("P4", "AAPL", B, L, DAY, 100, 19_001.0, "V1")]
    got = _run(True, prices)
    assert got["counts"].get("accepted", 0) == 0 and got["rejects"] == {"bad_price": 4}
    assert b"35=D" not in got["venues"]["V1"]
    texts = [dict(f)[58] for t, f in got["client"] if t == "8"]
    assert len(texts) == 4 and "19001.5" in texts[0] and all("not a whole number of ticks" in x for x in texts)
