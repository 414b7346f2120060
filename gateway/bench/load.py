"""``make bench-load``: sustained load through the gateway service, not part of ``make test``.

N client sessions each send R orders a second for S seconds (default 20 x 1,000 x 60 s)
through ``wirespeed gateway`` to two venues (``fix-acceptor --app ack``: every order is
filled at once), orders alternating between the venues by ExDestination. Every order is
answered by exactly one ExecutionReport, so the counts are exact: lost = sent - answered,
duplicated = answers beyond one per ClOrdID. Prints those, the round-trip percentiles, and
the gateway process's CPU time and peak RSS (from /proc).

The generator and the venues share the 2 cores with the gateway, so by default both are the C
program of ``loadfix.c`` (``--generator c``, ``--venue c``; built with gcc on first use,
loadfix.py): real FIX sessions (Logon, sequence numbers, heartbeats, BodyLength and CheckSum
checked both ways) at a few hundred ns of CPU an order, one ``timerfd`` tick (``--tick-us``,
1 ms) and one write per session per tick; a session the gateway does not read from gets no new
orders until it does (``deferred``: TCP pushback, never a drop). ``--generator python`` and
``--venue python`` run the Python ones below and ``fix-acceptor --app ack``.

The Python generator is kept cheap too: each session's
NewOrderSingle is a pre-encoded template (only MsgSeqNum and the ClOrdID's number change;
its CheckSum is the template's byte sum plus theirs), SendingTime is rendered once a tick,
a session's orders of one tick go in one write stamped once, answers are matched by one
regular expression over each read, and round trips are kept as plain ints until the end.
``--procs K`` spreads the sessions over K generator processes (one uvloop each).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from hdrh.histogram import HdrHistogram

from wirespeed.latency import LatencyRecorder

from . import loadfix
from ..admin import request
from ..server import DRAIN_S
from .order_path import service_toml, start_gateway, venue_cmd
from .rtt_client import frame

TICK_S = 0.01
HOP = "client round trip"
_CL = re.compile(rb"\x0135=8\x01.*?\x0111=([^\x01]*)\x01", re.S)   # an ExecutionReport's ClOrdID


class OrderTemplate:
    """One session's NewOrderSingle to one venue with MsgSeqNum, SendingTime and the ClOrdID's
    number filled in, framed with BodyLength and CheckSum computed from parts summed once."""

    def __init__(self, name: str, venue: str):
        self.head = f"8=FIX.4.4\x019=".encode()
        self.a = f"35=D\x0149={name}\x0156=GW\x0134=".encode()
        self.b = b"\x0152="
        self.c = f"\x0111={name}-".encode()
        self.d = (f"\x0155=AAPL\x0154=1\x0160=20261122-10:00:00\x0138=10\x0140=2\x0144=190.25\x0159=0"
                  f"\x01100={venue}\x01").encode()
        self.fixed_sum = sum(self.head) + sum(self.a) + sum(self.b) + sum(self.c) + sum(self.d) + 1  # + 9='s SOH
        self.fixed_len = len(self.a) + len(self.b) + len(self.c) + len(self.d)

    def encode(self, seq: bytes, sending_time: bytes, sending_sum: int, n: bytes) -> bytes:
        body_len = self.fixed_len + len(seq) + len(sending_time) + len(n)
        length = str(body_len).encode()
        total = self.fixed_sum + sum(length) + sum(seq) + sending_sum + sum(n)
        return b"%s%s\x01%s%s%s%s%s%s%s10=%03d\x01" % (self.head, length, self.a, seq, self.b, sending_time,
                                                       self.c, n, self.d, total % 256)


class LoadSession(asyncio.Protocol):
    """One client session: Logon, then paced NewOrderSingles; answers matched by ClOrdID."""

    def __init__(self, name: str, venues: list[str], stats: dict):
        self.name, self.stats = name, stats
        self.templates = [OrderTemplate(name, v) for v in venues]
        self.prefix = f"{name}-".encode()
        self.seq, self.sent, self.buf = 1, 0, b""
        self.pending: dict[bytes, int] = {}
        self.answered: set[bytes] = set()
        self.rtts: list[int] = []
        self.logged_on = asyncio.Event()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        now = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()) + ".000"
        transport.write(frame(f"35=A\x0149={self.name}\x0156=GW\x0134=1\x0152={now}\x0198=0\x01108=30\x01141=Y\x01"))
        self.seq = 2

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        buf = self.buf + data
        end = buf.rfind(b"\x0110=")
        if end < 0 or len(buf) < end + 8:
            self.buf = buf
            return
        whole, self.buf = buf[:end + 8], buf[end + 8:]
        if not self.logged_on.is_set() and b"\x0135=A\x01" in whole:
            self.logged_on.set()
        pending, answered, rtts = self.pending, self.answered, self.rtts
        for cl in _CL.findall(whole):
            t0 = pending.pop(cl, None)
            if t0 is not None:
                answered.add(cl)
                rtts.append(now - t0)
            elif cl in answered:
                self.stats["duplicated"] += 1
            else:
                self.stats["unknown"] += 1

    def send_orders(self, n: int, sending_time: bytes, sending_sum: int) -> None:
        out = []
        names = []
        templates = self.templates
        for _ in range(n):
            self.sent += 1
            num = str(self.sent).encode()
            out.append(templates[self.sent % len(templates)].encode(str(self.seq).encode(), sending_time,
                                                                    sending_sum, num))
            self.seq += 1
            names.append(self.prefix + num)
        self.transport.write(b"".join(out))
        t0 = time.perf_counter_ns()
        pending = self.pending
        for cl in names:
            pending[cl] = t0


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds used, peak RSS bytes) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) * 1024
    return cpu, rss


def _rss(pid: int) -> int:
    """The resident set of a process now (VmRSS, bytes; 0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """The gateway's RSS once a second over the run, in a thread: whether memory levels off (what it
    keeps is bounded: [retention], docs/gateway/service.md) or grows with the orders."""

    def __init__(self, pid: int, every_s: float = 1.0):
        import threading
        self.pid, self.every_s, self.samples = pid, every_s, []     # (seconds since start, bytes)
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append((time.monotonic() - self._t0, _rss(self.pid)))

    def stop(self) -> list:
        self._stop.set()
        self._thread.join()
        return self.samples


def rss_profile(samples: list, points: int = 6) -> str:
    """``points`` of the samples spread over the run, as "10 s 180 MiB, 20 s 240 MiB, ..."."""
    if not samples:
        return "no samples"
    n = len(samples)
    picked = [samples[i] for i in sorted({max((k + 1) * n // points - 1, 0) for k in range(points)})]   # the last one last
    return ", ".join(f"{t:.0f} s {b / 2**20:.0f} MiB" for t, b in picked)


def _sched(pid: int) -> tuple[int, int, int, int]:
    """(ns on a CPU, ns runnable but waiting for one, voluntary and involuntary context switches) of
    a process's main thread, from /proc: with the wall time, how long it slept (in epoll_wait:
    nothing to read) against how long the machine's other work kept it off a CPU."""
    with open(f"/proc/{pid}/schedstat") as f:
        run_ns, wait_ns, _ = (int(x) for x in f.read().split())
    vol = invol = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                vol = int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                invol = int(line.split()[1])
    return run_ns, wait_ns, vol, invol


# The gateway's system calls that say how its loop turned (perf's tracepoints, ``--syscalls``):
# one epoll_pwait a loop turn (libuv), its socket reads and writes, epoll_ctl (a fair read's
# pause_reading / resume_reading).
SYSCALLS = ("epoll_pwait", "epoll_wait", "read", "recvmsg", "write", "writev", "sendmsg", "epoll_ctl")


def _perf(pid: int):
    """``perf stat`` counting SYSCALLS of process ``pid`` until stopped (None without perf)."""
    exe = shutil.which("perf")
    if exe is None:
        return None
    events = ",".join(f"syscalls:sys_enter_{c}" for c in SYSCALLS)
    return subprocess.Popen([exe, "stat", "-x", ",", "-e", events, "-p", str(pid)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _perf_counts(proc) -> dict[str, int]:
    """Stop ``_perf``'s process; its counts by system call ({} where perf could not count)."""
    import signal
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    counts = {}
    for line in err.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[2].startswith("syscalls:sys_enter_") and parts[0].isdigit():
            counts[parts[2][len("syscalls:sys_enter_"):]] = int(parts[0])
    return counts


async def _drive(port: int, names: list[str], rate: float, seconds: float, venues: list[str]) -> dict:
    """Run ``names``' sessions against the gateway; their counts and round trips (an HDR histogram)."""
    loop = asyncio.get_running_loop()
    stats = {"duplicated": 0, "unknown": 0}
    clients = []
    for name in names:
        s = LoadSession(name, venues, stats)
        await loop.create_connection(lambda s=s: s, "127.0.0.1", port)
        clients.append(s)
    await asyncio.wait_for(asyncio.gather(*(c.logged_on.wait() for c in clients)), 30)
    start = loop.time()
    ticks = int(seconds / TICK_S)
    owed, second, sending_time, sending_sum = 0.0, -1, b"", 0
    for k in range(ticks):
        now = time.time()
        if int(now) != second:
            second = int(now)
            sending_time = (time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(now)) + ".000").encode()
            sending_sum = sum(sending_time)
        owed += rate * TICK_S
        n, owed = int(owed), owed - int(owed)
        for c in clients:
            c.send_orders(n, sending_time, sending_sum)
        await asyncio.sleep(max(start + (k + 1) * TICK_S - loop.time(), 0))
    send_s = loop.time() - start
    deadline = loop.time() + 10
    while any(c.pending for c in clients) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)     # a late duplicate would arrive now
    hist = HdrHistogram(1, 60_000_000_000, 3)
    for c in clients:
        for v in c.rtts:
            hist.record_value(min(max(v, 1), 60_000_000_000))
    for c in clients:
        c.transport.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"sent": sum(c.sent for c in clients), "answered": sum(len(c.answered) for c in clients),
            "send_s": send_s, "cpu_s": usage.ru_utime + usage.ru_stime, "rtt": base64.b64encode(hist.encode()).decode("ascii"), **stats}


def _worker(argv: list[str]) -> int:
    """One generator process: ``--worker PORT RATE SECONDS VENUES NAME...``; prints its result as JSON."""
    import uvloop
    port, rate, seconds, venues, *names = argv
    result = uvloop.run(_drive(int(port), names, float(rate), float(seconds), venues.split(",")))
    print(json.dumps(result), flush=True)
    return 0


def _c_results(out: str, rtt_file: str) -> dict:
    """The C generator's JSON line, its round trips as an HDR histogram (encoded, as the workers')."""
    from array import array

    from ..native.hist import record_many
    result = json.loads(out)
    values = array("Q")
    with open(rtt_file, "rb") as f:
        values.frombytes(f.read())
    hist = HdrHistogram(1, 60_000_000_000, 3)
    record_many(hist, values.tolist())
    result["rtt"] = base64.b64encode(hist.encode()).decode("ascii")
    return result


def run(sessions: int = 20, rate: float = 1000, seconds: float = 60, procs: int = 1, coalesce: bool = True,
        spin_us: int = 0, backend: str = "model", python_path: bool = False, generator: str = "c",
        venue: str = "c", tick_us: int = 1000, drain_s: float = 30.0, max_drain_s: float = 600.0,
        keep_log: str = "", kernel_timestamps: bool = False, fair_reads: bool = True, syscalls: bool = False,
        audit: bool = False, client_memory_messages: int | None = None) -> dict:
    """``backend``: the gateway's risk backend; ``python_path``: its native codec off
    (WIRESPEED_NATIVE=0), the reference a native run is compared with; ``generator`` and
    ``venue``: "c" (loadfix.c) or "python"; ``fair_reads=False``: the gateway with
    WIRESPEED_FAIR_READS=0 (uvloop's reads of up to 32 x 256,000 bytes a socket a turn: the before);
    ``syscalls``: the gateway's loop turns, reads and writes counted by ``perf stat`` (``SYSCALLS``);
    ``audit``: the gateway with its audit trail on (``[audit] directory`` in the run's directory);
    ``client_memory_messages``: ``[retention] client_memory_messages`` (None: the default; 0: every
    client message in memory, the before of the client stores' spill to disk)."""
    venues = ["XNAS", "XNYS"]
    names = [f"LOAD{i:02d}" for i in range(sessions)]
    procs = max(1, min(procs, sessions)) if generator == "python" else 1
    with tempfile.TemporaryDirectory() as tmp:
        servers, workers = [], []
        try:
            ports = []
            # Not pinned: three servers on one CPU would measure the pinning, not the gateway.
            for v in venues:
                cmd = loadfix.venue_cmd(v) if venue == "c" else venue_cmd(tmp, v)
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                servers.append(proc)
                ports.append(int(proc.stdout.readline().split()[2].rsplit(":", 1)[1]))
            config = service_toml(tmp, ports, names, venues, spin_us, coalesce=coalesce, backend=backend)
            if kernel_timestamps:   # (the gateway's sockets read by recvmsg, one read a socket a loop turn)
                text = open(config).read().replace("[transport]\n", "[transport]\nkernel_timestamps = true\n", 1)
                open(config, "w").write(text)
            if audit:
                with open(config, "a") as f:
                    f.write(f'\n[audit]\ndirectory = "{os.path.join(tmp, "audit")}"\n')
            if client_memory_messages is not None:
                with open(config, "a") as f:
                    f.write(f'\n[retention]\nclient_memory_messages = {client_memory_messages}\n'
                            f'client_store_directory = "{os.path.join(tmp, "clients")}"\n')
            saved = os.environ.get("WIRESPEED_FAIR_READS")
            os.environ["WIRESPEED_FAIR_READS"] = "1" if fair_reads else "0"
            try:
                gw, gports = start_gateway(config, pin=False, python_path=python_path)
            finally:
                if saved is None:
                    del os.environ["WIRESPEED_FAIR_READS"]
                else:
                    os.environ["WIRESPEED_FAIR_READS"] = saved
            servers.append(gw)
            cpu0, _ = _proc_stats(gw.pid)
            sched0, wall0 = _sched(gw.pid), time.perf_counter_ns()
            perf = _perf(gw.pid) if syscalls else None
            sampler = RssSampler(gw.pid)
            rtt_file = os.path.join(tmp, "rtt.bin")
            if generator == "c":
                procs = 0
                workers.append(subprocess.Popen(loadfix.client_cmd(gports["fix"], rate, seconds, tick_us, drain_s,
                                                                   max_drain_s, venues, rtt_file, names),
                                                stdout=subprocess.PIPE, text=True))
            for k in range(procs):
                share = names[k::procs]
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "wirespeed.gateway.bench.load", "--worker", str(gports["fix"]), str(rate),
                     str(seconds), ",".join(venues), *share], stdout=subprocess.PIPE, text=True))
            results = []
            for w in workers:
                out, _ = w.communicate(timeout=seconds + max_drain_s + 120)
                if w.returncode != 0:
                    raise RuntimeError(f"load generator exited {w.returncode}")
                results.append(_c_results(out, rtt_file) if generator == "c" else json.loads(out))
            cpu1, rss = _proc_stats(gw.pid)
            rss_samples = sampler.stop()
            sched = [b - a for a, b in zip(sched0, _sched(gw.pid))]
            calls = _perf_counts(perf) if perf is not None else {}
            wall_ns = time.perf_counter_ns() - wall0
            venue_cpu = [_proc_stats(v.pid)[0] for v in servers[:len(venues)]]
            try:        # the gateway's own hops: its 50-ms latency drain's stall (server.py, "latency drain")
                gw_hops = request("127.0.0.1", gports["admin"], "latency", timeout=30).get("hops", {})
            except OSError:
                gw_hops = {}
        finally:
            for p in workers + list(reversed(servers)):
                if p.poll() is None:
                    p.terminate()
                try:
                    p.wait(30)      # a gateway behind on its input drains it before it stops
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if keep_log:
                shutil.copy(os.path.join(tmp, "gateway.log"), keep_log)
    rec = LatencyRecorder()
    for r in results:
        rec.histogram(HOP).add(HdrHistogram.decode(base64.b64decode(r["rtt"])))
    sent = sum(r["sent"] for r in results)
    answered = sum(r["answered"] for r in results)
    send_s = max(r["send_s"] for r in results)
    return {"sent": sent, "answered": answered, "lost": sent - answered,
            "duplicated": sum(r["duplicated"] for r in results), "unknown": sum(r["unknown"] for r in results),
            "deferred": sum(r.get("deferred", 0) for r in results), "rejected": sum(r.get("rejected", 0) for r in results),
            "protocol_errors": sum(r.get("garbled", 0) + r.get("seq_gaps", 0) + r.get("session_rejects", 0)
                                   for r in results),
            "send_s": send_s, "answer_s": max(r.get("answer_s", 0) for r in results), "gateway_cpu_s": cpu1 - cpu0, "gateway_peak_rss": rss, "gateway_rss": rss_samples, "latency": rec,
            "gateway_wall_s": wall_ns / 1e9, "gateway_run_s": sched[0] / 1e9, "gateway_wait_s": sched[1] / 1e9,
            "gateway_sleep_s": max(wall_ns - sched[0] - sched[1], 0) / 1e9, "gateway_switches": tuple(sched[2:]),
            "gateway_syscalls": calls,
            "generator_cpu_s": sum(r["cpu_s"] for r in results), "venue_cpu_s": venue_cpu,
            "drain": gw_hops.get("latency drain")}


def sweep(rates: list[float], a) -> int:
    """One run per rate; a rate is kept up with when the gateway served what was offered (98 %)
    with a p99 round trip under 100 ms (no queue building up)."""
    print(f"rate sweep: {a.sessions} sessions x RATE orders/s x {a.seconds:g} s across two venues, risk {a.backend}, "
          f"{a.generator} generator, {a.venue} venues{', kernel_timestamps' if a.kstamp else ''}")
    print(f"{'rate/session':>12} {'offered/s':>10} {'served/s':>9} {'lost':>6} {'dup':>4} {'p50 us':>10} "
          f"{'p99 us':>11} {'gw CPU':>7} {'us/order':>8} {'load':>5}  kept up")
    bad = 0
    for rate in rates:
        r = run(a.sessions, rate, a.seconds, a.procs, not a.no_coalesce, a.spin, a.backend, a.python_path,
                a.generator, a.venue, a.tick_us, a.drain, kernel_timestamps=a.kstamp, fair_reads=not a.unfair)
        pct = r["latency"].percentiles(HOP) if r["answered"] else {"p50": 0, "p99": 0}
        offered = r["sent"] / r["send_s"]
        served = r["answered"] / r["answer_s"] if r["answer_s"] else 0
        kept = served >= 0.98 * offered and pct["p99"] < 100_000_000
        bad += r["lost"] + r["duplicated"]
        print(f"{rate:>12g} {offered:>10.0f} {served:>9.0f} {r['lost']:>6} {r['duplicated']:>4} {pct['p50'] / 1e3:>10.0f} "
              f"{pct['p99'] / 1e3:>11.0f} {100 * r['gateway_cpu_s'] / max(r['answer_s'], r['send_s']):>6.0f}% "
              f"{1e6 * r['gateway_cpu_s'] / max(r['answered'], 1):>8.0f} {os.getloadavg()[0]:>5.1f}  "
              f"{'yes' if kept else 'no'}", flush=True)
    return 0 if bad == 0 else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        return _worker(argv[1:])
    p = argparse.ArgumentParser(prog="python -m wirespeed.gateway.bench.load")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--rate", type=float, default=1000.0, help="orders per second per session")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--procs", type=int, default=1, help="load generator processes (sessions spread over them)")
    p.add_argument("--no-coalesce", action="store_true", help="the gateway with transport.coalesce_writes = false")
    p.add_argument("--spin", type=int, default=0, help="the gateway's transport.spin_micros")
    p.add_argument("--backend", default="model", choices=("model", "native"), help="the gateway's risk backend")
    p.add_argument("--python-path", action="store_true", help="the gateway with its native codec off "
                   "(WIRESPEED_NATIVE=0): the reference for a native run")
    p.add_argument("--generator", default="c", choices=("c", "python"), help="the load generator (loadfix.c or Python)")
    p.add_argument("--venue", default="c", choices=("c", "python"), help="the ack venues (loadfix.c or fix-acceptor)")
    p.add_argument("--tick-us", type=int, default=1000, help="the C generator's send tick (one write a session a tick)")
    p.add_argument("--log", default="", help="keep the gateway's log in this file")
    p.add_argument("--kstamp", action="store_true", help="the gateway with transport.kernel_timestamps = true")
    p.add_argument("--unfair", action="store_true", help="the gateway without fair reads (WIRESPEED_FAIR_READS=0): "
                   "a busy socket read until empty in one loop turn, the before of transport.md's fair reads")
    p.add_argument("--audit", action="store_true", help="the gateway with its audit trail on")
    p.add_argument("--syscalls", action="store_true", help="count the gateway's loop turns (epoll_pwait), reads and "
                   "writes with perf stat")
    p.add_argument("--client-memory-messages", type=int, default=None,
                   help="[retention] client_memory_messages (0: every client message in memory, the before)")
    p.add_argument("--drain", type=float, default=30.0, help="seconds without an answer after which the rest are lost")
    p.add_argument("--sweep", default="", help="comma-separated rates per session: one run of --seconds each, "
                   "a row of served rate, losses and percentiles per rate (the rate the gateway sustains)")
    a = p.parse_args(argv)
    if a.sweep:
        return sweep([float(x) for x in a.sweep.split(",")], a)
    r = run(a.sessions, a.rate, a.seconds, a.procs, not a.no_coalesce, a.spin, a.backend, a.python_path,
            a.generator, a.venue, a.tick_us, a.drain, keep_log=a.log, kernel_timestamps=a.kstamp,
            fair_reads=not a.unfair, syscalls=a.syscalls, audit=a.audit,
            client_memory_messages=a.client_memory_messages)
    print(f"sustained load: {a.sessions} sessions x {a.rate:g} orders/s x {a.seconds:g} s across two venues "
          f"({a.procs} generator process{'es' if a.procs > 1 else ''}; gateway coalesce_writes "
          f"{'off' if a.no_coalesce else 'on'}, spin_micros {a.spin}, risk {a.backend}, "
          f"{'Python' if a.python_path else 'native'} codec, fair reads {'off' if a.unfair else 'on'}"
          f"{', audit trail on' if a.audit else ''})")
    print(f"sent {r['sent']}, answered {r['answered']}, lost (never answered: {a.drain:g} s passed without an answer) {r['lost']}, "
          f"duplicated {r['duplicated']}, unknown {r['unknown']}; {a.generator} generator, {a.venue} venues")
    if a.generator == "c":
        print(f"deferred (not made while the gateway pushed back) {r['deferred']}, rejected by the gateway "
              f"{r['rejected']}, protocol errors (garbled frames, sequence gaps, session rejects) {r['protocol_errors']}")
    print(f"offered {r['sent'] / r['send_s']:.0f} orders/s over {r['send_s']:.1f} s; gateway CPU "
          f"{r['gateway_cpu_s']:.1f} s ({100 * r['gateway_cpu_s'] / r['send_s']:.0f}% of one core while sending), "
          f"peak RSS {r['gateway_peak_rss'] / 2**20:.0f} MiB")
    print(f"gateway RSS over the run: {rss_profile(r['gateway_rss'])}")
    if r["answer_s"]:
        print(f"served {r['answered'] / r['answer_s']:.0f} orders/s (the last answer {r['answer_s']:.1f} s after the "
              f"first order); gateway CPU {1e6 * r['gateway_cpu_s'] / max(r['answered'], 1):.0f} us an order answered")
    print(f"gateway main thread over {r['gateway_wall_s']:.1f} s: on a CPU {r['gateway_run_s']:.1f} s, runnable but "
          f"waiting for a CPU {r['gateway_wait_s']:.1f} s, asleep (epoll_wait, nothing to read) {r['gateway_sleep_s']:.1f} s; "
          f"context switches {r['gateway_switches'][0]} voluntary, {r['gateway_switches'][1]} involuntary")
    calls = r["gateway_syscalls"]
    if calls:
        turns = calls.get("epoll_pwait", 0) + calls.get("epoll_wait", 0)
        n = max(r["answered"], 1)
        print(f"gateway loop: {turns} turns ({1e3 * r['gateway_wall_s'] / max(turns, 1):.2f} ms a turn, "
              f"{n / max(turns, 1):.0f} orders answered a turn); a 1,000 orders: "
              + ", ".join(f"{c} {1000 * calls.get(c, 0) / n:.0f}" for c in SYSCALLS[2:]))
    elif a.syscalls:
        print("gateway loop: not counted (perf stat not available or not permitted)")
    print(f"on the same machine: load generator CPU {r['generator_cpu_s']:.1f} s, venues "
          + ", ".join(f"{c:.1f} s" for c in r["venue_cpu_s"]) + f"; load average {os.getloadavg()[0]:.1f}")
    d = r.get("drain")
    if d:
        print(f"gateway latency drain (its stall, every {1e3 * DRAIN_S:g} ms): {d['count']} drains, p50 "
              f"{d['p50'] / 1e6:.2f} / p99 {d['p99'] / 1e6:.2f} / max {d['max'] / 1e6:.2f} ms")
    print(r["latency"].table("us"))
    return 0 if r["lost"] == 0 and r["duplicated"] == 0 and r.get("protocol_errors", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
