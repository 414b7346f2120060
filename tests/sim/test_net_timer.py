"""The relay's precise timer: deadlines kept (never early, in order), woken by a kernel timerfd
or the loop's timer, the adaptive wake-up margin, and the scheduling modes of its thread."""
import asyncio
import os
import select
import threading
import time

import pytest

from wirespeed.sim.net import TimerConfig
from wirespeed.sim.net import sched
from wirespeed.sim.net.timer import PreciseTimer
from wirespeed.sim.net.timerfd import KernelTimer


def _run_deadlines(config: TimerConfig, offsets_us: list[int]):
    async def main():
        timer = PreciseTimer(config=config)
        fired = []
        done = asyncio.get_running_loop().create_future()
        base = time.perf_counter_ns()
        for i, off in enumerate(offsets_us):
            d = base + off * 1000
            timer.at(d, lambda i=i, d=d: (fired.append((i, time.perf_counter_ns() - d)),
                                          len(fired) == len(offsets_us) and done.set_result(None)))
        await asyncio.wait_for(done, 5)
        stats = timer.stats()
        timer.cancel_all()
        return fired, stats, timer
    return asyncio.run(main())


@pytest.mark.parametrize("wake", ["kernel", "loop"])
def test_deadlines_fire_in_order_never_early(wake):
    offsets = [3000, 500, 500, 8000, 0, 2000, 1200]
    fired, stats, _ = _run_deadlines(TimerConfig(wake=wake, sched="normal"), offsets)
    order = sorted(range(len(offsets)), key=lambda i: (offsets[i], i))   # FIFO among equal deadlines
    assert [i for i, _ in fired] == order
    assert all(late >= 0 for _, late in fired), "a callback ran before its deadline"
    if wake == "kernel" and KernelTimer.available():
        assert stats["wake"] == "kernel"


@pytest.mark.skipif(not KernelTimer.available(), reason="no timerfd on this system")
def test_within_the_margin_it_sleeps_again_until_the_spin_window():
    # Wide windows (ms) so that what the test checks does not depend on the machine's load.
    cfg = TimerConfig(margin_us=200_000, spin_us=50_000, max_margin_us=200_000, max_spin_us=50_000,
                      adaptive=False, sched="normal")

    async def main():
        timer = PreciseTimer(config=cfg)
        done = asyncio.get_running_loop().create_future()
        deadline = time.perf_counter_ns() + 150_000_000
        timer.at(deadline, lambda: done.set_result(time.perf_counter_ns()))
        polling = timer._polling                  # within the margin already: no first sleep
        await asyncio.sleep(0)                    # the loop's next turn: the timer looks again
        second = (timer._stage, timer._armed_at - deadline, timer._polling)
        fired = await asyncio.wait_for(done, 5)
        stats = timer.stats()
        timer.cancel_all()
        return polling, second, fired - deadline, stats
    polling, second, late, stats = asyncio.run(main())
    assert polling and second == (2, -50_000_000, False)     # a second sleep, to 50 ms before
    assert late >= 0 and stats["wakes"] == 1 and stats["near_late_p50"] == stats["near_late_p99"] >= 0


def test_adaptive_margin_follows_the_observed_wake_up_lateness():
    async def main():
        cfg = TimerConfig(margin_us=300, spin_us=40, max_margin_us=700, sched="normal")
        timer, fixed = PreciseTimer(config=cfg), PreciseTimer(config=TimerConfig(adaptive=False, sched="normal"))
        seen = []
        for late_us in [30] * 31 + [100]:         # the window's worst (100 us) + 20 us
            timer._learn(late_us * 1000)
            fixed._learn(late_us * 1000)
        seen.append(timer.margin_ns)
        for _ in range(1024):                     # the 100 us wake-up has left the 1,024-wake window
            timer._learn(10_000)
        seen.append(timer.margin_ns)
        for _ in range(32):
            timer._learn(5_000_000)               # preempted wake-ups: capped at max_margin
        seen.append(timer.margin_ns)
        spin = [timer.spin_ns]
        for late_us in (75, 400):
            for _ in range(1024):
                timer._learn(late_us * 1000, stage=2)
            spin.append(timer.spin_ns)
        return seen, fixed.margin_ns, timer.stats(), spin
    seen, fixed, stats, spin = asyncio.run(main())
    assert seen == [120_000, 40_000, 700_000]     # (the spin window is the floor: 10 + 20 < 40 us)
    assert spin == [40_000, 95_000, 150_000]      # second wake-ups set the spin, within spin .. max_spin
    assert fixed == 200_000                       # (TimerConfig's starting margin, kept)
    assert stats["wakes"] == 32 + 1024 + 32 + 2 * 1024 and stats["wake_late_p99"] == 5_000_000


def test_cancel_all_drops_deadlines_and_releases_the_timerfd():
    async def main():
        timer = PreciseTimer(config=TimerConfig(sched="normal"))
        ran = []
        timer.at(time.perf_counter_ns() + 5_000_000, lambda: ran.append(1))
        kernel = timer._kernel
        timer.cancel_all()
        await asyncio.sleep(0.01)
        return ran, kernel, timer
    ran, kernel, timer = asyncio.run(main())
    assert ran == [] and len(timer) == 0 and timer._kernel is None
    if kernel is not None:
        assert kernel.fd == -1


@pytest.mark.skipif(not KernelTimer.available(), reason="no timerfd on this system")
def test_kernel_timer_becomes_readable_at_its_deadline_not_before():
    kt = KernelTimer()
    try:
        t0 = time.perf_counter_ns()
        kt.arm(t0 + 2_000_000)
        assert select.select([kt.fd], [], [], 0)[0] == []
        assert select.select([kt.fd], [], [], 1.0)[0] == [kt.fd]
        assert time.perf_counter_ns() - t0 >= 2_000_000
        kt.clear()
        assert select.select([kt.fd], [], [], 0)[0] == []
        kt.arm(time.perf_counter_ns() + 50_000_000)
        kt.disarm()
        assert select.select([kt.fd], [], [], 0.07)[0] == []
    finally:
        kt.close()


def test_timer_config_names_the_bad_field():
    with pytest.raises(ValueError, match="wake: must be 'kernel' or 'loop', not 'epoll'"):
        TimerConfig(wake="epoll")
    with pytest.raises(ValueError, match=r"spin_us: must be an integer >= 0 \(microseconds\), not -1"):
        TimerConfig(spin_us=-1)
    with pytest.raises(ValueError, match="max_margin_us: must be >= margin_us"):
        TimerConfig(margin_us=900, max_margin_us=800)
    with pytest.raises(ValueError, match="max_spin_us: must be >= spin_us"):
        TimerConfig(spin_us=200, max_spin_us=150)
    with pytest.raises(ValueError, match="sched: must be one of keep, normal, slice, realtime, not 'fast'"):
        TimerConfig(sched="fast")
    with pytest.raises(TypeError, match="config must be a TimerConfig"):
        PreciseTimer(asyncio.new_event_loop(), {"wake": "loop"})


def test_sched_modes_apply_to_the_calling_thread_only():
    out = {}

    def worker():
        out["slice"] = sched.apply("slice")
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert out["slice"] in ("slice", "normal")       # "normal" where the kernel has no custom slices
    assert sched.apply("normal") == "normal"
    with pytest.raises(ValueError, match="sched: must be one of keep, normal, slice, realtime, not 'rt'"):
        sched.apply("rt")


def test_a_real_time_timer_that_spins_too_much_goes_back_to_normal_scheduling():
    out = {}

    def worker():                                 # (its own thread: the policy is per thread)
        loop = asyncio.new_event_loop()
        try:
            timer = PreciseTimer(loop, TimerConfig(sched="realtime"))
            out["first"] = timer.sched
            timer._spun, timer._budget_at = 1_200_000_000, timer._budget_at - 2 * 10 ** 9   # spun 60%
            timer._tick()
            out["after"], out["policy"] = timer.sched, os.sched_getscheduler(0)
            timer._spun, timer._budget_at = 10 ** 8, timer._budget_at - 2 * 10 ** 9   # 5%: fine
            timer._tick()
            out["budget_reset"] = timer._spun == 0
        finally:
            loop.close()
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert out["first"] in ("realtime", "normal")        # "normal": no CAP_SYS_NICE here
    assert out["after"] == "normal" and out["policy"] == os.SCHED_OTHER and out["budget_reset"]


def _in_thread(fn):
    """Run ``fn`` on a thread of its own (scheduling is per thread) and return what it returned."""
    out = {}

    def worker():
        loop = asyncio.new_event_loop()
        try:
            out["result"] = fn(loop)
        except BaseException as exc:               # re-raised in the test's thread
            out["error"] = exc
        finally:
            loop.close()
    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    if "error" in out:
        raise out["error"]
    return out["result"]


def test_a_timer_leaves_its_threads_scheduling_alone_unless_asked_and_restores_it_on_close():
    def run(loop):
        honours_slice = sched.apply("slice") == "slice"     # a thread someone gave a short slice
        given = sched.save()
        default = PreciseTimer(loop)                        # TimerConfig(): sched "keep"
        kept = (sched.save() == given, default.sched)
        default.close()
        asked = PreciseTimer(loop, TimerConfig(sched="normal"))
        demoted = sched.current()
        asked.close()
        return honours_slice, kept, demoted, sched.save() == given, sched.current()
    honours_slice, kept, demoted, restored, after = _in_thread(run)
    assert TimerConfig().sched == "keep"
    assert kept == (True, "slice" if honours_slice else "normal")
    assert demoted == "normal" and restored
    assert after == ("slice" if honours_slice else "normal")


def test_a_real_time_thread_keeps_its_priority_and_gets_it_back_after_a_normal_timer():
    def run(loop):
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except (OSError, AttributeError):
            return None
        PreciseTimer(loop).close()
        kept = os.sched_getscheduler(0)
        timer = PreciseTimer(loop, TimerConfig(sched="normal"))
        during = os.sched_getscheduler(0)
        timer.close()
        return kept, during, os.sched_getscheduler(0)
    got = _in_thread(run)
    if got is None:
        pytest.skip("no CAP_SYS_NICE: cannot make a SCHED_FIFO thread")
    assert got == (os.SCHED_FIFO, os.SCHED_OTHER, os.SCHED_FIFO)


def test_slice_is_reported_only_when_the_kernel_keeps_it(monkeypatch):
    # Kernels before 6.12 accept sched_setattr's sched_runtime for SCHED_OTHER and ignore it:
    # what reads back is the truth, not the return code.
    monkeypatch.setattr(sched, "_setattr", lambda attr, tid=0: True)
    monkeypatch.setattr(sched, "_getattr", lambda tid=0: sched._SchedAttr())      # runtime 0: ignored
    assert sched.apply("slice") == "normal"
    kept = sched._SchedAttr()
    kept.sched_runtime = sched.SLICE_NS
    monkeypatch.setattr(sched, "_getattr", lambda tid=0: kept)
    assert sched.apply("slice") == "slice"
