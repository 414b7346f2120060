"""The venue's OUCH 5.0 / SoupBinTCP front end, driven with the Enter Order bytes that
wirespeed.gateway.ouch (the hardware encoder's golden model) produces."""
import asyncio
import struct

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.ouch import OuchSymbol, enter_order, soup_unsequenced
from wirespeed.order import Order
from wirespeed.prices import TickSize
from wirespeed.sim.ouch import messages as om
from wirespeed.sim.ouch.soup import FrameReader, login_request, packet
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
from wirespeed.sim.venue import ouch as venue_ouch
from wirespeed.sim.venue.config import FeedSpec

SPEC = VenueSpec("BETA", ouch_users={"TRADER": "SECRET"}, feed=FeedSpec(enabled=False),
                 symbols=(VenueSymbol("AAPL", "0.01", "100.00", levels=2, level_qty=100),))
AAPL = OuchSymbol.of("AAPL", TickSize.parse("0.01"))


class Client:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.frames = reader, writer, FrameReader()
        self.pending = []

    @classmethod
    async def connect(cls, port):
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    def send(self, data):
        self.writer.write(data)

    async def next(self, kinds=(b"A", b"J", b"S", b"+", b"Z"), timeout=2.0):
        """The next packet of one of ``kinds`` (heartbeats skipped unless asked for)."""
        while True:
            while self.pending:
                kind, payload = self.pending.pop(0)
                if kind in kinds:
                    return kind, payload
            data = await asyncio.wait_for(self.reader.read(4096), timeout)
            if not data:
                return None, b""
            self.pending += self.frames.feed(data)

    async def sequenced(self, n=1):
        out = []
        for _ in range(n):
            kind, payload = await self.next((b"S",))
            out.append(payload)
        return out

    def close(self):
        self.writer.close()


def _order(ref, side, qty, price_ticks, tif=TimeInForce.DAY):
    return Order(ref, "", 1, 1, side, OrdType.LIMIT, tif, qty, price_ticks)


def _replace(orig, ref, qty, price4):
    return soup_unsequenced(om.REPLACE.pack(b"U", orig, ref, qty, price4, b"0", b"Y", b"N", b"R%d" % ref, 0))


async def _scenario(monkeypatch):
    monkeypatch.setattr(venue_ouch, "HEARTBEAT_S", 0.05)
    venue = SimVenue(SPEC)
    await venue.start()
    out = {}
    try:
        bad = await Client.connect(venue.ouch_port)
        bad.send(login_request("TRADER", "WRONG"))
        out["bad_login"] = await bad.next()
        c = await Client.connect(venue.ouch_port)
        c.send(login_request("TRADER", "SECRET", "BETA", 0))
        out["login"] = await c.next()
        # A passive buy (rests), a marketable buy through both maker levels.
        c.send(soup_unsequenced(enter_order(_order(1, Side.BUY, 50, 9900), AAPL)))
        out["accepted"] = (await c.sequenced())[0]
        c.send(soup_unsequenced(enter_order(_order(2, Side.BUY, 150, 10100), AAPL)))
        out["marketable"] = await c.sequenced(3)
        # Replace: size down at the same price, then a new price; cancel down to 10, then all.
        c.send(_replace(1, 3, 40, 990000))
        out["replaced"] = (await c.sequenced())[0]
        c.send(_replace(3, 4, 40, 995000))
        out["moved"] = (await c.sequenced())[0]
        c.send(soup_unsequenced(om.CANCEL.pack(b"X", 4, 10)))
        out["reduced"] = (await c.sequenced())[0]
        c.send(soup_unsequenced(om.CANCEL.pack(b"X", 4, 0)))
        out["canceled"] = (await c.sequenced())[0]
        # Rejects: off-tick, unknown symbol, a short Enter Order; a type OUCH 5.0 has but we do not.
        c.send(soup_unsequenced(enter_order(_order(5, Side.BUY, 10, 9900), AAPL)[:18] +
                                struct.pack(">q", 990050) + enter_order(_order(5, Side.BUY, 10, 9900), AAPL)[26:]))
        out["off_tick"] = (await c.sequenced())[0]
        c.send(soup_unsequenced(enter_order(_order(6, Side.BUY, 10, 9900), OuchSymbol("MSFT", 100))))
        out["unknown"] = (await c.sequenced())[0]
        c.send(soup_unsequenced(enter_order(_order(7, Side.BUY, 10, 9900), AAPL)[:30]))
        out["short"] = (await c.sequenced())[0]
        c.send(soup_unsequenced(b"M" + bytes(8)))
        out["debug"] = await c.next((b"+",))
        out["heartbeat"] = await c.next((b"H",))
        # A second user is refused while this one is connected... and a broken frame closes only
        # the connection that sent it.
        dup = await Client.connect(venue.ouch_port)
        dup.send(login_request("TRADER", "SECRET"))
        out["dup_login"] = await dup.next()
        broken = await Client.connect(venue.ouch_port)
        broken.send(b"\x00\x00")
        out["broken"] = await broken.next()
        c.send(soup_unsequenced(enter_order(_order(8, Side.SELL, 5, 10500), AAPL)))
        out["still_served"] = (await c.sequenced())[0]
        # Log in again from sequence 1: the whole stream is replayed in order.
        c.send(packet(b"O"))                                      # Logout Request
        out["logout_eof"] = await c.next((None,), timeout=1)
        c.close()
        await asyncio.sleep(0.05)
        again = await Client.connect(venue.ouch_port)
        again.send(login_request("TRADER", "SECRET", "", 1))
        out["relogin"] = await again.next()
        out["replay"] = await again.sequenced(12)
        again.close()
    finally:
        await venue.stop()
    return out


def test_ouch_front_end(monkeypatch):
    out = asyncio.run(_scenario(monkeypatch))
    assert out["bad_login"] == (b"J", b"A")
    assert out["login"] == (b"A", b"BETA      " + b"1".rjust(20))
    a = om.ACCEPTED.unpack(out["accepted"])
    assert (a[0], a[2], a[3], a[4], a[5], a[6], a[7], a[13]) == (b"A", 1, b"B", 50, b"AAPL    ", 990000, b"0", b"L")
    kinds = [m[:1] for m in out["marketable"]]
    assert kinds == [b"A", b"E", b"E"]
    fills = [om.EXECUTED.unpack(m) for m in out["marketable"][1:]]
    assert [(f[2], f[3], f[4], f[5]) for f in fills] == [(2, 100, 1_000_100, b"R"), (2, 50, 1_000_200, b"R")]
    r = om.REPLACED.unpack(out["replaced"])
    assert (r[0], r[2], r[3], r[5], r[7], r[14]) == (b"U", 1, 3, 40, 990000, b"L")
    m = om.REPLACED.unpack(out["moved"])
    assert (m[2], m[3], m[7]) == (3, 4, 995000)
    assert om.CANCELED.unpack(out["reduced"])[2:] == (4, 30, b"U")
    assert om.CANCELED.unpack(out["canceled"])[2:] == (4, 10, b"U")
    for key, ref, reason in (("off_tick", 5, 0x1D), ("unknown", 6, 0x17), ("short", 7, 0x0F)):
        j = om.REJECTED.unpack(out[key])
        assert (j[0], j[2], j[3]) == (b"J", ref, reason), key
    assert out["debug"][0] == b"+" and b"not supported" in out["debug"][1]
    assert out["heartbeat"] == (b"H", b"")
    assert out["dup_login"] == (b"J", b"S")
    assert out["broken"] == (None, b"")
    assert out["still_served"][:1] == b"A"
    assert out["relogin"] == (b"A", b"BETA      " + b"1".rjust(20))
    assert out["replay"][0] == out["accepted"] and out["replay"][1:4] == out["marketable"]
    assert out["replay"][-1] == out["still_served"] and out["logout_eof"] == (None, b"")
