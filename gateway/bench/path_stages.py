"""Where the fast path's time goes, stage by stage: ``python -m wirespeed.gateway.bench.path_stages [COUNT]``.

One process, no event loop: an ``OrderGateway`` with the ``native`` risk core, a client session
and a venue session whose writes are real ``send`` calls on loopback socket pairs (the peer ends
drained between orders, outside the stamps), file stores in a temporary folder as the service
keeps them. Each order is one client read; each venue fill of it one venue read. Stamped with
``perf_counter_ns`` (the clock the C path stamps with, CLOCK_MONOTONIC):

client side (NewOrderSingle received -> venue written, what ``client->venue`` measures, from
``Session.data_received``; the service stamps earlier, in the transport's read callback):
  python before C   data_received -> the C call entered (Session.data_received, on_read's prelude)
  C decode          the call entered -> decoded (frame, checks, decode, route, id, Order, venue values)
  risk              decoded -> risk decided (RiskCore.order)
  encode + store    risk decided -> before the venue write (MsgSeqNum, template, store append)
  venue send        the write's system call
  C return          written -> the call returned (the record, the client's inbound number)
  python booking    the call returned -> data_received returned (the books, after the write)

venue-report side (ExecutionReport received -> client written), with the client send in C (the C
call applies the report, renders the client's fields and writes them: MsgSeqNum, template, store
append, write) and, the "before", with Python's (``gw.c_client_send = False``): the C call
applies and renders, then Python books until the client send (the trail, counts, open
notional), sends (``_to_client``: the trail's flush, MsgSeqNum, template, store append, write)
and books the rest (``_end``, the hop).

Printed as p50 / p99 in microseconds; the load average is printed with them (shared cores)."""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import time

from wirespeed.clock import fix_timestamp
from wirespeed.config import load_config
from wirespeed.symbols import table_from_config

from ..fix.encoder import encode_message
from ..orders import OrderGateway
from ..risk import make_backend
from ..session import Session, SessionConfig
from ..store import FileStore

RISK = {"default": {"max_qty": 500, "collar_ticks": 60, "long_limit": 2**32 - 1, "short_limit": 2**32 - 1},
        "credit_limit": 2**62, "session_rate": 10**6, "session_burst": 65535, "backend": "native"}

CLIENT_STAGES = ("python before C", "C decode", "risk", "encode + store", "venue send", "C return", "python booking",
                 "gateway-added (received -> venue written)")
REPORT_STAGES = ("python before C", "C call (applied; C send: written)", "python before the client send",
                 "client send (Python's)", "python after", "venue report received -> client written")


def _pair():
    """A loopback TCP connection (TCP_NODELAY, as the transport sets it): (our end, the peer's)."""
    with socket.create_server(("127.0.0.1", 0)) as srv:
        a = socket.create_connection(srv.getsockname())
        b, _ = srv.accept()
    for s in (a, b):
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return a, b


def _drain(sock) -> None:
    try:
        while sock.recv(1 << 16):
            pass
    except BlockingIOError:
        pass


class Stages:
    """The gateway and its two sessions, with the C calls and the client send wrapped by stamps."""

    def __init__(self, tmp: str, c_send: bool = True):
        cfg = load_config(overrides={"risk": RISK})
        self.symbols = table_from_config(cfg.symbols)
        gw = self.gw = OrderGateway(self.symbols, make_backend(cfg.risk, self.symbols, sessions=1))
        gw.c_client_send = c_send
        # The report's stages are read from its record (the write's stamp): with the booking in C
        # (native/book.h) a booked report has none, so here Python books it (the load bench measures
        # the C booking's CPU).
        gw.c_book = False
        gw.c_new_book = False       # (the same for the new order's: its stages are read from its record)
        self.client = Session(SessionConfig("GW", "CLIENT1", role="acceptor", max_messages_per_second=10**6),
                              gw.client_app, store=FileStore(tmp, "client"))
        self.venue = Session(SessionConfig("GW", "VENUE1", role="initiator", max_messages_per_second=10**6),
                             gw.venue_app, store=FileStore(tmp, "venue"))
        self.csock, self.cpeer = _pair()
        self.vsock, self.vpeer = _pair()
        self.venue.connection_made(self.vsock.send, lambda: None)
        self.vseq = 1
        self.venue.data_received(self._frame("A", [(98, 0), (108, 30)], "VENUE1"))
        gw.add_venue("VENUE1", self.venue)
        self.cseq = 1
        self.client.connection_made(self.csock.send, lambda: None)
        self.client.data_received(self._frame("A", [(98, 0), (108, 30)], "CLIENT1"))
        self.marks: dict[str, int] = {}
        self.records: list = []

    def _frame(self, msg_type, fields, sender):
        if sender == "CLIENT1":
            seq, self.cseq = self.cseq, self.cseq + 1
        else:
            seq, self.vseq = self.vseq, self.vseq + 1
        return encode_message("FIX.4.4", msg_type, sender, "GW", seq, fields, fix_timestamp())

    def wrap(self) -> None:
        """Stamp the C calls' entry and return, and the client send, through the objects' own attributes."""
        marks, records = self.marks, self.records
        cf, vf, gw = self.client.fast, self.venue.fast, self.gw

        def timed(run, key):
            def call(*args):
                marks[key + " in"] = time.perf_counter_ns()
                out = run(*args)
                marks[key + " out"] = time.perf_counter_ns()
                records.extend(out[1])
                return out
            return call
        cf._run = timed(cf._run, "run")
        vf._run = timed(vf._run, "reports")
        to_client = gw._to_client

        def sent(*args):
            marks["send in"] = time.perf_counter_ns()
            to_client(*args)
            marks["send out"] = time.perf_counter_ns()
        gw._to_client = sent

    def one(self, k: int, sym: str, px: str) -> tuple[list[int], list[int]]:
        order = self._frame("D", [(11, f"C{k}"), (55, sym), (54, "12"[k % 2]), (60, fix_timestamp()), (38, 100),
                                  (40, "2"), (44, px), (59, "0")], "CLIENT1")
        self.records.clear()
        t0 = time.perf_counter_ns()
        self.client.data_received(order, t0)
        t_end = time.perf_counter_ns()
        rec = self.records[0]
        if rec[0] != 0:
            raise RuntimeError(f"order {k} did not take the fast path ({self.gw.fast_fallbacks})")
        _, _, _, _, r0, t1, t2, t3, *_, tw = rec
        m = self.marks
        client = [m["run in"] - t0, t1 - m["run in"], t2 - t1, tw - t2, t3 - tw, m["run out"] - t3,
                  t_end - m["run out"], t3 - t0]
        _drain(self.vpeer)
        vcl = self.gw.orders[rec[1].order_id].venue_cl
        fill = self._frame("8", [(37, f"V{k}"), (11, vcl), (17, f"E{k}"), (150, "F"), (39, "2"), (55, sym),
                                 (54, "12"[k % 2]), (38, 100), (32, 100), (31, px), (151, 0), (14, 100), (6, px)],
                           "VENUE1")
        self.records.clear()
        t0 = time.perf_counter_ns()
        self.venue.data_received(fill, t0)
        t_end = time.perf_counter_ns()
        if not self.records or self.records[0][0] is None:
            raise RuntimeError(f"fill {k} did not take the report fast path ({self.gw.report_fallbacks})")
        rec = self.records[0]
        if rec[11] == 1:           # written in the C call, at rec[13]
            report = [m["reports in"] - t0, m["reports out"] - m["reports in"], 0, 0, t_end - m["reports out"],
                      rec[13] - t0]
        else:
            report = [m["reports in"] - t0, m["reports out"] - m["reports in"], m["send in"] - m["reports out"],
                      m["send out"] - m["send in"], t_end - m["send out"], m["send out"] - t0]
        _drain(self.cpeer)
        return client, report


def run(count: int = 3000, c_send: bool = True):
    with tempfile.TemporaryDirectory() as tmp:
        st = Stages(tmp, c_send)
        sym = st.symbols.by_name("AAPL")
        px = sym.tick.format(sym.reference_ticks)
        # the first orders of a shape teach it (the Python path), the first order gives the session its index
        for k in range(3):
            st.client.data_received(st._frame("D", [(11, f"W{k}"), (55, sym.name), (54, "1"), (60, fix_timestamp()),
                                                    (38, 100), (40, "2"), (44, px), (59, "0")], "CLIENT1"))
            vcl = max(st.gw.orders.values(), key=lambda s: s.order.order_id).venue_cl
            st.venue.data_received(st._frame("8", [(37, f"VW{k}"), (11, vcl), (17, f"EW{k}"), (150, "F"), (39, "2"),
                                                   (55, sym.name), (54, "1"), (38, 100), (32, 100), (31, px),
                                                   (151, 0), (14, 100), (6, px)], "VENUE1"))
        _drain(st.vpeer)
        _drain(st.cpeer)
        st.wrap()
        client, report = [[] for _ in CLIENT_STAGES], [[] for _ in REPORT_STAGES]
        for k in range(count):
            c, r = st.one(k, sym.name, px)
            for lst, v in zip(client, c):
                lst.append(v)
            for lst, v in zip(report, r):
                lst.append(v)
        st.client.store.close()
        st.venue.store.close()
    return client, report


#: the marks of a PATH_PROFILE build of native/path.c (CFLAGS=-DPATH_PROFILE python setup.py build_ext --inplace)
PROFILE_MARKS = ("header, MsgType", "shape program", "frame check (BodyLength, CheckSum)", "MsgSeqNum, CompIDs, SendingTime",
                 "symbol, values decoded", "route, venue checks", "live ClOrdID, client limits, index",
                 "order id", "Order made", "venue values rendered", "store: the record, its number (before the write)",
                 "record, client inbound number", "store: the sync mark (after the write)")


def _pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    from ..native import _path
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    _path.profile()
    py_client, py_report = run(count, c_send=False)
    _path.profile()
    client, report = run(count)
    prof = _path.profile()
    print(f"\nfast path stages, {count} orders and their fills, one a read (perf_counter_ns; p50 / p99 us)")
    print("  client NewOrderSingle -> venue")
    for name, v in zip(CLIENT_STAGES, client):
        print(f"    {name:<46} {_pct(v, .5) / 1e3:8.2f} {_pct(v, .99) / 1e3:8.2f}")
    print("  venue ExecutionReport -> client: the client send by Python (before) | from the C call (after)")
    for name, b, a in zip(REPORT_STAGES, py_report, report):
        print(f"    {name:<46} {_pct(b, .5) / 1e3:8.2f} {_pct(b, .99) / 1e3:8.2f} | "
              f"{_pct(a, .5) / 1e3:8.2f} {_pct(a, .99) / 1e3:8.2f}")
    b, a = py_report[-1], report[-1]
    print(f"    received -> client written, C send / Python send: p50 {_pct(a, .5) / _pct(b, .5):.2f}x, "
          f"p99 {_pct(a, .99) / _pct(b, .99):.2f}x")
    if prof is not None:
        print("  the C call's marks (a PATH_PROFILE build; mean over the orders of the run, us):")
        for name, total in zip(PROFILE_MARKS, prof):
            print(f"    {name:<46} {total / (count + 3) / 1e3:8.2f}")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
