"""The relay timer's busy-polling mode (``TimerConfig.spinning()``, ``wirespeed relay --spin``):
within its horizon it never sleeps but goes round the loop, so sockets are served while it
waits; beyond it, it sleeps; its horizon never shrinks below the one configured; it pins its
thread to a CPU and puts it back; and a relay running it delays real bytes as configured."""
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from wirespeed.sim.net import Relay, TimerConfig, ToxicSpec
from wirespeed.sim.net.timer import PreciseTimer
from wirespeed.sim.net.timerfd import KernelTimer

# Windows of tens of milliseconds, so that what is checked does not depend on the machine's load.
WIDE = TimerConfig.spinning(horizon_us=40_000, max_horizon_us=40_000, sched="normal")


def test_spinning_preset_and_its_validation():
    cfg = TimerConfig.spinning()
    assert (cfg.poll, cfg.sched, cfg.margin_us, cfg.max_margin_us, cfg.spin_us, cfg.max_spin_share) == \
        (True, "realtime", 1000, 3000, 10, 1.0)
    assert TimerConfig().poll is False and TimerConfig().cpu is None      # the default stays cheap
    with pytest.raises(ValueError, match="poll: must be true or false, not 1"):
        TimerConfig(poll=1)
    with pytest.raises(ValueError, match=r"cpu: must be a CPU number >= 0 or None, not -1"):
        TimerConfig(cpu=-1)
    with pytest.raises(ValueError, match=r"max_spin_share: must be a number in \(0, 1\], not 1.5"):
        TimerConfig(max_spin_share=1.5)
    with pytest.raises(ValueError, match="max_margin_us: must be >= margin_us"):
        TimerConfig.spinning(horizon_us=5000, max_horizon_us=3000)


def test_within_the_horizon_it_polls_the_loop_and_serves_sockets_while_waiting():
    async def main():
        loop = asyncio.get_running_loop()
        timer = PreciseTimer(config=WIDE)
        a, b = socket.socketpair()
        a.setblocking(False)
        got = []
        # What the timer was doing when the socket was served: polling, its deadline still pending.
        loop.add_reader(a.fileno(), lambda: got.append((a.recv(100), timer._polling, len(timer))))
        done = loop.create_future()
        deadline = time.perf_counter_ns() + 30_000_000
        timer.at(deadline, lambda: done.set_result(time.perf_counter_ns()))
        await asyncio.sleep(0)
        state = (timer._polling, timer._armed_at)            # polling, and no wake-up armed
        b.send(b"x")                                         # arrives while the timer waits
        fired = await asyncio.wait_for(done, 5)
        stats = timer.stats()
        loop.remove_reader(a.fileno())
        timer.close()
        a.close(), b.close()
        return state, got, fired, deadline, stats
    state, got, fired, deadline, stats = asyncio.run(main())
    assert state == (True, 0)
    assert fired >= deadline, "a callback ran before its deadline"
    assert got == [(b"x", True, 1)], "the loop did not serve its socket while the timer polled"
    assert stats["poll"] is True and stats["wakes"] == 0 and 0 < stats["busy_share"] <= 1


@pytest.mark.skipif(not KernelTimer.available(), reason="no timerfd on this system")
def test_beyond_the_horizon_it_sleeps_then_polls_without_a_second_sleep():
    async def main():
        arms = []

        class Recording(PreciseTimer):          # every sleep the timer arms
            __slots__ = ()

            def _arm_at(self, wake_at, stage):
                arms.append((wake_at, stage))
                super()._arm_at(wake_at, stage)
        timer = Recording(config=TimerConfig.spinning(horizon_us=20_000, max_horizon_us=20_000, sched="normal"))
        done = asyncio.get_running_loop().create_future()
        deadline = time.perf_counter_ns() + 80_000_000
        timer.at(deadline, lambda: done.set_result((time.perf_counter_ns(), timer._polling)))
        first = (timer._polling, timer._stage, timer._armed_at - deadline)
        fired, polling = await asyncio.wait_for(done, 5)
        stats = timer.stats()
        timer.close()
        return first, arms, deadline, fired - deadline, polling, stats
    first, arms, deadline, late, polling, stats = asyncio.run(main())
    assert first == (False, 1, -20_000_000)        # asleep, to wake the horizon before
    assert arms == [(deadline - 20_000_000, 1)]     # one sleep only: from the wake-up on, it polled
    assert polling and late >= 0
    assert stats["wakes"] == 1 and stats["near_late_p99"] == 0     # (no second, short sleep)


def test_the_polling_horizon_adapts_upwards_only():
    async def main():
        timer = PreciseTimer(config=TimerConfig.spinning(horizon_us=500, max_horizon_us=2000, sched="normal"))
        for _ in range(32):
            timer._learn(10_000)                   # prompt wake-ups: the horizon stays as configured
        low = timer.margin_ns
        for _ in range(32):
            timer._learn(900_000)                  # late ones: 900 + 20 us
        high = timer.margin_ns
        for _ in range(32):
            timer._learn(5_000_000)
        timer.close()
        return low, high, timer.margin_ns
    assert asyncio.run(main()) == (500_000, 920_000, 2_000_000)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this system")
def test_it_pins_its_thread_to_the_cpu_asked_and_puts_it_back():
    allowed = os.sched_getaffinity(0)
    cpu = max(allowed)
    out = {}

    def worker():
        loop = asyncio.new_event_loop()
        try:
            timer = PreciseTimer(loop, TimerConfig.spinning(sched="normal", cpu=cpu))
            out["during"], out["main"] = os.sched_getaffinity(0), None
            timer.close()
            out["after"] = os.sched_getaffinity(0)
            with pytest.raises(ValueError, match=r"cpu: must be one of the CPUs this thread may run on .*not 4096"):
                PreciseTimer(loop, TimerConfig(cpu=4096))
            out["refused"] = os.sched_getaffinity(0)
        except BaseException as exc:
            out["error"] = exc
        finally:
            loop.close()
    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    if "error" in out:
        raise out["error"]
    assert out["during"] == {cpu} and out["after"] == allowed and out["refused"] == allowed
    assert os.sched_getaffinity(0) == allowed          # (the test's own thread was never pinned)


def test_a_spinning_relay_delays_real_bytes_and_records_each_directions_error():
    async def main():
        async def echo(reader, writer):
            while data := await reader.read(65536):
                writer.write(data)
            writer.close()
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        relay = Relay(seed=2, timer=TimerConfig.spinning(sched="normal"))
        path = await relay.create("v1", f"127.0.0.1:{server.sockets[0].getsockname()[1]}", toxics=[
            ToxicSpec("latency", stream="upstream", attributes={"latency": 2})])
        reader, writer = await asyncio.open_connection("127.0.0.1", path.port)
        rtts = []
        for i in range(5):
            t0 = time.perf_counter_ns()
            writer.write(b"m%d" % i)
            assert await asyncio.wait_for(reader.readexactly(2), 2) == b"m%d" % i
            rtts.append(time.perf_counter_ns() - t0)
        stats = path.stats()
        writer.close()
        await relay.close()
        server.close()
        return rtts, stats
    rtts, stats = asyncio.run(main())
    assert min(rtts) >= 2_000_000
    up, down = stats["upstream_delay_error"], stats["downstream_delay_error"]
    assert up["count"] == down["count"] == 5 and stats["delay_error"]["count"] == 10
    assert stats["upstream_injected_delay"]["p50"] >= 2_000_000 and up["p50"] >= 0
    assert stats["timer"]["poll"] is True


def test_relay_cli_refuses_a_cpu_it_may_not_run_on(monkeypatch, capsys):
    import gc

    from wirespeed.sim import cli
    monkeypatch.setattr(cli, "install_uvloop", lambda: None)     # (in process: the test's loop policy
    monkeypatch.setattr(gc, "freeze", lambda: None)              #  and heap are left as they are)
    assert cli.relay_main(port=0, run_for=5, spin=True, cpu=4096) == 2
    err = capsys.readouterr().err
    assert "wirespeed relay: cpu: must be one of the CPUs this thread may run on" in err and "not 4096" in err


def test_the_collector_waits_while_it_polls_and_runs_when_it_stops():
    import gc

    async def main():
        timer = PreciseTimer(config=WIDE)
        done = asyncio.get_running_loop().create_future()
        timer.at(time.perf_counter_ns() + 10_000_000, lambda: done.set_result(gc.isenabled()))
        await asyncio.sleep(0)
        during = gc.isenabled()
        junk = [[] for _ in range(3 * gc.get_threshold()[0])]    # young objects, collected after
        enabled_at_deadline = await asyncio.wait_for(done, 5)
        await asyncio.sleep(0)
        after, young = gc.isenabled(), gc.get_count()[0]
        timer.at(time.perf_counter_ns() + 30_000_000, lambda: None)
        await asyncio.sleep(0)
        held = gc.isenabled()
        timer.close()                                            # (closed while polling: given back)
        del junk
        return during, enabled_at_deadline, after, young, held, gc.isenabled()
    assert gc.isenabled()
    during, at_deadline, after, young, held, closed = asyncio.run(main())
    assert (during, at_deadline, after, held, closed) == (False, False, True, False, True)
    assert young < gc.get_threshold()[0]          # collected when the polling stopped


def test_wirespeed_relay_spin_serves_toxiproxy_clients_and_reports_its_polling():
    import json
    import re
    import urllib.request

    import toxiproxy
    from toxiproxy.api import APIConsumer

    listener = socket.create_server(("127.0.0.1", 0))

    def echo():                                    # one connection, then done
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)
    threading.Thread(target=echo, daemon=True).start()
    proc = subprocess.Popen([sys.executable, "-m", "wirespeed.cli", "relay", "--port", "0", "--run-for", "20",
                             "--spin", "--sched", "normal"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1))
        APIConsumer.host, APIConsumer.port = "127.0.0.1", port
        proxy = toxiproxy.Toxiproxy().create(upstream=f"127.0.0.1:{listener.getsockname()[1]}", name="p1")
        proxy.add_toxic(type="latency", stream="upstream", attributes={"latency": 2})
        listen_port = int(proxy.listen.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", listen_port)) as c:
            rtts = []
            for i in range(3):
                t0 = time.perf_counter_ns()
                c.sendall(b"r%d" % i)
                assert c.recv(16) == b"r%d" % i
                rtts.append(time.perf_counter_ns() - t0)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/proxies/p1/stats", timeout=5) as r:
            stats = json.loads(r.read())
    finally:
        proc.terminate()
        proc.wait(10)
        listener.close()
    assert min(rtts) >= 2_000_000
    assert stats["timer"]["poll"] is True and stats["upstream_delay_error"]["count"] == 3


def test_relay_cli_spin_without_real_time_falls_back_to_the_sleeping_timer(monkeypatch):
    """Busy-polling at normal priority is worse than sleeping on a loaded machine: when the kernel
    refuses SCHED_FIFO (no CAP_SYS_NICE), ``wirespeed relay --spin`` says so and sleeps."""
    import io

    from wirespeed.sim import cli

    def refuse(*a, **k):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(os, "sched_setscheduler", refuse)

    async def main():
        err = io.StringIO()
        relay = cli.build_relay(0, "realtime", spin=True, err=err)
        try:
            return relay.timer.sched, relay.timer.config.poll, err.getvalue()
        finally:
            await relay.close()
    sched, poll, err = asyncio.run(main())
    assert poll is False and sched != "realtime"
    assert "sched realtime refused" in err and "the sleeping timer runs" in err
