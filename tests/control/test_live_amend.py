"""OrderCancelReplaceRequest on a running parent over FIX: validated like a new parent (a refusal
is OrderCancelReject naming the tag or parameter), applied to the running algorithm (re-planned
on what is left), reported as ExecutionReport Replaced on the parent."""
import asyncio

from wirespeed.control.live.algo_client import AlgoClient
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.gateway.fix import tags as T

from tests.gateway.conftest import Stack, run_async
from .test_live_parent import _setup


async def _until(cond, tries=600):
    for _ in range(tries):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@run_async
async def test_a_replace_raises_the_quantity_and_the_parameters_and_the_parent_fills_the_new_total():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack)
        sym = stack.symbols.by_name("MSFT")
        bid = sym.tick.format(stack.venue.books["MSFT"].best_bid())
        # limited at the bid: its children rest there (even crossing ones), nothing fills yet
        c.new_order("AM1", "MSFT", "1", 300, bid,
                    extra=strategy_fields("twap", {"DurationSecs": "60", "Urgency": "cross", "DecisionSecs": "5"}))
        await c.wait_report("AM1")
        p = desk.parents[("CLIENT1", "AM1")]
        end0 = p.order.end_ns
        async with AlgoClient("127.0.0.1", stack.gateway.port, "CLIENT2", stack.config.gateway.comp_id) as other:
            # another client cannot touch it: the ClOrdID is not one of its parents
            st = await other.status("AM1")
            assert not st.ok
        c.session.send("G", [(T.OrigClOrdID, "AM1"), (T.ClOrdID, "AM2"), (T.Symbol, "MSFT"), (T.Side, "1"),
                             (T.TransactTime, "20261201-00:00:00"), (T.OrderQty, 700), (T.OrdType, "2"),
                             (T.Price, "411.00")] + strategy_fields("twap", {"DurationSecs": "90",
                                                                            "MinChild": "50"})[1:])
        rep = (await c.wait_report("AM2"))[0]
        assert rep[T.ExecType] == "5" and rep[T.OrigClOrdID] == "AM1" and rep[T.OrderQty] == "700"
        assert int(rep[T.LeavesQty]) == 700 - int(rep[T.CumQty])
        assert ("CLIENT1", "AM2") in desk.parents and ("CLIENT1", "AM1") not in desk.parents
        algo = p.runner.algo
        assert algo.config.min_child == 50 and p.order.end_ns > end0
        assert algo.parent.qty == 700 - int(rep[T.CumQty])     # re-planned on what was left
        await _until(lambda: c.reports["AM2"][-1][T.OrdStatus] in ("2", "3"), tries=1000)
        reps = c.reports["AM2"]
        assert reps[-1][T.OrdStatus] == "2" and reps[-1][T.CumQty] == "700"
        fills = [m for m in c.reports["AM1"] + reps if m[T.ExecType] == "F"]
        assert sum(int(m[T.LastQty]) for m in fills) == 700
        children = [s for s in stack.gateway.orders.orders.values() if s.client_id == "CONTROL"]
        assert sum(s.cum_qty for s in children) == 700
        # the schedule on the tape is the whole parent's, up to the new total
        from wirespeed.control.tca.tape import ScheduleRecord
        due = [r.target for r in p.runner.tape.of(ScheduleRecord)]
        assert due and all(0 <= t <= 700 for t in due) and max(due) > 300
        # ... and from the replace on it is the new plan's: what was filled before plus its target
        from wirespeed.control.tca.metrics import analyse
        from wirespeed.control.tca.tape import ParentRecord
        plans = [r for r in p.runner.tape.of(ParentRecord)]
        assert [r.qty for r in plans] == [300, algo.parent.qty] and plans[1].end_ns == p.order.end_ns
        before = int(rep[T.CumQty])
        after = [r for r in p.runner.tape.of(ScheduleRecord) if r.ts_ns >= plans[1].ts_ns]
        assert after and all(r.target == before + min(algo.parent.qty, algo.target(r.ts_ns)) for r in after)
        # TCA: the whole parent (the new total, from the first arrival) and each plan's own figures
        tca = analyse(p.runner.tape, p.order.parent_id)
        assert tca.qty == 700 and tca.filled == 700 and tca.fill_rate == 1.0
        first, second = tca.segments
        assert (first.qty, second.qty) == (300, 700 - before) and first.filled + second.filled == 700
        assert first.filled == before and second.fill_rate == 1.0 and second.start_ns == plans[1].ts_ns
        assert second.arrival_mid > 0
        stop.set()
        await task
        await c.stop()


@run_async
async def test_bad_replaces_are_refused_naming_the_tag_or_parameter_and_change_nothing():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack, speed=30.0)
        c.new_order("RB1", "MSFT", "1", 3000, "411.00", extra=strategy_fields(
            "twap", {"DurationSecs": "600", "Urgency": "passive", "DecisionSecs": "1", "MinChild": "20"}))
        await c.wait_report("RB1")
        orders = stack.gateway.orders
        await _until(lambda: orders.working(client="CONTROL"))
        p = desk.parents[("CLIENT1", "RB1")]
        before = (p.order, p.runner.algo)
        a = AlgoClient.attach(c)
        if True:
            cases = [
                (dict(qty=1), "OrderQty(38): 1 is below what is filled (0) plus working at the venues"),
                (dict(params={"Speed": "2"}), "strategy parameter 'Speed': unknown"),
                (dict(params={"MaxPctVolume": "abc"}), "strategy parameter MaxPctVolume: not a number"),
                (dict(params={"EndTime": "20200101-00:00:00"}), "EndTime: already past"),
                (dict(params={"DisplayQty": "100"}), "DisplayQty: only for iceberg"),
                (dict(limit="0.001"), "limit price 0.001"),
            ]
            for i, (kw, text) in enumerate(cases):
                st = await a.replace("RB1", f"RB1-{i}", **kw)
                assert not st.ok and text in st.text, (kw, st.text)
            # the strategy cannot change under a running parent
            a.client.session.send("G", [(T.OrigClOrdID, "RB1"), (T.ClOrdID, "RB1-S"), (T.Symbol, "MSFT"),
                                        (T.Side, "1"), (T.TransactTime, "20261201-00:00:00"), (T.OrderQty, 3000),
                                        (T.OrdType, "2"), (T.Price, "411.00")] + strategy_fields("vwap", {}))
            rej = (await a.client.wait_report("RB1-S"))[0]
            assert rej[T.MsgType] == "9" and rej[434] == "2" and rej[102] == "2"
            assert "TargetStrategy(847): a replace may not change the strategy (twap -> vwap)" in rej[T.Text]
            st = await a.replace("RB1", "RB1")                        # a replace needs a new ClOrdID
            assert not st.ok and "ClOrdID(11) 'RB1': missing, the OrigClOrdID(41)" in st.text
        assert (p.order, p.runner.algo) == before and p.cl_ord_id == "RB1"
        st = await a.replace("RB1", "RB2", params={"MaxPctVolume": "50"})      # percent: 0.5
        assert st.ok and st.state in ("new", "partially filled") and p.runner.algo.config.participation_cap == 0.5
        c.cancel("RB1X", "RB2", "MSFT", "1", 3000)
        await c.wait_report("RB1X", 2, timeout=5)
        st = await a.replace("RB2", "RB2-late", qty=4000)
        assert not st.ok and st.text == "parent already done"
        stop.set()
        await task
        await c.stop()


@run_async
async def test_a_lower_limit_takes_out_children_priced_past_it_and_they_come_back_within_it():
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack, speed=30.0)
        c.new_order("LM1", "MSFT", "1", 3000, "411.00", extra=strategy_fields(
            "twap", {"DurationSecs": "600", "Urgency": "passive", "DecisionSecs": "1", "MinChild": "20"}))
        await c.wait_report("LM1")
        orders = stack.gateway.orders
        await _until(lambda: orders.working(client="CONTROL"))
        sym = stack.symbols.by_name("MSFT")
        bid = stack.venue.books["MSFT"].best_bid()
        assert all(s.order.price >= bid for s in orders.working(client="CONTROL"))
        limit = bid - 5
        if True:
            st = await AlgoClient.attach(c).replace("LM1", "LM2", limit=sym.tick.format(limit))
        assert st.ok and st.state in ("new", "partially filled") and st.price == sym.tick.format(limit)
        p = desk.parents[("CLIENT1", "LM2")]
        assert p.order.limit == limit
        # every child above the new limit is canceled at the venue; new ones rest at the limit
        await _until(lambda: orders.working(client="CONTROL")
                     and all(s.order.price <= limit for s in orders.working(client="CONTROL")))
        await asyncio.sleep(0.2)
        assert all(s.order.price <= limit for s in orders.working(client="CONTROL"))
        stop.set()
        await task
        await c.stop()


# -- parse_amend, sans-IO ---------------------------------------------------------------------
import pytest  # noqa: E402

from wirespeed.control.live.amend import parse_amend  # noqa: E402
from wirespeed.control.live.strategy import StrategyRequest  # noqa: E402
from wirespeed.control.model import ExecutionRefused, make_parent  # noqa: E402
from wirespeed.enums import Side  # noqa: E402
from wirespeed.symbols import Symbol  # noqa: E402
from wirespeed.prices import TickSize  # noqa: E402

S = 1_000_000_000
SYM = Symbol(1, "MSFT", TickSize(1, 2))
ORDER = make_parent("P1", SYM, Side.BUY, 1000, 100 * S, 700 * S, "410.00")
REQ = StrategyRequest("twap", 100 * S, 700 * S, urgency=None)


def _amend(fields, params=None, filled=0, working=0, started=True, now=200 * S):
    body = [(int(t), v) for t, v in fields.items()] + (strategy_fields("", params)[1:] if params else [])
    f = {int(t): v for t, v in fields.items()}
    return parse_amend(body, f, ORDER, REQ, SYM, filled, working, started, now)


def test_an_amendment_re_plans_what_is_left_from_now_and_keeps_what_it_leaves_out():
    am = _amend({T.OrderQty: "1500", T.OrdType: "2", T.Price: "410.50"}, {"DurationSecs": "300"}, filled=400,
                working=200)
    assert am.order.qty == 1500 and am.order.limit == 41050 and am.order.start_ns == 100 * S
    assert am.order.end_ns == 500 * S                                 # now + DurationSecs
    assert am.remaining.qty == 1100 and am.remaining.start_ns == 200 * S and am.remaining.end_ns == 500 * S
    assert am.request.algo == "twap" and am.request.start_ns == 100 * S and am.request.duration_s is None
    lifted = _amend({T.OrderQty: "1000", T.OrdType: "1"})
    assert lifted.order.limit is None and lifted.remaining.qty == 1000
    kept = _amend({T.OrderQty: "1000"})                               # no OrdType: the limit stays
    assert kept.order.limit == 41000 and kept.order.end_ns == 700 * S


def test_before_its_start_a_parent_may_move_its_start():
    am = _amend({T.OrderQty: "1000"}, {"StartTime": "19700101-00:05:00"}, started=False, now=50 * S)
    assert am.order.start_ns == am.remaining.start_ns == 300 * S
    with pytest.raises(ExecutionRefused, match="StartTime: the parent has started; it cannot move"):
        _amend({T.OrderQty: "1000"}, {"StartTime": "19700101-00:05:00"})


@pytest.mark.parametrize("fields, params, text", [
    ({T.OrderQty: "400"}, None, "OrderQty(38): 400 is not above CumQty 400"),
    ({T.OrderQty: "x"}, None, "OrderQty(38): not a positive integer: 'x'"),
    ({T.OrderQty: "1000", T.Symbol: "AAPL"}, None, "Symbol(55): a replace may not change the symbol"),
    ({T.OrderQty: "1000", T.Side: "2"}, None, "Side(54): a replace may not change the side"),
    ({T.OrderQty: "1000", T.OrdType: "3"}, None, "OrdType(40): '3' is neither 1 (market) nor 2 (limit)"),
    ({T.OrderQty: "1000"}, {"EndTime": "19700101-00:03:00"}, "EndTime: already past"),
    ({T.OrderQty: "1000"}, {"EndTime": "19700101-00:05:00", "DurationSecs": "5"}, "give one, not both"),
])
def test_bad_amendments_name_what_is_wrong(fields, params, text):
    with pytest.raises(ExecutionRefused) as e:
        _amend(fields, params, filled=400, working=100)
    assert text in e.value.reason
