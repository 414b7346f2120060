"""A venue that comes back with its feed on other ports is found again: the sim venue announces
its ports in a file each time it starts (control/venues/announce.py's format), and the venue
manager joins (and after a restart rejoins) the feed where it says; a bad announcement is an
error naming the file and the key."""
import asyncio
import socket

import pytest

from wirespeed.config import GatewayConfig, RiskConfig, SymbolConfig, SymbolLimits
from wirespeed.control.service import DeskService
from wirespeed.control.service_config import ControlServiceConfig, VenueEntry
from wirespeed.control.venues import FeedEndpoint, PathEndpoint, ReconnectPolicy
from wirespeed.control.venues.announce import fetch, read_feed
from wirespeed.enums import Side
from wirespeed.gateway.service_config import ClientSessionConfig
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol

from tests.gateway.conftest import run_async, until

SYMBOLS = (VenueSymbol("MSFT", "0.01", "410.00", levels=3, level_qty=500),)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("how", ["file", "tcp"])
@run_async(timeout=60)
async def test_a_restarted_venue_with_its_feed_on_other_ports_is_rejoined_where_it_announces(tmp_path, how):
    # the announcement in a file, or served on a discovery port that stays where it is
    if how == "file":
        where, spec_kw = str(tmp_path / "xnas.json"), {"announce_path": str(tmp_path / "xnas.json")}
    else:
        port = free_port()
        where, spec_kw = f"tcp://127.0.0.1:{port}", {"announce_port": port}
    venue = SimVenue(VenueSpec("XNAS", ouch=False, symbols=SYMBOLS, **spec_kw))
    await venue.start()
    old = (venue.feed.request_port, venue.feed.snapshot_port)
    assert (await fetch(where, "XNAS")).request_port == old[0]
    svc = DeskService(ControlServiceConfig(
        clients=(ClientSessionConfig("CLIENT1"),),
        # no feed port configured: the announcement says where
        venues=(VenueEntry("XNAS", paths=(PathEndpoint("XNAS", venue.port),), feed=FeedEndpoint(announce=where),
                           reconnect=ReconnectPolicy(0.05, 0.1, 0.2)),),
        gateway=GatewayConfig(port=0), risk=RiskConfig(default=SymbolLimits(max_qty=5000, collar_ticks=200)),
        symbols=(SymbolConfig("MSFT", "0.01", "410.00"),)))
    try:
        await svc.start()
        m = svc.managers[0]
        assert m.feed.endpoint.request_port == old[0]
        await until(lambda: m.feed.book.book("MSFT").best_bid() is not None, "joined where announced")
        port = venue.port
        await venue.stop()
        await until(lambda: (m.poll(), m.state)[1] == "down", "down")
        # back on its FIX port, its feed on new ports (any free ones), announced again
        venue = SimVenue(VenueSpec("XNAS", ouch=False, fix_port=port, symbols=(
            VenueSymbol("MSFT", "0.01", "411.00", levels=3, level_qty=300),), **spec_kw))
        await venue.start()
        new = (venue.feed.request_port, venue.feed.snapshot_port)
        assert new != old
        await until(lambda: (m.poll(), m.feed.joins)[1] == 2, "rejoined", 800)
        assert (m.feed.endpoint.request_port, m.feed.endpoint.snapshot_port) == new
        assert m.feed.configured.request_port == 0                     # the config is unchanged
        book = m.feed.book.book("MSFT")
        await until(lambda: book.best_bid() == venue.books["MSFT"].best_bid(), "the new venue's book")
        assert book.depth(Side.SELL, 3) == venue.books["MSFT"].depth(Side.SELL, 3)
        assert f"rejoined 127.0.0.1:{new[0]}" in [e.what for e in m.events if e.link == "feed"]
    finally:
        await svc.stop()
        await venue.stop()


@pytest.mark.parametrize("content, text", [
    (None, "cannot read the venue's announcement"),
    ("{", "not JSON"),
    ('{"venue": "XARC", "feed": {"request_port": 1}}', "venue: announces 'XARC', not 'XNAS'"),
    ('{"venue": "XNAS"}', "feed: required"),
    ('{"venue": "XNAS", "feed": {"request_port": 70000}}', "feed.request_port: must be a port 0..65535, not 70000"),
    ('{"venue": "XNAS", "feed": {"request_port": 0}}', "feed.request_port: the venue announces no request server"),
    ('{"venue": "XNAS", "feed": {"request_port": 9, "snapshot_port": "x"}}', "feed.snapshot_port: must be a port"),
])
def test_a_bad_announcement_names_the_file_and_the_key(tmp_path, content, text):
    p = tmp_path / "a.json"
    if content is not None:
        p.write_text(content)
    with pytest.raises(ValueError) as e:
        read_feed(p, "XNAS")
    assert str(p) in str(e.value) and text in str(e.value)


def test_an_announcement_is_read_back_as_written(tmp_path):
    from wirespeed.control.venues import announce
    p = tmp_path / "a.json"
    announce.write(p, {"venue": "XNAS", "feed": {"host": "127.0.0.1", "request_port": 9101, "snapshot_port": 9102,
                                                  "session": "XNAS"}, "started_ns": 5})
    a = read_feed(p, "XNAS")
    assert (a.request_port, a.snapshot_port, a.session, a.started_ns) == (9101, 9102, "XNAS", 5)
    assert [x.name for x in tmp_path.iterdir()] == ["a.json"]           # no temporary left behind


@run_async
async def test_an_announcement_over_tcp_that_cannot_be_read_says_where():
    port = free_port()
    with pytest.raises(ValueError, match=rf"tcp://127.0.0.1:{port}: cannot read the venue's announcement"):
        await fetch(f"tcp://127.0.0.1:{port}", "XNAS")
    with pytest.raises(ValueError, match=r"announce: must be a file path or tcp://HOST:PORT, not 'tcp://x'"):
        FeedEndpoint(announce="tcp://x")


@run_async(timeout=10)
async def test_a_peer_dripping_its_announcement_cannot_hold_the_read_past_its_bound():
    """The bound is the whole exchange's, not each read's: a byte every 50 ms for ever is cut off."""
    async def drip(reader, writer):
        try:
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:        # (bounded per read, as it was, this never ends: run_async's timeout fails it)
        with pytest.raises(ValueError, match=r"no whole answer within 0.3 s"):
            await fetch(f"tcp://127.0.0.1:{port}", "XNAS", timeout_s=0.3)
    finally:
        server.close()
