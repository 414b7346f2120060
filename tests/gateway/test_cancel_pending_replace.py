"""A venue manager's stop and cancel-on-disconnect cancel every order live at the venue, one whose
replace the venue has not answered yet included (the venue still holds the original), as the kill
switch does. Sans-IO: the client and venue sessions are driven directly."""
import pytest

from wirespeed.clock import fix_timestamp as ts
from wirespeed.config import load_config
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.symbols import table_from_config


class _Desk:
    def __init__(self):
        cfg = load_config(overrides={"risk": {"default": {"max_qty": 500, "collar_ticks": 60}}})
        self.symbols = table_from_config(cfg.symbols)
        self.gw = OrderGateway(self.symbols, make_backend(cfg.risk, self.symbols, sessions=1))
        self.client = Session(SessionConfig("GW", "CLIENT1", role="acceptor"), self.gw.client_app)
        self.venue = Session(SessionConfig("GW", "VENUE1", role="initiator"), self.gw.venue_app)
        self.vout: list[bytes] = []
        self.venue.connection_made(self.vout.append, lambda: None)
        self.venue.data_received(encode_message("FIX.4.4", "A", "VENUE1", "GW", 1, [(98, 0), (108, 30)], ts()))
        self.gw.add_venue("VENUE1", self.venue)
        self.client.connection_made(lambda b: None, lambda: None)
        self.client.data_received(encode_message("FIX.4.4", "A", "CLIENT1", "GW", 1, [(98, 0), (108, 30)], ts()))
        self.seq = {"c": 2, "v": 2}

    def send(self, who, msg_type, fields):
        sender, session = ("CLIENT1", self.client) if who == "c" else ("VENUE1", self.venue)
        session.data_received(encode_message("FIX.4.4", msg_type, sender, "GW", self.seq[who], fields, ts()))
        self.seq[who] += 1

    def to_venue(self, msg_type):
        p = FixParser(1 << 20)
        for b in self.vout:
            p.feed(b)
        out = []
        while (m := p.poll()) is not None:
            if m.msg_type == msg_type:
                out.append(m)
        return out

    def two_acked_one_replace_pending(self):
        sym = self.symbols.by_name("MSFT")
        px = sym.tick.format(sym.reference_ticks)
        for k in range(2):
            self.send("c", "D", [(11, f"C{k}"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 100), (40, "2"),
                                 (44, px), (59, "0")])
        for k, m in enumerate(self.to_venue("D")):
            self.send("v", "8", [(37, f"V{k}"), (11, m.get(11)), (17, f"E{k}"), (150, "0"), (39, "0"),
                                 (55, "MSFT"), (54, "1"), (38, 100), (32, 0), (31, "0"), (151, 100), (14, 0),
                                 (6, "0")])
        self.send("c", "G", [(41, "C0"), (11, "R0"), (55, "MSFT"), (54, "1"), (60, ts()), (38, 150), (40, "2"),
                             (44, px)])
        statuses = sorted((s.order.cl_ord_id, s.status.name) for s in self.gw.working(venue="VENUE1"))
        assert statuses == [("C0", "PENDING_REPLACE"), ("C1", "NEW")]
        return {m.get(11) for m in self.to_venue("D")}


@pytest.mark.parametrize("how", ["venue", "client"])
def test_a_pending_replace_is_canceled_with_the_rest(how):
    d = _Desk()
    venue_ids = d.two_acked_one_replace_pending()
    sent = (d.gw.cancel_venue_orders("VENUE1", "manager stopping") if how == "venue"
            else d.gw.cancel_client_orders("CLIENT1", "disconnect"))
    assert sent == 2
    assert {m.get(41) for m in d.to_venue("F")} == venue_ids     # both originals, not one
