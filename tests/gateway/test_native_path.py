"""The same message stream through the order path twice — the native path (C codec, ``native``
risk) and the Python path (``WIRESPEED_NATIVE=0``'s codec, the golden model) — and every byte
written to the client and to the venue compared.

Sans-IO: a client session and a venue session of one ``OrderGateway`` are fed pre-encoded
messages; what the venue is sent decides what it answers (its ClOrdIDs), so the script is the
same for both runs only as long as the bytes are. SendingTime / TransactTime, order ids and
ExecIDs are pinned, so the two runs can be compared byte for byte."""
import random

import pytest

from wirespeed.clock import fix_timestamp as real_timestamp
from wirespeed.config import load_config
from wirespeed.gateway import native, orders as orders_mod
from wirespeed.gateway.fix import orders as fix_orders
from wirespeed.gateway.fix import encoder as encoder_mod
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix import parser as parser_mod
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.gateway.session import Session, SessionConfig
from wirespeed.gateway.session import session as session_mod
from wirespeed.ids import OrderIds, StringIds
from wirespeed.symbols import table_from_config

pytestmark = pytest.mark.skipif(native._fix is None or native._risk is None, reason="gateway/native not built")

PINNED = "20261201-12:00:00.000"
RISK = {"default": {"max_qty": 500, "collar_ticks": 60, "long_limit": 2000, "short_limit": 2000},
        "credit_limit": 400_000_000, "session_rate": 5000.0, "session_burst": 50}


def _pinned_timestamp(epoch_ns=None):
    return PINNED if epoch_ns is None else real_timestamp(epoch_ns)


def _msgs(raw_list):
    p = FixParser(1 << 20)
    for raw in raw_list:
        p.feed(raw)
    out = []
    while (m := p.poll()) is not None:
        out.append(m)
    return out


def _run(backend: str, seed: int):
    cfg = load_config(overrides={"risk": {**RISK, "backend": backend}})
    symbols = table_from_config(cfg.symbols)
    now = [1_000]
    gw = OrderGateway(symbols, make_backend(cfg.risk, symbols, sessions=1, clock=lambda: now[0]))
    gw._ids, gw._exec_ids = OrderIds(epoch_ns=10**12), StringIds("W", epoch_ns=10**12)
    client = Session(SessionConfig("GW", "CLIENT1", role="acceptor"), gw.client_app)
    venue = Session(SessionConfig("GW", "VENUE1", role="initiator"), gw.venue_app)
    cout, vout = [], []
    venue.connection_made(vout.append, lambda: None)
    venue.data_received(encode_message("FIX.4.4", "A", "VENUE1", "GW", 1, [(98, 0), (108, 30)], real_timestamp()))
    gw.add_venue("VENUE1", venue)
    client.connection_made(cout.append, lambda: None)
    seqs = {"c": 2, "v": 2}

    def send(side, msg_type, fields):
        sender, session = ("CLIENT1", client) if side == "c" else ("VENUE1", venue)
        raw = encode_message("FIX.4.4", msg_type, sender, "GW", seqs[side], fields, real_timestamp())
        seqs[side] += 1
        session.data_received(raw)

    client.data_received(encode_message("FIX.4.4", "A", "CLIENT1", "GW", 1, [(98, 0), (108, 30)], real_timestamp()))
    rng = random.Random(seed)
    names = [s.name for s in symbols]
    live = {}            # venue ClOrdID -> [client ClOrdID, qty, cum, symbol, side, acked]
    seen = [0]

    def venue_got():
        new = _msgs(vout[seen[0]:])
        seen[0] = len(vout)
        return new

    def report(vcl, o, exec_type, status, last, k, orig=None):
        sym = symbols.by_name(o[3])
        px = sym.tick.format(sym.reference_ticks)
        fields = [(37, f"V{vcl}"), (11, vcl), (17, f"E{k}"), (150, exec_type), (39, status), (55, o[3]),
                  (54, o[4]), (38, o[1]), (32, last), (31, px), (151, o[1] - o[2]), (14, o[2]), (6, px)]
        if orig:
            fields.insert(2, (41, orig))
        send("v", "8", fields)

    for k in range(500):
        now[0] += rng.choice([0, 50_000, 1_000_000])
        roll = rng.random()
        if roll < 0.5 or not live:
            name = rng.choice(names * 4 + ["NOPE"])
            sym = symbols.by_name(name)
            ref = sym.tick.format(sym.reference_ticks) if sym else "10.00"
            off = sym.tick.format(sym.reference_ticks + rng.randint(-90, 90)) if sym else ref
            price = rng.choice([ref] * 6 + [off] * 3 + ["12.345", "abc", "-1"])
            qty = rng.choice(["100"] * 5 + [str(rng.randint(1, 700))] * 4 + ["0", "10.5", "1e2"])
            fields = [(11, f"C{k}"), (55, name), (54, rng.choice("111222235")), (60, real_timestamp()), (38, qty),
                      (40, rng.choice("2222221")), (44, price), (59, rng.choice(["0"] * 6 + ["1", "3", "9"]))]
            if rng.random() < 0.05:
                fields.pop(rng.randrange(len(fields)))
            send("c", "D", fields)
            for m in venue_got():
                if m.msg_type == "D":
                    live[m.get(11)] = [f"C{k}", int(m.get(38)), 0, m.get(55), m.get(54), False]
        elif roll < 0.85:
            vcl = rng.choice(sorted(live))
            o = live[vcl]
            if not o[5]:
                o[5] = True
                report(vcl, o, "0", "0", 0, k)
                continue
            last = o[1] - o[2] if rng.random() < 0.4 else max((o[1] - o[2]) // 3, 1)
            o[2] += last
            report(vcl, o, "F", "2" if o[2] == o[1] else "1", last, k)
            if o[2] == o[1]:
                del live[vcl]
        elif roll < 0.95:
            vcl = rng.choice(sorted(live))
            o = live[vcl]
            send("c", "F", [(41, o[0]), (11, f"X{k}"), (55, o[3]), (54, o[4]), (60, real_timestamp()), (38, o[1])])
            for m in venue_got():
                if m.msg_type == "F":
                    del live[vcl]
                    o[1] = o[2]    # what is left is canceled
                    report(m.get(11), o, "4", "4", 0, k, orig=vcl)
        elif roll < 0.97:
            o = live[rng.choice(sorted(live))]
            send("c", "H", [(11, o[0]), (55, o[3]), (54, o[4])])
        else:   # a replace the venue leaves pending (its fills still count): off the venue's list
            vcl = rng.choice(sorted(live))
            o = live.pop(vcl)
            sym = symbols.by_name(o[3])
            send("c", "G", [(41, o[0]), (11, f"R{k}"), (55, o[3]), (54, o[4]), (60, real_timestamp()),
                            (38, o[1] + rng.choice([-1, 5, 1000])), (40, "2"),
                            (44, sym.tick.format(sym.reference_ticks + rng.choice([0, 1, 500])))])
    return b"".join(cout), b"".join(vout), dict(gw.counts)


def test_native_and_python_paths_write_the_same_bytes(monkeypatch):
    for mod in (session_mod, orders_mod, encoder_mod):
        monkeypatch.setattr(mod, "fix_timestamp", _pinned_timestamp)
    native_run = _run("native", 5)
    assert fix_orders._NATIVE is not None
    monkeypatch.setattr(native, "ENABLED", False)          # templates made from here on: the f-strings
    for name in ("_NATIVE", "_REPORT", "_VENUE_ID", "_VALUES"):    # the Python decoders and values
        monkeypatch.setattr(fix_orders, name, None)
    monkeypatch.setattr(parser_mod, "_FRAME_OK", None)     # the parser's Python frame check
    from wirespeed.order import Order
    monkeypatch.setattr(fix_orders, "_ORDER", Order)       # the Order record (its key) built in Python
    python_run = _run("model", 5)
    client_bytes, venue_bytes, counts = native_run
    assert client_bytes == python_run[0]
    assert venue_bytes == python_run[1]
    assert counts == python_run[2]
    # the stream is worth comparing: accepts, risk rejects, decode rejects, fills, cancels
    assert counts["accepted"] > 60 and counts["rejected"] > 50 and counts["fills"] > 50, counts
    assert counts["canceled"] > 10 and counts["illegal"] == 0, counts
    assert b"\x0135=G\x01" in venue_bytes and b"\x0135=9\x01" in client_bytes    # replaces, and refusals
    texts = {m.get(58) for m in _msgs([client_bytes]) if m.get(58)}
    assert any("OrderQty(38)" in t for t in texts) and any(t.startswith("risk: ") for t in texts), texts
