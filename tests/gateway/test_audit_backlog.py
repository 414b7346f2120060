"""The audit trail under a lasting disk failure: its pending records are capped (audit.max_pending).
Past the cap the gateway refuses new orders with the audit_backlog reason instead of growing
memory, never drops a record of an order it accepted, and takes orders again once the disk
does. Sans-IO: a client session and a venue session of one OrderGateway."""
import errno
import os

import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.config import ConfigError, load_config
from wirespeed.gateway import audit as A, native
from wirespeed.gateway.audit import JOURNAL, AuditTrail, read_trail
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.service_config import load_service_config
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.symbols import table_from_config

REAL_WRITE = os.write


def _msgs(out, seen):
    p = FixParser(1 << 20)
    for raw in out[seen:]:
        p.feed(raw)
    msgs = []
    while (m := p.poll()) is not None:
        msgs.append(m)
    return msgs


class Path_:
    """An OrderGateway with a client and a venue session, fed encoded messages."""

    def __init__(self, trail, backend="model"):
        cfg = load_config(overrides={"risk": {"backend": backend}})
        symbols = table_from_config(cfg.symbols)
        self.gw = OrderGateway(symbols, make_backend(cfg.risk, symbols, sessions=1), audit=trail)
        self.client = Session(SessionConfig("GW", "CLIENT1", role="acceptor"), self.gw.client_app)
        self.venue = Session(SessionConfig("GW", "VENUE1", role="initiator"), self.gw.venue_app)
        self.cout, self.vout = [], []
        self.seen = {"c": 0, "v": 0}
        self.seq = {"c": 1, "v": 1}
        self.venue.connection_made(self.vout.append, lambda: None)
        self.send("v", "A", [(98, 0), (108, 30)])
        self.gw.add_venue("VENUE1", self.venue)
        self.client.connection_made(self.cout.append, lambda: None)
        self.send("c", "A", [(98, 0), (108, 30)])

    def send(self, side, msg_type, fields):
        sender, session = ("CLIENT1", self.client) if side == "c" else ("VENUE1", self.venue)
        session.data_received(encode_message("FIX.4.4", msg_type, sender, "GW", self.seq[side], fields,
                                             fix_timestamp()))
        self.seq[side] += 1

    def got(self, side):
        out = self.cout if side == "c" else self.vout
        new = _msgs(out, self.seen[side])
        self.seen[side] = len(out)
        return [m for m in new if m.msg_type not in ("A", "0")]

    def order(self, cl):
        self.send("c", "D", [(11, cl), (55, "AAPL"), (54, "1"), (60, fix_timestamp()), (38, 10), (40, "2"),
                             (44, "190.00"), (59, "0")])

    def ack(self, venue_nos, k):
        vcl = venue_nos.get(11)
        self.send("v", "8", [(37, f"V{vcl}"), (11, vcl), (17, f"E{k}"), (150, "0"), (39, "0"), (55, "AAPL"),
                             (54, "1"), (38, 10), (32, 0), (31, 0), (151, 10), (14, 0), (6, 0)])


def _failing_journal(monkeypatch, failing):
    def write(fd, data):
        if failing[0]:
            try:
                is_journal = os.readlink(f"/proc/self/fd/{fd}").endswith(JOURNAL)
            except OSError:
                is_journal = False
            if is_journal:
                raise OSError(errno.ENOSPC, "No space left on device")
        return REAL_WRITE(fd, data)
    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("backend", ["model", "native"])
def test_a_lasting_disk_failure_caps_the_backlog_refuses_new_orders_and_recovers(tmp_path, monkeypatch, backend):
    if backend == "native" and (native._path is None or native._risk is None):
        pytest.skip("gateway/native not built")
    failing = [False]
    _failing_journal(monkeypatch, failing)
    trail = AuditTrail(tmp_path, max_pending=10)
    p = Path_(trail, backend)
    # (native: the client's NewOrderSingles take the C fast path, which must refuse as well)
    assert (p.client.fast is not None) == (backend == "native")
    p.order("OK1")
    (nos,) = p.got("v")
    p.ack(nos, 1)
    assert [m.get(150) for m in p.got("c")] == ["0"]

    failing[0] = True          # the disk goes: nothing reaches the journal from here on
    accepted = []
    for k in range(4):         # each accepted order leaves 3 records (in, risk, out) pending
        p.order(f"W{k}")
        accepted += p.got("v")
    assert len(accepted) == 4 and len(trail._pending) == 12 and p.got("c") == []
    for k in range(200):       # past the cap: refused, told why, and nothing more is kept
        p.order(f"R{k}")
    refusals = p.got("c")
    assert len(refusals) == 200 and p.got("v") == []
    assert {m.get(39) for m in refusals} == {"8"} and {m.get(103) for m in refusals} == {"99"}
    assert refusals[0].get(58).startswith("audit_backlog: audit trail cannot write its journal (10 records")
    assert len(trail._pending) == 12 and trail.refused == 200
    assert p.gw.rejects_by_reason["audit_backlog"] == 200 and p.gw.counts["accepted"] == 5

    with pytest.raises(OSError):   # the timer's settle fails too (the server's timer logs it): still refusing
        p.gw.on_timer()
    p.order("R-timer")
    assert p.got("c")[0].get(58).startswith("audit_backlog")

    failing[0] = False         # the disk is back: the next retry (the timer's) writes the backlog
    p.gw.on_timer()
    assert not trail.backlogged() and trail._pending == [] and trail.refused == 0
    for k, nos in enumerate(accepted, 2):     # the orders accepted meanwhile are reported now
        p.ack(nos, k)
    assert [(m.get(11), m.get(150)) for m in p.got("c")] == [(f"W{k}", "0") for k in range(4)]
    p.order("OK2")
    assert len(p.got("v")) == 1

    trail.close()
    records = read_trail(tmp_path)
    seen_cl = {r.get("cl_ord_id") for r in records}
    assert {"OK1", "W0", "W1", "W2", "W3", "OK2"} <= seen_cl
    assert not any(str(c).startswith("R") for c in seen_cl)           # refusals are counted, not kept
    (note,) = [r for r in records if r["kind"] == "control" and r["action"] == "audit_backlog"]
    assert note["refused_orders"] == 201
    accepts = [r["cl_ord_id"] for r in records if r["kind"] == "risk" and r["decision"] == "accept"]
    assert accepts == ["OK1", "W0", "W1", "W2", "W3", "OK2"]
    assert [r["rec"] for r in records] == list(range(1, len(records) + 1))


def test_a_backlogged_trail_retries_from_the_order_path_too(tmp_path, monkeypatch):
    failing = [True]
    _failing_journal(monkeypatch, failing)
    monkeypatch.setattr(A, "RETRY_NS", 0)
    trail = AuditTrail(tmp_path, max_pending=3)
    p = Path_(trail)
    p.order("W0")
    assert len(p.got("v")) == 1
    p.order("R0")
    assert p.got("c")[0].get(58).startswith("audit_backlog")
    failing[0] = False
    p.order("OK")               # no timer: the check itself retries the disk, and it takes the order
    assert len(p.got("v")) == 1 and trail.refused == 0 and len(trail._pending) == 3
    trail.close()
    records = read_trail(tmp_path)
    assert [r["refused_orders"] for r in records if r["kind"] == "control"] == [1]


def test_max_pending_is_checked_and_named(tmp_path):
    with pytest.raises(ConfigError, match="audit.max_pending must be a positive integer, not 0"):
        AuditTrail(tmp_path, max_pending=0)
    cfg = tmp_path / "gw.toml"
    cfg.write_text('[gateway]\ncomp_id = "GW"\n[[clients]]\ncomp_id = "C1"\n[[venues]]\nname = "V"\nport = 1\n'
                   'comp_id = "V"\n[audit]\ndirectory = "a"\nmax_pending = -5\n')
    with pytest.raises(ConfigError, match="audit.max_pending: must be a positive integer of records, not -5"):
        load_service_config(str(cfg))
    cfg.write_text(cfg.read_text().replace("-5", "2000"))
    assert load_service_config(str(cfg)).audit.max_pending == 2000


def test_reports_made_while_the_journal_fails_are_held_and_sent_once_when_it_writes_again(tmp_path, monkeypatch):
    """A venue ack (and a client's status request) while the journal cannot be written: the
    sessions go on (nothing raised, no inbound number lost), the client is told nothing yet, and
    once the disk is back the held reports go out once each, in order, each in the trail."""
    failing = [False]
    _failing_journal(monkeypatch, failing)
    trail = AuditTrail(tmp_path, max_pending=1000)
    p = Path_(trail)
    failing[0] = True
    p.order("W0")
    p.order("W1")
    nos = p.got("v")
    p.ack(nos[0], 1)                       # raised OSError out of the venue session before
    p.send("c", "H", [(11, "W1"), (55, "AAPL"), (54, "1")])
    p.ack(nos[1], 2)
    assert p.got("c") == [] and p.venue.active and p.client.active
    p.send("v", "0", [])                   # the venue's next number is taken: none was consumed and lost
    assert p.venue.active and p.got("v") == []
    failing[0] = False
    p.gw.on_timer()
    got = [(m.get(11), m.get(150)) for m in p.got("c")]
    assert got == [("W0", "0"), ("W1", "I"), ("W1", "0")]     # (I: the status report)
    p.gw.on_timer()
    assert p.got("c") == []                # once each
    trail.close()
    outs = [(r["fields"][0] if r.get("fields") else None) for r in read_trail(tmp_path)
            if r["kind"] == "out" and r.get("client") == "CLIENT1"]
    assert len(outs) == 3
