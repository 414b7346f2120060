"""SpinMicros: the event loop keeps polling for a bounded time after each read, then sleeps."""
import asyncio
import time

import pytest

from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.transport import Spinner

from .conftest import CfgEngine, acceptor_cfg, run_async
from .test_engine import NOS, logon


async def until_idle(spinner: Spinner, limit: float = 5.0) -> float:
    start = time.perf_counter()
    while spinner.active and time.perf_counter() - start < limit:
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


@run_async
async def test_spinner_polls_for_its_window_then_lets_the_loop_sleep():
    spinner = Spinner(20_000)   # 20 ms
    fired = []
    asyncio.get_running_loop().call_later(0.005, fired.append, "timer")
    t0 = time.perf_counter()
    spinner.touch()
    assert spinner.active
    await until_idle(spinner)
    assert not spinner.active and time.perf_counter() - t0 >= 0.02
    assert spinner.spins > 10
    assert fired == ["timer"]        # timers (and sockets) still served while spinning
    spins = spinner.spins
    await asyncio.sleep(0.01)
    assert spinner.spins == spins    # idle: no polling once the window has passed


@run_async
async def test_each_touch_extends_the_window():
    spinner = Spinner(50_000)
    spinner.touch()
    await asyncio.sleep(0.01)
    assert spinner.active
    t1 = time.perf_counter()
    spinner.touch()                  # still spinning: now until 50 ms after this touch
    await until_idle(spinner)
    assert time.perf_counter() - t1 >= 0.05


def test_spin_window_must_be_positive():
    with pytest.raises(ValueError, match="microseconds"):
        Spinner(0)


@run_async
async def test_engine_with_spin_micros_spins_after_reads_and_still_answers():
    async with CfgEngine(acceptor_cfg(SpinMicros=2000), app="ack") as eng:
        spinner = eng.engine.spinner
        assert spinner is not None and spinner.window_s == 0.002
        raw = await logon(eng.port)
        await raw.expect("A")
        await raw.send("D", NOS)
        er = await raw.expect("8")
        assert er[T.ClOrdID] == "E1" and spinner.spins > 0
        await until_idle(spinner)
        assert not spinner.active
        await raw.close()


@run_async
async def test_engine_without_spin_micros_has_no_spinner():
    async with CfgEngine(acceptor_cfg()) as eng:
        assert eng.engine.spinner is None
