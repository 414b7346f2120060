"""The router's venue latency, live in accelerated time, is the real round trip (what it is at
speed 1), not the simulated time it spans: at speed 30 a 1 ms acknowledgement spans 30
simulated ms, and the router's latency term (``latency_weight`` ticks per ms) read 30 times the
backtest's penalty, moving passive children off the venue the backtest chose (the first cause of
ICEBERG's and POV's live-vs-backtest differences, docs/control/live.md). The tape keeps the
simulated latency (its clock's)."""
import asyncio

from wirespeed.clock import fix_timestamp
from wirespeed.config import load_config
from wirespeed.control.live import AlgoDesk
from wirespeed.control.live.bench import _Client, _SinkSession
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.control.marketdata import Quote
from wirespeed.control.routing import VenueInfo
from wirespeed.control.tca.tape import AckRecord
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.message import FixMessage
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.symbols import table_from_config

NS = 1_000_000_000


class _Clock:
    """A scaled clock held still: simulated time moves only when the test moves it."""

    def __init__(self, t, speed):
        self.t, self.speed = t, speed

    def time_ns(self):
        return self.t


async def _ack_after(sim_ns: int, speed: float):
    config = load_config(overrides={"risk": {"default": {"max_qty": 1_000_000, "collar_ticks": 10_000}}})
    symbols = table_from_config(config.symbols)
    orders = OrderGateway(symbols, make_backend(config.risk, symbols))
    orders.add_venue("V1", _SinkSession("V1"))
    clock = _Clock(1_764_599_400 * NS, speed)
    desk = AlgoDesk(orders, symbols, [VenueInfo("V1")], clock)
    ref = symbols.by_name("AAPL").reference_ticks
    desk.on_market(Quote("V1", "AAPL", clock.t, ((ref - 1, 10**6),), ((ref + 1, 10**6),)))
    desk.on_new(_Client(), FixMessage.from_pairs([
        (T.ClOrdID, "B1"), (T.Symbol, "AAPL"), (T.Side, "1"), (T.TransactTime, fix_timestamp()), (T.OrderQty, 1000),
        (T.OrdType, "1")] + strategy_fields("twap", {"EndTime": fix_timestamp(clock.t + 600 * NS),
                                                     "Urgency": "passive", "DecisionSecs": "10"})))
    runner = desk.parents[("BENCH", "B1")].runner
    for _ in range(60):                                      # decisions until the first child goes out
        if runner.legs:
            break
        clock.t += NS
        runner.ctx._fire()
    (lid, leg), = runner.legs.items()
    sent = orders.venues["V1"].session.sent[-1]
    clock.t += sim_ns
    orders.on_venue_report(FixMessage.from_pairs([
        (T.MsgType, "8"), (T.OrderID, "V-1"), (T.ClOrdID, sent[T.ClOrdID]), (T.ExecID, "X1"), (T.ExecType, "0"),
        (T.OrdStatus, "0"), (T.Symbol, "AAPL"), (T.Side, "1"), (T.OrderQty, sent[T.OrderQty]),
        (T.LeavesQty, sent[T.OrderQty]), (T.CumQty, 0), (T.AvgPx, 0)]), orders.venues["V1"])
    await asyncio.sleep(0)                                   # (the control session delivers on the next turn)
    return runner.router.stats["V1"].latency_us, [r for r in runner.tape.records if isinstance(r, AckRecord)]


def test_an_ack_in_accelerated_time_is_the_real_round_trip_for_the_router():
    lat_us, acks = asyncio.run(_ack_after(30_000_000, speed=30.0))     # 30 simulated ms = 1 real ms
    assert lat_us == 1000.0
    assert [a.latency_ns for a in acks] == [30_000_000]                 # the tape's clock: simulated


def test_at_speed_one_the_router_and_the_tape_agree():
    lat_us, acks = asyncio.run(_ack_after(700_000, speed=1.0))
    assert lat_us == 700.0 and [a.latency_ns for a in acks] == [700_000]
