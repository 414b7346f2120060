"""The simulated clocks behind the Clock protocol: SimClock (discrete events) and ScaledClock."""
import asyncio
import time

import pytest

from wirespeed.clock import DAY_NS, WALL, Clock, ScaledClock, SimClock, fix_timestamp


def test_sim_clock_runs_callbacks_in_time_order_without_waiting():
    c = SimClock(1_000)
    seen = []
    c.call_later(2.0, seen.append, "b")
    c.call_at(1_000 + 500, seen.append, "a")
    h = c.call_later(1.0, seen.append, "never")
    c.call_later(2.0, lambda: c.call_later(1.0, seen.append, "d"))   # scheduled from a callback
    h.cancel()
    t0 = time.perf_counter()
    assert c.run_until(1_000 + 10 * 10**9) == 4
    assert time.perf_counter() - t0 < 5.0         # (a clock that waited would take the 10 s)
    assert seen == ["a", "b", "d"] and c.time_ns() == 1_000 + 10 * 10**9 == c.monotonic_ns()


def test_sim_clock_ties_run_in_scheduling_order_and_past_times_run_now():
    c = SimClock(5 * 10**9)
    seen = []
    for i in range(5):
        c.call_at(6 * 10**9, seen.append, i)
    c.call_at(1, seen.append, "late")
    c.run()
    assert seen == ["late", 0, 1, 2, 3, 4] and c.time_ns() == 6 * 10**9


def test_sim_clock_sleep_and_asyncio_timers_jump_in_simulated_time():
    c = SimClock.at_day(1_780_000_000 * 10**9, "09:30")
    assert c.time_ns() % DAY_NS == (9 * 3600 + 30 * 60) * 10**9
    marks = []

    async def worker(name, period, n):
        for _ in range(n):
            await c.sleep(period)
            marks.append((c.time_ns(), name))

    async def main():
        t0 = c.time_ns()
        await asyncio.gather(worker("a", 60.0, 3), worker("b", 90.0, 2))
        await asyncio.sleep(3600)               # the loop's own timers are simulated too
        await asyncio.wait_for(asyncio.sleep(10), timeout=100)
        return c.time_ns() - t0

    t0 = time.perf_counter()
    elapsed = c.run_async(main())
    assert time.perf_counter() - t0 < 30.0    # (an hour simulated; a wall clock would take the hour)
    assert elapsed == (180 + 3600 + 10) * 10**9 or abs(elapsed - (180 + 3600 + 10) * 10**9) < 10**4
    assert [n for _, n in marks] == ["a", "b", "a", "b", "a"]


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_scaled_clock_runs_faster_than_wall_time(loop):
    c = ScaledClock(1000.0, start_ns=0)
    t0 = c.time_ns()

    async def main():
        await c.sleep(20.0)                     # 20 simulated seconds: 20 ms of real time

    w0 = time.perf_counter()
    # (uvloop's millisecond timers woke the sleep up to 1 ms early: 20 s were 19.93 simulated)
    (asyncio.run if loop == "asyncio" else __import__("uvloop").run)(main())
    real = time.perf_counter() - w0
    # (a clock that did not scale would take the 20 s; a bound far from the 20 ms it takes, which a
    # loaded machine once took past 1 s: this checks the scaling, not the machine's speed)
    assert real < 10.0
    assert c.time_ns() - t0 >= 20 * 10**9 and c.monotonic_ns() >= c.time_ns() - 10**9


@pytest.mark.parametrize("make, msg", [
    (lambda: SimClock(-1), "start_ns must be a non-negative integer"),
    (lambda: SimClock(1.5), "start_ns must be a non-negative integer"),
    (lambda: SimClock.at_day(0, "25:00"), "time of day must be HH:MM"),
    (lambda: ScaledClock(0), "speed must be a positive number"),
])
def test_bad_clock_arguments_say_what_is_wrong(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


def test_every_clock_satisfies_the_protocol_and_fix_timestamps_still_work():
    for c in (WALL, SimClock(0), ScaledClock(2.0)):
        assert isinstance(c.time_ns(), int) and hasattr(c, "sleep")
    _: Clock = SimClock(0)
    assert fix_timestamp(1_780_000_000 * 10**9 + 123_000_000).endswith(".123")


def test_a_scaled_sleep_never_wakes_before_its_time_on_uvloop():
    """uvloop's timers count whole milliseconds of a cached loop time, so a timer may fire up to
    1 ms of real time early (a simulated second at 1000x): make test once saw 20 scaled seconds
    end at 19.93. Each of many short sleeps must end at its time or later."""
    import uvloop
    c = ScaledClock(1000.0, start_ns=0)

    async def main():
        early = []
        for _ in range(40):
            t = c.time_ns()
            await c.sleep(1.3)                       # 1.3 ms of real time: never a whole ms
            if c.time_ns() - t < 1_300_000_000:
                early.append(c.time_ns() - t)
        return early

    assert uvloop.run(main()) == []
