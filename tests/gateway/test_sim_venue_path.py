"""End to end on sim/'s FIX venue (a real book): replace, status, and a fill the gateway missed
while its venue session was down, found by reconciliation and reported exactly once."""
import asyncio

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.fix import tags as T

from .conftest import Stack, run_async


async def _client(stack, name="CLIENT1"):
    from wirespeed.gateway.client import FixClient
    c = FixClient(name, stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
    await c.start()
    return c


def _venue_order(stack, cl):
    return next(o for o in stack.venue.core.orders.values() if o.client_id.split(".")[0] == cl.split(".")[0])


@run_async
async def test_replace_moves_the_order_at_the_venue_then_fills_it():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("M1", "MSFT", "1", 10, "409.50")
        await c.wait_report("M1")
        c.replace("M2", "M1", "MSFT", "1", 20, "409.60")
        pend, done = await c.wait_report("M2", 2)
        assert (pend[T.ExecType], done[T.ExecType], done[T.OrdStatus]) == ("E", "5", "0")
        assert done[T.OrigClOrdID] == "M1" and done[T.OrderQty] == "20" and done[T.Price] == "409.60"
        state = next(iter(stack.gateway.orders.orders.values()))
        vo = _venue_order(stack, state.venue_cl)
        assert (vo.qty, stack.symbols.by_name("MSFT").tick.format(vo.price)) == (20, "409.60")
        c.replace("M3", "M2", "MSFT", "1", 20, "410.01")            # now it crosses the maker's ask
        reps = await c.wait_report("M3", 3)
        assert [m[T.ExecType] for m in reps] == ["E", "5", "F"] and reps[2][T.OrdStatus] == "2"
        assert reps[2][T.CumQty] == "20" and reps[2][T.LastPx] == "410.01"
        model = stack.gateway.risk.model
        idx = stack.symbols.by_name("MSFT").index
        assert (model.pos[idx], model.open_buy[idx]) == (20, 0)
        c.status("M3", "MSFT", "1")
        assert (await c.wait_report("M3", 4))[3][T.ExecType] == "I"
        await c.stop()


class _Someone:
    """Another participant at the venue, trading in process."""
    def on_report(self, r):
        pass


@run_async
async def test_a_fill_while_the_venue_link_was_down_is_reported_once_after_reconnect():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("P1", "MSFT", "1", 10, "409.50")
        await c.wait_report("P1")
        venue_session = next(s for s in stack.venue.fix.acceptor.sessions.values() if s.active)
        venue_session._close()
        for _ in range(100):
            if not venue_session.active:
                break
            await asyncio.sleep(0.001)
        assert not venue_session.active
        # Someone sells through the maker's bids into P1 while the gateway cannot hear of it.
        tick = stack.symbols.by_name("MSFT").tick
        stack.venue.core.new_order(_Someone(), None, "X", "MSFT", Side.SELL, OrdType.LIMIT, TimeInForce.IOC,
                                   5 * 500 + 4, tick.parse_ticks("409.50"))
        reps = await c.wait_report("P1", 2, timeout=10)
        assert reps[1][T.ExecType] == "F" and reps[1][T.LastQty] == "4" and reps[1][T.CumQty] == "4"
        assert stack.gateway.orders.counts["reconciled_fills"] == 1
        await asyncio.sleep(0.1)
        assert len(c.reports["P1"]) == 2                        # not twice
        assert stack.gateway.orders.venues[stack.config.venue.name].state == "up"
        c.new_order("P2", "MSFT", "1", 10, "409.50")               # new flow again
        assert (await c.wait_report("P2"))[0][T.ExecType] == "0"
        await c.stop()
