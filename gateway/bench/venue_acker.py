"""A venue for the order-path bench as lean as the echo floor: the same uvloop Protocol as
echo_server.py, answering each NewOrderSingle at once with the fill ``fix-acceptor --app ack``
sends (the same ExecutionReport fields), and nothing else of an engine: no store, no dictionary,
no session checks beyond what keeps the gateway's venue session up (Logon, TestRequest, Logout).

Why: the round trip through the gateway is gateway + venue + two hops; with the Python engine
as the venue its own parse, checks and store cost more than an echo server's turn, so the ratio
to the echo floor charged the gateway for the venue. With this venue the round trip's extra over
the floor is the gateway's (docs/gateway/order_path.md "Measured").

Usage: python venue_acker.py COMP_ID [SPIN_MICROS]  (prints "listening on 127.0.0.1:PORT")
"""
import asyncio
import socket
import sys
import time

import uvloop

from wirespeed.gateway.transport.spin import Spinner

SOH = b"\x01"


def _field(frame: bytes, tag: bytes) -> bytes:
    i = frame.find(b"\x01" + tag + b"=")
    if i < 0:
        return b""
    i += len(tag) + 2
    return frame[i:frame.index(SOH, i)]


class Acker(asyncio.Protocol):
    spinner = None
    comp_id = b"VENUE"

    def connection_made(self, transport):
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport, self.buf, self.seq, self.peer, self.n = transport, b"", 1, b"GW", 0
        self._sec, self._prefix = -1, b""

    def _now(self) -> bytes:
        t = time.time_ns()
        sec = t // 1_000_000_000
        if sec != self._sec:
            self._sec, self._prefix = sec, time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(sec)).encode()
        return b"%b.%03d" % (self._prefix, t // 1_000_000 % 1000)

    def _frame(self, msg_type: bytes, body: bytes) -> bytes:
        head = b"35=%b\x0134=%d\x0149=%b\x0152=%b\x0156=%b\x01" % (msg_type, self.seq, self.comp_id, self._now(),
                                                                   self.peer)
        self.seq += 1
        msg = b"8=FIX.4.4\x019=%d\x01%b%b" % (len(head) + len(body), head, body)
        return msg + b"10=%03d\x01" % (sum(msg) & 0xFF)

    def data_received(self, data):
        buf = self.buf + data if self.buf else data
        out = []
        start = 0
        while True:
            end = buf.find(b"\x0110=", start)
            if end < 0 or len(buf) < end + 8:
                break
            frame = buf[start:end + 8]
            start = end + 8
            mt = _field(frame, b"35")
            if mt == b"D":
                self.n += 1
                qty, px = _field(frame, b"38"), _field(frame, b"44") or b"0"
                out.append(self._frame(b"8", b"37=%d\x0111=%b\x0117=%d\x01150=F\x0139=2\x0155=%b\x0154=%b\x01"
                                             b"38=%b\x0132=%b\x0131=%b\x01151=0\x0114=%b\x016=%b\x01" % (
                                                 self.n, _field(frame, b"11"), self.n, _field(frame, b"55"),
                                                 _field(frame, b"54"), qty, qty, px, qty, px)))
            elif mt == b"A":
                self.peer = _field(frame, b"49") or self.peer
                out.append(self._frame(b"A", b"98=0\x01108=%b\x01" % (_field(frame, b"108") or b"30")))
            elif mt == b"1":
                out.append(self._frame(b"0", b"112=%b\x01" % _field(frame, b"112")))
            elif mt == b"5":
                out.append(self._frame(b"5", b""))
        self.buf = buf[start:]
        if out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self.spinner is not None:
            self.spinner.touch()


async def main(comp_id: str, spin_us: float) -> None:
    Acker.comp_id = comp_id.encode()
    Acker.spinner = Spinner(spin_us) if spin_us else None
    server = await asyncio.get_running_loop().create_server(Acker, "127.0.0.1", 0)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0))
