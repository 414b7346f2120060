"""Round-trip client for ``make bench``: stdlib only, a separate process, not the code under test.

Usage: python rtt_client.py ROUNDS PER_ROUND WARMUP fix|echo:PORT [fix|echo:PORT ...]

Connects to every server once (a FIX acceptor gets a Logon first), then, round after round,
sends each server in turn PER_ROUND + WARMUP NewOrderSingles one at a time and waits for each
answer (an ExecutionReport, or the same bytes back from an echo server), timing each with
perf_counter_ns. The first WARMUP of each block are not recorded: the server has been idle
while the others were measured. One process measuring every server in short alternating
blocks pairs the series: whatever the machine does (where the scheduler puts this client,
how busy the host is), every server sees the same share of it. Prints one line of JSON: one
list of RTTs (ns) per server, in the order given.
"""
import json
import socket
import sys
import time


def frame(body: str) -> bytes:
    msg = f"8=FIX.4.4\x019={len(body)}\x01{body}".encode()
    return msg + b"10=%03d\x01" % (sum(msg) % 256)


def message(msg_type: str, seq: int, fields: str) -> bytes:
    now = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()) + ".000"
    return frame(f"35={msg_type}\x0149=BENCH\x0156=GW\x0134={seq}\x0152={now}\x01{fields}")


def read_message(sock: socket.socket, buf: bytearray) -> bytes:
    while True:
        end = buf.find(b"\x0110=")
        if end >= 0 and len(buf) >= end + 8:
            msg = bytes(buf[:end + 8])
            del buf[:end + 8]
            return msg
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buf += data


class Target:
    """One server: its socket, read buffer and (for FIX) next MsgSeqNum."""

    def __init__(self, mode: str, port: int):
        if mode not in ("fix", "echo"):
            raise SystemExit(f"rtt_client: mode must be fix or echo, not {mode!r}")
        self.mode, self.buf, self.seq, self.sent = mode, bytearray(), 1, 0
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if mode == "fix":
            self.sock.sendall(message("A", self.next_seq(), "98=0\x01108=30\x01141=Y\x01"))
            read_message(self.sock, self.buf)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq - 1

    def orders(self, n: int) -> list[bytes]:
        """The next ``n`` orders, stamped now (SendingTime stays within the acceptor's window)."""
        out = []
        for _ in range(n):
            self.sent += 1
            out.append(message("D", self.next_seq(), f"11=B{self.sent}\x0155=AAPL\x0154=1\x0160=20261122-10:00:00"
                                                     f"\x0138=100\x0140=2\x0144=190.25\x0159=0\x01"))
        return out

    def close(self) -> None:
        if self.mode == "fix":
            self.sock.sendall(message("5", self.next_seq(), ""))
        self.sock.close()


def main() -> None:
    rounds, per_round, warmup = (int(a) for a in sys.argv[1:4])
    targets = [Target(mode, int(port)) for mode, port in (a.split(":") for a in sys.argv[4:])]
    rtts: list[list[int]] = [[] for _ in targets]
    for _ in range(rounds):
        for target, out in zip(targets, rtts):
            sock, buf = target.sock, target.buf
            for i, msg in enumerate(target.orders(warmup + per_round)):
                t0 = time.perf_counter_ns()
                sock.sendall(msg)
                read_message(sock, buf)
                t1 = time.perf_counter_ns()
                if i >= warmup:
                    out.append(t1 - t0)
    for target in targets:
        target.close()
    print(json.dumps(rtts))


if __name__ == "__main__":
    main()
