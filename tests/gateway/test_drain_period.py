"""The order path's timer drains the latency stamps every DRAIN_S and runs the rest every TICK_S.

A drain stops the loop for its length (16-17 ms for half a second's stamps at 20,000 orders/s),
so the stamps are drained in short pieces between the half-second ticks (server.py, DRAIN_S)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from wirespeed.config import ConfigError, load_config
from wirespeed.gateway import server
from wirespeed.gateway.server import Gateway, drain_period
from wirespeed.symbols import table_from_config

from .conftest import run_async


async def _run_ticks(gw, monkeypatch, ticks: int, before_tick=lambda: None) -> list[float]:
    """The gateway's timer run for ``ticks`` periods, each sleep returning at once (``before_tick``
    called in it, before the period's work), then stopped: the periods it slept."""
    real_sleep, sleeps = asyncio.sleep, []

    async def fake_sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) > ticks:
            await real_sleep(3600)      # (cancelled below)
        before_tick()
        await real_sleep(0)
    monkeypatch.setattr(server.asyncio, "sleep", fake_sleep)
    task = asyncio.ensure_future(gw._tick())
    try:
        for _ in range(100 * ticks + 100):
            if len(sleeps) > ticks:
                break
            await real_sleep(0)
    finally:
        task.cancel()
    assert len(sleeps) > ticks, f"the timer ran {len(sleeps)} of {ticks} periods"
    return sleeps[:ticks]


def _append_untrimmed(store, n: int) -> None:
    """``n`` sent messages appended as store_append.h appends them: no trim."""
    for seq in range(store.next_sender_seq, store.next_sender_seq + n):
        store._sent[seq] = b"x"
        store.next_sender_seq = seq + 1


@run_async(timeout=30)
async def test_the_timer_drains_the_latency_stamps_between_its_half_second_ticks(monkeypatch):
    # Arrange: a gateway whose timer's sleeps are recorded and return at once, its work counted
    config = load_config()
    gw = Gateway(config, 1, clients=("CLIENT1",), symbols=table_from_config(config.symbols))
    calls = []
    monkeypatch.setattr(gw.orders, "drain_latency", lambda: calls.append("drain"))
    monkeypatch.setattr(gw.orders, "on_timer", lambda: calls.append("tick"))
    # Act: twenty periods of the timer
    sleeps = await _run_ticks(gw, monkeypatch, 20)
    # Assert: 50 ms periods, a drain in nine of every ten and the half-second tick in the tenth
    assert server.DRAIN_S == 0.05 and server.TICK_S == 0.5
    assert sleeps == [pytest.approx(0.05)] * 20
    assert calls == (["drain"] * 9 + ["tick"]) * 2


def test_the_drain_period_comes_from_the_environment_and_bad_values_are_named():
    assert drain_period(None) == 0.05
    assert drain_period("500") == 0.5           # the "before": the drain with the half-second tick only
    assert drain_period("5000") == 0.5          # (never longer than the tick)
    assert drain_period("0.1") == 0.001
    assert drain_period("300") == 0.25          # (the period the timer runs: a whole fraction of the tick)
    assert drain_period("400") == 0.5
    with pytest.raises(ValueError, match="WIRESPEED_DRAIN_MS must be a number of milliseconds, not 'fast'"):
        drain_period("fast")
    with pytest.raises(ConfigError, match="WIRESPEED_DRAIN_MS must be a positive number of milliseconds, not '0'"):
        drain_period("0")
    with pytest.raises(ConfigError, match="not 'nan'"):
        drain_period("nan")


def test_a_bad_drain_period_is_a_config_error_of_the_service_not_a_traceback(tmp_path):
    from .test_service import service_toml
    path = service_toml(tmp_path, (1, 2))
    proc = subprocess.run([sys.executable, "-m", "wirespeed.cli", "gateway", "--config", path],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "WIRESPEED_DRAIN_MS": "fast"})
    assert proc.returncode == 2
    assert "config error: WIRESPEED_DRAIN_MS must be a number of milliseconds, not 'fast'" in proc.stderr
    assert "Traceback" not in proc.stderr


@run_async(timeout=30)
async def test_the_drain_tick_applies_the_bounded_stores_bound_between_the_sessions_timers(monkeypatch):
    """The C paths' appends leave a bounded MemoryStore's bound to the timer's flush: a venue's store
    let go a second's messages at once. The drain's tick trims it (what Python's save_sent does
    at every append), so a second's messages go in twentieths."""
    from wirespeed.gateway.store import MemoryStore
    config = load_config()
    gw = Gateway(config, 1, clients=("CLIENT1",), symbols=table_from_config(config.symbols))
    store = MemoryStore(max_messages=10)
    _append_untrimmed(store, 30)
    client = next(iter(gw.acceptor.sessions.values()))
    monkeypatch.setattr(client, "store", store)
    ouch = type("OuchLike", (), {"session": object()})()      # (an OUCH venue's session: no store)
    monkeypatch.setitem(gw.orders.venues, "OUCH1", ouch)
    monkeypatch.setattr(gw.orders, "drain_latency", lambda: None)
    failed = []
    monkeypatch.setattr(server.log, "exception", lambda *a, **k: failed.append(a))
    await _run_ticks(gw, monkeypatch, 1)
    assert sorted(store._sent) == list(range(21, 31)) and store.dropped == 20     # (one drain tick, no on_timer)
    assert failed == []


@run_async(timeout=30)
async def test_a_store_whose_trim_fails_keeps_no_other_store_s_bound_back_and_is_logged_once(monkeypatch):
    """One session's store raising in ``trim`` must not stop the trims of the sessions after it,
    nor log a traceback every tick (20 a second): once, until it trims again; and the half-second
    tick trims too."""
    from wirespeed.gateway.store import MemoryStore
    config = load_config()
    gw = Gateway(config, 1, clients=("CLIENT1", "CLIENT2"), symbols=table_from_config(config.symbols))

    class Broken(MemoryStore):
        fail = True

        def trim(self):
            if self.fail:
                raise OSError("disk gone")
            return super().trim()
    first, second = list(gw.acceptor.sessions.values())[:2]
    broken, store = Broken(max_messages=10), MemoryStore(max_messages=10)
    monkeypatch.setattr(first, "store", broken)
    monkeypatch.setattr(second, "store", store)
    monkeypatch.setattr(gw.orders, "drain_latency", lambda: None)
    monkeypatch.setattr(gw.orders, "on_timer", lambda: None)
    logged = []
    monkeypatch.setattr(server.log, "exception", lambda *a, **k: logged.append(a))
    # 30 more messages before each of twenty ticks
    await _run_ticks(gw, monkeypatch, 20, before_tick=lambda: _append_untrimmed(store, 30))
    # twenty ticks (two of them the half-second one): the other store trimmed at each, one traceback
    assert len(store._sent) == 10 and store.dropped == 20 * 30 - 10
    assert len(logged) == 1 and "CLIENT1" in str(logged[0])
    broken.fail = False                # it trims again: a later failure is logged again
    gw._trim_stores()
    broken.fail = True
    gw._trim_stores()
    gw._trim_stores()
    assert len(logged) == 2
