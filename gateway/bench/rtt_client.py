"""Round-trip client for ``make bench``: stdlib only, a separate process, not the code under test.

Usage: python rtt_client.py fix|echo PORT COUNT WARMUP
Sends NewOrderSingles one at a time and waits for each answer (an ExecutionReport
from a FIX acceptor, or the same bytes back from an echo server), timing each with
perf_counter_ns. Prints one line of JSON: the RTTs in ns.
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


def main() -> None:
    mode, port, count, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray()
    seq = 1
    if mode == "fix":
        sock.sendall(message("A", seq, "98=0\x01108=30\x01141=Y\x01"))
        read_message(sock, buf)
        seq += 1
    orders = [message("D", seq + i, f"11=B{i}\x0155=AAPL\x0154=1\x0160=20261122-10:00:00\x0138=100\x01"
                      f"40=2\x0144=190.25\x0159=0\x01") for i in range(count + warmup)]
    rtts = []
    for i, msg in enumerate(orders):
        t0 = time.perf_counter_ns()
        sock.sendall(msg)
        read_message(sock, buf)
        t1 = time.perf_counter_ns()
        if i >= warmup:
            rtts.append(t1 - t0)
    if mode == "fix":
        sock.sendall(message("5", seq + len(orders), ""))
    sock.close()
    print(json.dumps(rtts))


if __name__ == "__main__":
    main()
