"""The order path under ``make bench``: the gateway between a client and a venue, and risk alone.

- Gateway-added latency: client message received -> venue message written (the order path's
  ``client->venue`` hop, read from the running service's admin interface) with the ``model``
  backend under a steady flow of one order at a time, sleeping and spinning, and with the
  ``verilator`` backend.
- Client round trip through the gateway to a venue (``wirespeed fix-acceptor --app ack``, which
  answers each order with a fill) and back, next to the uvloop echo floor, measured by one
  rtt_client.py process in alternating blocks (see roundtrip.py): the ratio is the figure.
- The risk decision alone, per backend (the ``amaranth`` simulator is for verification: its
  figure shows why it is not for flow).

Processes are pinned as in roundtrip.py: the servers on the last CPU, the client on the first.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.latency import LatencyRecorder
from wirespeed.order import Order

from ..admin import request
from .roundtrip import HERE, _measure, _pinned, _start, _stop, cores


def service_toml(tmp: str, venue_ports: list[int], clients: list[str], venues: list[str], spin_us: int = 0,
                 name: str = "gateway", coalesce: bool = True, backend: str = "model") -> str:
    path = Path(tmp) / f"{name}.toml"
    lines = ['[gateway]', 'comp_id = "GW"', '[admin]', 'enabled = true', '[transport]', f'spin_micros = {spin_us}',
             f'coalesce_writes = {str(coalesce).lower()}', '[risk]', f'backend = "{backend}"']
    for c in clients:
        lines += ["[[clients]]", f'comp_id = "{c}"']
    for name, port in zip(venues, venue_ports):
        lines += ["[[venues]]", f'name = "{name}"', f"port = {port}", f'comp_id = "{name}"']
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def lean_venue_cmd(name: str, spin_us: int = 0) -> list[str]:
    """A venue as lean as the echo floor (bench/venue_acker.py: the same uvloop Protocol, the
    ack app's fill), so the round trip's extra over the floor is the gateway's; ``spin_us``: its
    loop spins that long after each read instead of sleeping in epoll."""
    return [sys.executable, str(HERE / "venue_acker.py"), name] + ([str(spin_us)] if spin_us else [])


def venue_cmd(tmp: str, name: str) -> list[str]:
    """A venue that fills every order: the engine's ack app behind an acceptor for the gateway."""
    cfg = Path(tmp) / f"venue-{name}.cfg"
    cfg.write_text("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\n"
                   f"SenderCompID={name}\nTargetCompID=GW\nSocketAcceptPort=0\nMaxMessagesPerSecond=1000000\n")
    return [sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(cfg), "--app", "ack"]


def start_gateway(config: str, pin: bool = True, venue: str = "", python_path: bool = False,
                  fast_path: bool = True, read_entry: bool = True,
                  quickack: bool = False) -> tuple[subprocess.Popen, dict[str, int]]:
    """``python_path``: the gateway with its native codec off (WIRESPEED_NATIVE=0), the
    reference the native path is measured against in the same run; ``fast_path=False``: the
    native parts without the client fast path (WIRESPEED_FAST_PATH=0), its "before"."""
    # Its log goes to a file beside the config: a pipe nobody reads would stall it once full.
    log = open(Path(config).with_suffix(".log"), "w")
    env = {**os.environ, **({"WIRESPEED_NATIVE": "0"} if python_path else {}),
           **({} if fast_path else {"WIRESPEED_FAST_PATH": "0"}), **({} if read_entry else {"WIRESPEED_READ_ENTRY": "0"}),
           **({"WIRESPEED_QUICKACK": "1"} if quickack else {})}
    proc = subprocess.Popen([sys.executable, "-m", "wirespeed.cli", "gateway", "--config", config],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                            preexec_fn=_pinned(cores()[0]) if pin else None)
    log.close()
    ports = {}
    while "admin" not in ports:
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise RuntimeError(f"gateway did not start: {Path(config).with_suffix('.log').read_text()}")
        if line.startswith("listening "):
            ports[line.split()[1]] = int(line.split()[2].rsplit(":", 1)[1])
        elif venue and line.startswith(f"venue {venue} ") and "not logged on" in line:
            proc.kill()
            raise RuntimeError(f"gateway: venue {venue} not logged on")
    return proc, ports


VERILATOR_SERIES = "client -> gateway (verilator risk) -> venue -> client"
PYTHON_SERIES = "client -> gateway (Python path: model risk, Python codec) -> venue -> client"
NATIVE_SERIES = "client -> gateway (native parts: native risk, C codec, Python order path) -> venue -> client"
FAST_SERIES = "client -> gateway (fast path: one C call per read) -> venue -> client"
LEAN_NATIVE_SERIES = "client -> gateway (native parts, no fast path) -> lean venue (uvloop acker) -> client"
LEAN_FAST_SERIES = "client -> gateway (fast path) -> lean venue (uvloop acker) -> client"
# the fast path entered through the Python read chain (WIRESPEED_READ_ENTRY=0): the C read entry's "before"
LEAN_CHAIN_SERIES = "client -> gateway (fast path, Python read chain) -> lean venue (uvloop acker) -> client"
# the lean venue spinning (its loop polls after each read): the gateway's venue write does not wake
# a sleeping process (the venue send's extra column, not the figure)
LEAN_SPIN_VENUE_SERIES = "client -> gateway (fast path) -> lean venue (polling after each read) -> client"
# the gateway setting TCP_QUICKACK on its sockets after each read (WIRESPEED_QUICKACK=1): its peers'
# next sends (the client's order, the venue's report) cost them less (bench/send_flags.py)
LEAN_QUICKACK_SERIES = "client -> gateway (fast path, TCP_QUICKACK after each read) -> lean venue (uvloop acker) -> client"
LEAN = (LEAN_NATIVE_SERIES, LEAN_FAST_SERIES, LEAN_CHAIN_SERIES, LEAN_SPIN_VENUE_SERIES, LEAN_QUICKACK_SERIES)


def through_gateway(count: int = 4000, rounds: int = 20, warmup: int = 20, spin_us: int = 1000,
                    verilator: bool = False, native: bool = False,
                    entry_pair: bool = True) -> tuple[LatencyRecorder, dict[str, dict]]:
    """(round trips: echo floor and through the gateway, sleeping and spinning, and with
    ``verilator`` a sleeping gateway whose risk decisions the Verilated pipeline makes; each
    gateway's own hop percentiles in ns, by series label). With ``native``, two more sleeping
    gateways: the Python path (WIRESPEED_NATIVE=0, the ``model`` backend) and the native path
    (the C codec, the ``native`` backend): the before / after pair of one run.

    The gateway runs on the servers' CPU with nothing else there while it is measured; its venue
    runs on the client's CPU (in deployment the venue is across a network, not on the gateway's
    core). On one core the venue, woken by the gateway's write, preempted the gateway before its
    post-write stamp: the "client->venue" hop then held the venue's whole turn."""
    servers, client = cores()
    rec = LatencyRecorder()
    hops: dict[str, dict] = {}
    series = [("uvloop echo (TCP floor)", None), ("client -> gateway -> venue -> client", 0),
              (f"uvloop echo, spin {spin_us} us", None), (f"client -> gateway -> venue -> client, spin {spin_us} us",
                                                          spin_us)]
    if verilator:
        series.append((VERILATOR_SERIES, 0))
    if native:
        series += [(PYTHON_SERIES, 0), (NATIVE_SERIES, 0), (FAST_SERIES, 0), (LEAN_NATIVE_SERIES, 0),
                   (LEAN_FAST_SERIES, 0)]
        if entry_pair:      # the C read entry's same-run "before", and the venue polling (the send's extra column)
            series += [(LEAN_CHAIN_SERIES, 0), (LEAN_SPIN_VENUE_SERIES, 0), (LEAN_QUICKACK_SERIES, 0)]
    with tempfile.TemporaryDirectory() as tmp:
        procs, targets, admins = [], [], {}
        try:
            for label, gw_spin in series:
                if gw_spin is None:
                    echo, eport = _start([sys.executable, str(HERE / "echo_server.py")] +
                                         ([str(spin_us)] if "spin" in label else []))
                    procs.append(echo)
                    targets.append(("echo", eport))
                    continue
                name = f"VENUE{len(admins)}"
                venue, vport = _start(lean_venue_cmd(name, spin_us if label == LEAN_SPIN_VENUE_SERIES else 0)
                                      if label in LEAN else venue_cmd(tmp, name), client)
                procs.append(venue)
                backend = "verilator" if label == VERILATOR_SERIES else "native" if label in (
                    NATIVE_SERIES, FAST_SERIES, *LEAN) else "model"
                gw, ports = start_gateway(service_toml(tmp, [vport], ["BENCH"], [name], gw_spin, f"gw-{name}",
                                                       backend=backend), venue=name,
                                          python_path=label == PYTHON_SERIES,
                                          fast_path=label not in (NATIVE_SERIES, LEAN_NATIVE_SERIES),
                                          read_entry=label != LEAN_CHAIN_SERIES,
                                          quickack=label == LEAN_QUICKACK_SERIES)
                procs.append(gw)
                targets.append(("fix", ports["fix"]))
                admins[label] = ports["admin"]
            rtts = _measure(targets, rounds, max(count // rounds, 1), warmup)
            for (label, _), values in zip(series, rtts):
                for v in values:
                    rec.record(label, v)
            for label, port in admins.items():
                hops[label] = request("127.0.0.1", port, "latency")["hops"]
        finally:
            _stop(procs)
    return rec, hops


def risk_alone(n_model: int = 20_000, n_amaranth: int = 200, n_verilator: int = 20_000) -> LatencyRecorder:
    """check() per backend on a stream of accepted orders, each released right after (flat state)."""
    from wirespeed.config import load_config
    from wirespeed.symbols import table_from_config

    from ..risk import ModelRiskBackend, NativeRiskBackend, limit_writes
    from ..risk_amaranth import AmaranthRiskBackend
    from ..risk_verilator import VerilatorRiskBackend
    cfg = load_config()
    symbols = table_from_config(cfg.symbols)
    rec = LatencyRecorder()
    rng = random.Random(1)
    backends = ((ModelRiskBackend(256, 256), n_model), (NativeRiskBackend(256, 256), n_model),
                (AmaranthRiskBackend(16, 4), n_amaranth),
                (VerilatorRiskBackend(16, 4), n_verilator))
    for backend, n in backends:
        for addr, word in limit_writes(cfg.risk, symbols, backend.depth):
            backend.write_register(addr, word)
        hop = f"risk decision ({backend.name})"
        for k in range(n):
            sym = list(symbols)[k % len(symbols)]
            o = Order(k + 1, f"R{k}", 0, sym.index, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, rng.randint(1, 500),
                      sym.reference_ticks + rng.randint(-50, 50))
            t0 = time.perf_counter_ns()
            mask = backend.check(o)
            rec.record(hop, time.perf_counter_ns() - t0)
            if mask == 0:
                backend.release(o, o.qty, filled=False)
    return rec


def main() -> None:
    servers, client = cores()
    where = (f"gateway and echo servers on CPU {min(servers)}, client and venues on CPU {min(client)}" if servers
             else "one CPU: not pinned")
    print(f"\norder path: client -> gateway (model backend) -> venue (ack app: fills) and back ({where})")
    rec, hops = through_gateway(verilator=True, native=True)
    print(rec.table("us"))
    p = {h: rec.percentiles(h) for h in rec.hops}
    floor, spin_floor = p[rec.hops[0]], p[rec.hops[2]]
    pairs = [("neither spins", floor, p[rec.hops[1]]), ("both spin-wait", spin_floor, p[rec.hops[3]])]
    for title, label in (("verilator risk, neither spins", VERILATOR_SERIES),
                         ("Python path, neither spins", PYTHON_SERIES),
                         ("native parts, no fast path (before), neither spins", NATIVE_SERIES),
                         ("fast path (after), neither spins", FAST_SERIES),
                         ("native parts, no fast path, lean venue (before), neither spins", LEAN_NATIVE_SERIES),
                         ("fast path, lean venue (after), neither spins", LEAN_FAST_SERIES),
                         ("fast path through the Python read chain, lean venue, neither spins", LEAN_CHAIN_SERIES),
                         ("fast path, lean venue polling, the gateway sleeping", LEAN_SPIN_VENUE_SERIES),
                         ("fast path, lean venue, the gateway's TCP_QUICKACK after each read", LEAN_QUICKACK_SERIES)):
        if label in p:
            pairs.append((title, floor, p[label]))
    for title, floor, ours in pairs:
        print(f"round trip through the gateway / echo floor, {title}: p50 {ours['p50'] / floor['p50']:.2f}x, "
              f"p99 {ours['p99'] / floor['p99']:.2f}x, p99.9 {ours['p99.9'] / floor['p99.9']:.2f}x (goal <= 2.0x)")
    for label, gw_hops in hops.items():
        added = gw_hops.get("client->venue")
        if added:
            kind = ("verilator backend" if label == VERILATOR_SERIES else "Python path" if label == PYTHON_SERIES
                    else "native parts, no fast path" if label == NATIVE_SERIES
                    else "fast path" if label == FAST_SERIES
                    else "native parts, no fast path, lean venue" if label == LEAN_NATIVE_SERIES
                    else "fast path, lean venue" if label == LEAN_FAST_SERIES
                    else "fast path through the Python read chain, lean venue" if label == LEAN_CHAIN_SERIES
                    else "fast path, lean venue polling" if label == LEAN_SPIN_VENUE_SERIES
                    else "fast path, lean venue, TCP_QUICKACK" if label == LEAN_QUICKACK_SERIES
                    else "model backend")
            print(f"gateway-added latency (client message received -> venue message written), {kind}, "
                  f"{'spinning' if 'spin' in label else 'sleeping'}: p50 {added['p50'] / 1e3:.2f} us, "
                  f"p99 {added['p99'] / 1e3:.2f} us over {added['count']} orders (goal p50 <= 8 us, p99 <= 25 us)")
    if PYTHON_SERIES in hops and NATIVE_SERIES in hops:
        before, after = hops[PYTHON_SERIES]["client->venue"], hops[NATIVE_SERIES]["client->venue"]
        print(f"gateway-added latency, native parts / Python path (same run): p50 {after['p50'] / before['p50']:.2f}x, "
              f"p99 {after['p99'] / before['p99']:.2f}x")
    for b, a, venue in ((NATIVE_SERIES, FAST_SERIES, "ack-app venue"), (LEAN_NATIVE_SERIES, LEAN_FAST_SERIES,
                                                                          "lean venue")):
        if b in hops and a in hops:
            before, after = hops[b]["client->venue"], hops[a]["client->venue"]
            print(f"gateway-added latency, fast path / native parts without it ({venue}, same run): "
                  f"p50 {after['p50'] / before['p50']:.2f}x, p99 {after['p99'] / before['p99']:.2f}x")
            send = hops[a].get("venue send")
            if send:
                print(f"  of which the venue write's system call (fast path, {venue}): p50 {send['p50'] / 1e3:.2f} us, "
                      f"p99 {send['p99'] / 1e3:.2f} us")
    if LEAN_CHAIN_SERIES in hops and LEAN_FAST_SERIES in hops:
        before, after = hops[LEAN_CHAIN_SERIES]["client->venue"], hops[LEAN_FAST_SERIES]["client->venue"]
        chain, entry = p[LEAN_CHAIN_SERIES], p[LEAN_FAST_SERIES]
        print(f"gateway-added latency, C read entry / Python read chain (lean venue, same run): "
              f"p50 {after['p50'] / before['p50']:.2f}x, p99 {after['p99'] / before['p99']:.2f}x; "
              f"round trip p50 {entry['p50'] / chain['p50']:.2f}x, p99 {entry['p99'] / chain['p99']:.2f}x")
        send = hops[LEAN_CHAIN_SERIES].get("venue send")
        if send:
            print(f"  the venue write's system call through the Python read chain: p50 {send['p50'] / 1e3:.2f} us, "
                  f"p99 {send['p99'] / 1e3:.2f} us")
    if LEAN_SPIN_VENUE_SERIES in hops:
        added, send = hops[LEAN_SPIN_VENUE_SERIES]["client->venue"], hops[LEAN_SPIN_VENUE_SERIES].get("venue send")
        print(f"gateway-added latency, fast path, lean venue polling (the write wakes no sleeping venue): "
              f"p50 {added['p50'] / 1e3:.2f} us, p99 {added['p99'] / 1e3:.2f} us"
              + (f"; the venue write's system call p50 {send['p50'] / 1e3:.2f} us, p99 {send['p99'] / 1e3:.2f} us"
                 if send else ""))
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\nrisk decision alone, per backend (one check() call: the model, its C port, the Amaranth simulator, the "
          "Verilated pipeline through hw/vsim's harness)")
    print(risk_alone().table("us"))


if __name__ == "__main__":
    main()
