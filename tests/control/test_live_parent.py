"""Parent orders over FIX end to end: a FIX client -> gateway (TargetStrategy hook) -> control's
algorithm, router and runner on the live context -> the gateway's order path -> sim's FIX venue,
and the parent's ExecutionReports back (New, fills with LastMkt, Done / Canceled)."""
import asyncio

from wirespeed.clock import ScaledClock, fix_timestamp
from wirespeed.control.live import AlgoDesk
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.control.marketdata import Quote
from wirespeed.control.routing import VenueInfo
from wirespeed.enums import Side
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T

from tests.gateway.conftest import Stack, run_async

NS = 1_000_000_000


def _quote(stack, clock):
    book = stack.venue.books["MSFT"]
    return Quote(stack.config.venue.name, "MSFT", clock.time_ns(), tuple(book.depth(Side.BUY, 5)),
                 tuple(book.depth(Side.SELL, 5)))


async def _feed(stack, desk, clock, stop):
    # What sim's feed subscriber does in the demo: the venue's book handed to control as Quotes.
    while not stop.is_set():
        desk.on_market(_quote(stack, clock))
        await asyncio.sleep(0.01)


async def _setup(stack, speed=60.0):
    clock = ScaledClock(speed)
    desk = AlgoDesk(stack.gateway.orders, stack.symbols, [VenueInfo(stack.config.venue.name, 0.3, 0.2)], clock)
    c = FixClient("CLIENT1", stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
    await c.start()
    stop = asyncio.Event()
    task = asyncio.create_task(_feed(stack, desk, clock, stop))
    return clock, desk, c, stop, task


@run_async
async def test_a_twap_parent_over_fix_is_worked_filled_and_reported_with_last_mkt():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack)
        end = fix_timestamp(clock.time_ns() + 60 * NS)        # one simulated minute = one second here
        params = strategy_fields("twap", {"EndTime": end, "Urgency": "cross", "DecisionSecs": "5"})
        c.new_order("PAR1", "MSFT", "1", 600, "411.00", extra=params)
        reps = await c.wait_report("PAR1", 2, timeout=10,
                                   predicate=None)
        assert reps[0][T.ExecType] == "0" and reps[0].get(847) == "TWAP"
        for _ in range(400):
            if c.reports["PAR1"][-1][T.OrdStatus] in ("2", "3"):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task
        reps = c.reports["PAR1"]
        fills = [m for m in reps if m[T.ExecType] == "F"]
        assert reps[-1][T.OrdStatus] == "2" and reps[-1][T.CumQty] == "600"
        assert len(fills) >= 2                                      # worked in slices, not one order
        assert all(m.get(30) == stack.config.venue.name for m in fills)
        assert sum(int(m[T.LastQty]) for m in fills) == 600
        cums = [int(m[T.CumQty]) for m in fills]
        assert cums == sorted(cums) and cums[-1] == 600
        # the children really went through the gateway's order path to the venue
        children = [s for s in stack.gateway.orders.orders.values() if s.client_id == "CONTROL"]
        assert children and sum(s.cum_qty for s in children) == 600
        assert desk.parents[("CLIENT1", "PAR1")].runner.tape.records   # TCA's tape written live
        # finished before its EndTime, the parent's tape keeps taking the market (TCA over the
        # whole horizon), while its algorithm sends nothing more
        from wirespeed.control.tca.tape import MarketRecord
        tape, sent = desk.parents[("CLIENT1", "PAR1")].runner.tape, stack.gateway.orders.counts["accepted"]
        desk.on_market(Quote(stack.config.venue.name, "MSFT", clock.time_ns(), ((40_950, 100),), ((40_970, 100),)))
        assert tape.of(MarketRecord)[-1].price == 40_960.0
        assert stack.gateway.orders.counts["accepted"] == sent
        await c.stop()


@run_async
async def test_bad_strategy_parameters_are_rejected_naming_the_parameter():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack)
        end = fix_timestamp(clock.time_ns() + 60 * NS)
        cases = {
            "B1": (strategy_fields("twap", {"EndTime": end, "Speed": "9"}), "'Speed': unknown"),
            "B2": (strategy_fields("twap", {"EndTime": end, "MaxPctVolume": "abc"}), "MaxPctVolume: not a number"),
            "B3": (strategy_fields("nope", {"EndTime": end}), "TargetStrategy(847): unknown strategy"),
            "B4": (strategy_fields("twap", {"Urgency": "cross"}), "EndTime: required"),
            "B5": (strategy_fields("twap", {"EndTime": end, "DisplayQty": "100"}), "DisplayQty: only for iceberg"),
            "B6": (strategy_fields("twap", {"StartTime": end, "EndTime": fix_timestamp(clock.time_ns())}),
                   "EndTime"),
        }
        for cl, (extra, _) in cases.items():
            c.new_order(cl, "MSFT", "1", 100, "411.00", extra=extra)
        for cl, (_, text) in cases.items():
            rep = (await c.wait_report(cl))[0]
            assert rep[T.ExecType] == "8" and text in rep[T.Text], (cl, rep[T.Text])
        assert not [s for s in stack.gateway.orders.orders.values() if s.client_id == "CONTROL"]
        stop.set()
        await task
        await c.stop()


@run_async
async def test_a_running_parent_is_canceled_its_children_leave_the_market():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack, speed=30.0)
        end = fix_timestamp(clock.time_ns() + 600 * NS)
        # passive children rest at the bid and do not fill against the maker
        c.new_order("PC1", "MSFT", "1", 3000, "411.00",
                    extra=strategy_fields("twap", {"EndTime": end, "Urgency": "passive", "DecisionSecs": "1",
                                                    "MinChild": "20"}))
        await c.wait_report("PC1")
        orders = stack.gateway.orders
        for _ in range(600):
            if orders.working(client="CONTROL"):
                break
            await asyncio.sleep(0.01)
        assert orders.working(client="CONTROL"), (c.reports["PC1"], desk.parents[("CLIENT1", "PC1")].runner.tape.records[:20])
        c.cancel("PC1X", "PC1", "MSFT", "1", 3000)
        reps = await c.wait_report("PC1X", 2, timeout=5)
        assert [m[T.ExecType] for m in reps] == ["6", "4"] and reps[1][T.OrigClOrdID] == "PC1"
        assert not orders.working(client="CONTROL")
        await asyncio.sleep(0.3)                        # no child after the cancel
        assert not orders.working(client="CONTROL")
        c.cancel("PC1Y", "PC1", "MSFT", "1", 3000)      # too late now
        assert (await c.wait_report("PC1Y"))[0][T.MsgType] == "9"
        stop.set()
        await task
        await c.stop()


@run_async
async def test_target_strategy_without_a_desk_is_rejected_by_the_gateway():
    async with Stack() as stack:
        c = FixClient("CLIENT1", stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
        await c.start()
        c.new_order("T1", "MSFT", "1", 100, "411.00", extra=strategy_fields("twap", {}))
        rep = (await c.wait_report("T1"))[0]
        assert rep[T.ExecType] == "8" and "TargetStrategy(847)" in rep[T.Text]
        await c.stop()
