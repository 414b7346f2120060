"""The gateway's OUCH 5.0 / SoupBinTCP client side (wirespeed.gateway.ouch) against a server
wirespeed did not write: ouch-connect's ``SvcManual`` (PyPI; over the Rust crate
ouch_connect_nonblocking). It reads the gateway's Login Request, heartbeat, Replace Order and
Cancel Order bytes; the gateway reads its Login Accepted / Rejected, heartbeats, End of Session
and the OUCH messages both agree on: System Event, Executed, Rejected. (ouch-connect 5.0.1 writes
Symbol as 9 bytes and a Canceled with an OrigUserRefNum, which OUCH 5.0 does not have: see
tests/sim/test_venue_ouch_outside.py; those are not exchanged here.)
"""
import socket
import time

import pytest

from wirespeed.enums import TimeInForce
from wirespeed.gateway.ouch import messages as gm
from wirespeed.gateway.ouch.soup import SoupClient

ouch_connect = pytest.importorskip("ouch_connect")
callbacks = pytest.importorskip("links_connect.callbacks")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _events(sock, client, n, timeout=5.0):
    """The next ``n`` events the gateway's SoupClient makes of what the server sends."""
    out, deadline = [], time.monotonic() + timeout
    while len(out) < n:
        assert time.monotonic() < deadline, f"{len(out)} of {n} events: {out}"
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        data = sock.recv(4096)
        assert data, f"the server closed the connection after {out}"
        out += client.feed(data)
    return out


def test_gateway_soup_client_against_ouch_connect_server():
    port = _free_port()
    store = callbacks.MemoryStoreCallback(default_find_timeout=5)
    with ouch_connect.SvcManual(f"127.0.0.1:{port}", store, name="svc") as svc:
        client = SoupClient("TRADER", "SECRET", "S1")
        client.next_seq = 7                          # (a reconnection: from message 7 on)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(client.login())
            login = store.find_recv("svc", {"LoginRequest": {}})
            svc.send({"LoginAccepted": {"session_id": "S1", "sequence_number": "7"}})
            accepted = _events(sock, client, 1) + [client.logged_in, client.next_seq]
            sock.sendall(client.heartbeat())
            beat = store.find_recv("svc", {"HBeat": {}})
            sock.sendall(client.unsequenced(gm.replace_order(11, 12, 300, 1_234_500, TimeInForce.DAY)))
            sock.sendall(client.unsequenced(gm.cancel_order(12, 100)))
            replace = store.find_recv("svc", {"UPayload": {"ReplaceOrder": {}}})
            cancel = store.find_recv("svc", {"UPayload": {"CancelOrder": {}}})
            for msg in ({"SPayload": {"SystemEvent": {"timestamp": 1, "event_code": "START_OF_DAY"}}},
                        {"SPayload": {"OrderExecuted": {
                            "timestamp": 2, "user_ref_number": 12, "quantity": 40, "price": 123.45,
                            "liquidity_flag": "ADDED", "match_number": 987654321, "appendages": {}}}},
                        {"SPayload": {"OrderRejected": {"timestamp": 3, "user_ref_number": 13, "reject_reason": 0x1D,
                                                        "clt_order_id": "C13"}}},
                        {"HBeat": {}}, {"EndOfSession": {}}):
                svc.send(msg)
            events = _events(sock, client, 5)
    assert login.msg == {"LoginRequest": {"username": "TRADER", "password": "SECRET", "session_id": "S1",
                                          "sequence_number": "7"}}
    assert accepted == [("login", b"S1"), True, 7]
    assert beat is not None
    r = replace.msg["UPayload"]["ReplaceOrder"]
    assert (r["orig_user_ref_number"], r["user_ref_number"], r["quantity"], r["price"], r["time_in_force"]) == \
        (11, 12, 300, 123.45, "MARKET_HOURS")
    assert r["clt_order_id"].strip() == f"{12:08X}"
    c = cancel.msg["UPayload"]["CancelOrder"]
    assert (c["user_ref_number"], c["quantity"]) == (12, 100)
    kinds = [k for k, _ in events]
    assert kinds == ["data", "data", "data", "heartbeat", "end"] and client.next_seq == 10
    system, executed, rejected = (gm.decode(p) for _, p in events[:3])
    assert system.kind == "system" and system.reason == "S"
    assert (executed.kind, executed.user_ref, executed.qty, executed.price4, executed.match) == \
        ("executed", 12, 40, 1_234_500, 987654321)
    assert (rejected.kind, rejected.user_ref, rejected.reason) == ("rejected", 13, "0x001D")
