"""The venue write's system call alone, per way of making it: ``python -m wirespeed.gateway.bench.send_flags [N]``.

The gateway's venue write is one ``send`` of a ~200-byte NewOrderSingle on a loopback TCP
connection with TCP_NODELAY, to a peer asleep in its read (the bench's venues). On loopback that
call runs the receiver's TCP input and wakes it, so most of it is the kernel's, whatever user space
does. This measures that call alone (``perf_counter_ns`` around it) for the ways the brief asks
about, in the same run, in alternating blocks so each sees the same machine: ``send`` (what
uvloop's ``transport.write`` makes), ``send`` with MSG_DONTWAIT, ``writev`` of two parts (a
header and a body without joining them), ``sendmsg``; the receiver with TCP_QUICKACK set after
each read; the sender's SO_SNDBUF at 16 KiB; and TCP_NODELAY off (Nagle: the next order waits for
the previous one's ACK, which the receiver's delayed ACK holds). Each send is answered by the
receiver (one byte) before the next, so the receiver is asleep in ``recv`` every time, as a venue
between one-at-a-time orders is. Printed as p50 / p99 and as the ratio to plain ``send`` in the
same run; no figure is asserted anywhere."""
from __future__ import annotations

import multiprocessing as mp
import os
import socket
import sys
import time

MSG = b"8=FIX.4.4\x019=178\x0135=D\x01" + b"x" * 170 + b"\x0110=000\x01"


def _receiver(port: int, quickack: bool) -> None:
    conn = socket.create_connection(("127.0.0.1", port))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    need = len(MSG)
    got = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        data = conn.recv(65536)
        if not data:
            break
        if quickack:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        got += len(data)
        while got >= need:
            got -= need
            conn.send(b"k")
    conn.close()


def _pair(quickack: bool = False, sndbuf: int = 0, nodelay: bool = True):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    proc = mp.get_context("fork").Process(target=_receiver, args=(srv.getsockname()[1], quickack), daemon=True)
    proc.start()
    srv.settimeout(30)
    sock, _ = srv.accept()
    srv.close()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if nodelay else 0)
    if sndbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.settimeout(10)
    return sock, proc


WAYS = {
    "send": lambda s: s.send(MSG),
    "send MSG_DONTWAIT": lambda s: s.send(MSG, socket.MSG_DONTWAIT),
    "writev (head, body)": lambda s: os.writev(s.fileno(), (MSG[:20], MSG[20:])),
    "sendmsg": lambda s: s.sendmsg((MSG,)),
    "send, receiver TCP_QUICKACK": lambda s: s.send(MSG),
    "send, SO_SNDBUF 16 KiB": lambda s: s.send(MSG),
    "send, TCP_NODELAY off": lambda s: s.send(MSG),
}
SETUP = {"send, receiver TCP_QUICKACK": {"quickack": True}, "send, SO_SNDBUF 16 KiB": {"sndbuf": 16384},
         "send, TCP_NODELAY off": {"nodelay": False}}


def run(n: int = 4000, block: int = 200) -> dict[str, list[int]]:
    pairs = {name: _pair(**SETUP.get(name, {})) for name in WAYS}
    times: dict[str, list[int]] = {name: [] for name in WAYS}
    clock = time.perf_counter_ns
    try:
        for _ in range(max(1, n // block)):
            for name, way in WAYS.items():
                sock = pairs[name][0]
                for k in range(block + 10):
                    t = clock()
                    way(sock)
                    dt = clock() - t
                    if sock.recv(1) != b"k":
                        raise RuntimeError("receiver gone")
                    if k >= 10:                     # (the first of a block: after the others' turns)
                        times[name].append(dt)
    finally:
        for sock, proc in pairs.values():
            try:        # (shutdown, not only close: later receivers were forked holding this socket)
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
    return times


def _pct(v: list[int], p: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, int(p * len(s)))] / 1000


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 4000
    times = run(n)
    base50, base99 = _pct(times["send"], 0.5), _pct(times["send"], 0.99)
    print(f"the venue write's system call alone, {n} sends a way, loopback TCP, receiver asleep "
          f"(load {os.getloadavg()[0]:.1f}, {time.strftime('%H:%M UTC', time.gmtime())})")
    print(f"{'way':32} {'p50 us':>8} {'p99 us':>8} {'p50 / send':>11} {'p99 / send':>11}")
    for name, v in times.items():
        p50, p99 = _pct(v, 0.5), _pct(v, 0.99)
        print(f"{name:32} {p50:8.2f} {p99:8.2f} {p50 / base50:10.2f}x {p99 / base99:10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
