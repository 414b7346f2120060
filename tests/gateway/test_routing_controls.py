"""Two simulated venues over real sockets: routing, the kill switch, cancel-on-disconnect, throttles."""
import asyncio
import json

from wirespeed.config import VenueConfig, load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.controls import RateLimit, TokenBucket
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway, VenueEndpoint
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config

from .conftest import run_async, until

EXDEST = 100


class TwoVenues:
    def __init__(self, **gateway_kw):
        self.config = load_config(overrides={"risk": {"default": {"max_qty": 1000, "collar_ticks": 100}}})
        self.symbols = table_from_config(self.config.symbols)
        self.venues = {n: SimVenue(VenueConfig(name=n, comp_id=n), self.symbols) for n in ("XNAS", "XNYS")}
        self.gateway_kw = gateway_kw

    async def __aenter__(self):
        for v in self.venues.values():
            await v.start()
        eps = [VenueEndpoint(n, "127.0.0.1", v.port, n) for n, v in self.venues.items()]
        self.gateway = Gateway(self.config, clients=("CLIENT1", "CLIENT2"), symbols=self.symbols, venues=eps,
                               **self.gateway_kw)
        await self.gateway.start()
        return self

    async def client(self, name="CLIENT1"):
        c = FixClient(name, self.config.gateway.comp_id, "127.0.0.1", self.gateway.port)
        await c.start()
        return c

    async def __aexit__(self, *exc):
        await self.gateway.stop()
        for v in self.venues.values():
            await v.stop()


@run_async
async def test_orders_go_to_the_venue_they_name_or_the_clients_default_route():
    async with TwoVenues(routes={"CLIENT2": "XNYS"}) as st:
        c1, c2 = await st.client("CLIENT1"), await st.client("CLIENT2")
        c1.new_order("A", "AAPL", "1", 10, "189.50", extra=[(EXDEST, "XNYS")])
        c1.new_order("B", "AAPL", "1", 10, "189.50", extra=[(EXDEST, "XNAS")])
        c1.new_order("C", "AAPL", "1", 10, "189.50")                 # no route: the first venue
        c2.new_order("D", "AAPL", "1", 10, "189.50")                 # CLIENT2's route
        c1.new_order("E", "AAPL", "1", 10, "189.50", extra=[(EXDEST, "XLON")])
        for c, k in ((c1, "A"), (c1, "B"), (c1, "C"), (c2, "D")):
            assert (await c.wait_report(k))[0][T.ExecType] == "0"
        rej = (await c1.wait_report("E"))[0]
        assert rej[T.OrdStatus] == "8" and "unknown venue 'XLON'" in rej[T.Text]
        assert st.venues["XNYS"].stats["orders"] == 2 and st.venues["XNAS"].stats["orders"] == 2
        by_venue = {s.order.cl_ord_id: s.venue for s in st.gateway.orders.orders.values()}
        assert by_venue == {"A": "XNYS", "B": "XNAS", "C": "XNAS", "D": "XNYS"}
        await c1.stop(), await c2.stop()


@run_async
async def test_kill_switch_cancels_working_orders_at_both_venues_and_blocks_new_ones():
    async with TwoVenues() as st:
        c = await st.client()
        for i, venue in enumerate(["XNAS", "XNYS"] * 3):
            c.new_order(f"K{i}", "MSFT", "1", 10, "409.50", extra=[(EXDEST, venue)])
            await c.wait_report(f"K{i}")
        stats = st.gateway.orders.kill()
        assert stats["cancels"] == 6 and stats["command_to_last_cancel_ns"] > 0
        for i in range(6):
            reps = await c.wait_report(f"K{i}", 2)
            assert reps[1][T.ExecType] == "4"
        assert all(v.stats["cancels"] == 3 for v in st.venues.values())
        c.new_order("AFTER", "MSFT", "1", 10, "409.50")
        rej = (await c.wait_report("AFTER"))[0]
        assert rej[T.OrdStatus] == "8" and rej[T.Text] == "risk: kill_switch"
        st.gateway.orders.resume()
        c.new_order("AGAIN", "MSFT", "1", 10, "409.50")
        assert (await c.wait_report("AGAIN"))[0][T.ExecType] == "0"
        await c.stop()


@run_async
async def test_reduce_only_kill_lets_a_position_shrink_but_not_grow():
    async with TwoVenues() as st:
        c = await st.client()
        c.new_order("BUY", "AAPL", "1", 100, "190.03")          # fills: long 100
        await c.wait_report("BUY", 2)
        st.gateway.orders.kill(reduce_only=True)
        c.new_order("MORE", "AAPL", "1", 10, "189.50")
        c.new_order("LESS", "AAPL", "2", 50, "190.50")
        assert (await c.wait_report("MORE"))[0][T.Text] == "risk: reduce_only"
        assert (await c.wait_report("LESS"))[0][T.ExecType] == "0"
        await c.stop()


@run_async
async def test_cancel_on_disconnect_after_the_grace_and_not_within_it():
    async with TwoVenues(cancel_on_disconnect={"CLIENT2": 0.3}) as st:
        c2 = await st.client("CLIENT2")
        c2.new_order("W1", "SPY", "2", 10, "520.80", extra=[(EXDEST, "XNYS")])
        await c2.wait_report("W1")
        await c2.stop()
        gone = st.gateway.acceptor.sessions["CLIENT2"]
        # (reconnected as soon as the gateway has seen the Logout: a fixed sleep here ate into the
        # 0.3 s grace the reconnect must beat on a loaded machine)
        await until(lambda: not gone.active, "the gateway sees CLIENT2 gone")
        c2 = await st.client("CLIENT2")               # back within the grace: the order stays
        await asyncio.sleep(0.4)
        assert len(st.gateway.orders.working(client="CLIENT2")) == 1
        await c2.stop()
        # gone past the grace: canceled at the venue
        await until(lambda: not st.gateway.orders.working(client="CLIENT2") and st.venues["XNYS"].stats["cancels"],
                    "canceled after the grace")
        assert st.venues["XNYS"].stats["cancels"] == 1
        c1 = await st.client("CLIENT1")               # CLIENT1 has no cancel-on-disconnect
        c1.new_order("K", "SPY", "2", 10, "520.80")
        await c1.wait_report("K")
        await c1.stop()
        await asyncio.sleep(0.2)
        assert len(st.gateway.orders.working(client="CLIENT1")) == 1


@run_async
async def test_client_and_venue_throttles_reject_with_the_rate():
    async with TwoVenues(client_rates={"CLIENT1": RateLimit(1, 2)}) as st:
        st.gateway.orders.venues["XNYS"].throttle = TokenBucket(RateLimit(1, 1), st.gateway.orders.clock())
        c = await st.client()
        for i in range(3):
            c.new_order(f"T{i}", "AAPL", "1", 10, "189.50")
        reps = [(await c.wait_report(f"T{i}"))[0] for i in range(3)]
        assert [m[T.ExecType] for m in reps] == ["0", "0", "8"]
        assert reps[2][T.Text] == "client CLIENT1 order rate over 1/s" and reps[2][T.OrdRejReason] == "3"
        c2 = await st.client("CLIENT2")
        c2.new_order("V0", "AAPL", "1", 10, "189.50", extra=[(EXDEST, "XNYS")])
        c2.new_order("V1", "AAPL", "1", 10, "189.50", extra=[(EXDEST, "XNYS")])
        assert (await c2.wait_report("V0"))[0][T.ExecType] == "0"
        assert (await c2.wait_report("V1"))[0][T.Text] == "venue XNYS order rate over 1/s"
        await c.stop(), await c2.stop()


@run_async
async def test_admin_interface_refuses_bad_requests_with_the_reason():
    from wirespeed.gateway.admin import AdminServer
    async with TwoVenues() as st:
        server = AdminServer(st.gateway)
        port = await server.start()

        async def raw(data: bytes) -> tuple[int, dict]:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(data)
            head, _, body = (await r.read()).partition(b"\r\n\r\n")
            w.close()
            return int(head.split()[1]), json.loads(body)

        assert (await raw(b"GET /status HTTP/1.1\r\n\r\n"))[0] == 200
        code, body = await raw(b"POST /kill HTTP/1.1\r\nContent-Length: 5\r\n\r\n{oops")
        assert code == 400 and "not JSON" in body["error"]
        code, body = await raw(b'POST /kill HTTP/1.1\r\nContent-Length: 22\r\n\r\n{"reduce_only": "yes"}')
        assert code == 400 and "reduce_only: must be true or false" in body["error"]
        assert (await raw(b"GET /kill HTTP/1.1\r\n\r\n"))[0] == 405
        assert (await raw(b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n"))[0] == 400
        assert (await raw(b"POST /kill HTTP/1.1\r\nContent-Length: 99999\r\n\r\n"))[0] == 413
        assert not st.gateway.orders.killed                     # none of those did anything
        await server.stop()


@run_async
async def test_client_and_venue_credit_limits_count_open_notional():
    # MSFT 409.50 x 10 = 409,500 ticks x shares an order
    async with TwoVenues(client_credit={"CLIENT1": 1_000_000}) as st:
        st.gateway.orders.venues["XNYS"].credit_limit = 500_000
        c = await st.client()
        for k in ("A", "B", "C"):
            c.new_order(k, "MSFT", "1", 10, "409.50")
        a, b, cc = [(await c.wait_report(k))[0] for k in ("A", "B", "C")]
        assert (a[T.ExecType], b[T.ExecType], cc[T.ExecType]) == ("0", "0", "8")
        assert cc[T.Text] == "client CLIENT1 open notional over its limit 1000000" and cc[T.OrdRejReason] == "3"
        c.cancel("A-X", "A", "MSFT", "1", 10)
        await c.wait_report("A-X", 2)
        c.new_order("D", "MSFT", "1", 10, "409.50")               # room again after the cancel
        assert (await c.wait_report("D"))[0][T.ExecType] == "0"
        c2 = await st.client("CLIENT2")
        c2.new_order("Y1", "MSFT", "1", 10, "409.50", extra=[(EXDEST, "XNYS")])
        c2.new_order("Y2", "MSFT", "1", 10, "409.50", extra=[(EXDEST, "XNYS")])
        assert (await c2.wait_report("Y1"))[0][T.ExecType] == "0"
        assert (await c2.wait_report("Y2"))[0][T.Text] == "venue XNYS open notional over its limit 500000"
        assert st.gateway.orders._client_open["CLIENT1"] == 2 * 409_500
        await c.stop(), await c2.stop()
