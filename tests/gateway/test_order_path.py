"""Client -> gateway -> risk -> venue and back, over real sockets on loopback."""
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T

from .conftest import Stack, run_async


async def _client(stack, name="CLIENT1"):
    c = FixClient(name, stack.config.gateway.comp_id, "127.0.0.1", stack.gateway.port)
    await c.start()
    return c


@run_async
async def test_marketable_order_is_acked_and_filled_with_clordid_preserved():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("ORD-1", "AAPL", "1", 100, "190.03")
        reports = await c.wait_report("ORD-1", count=2)
        assert [m[T.ExecType] for m in reports] == ["0", "F"]
        assert all(m[T.ClOrdID] == "ORD-1" for m in reports)
        fill = reports[1]
        assert fill[T.OrdStatus] == "2" and fill[T.LastQty] == "100" and fill[T.LastPx] == "190.01"
        assert fill[T.CumQty] == "100" and fill[T.LeavesQty] == "0" and fill[T.AvgPx] == "190.010000"
        assert stack.gateway.orders.counts["filled"] == 1
        await c.stop()


@run_async
async def test_passive_order_rests_then_cancels():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("P1", "MSFT", "1", 10, "409.50")
        assert (await c.wait_report("P1"))[0][T.ExecType] == "0"
        c.cancel("P1-C", "P1", "MSFT", "1", 10)
        # FIX: the cancel's reports carry its own ClOrdID and the order's as OrigClOrdID.
        pending, canceled = await c.wait_report("P1-C", count=2)
        assert pending[T.ExecType] == "6" and pending[T.OrdStatus] == "6" and pending[T.OrigClOrdID] == "P1"
        assert canceled[T.ExecType] == "4" and canceled[T.OrdStatus] == "4" and canceled[T.OrigClOrdID] == "P1"
        assert canceled[T.OrderID] == c.reports["P1"][0][T.OrderID]
        c.cancel("P1-C2", "P1", "MSFT", "1", 10)
        rej = (await c.wait_report("P1-C2"))[0]
        assert rej.msg_type == "9" and rej[T.CxlRejReason] == "0"      # too late: already canceled
        c.cancel("X-C", "NEVER", "MSFT", "1", 10)
        rej = (await c.wait_report("X-C"))[0]
        assert rej.msg_type == "9" and rej[T.CxlRejReason] == "1"      # unknown order
        await c.stop()


@run_async
async def test_risk_reject_names_every_failing_check():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("BIG", "AAPL", "1", 5000, "100.00")  # over max_qty and outside the collar
        rep = (await c.wait_report("BIG"))[0]
        assert rep[T.ExecType] == "8" and rep[T.OrdStatus] == "8"
        assert rep[T.OrdRejReason] == "3"
        assert rep[T.Text] == "risk: max_qty, price_collar"
        assert stack.venue.stats["orders"] == 0  # nothing reached the venue
        await c.stop()


@run_async
async def test_bad_order_content_is_rejected_with_the_reason():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("U1", "NOPE", "1", 10, "1.00")
        c.new_order("T1", "AAPL", "1", 10, "190.001")
        c.new_order("Q0", "AAPL", "1", 0, "190.00")
        c.new_order("S9", "AAPL", "7", 10, "190.00")
        c.new_order("L0", "AAPL", "1", 10, None)
        texts = {k: (await c.wait_report(k))[0] for k in ("U1", "T1", "Q0", "S9", "L0")}
        assert texts["U1"][T.Text].startswith("unknown_symbol") and texts["U1"][T.OrdRejReason] == "1"
        assert texts["T1"][T.Text].startswith("bad_price") and "finer than the tick" in texts["T1"][T.Text]
        assert texts["Q0"][T.Text] == "risk: zero_qty"
        assert texts["S9"][T.Text].startswith("unsupported")
        assert texts["L0"][T.Text].startswith("bad_price")
        assert all(m[T.OrdStatus] == "8" for m in texts.values())
        await c.stop()


@run_async
async def test_duplicate_live_clordid_is_rejected():
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("D1", "SPY", "2", 10, "520.50")
        await c.wait_report("D1")
        c.new_order("D1", "SPY", "2", 10, "520.50")
        reps = await c.wait_report("D1", count=2)
        assert reps[1][T.Text] == "duplicate ClOrdID of a live order" and reps[1][T.OrdRejReason] == "6"
        await c.stop()


@run_async
async def test_venue_down_rejects_with_no_venue():
    async with Stack() as stack:
        await stack.gateway.initiator.stop()
        c = await _client(stack)
        c.new_order("NV", "AAPL", "1", 10, "190.00")
        rep = (await c.wait_report("NV"))[0]
        assert rep[T.OrdStatus] == "8" and rep[T.Text] == "no venue session"
        await c.stop()


@run_async
async def test_finished_orders_are_pruned_and_ids_are_not_reused():
    async with Stack() as stack:
        stack.gateway.orders._retain = 5        # keep the last five finished orders
        c = await _client(stack)
        for i in range(20):
            c.new_order(f"F{i}", "AAPL", "1", 10, "190.03")
            await c.wait_report(f"F{i}", count=2)
        orders = stack.gateway.orders
        assert orders.counts["filled"] == 20
        assert len(orders.orders) <= 5            # state stays flat over a long day
        assert len(orders._done) <= 5 and not orders._live
        exec_ids = [m[T.ExecID] for i in range(20) for m in c.reports[f"F{i}"]]
        order_ids = {m[T.OrderID] for i in range(20) for m in c.reports[f"F{i}"]}
        assert len(set(exec_ids)) == 40 and len(order_ids) == 20
        c.status("F19", "AAPL", "1")              # a retained finished order still answers
        assert (await c.wait_report("F19", 3))[2][T.OrdStatus] == "2"
        c.status("F0", "AAPL", "1")               # a pruned one is unknown
        assert (await c.wait_report("F0", 3))[2][T.Text] == "unknown order"
        await c.stop()
    # A second gateway (a restart) issues none of the first one's ExecIDs or OrderIDs.
    async with Stack() as stack:
        c = await _client(stack)
        c.new_order("F0", "AAPL", "1", 10, "190.03")
        again = await c.wait_report("F0", count=2)
        assert not {m[T.ExecID] for m in again} & set(exec_ids)
        assert not {m[T.OrderID] for m in again} & order_ids
        await c.stop()
