"""``wirespeed gateway --config``: the service from one TOML file, its admin interface and metrics."""
import asyncio
import io
import json
import re
import subprocess
import sys
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from wirespeed.config import ConfigError, VenueConfig, load_config
from wirespeed.gateway import admin, report
from wirespeed.gateway.audit import read_trail
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service import serve
from wirespeed.gateway.service_config import load_service_config
from wirespeed.sim.venue import SimVenue
from wirespeed.symbols import table_from_config

from .conftest import run_async


def service_toml(tmp_path, ports, audit=True, extra="", backend="model") -> str:
    text = f"""
[gateway]
comp_id = "GW"
[risk]
backend = "{backend}"
default = {{ max_qty = 1000, collar_ticks = 100 }}
[[clients]]
comp_id = "CLIENT1"
route = "XNYS"
cancel_on_disconnect = true
cancel_grace_s = 0.0
[[clients]]
comp_id = "CLIENT2"
[[venues]]
name = "XNAS"
port = {ports[0]}
comp_id = "XNAS"
[[venues]]
name = "XNYS"
port = {ports[1]}
comp_id = "XNYS"
[metrics]
enabled = true
[audit]
directory = "{tmp_path / 'audit' if audit else ''}"
""" + extra
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    return str(path)


async def _venues():
    symbols = table_from_config(load_config().symbols)
    venues = [SimVenue(VenueConfig(name=n, comp_id=n), symbols) for n in ("XNAS", "XNYS")]
    for v in venues:
        await v.start()
    return venues


def _ports(out: str) -> dict:
    return {line.split()[1]: int(line.split()[2].rsplit(":", 1)[1]) for line in out.splitlines()
            if line.startswith("listening ")}


@pytest.mark.parametrize("extra,message", [
    ('[[clients]]\ncomp_id = "CLIENT1"\n', "clients[2].comp_id: duplicate 'CLIENT1' (also clients[0])"),
    ('[admin]\nport = 70000\n', "admin.port: must be a TCP port 0..65535, not 70000"),
    ('[risk.symbols.TSLA]\nmax_qty = 5\n', None),
    ('[[clients]]\ncomp_id = "CLIENT3"\nmax_latency_s = 0\n',
     "clients[2].max_latency_s: must be a whole number of seconds >= 1, not 0"),
    ('[[clients]]\ncomp_id = "CLIENT3"\nbacklog_credit = "yes"\n',
     "clients[2].backlog_credit: must be true or false, not 'yes'"),
])
def test_a_bad_config_names_the_key(tmp_path, extra, message):
    path = service_toml(tmp_path, (1, 2), extra=extra)
    if message:
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_service_config(path)
    else:     # loads, but the limit set cannot be loaded into the risk table: the process exits 2
        proc = subprocess.run([sys.executable, "-m", "wirespeed.cli", "gateway", "--config", path],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert "risk.symbols.TSLA: limits for a symbol that is not configured" in proc.stderr


@run_async(timeout=90)
async def test_service_routes_serves_admin_and_metrics_and_stops_cleanly(tmp_path, capsys):
    venues = await _venues()
    cfg = load_service_config(service_toml(tmp_path, [v.port for v in venues]))
    out, stop = io.StringIO(), asyncio.Event()
    task = asyncio.create_task(serve(cfg, stop, out))
    while "listening metrics" not in out.getvalue():
        await asyncio.sleep(0.01)
    ports = _ports(out.getvalue())
    loop = asyncio.get_running_loop()
    call = lambda cmd, body=None: loop.run_in_executor(None, admin.request, "127.0.0.1", ports["admin"], cmd, body)
    c = FixClient("CLIENT1", "GW", "127.0.0.1", ports["fix"])
    await c.start()
    c.new_order("W1", "MSFT", "1", 10, "409.50")                  # rests at XNYS (CLIENT1's route)
    c.new_order("F1", "AAPL", "1", 10, "190.03", extra=[(100, "XNAS")])
    c.new_order("R1", "AAPL", "1", 5000, "190.00")
    await c.wait_report("W1"), await c.wait_report("F1", 2), await c.wait_report("R1")
    status = await call("status")
    assert status["counts"]["accepted"] == 2 and status["rejects_by_reason"] == {"max_qty": 1}
    assert status["venues"] == {"XNAS": "up", "XNYS": "up"}
    orders = (await call("orders"))["orders"]
    assert [(o["cl_ord_id"], o["venue"], o["status"]) for o in orders] == [("W1", "XNYS", "NEW")]
    sessions = await call("sessions")
    assert {s["comp_id"]: s["logged_on"] for s in sessions["clients"]} == {"CLIENT1": True, "CLIENT2": False}
    assert (await call("limits"))["symbols"]["AAPL"]["max_qty"] == 1000
    assert "client->venue" in (await call("latency"))["hops"]
    assert (await call("nope"))["status"] == 404
    from wirespeed.cli import main as cli_main          # `wirespeed admin orders` prints the same JSON
    capsys.readouterr()
    assert await loop.run_in_executor(None, cli_main, ["admin", "--port", str(ports["admin"]), "orders"]) == 0
    assert json.loads(capsys.readouterr().out)["orders"][0]["cl_ord_id"] == "W1"
    text = await loop.run_in_executor(None, lambda: urllib.request.urlopen(
        f"http://127.0.0.1:{ports['metrics']}/metrics", timeout=5).read().decode())
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in fams.values() for s in f.samples}
    assert samples[("wirespeed_rejects_total", (("reason", "max_qty"),))] == 1
    assert samples[("wirespeed_working_orders", (("venue", "XNYS"),))] == 1
    assert samples[("wirespeed_session_up", (("name", "CLIENT1"), ("role", "client")))] == 1
    assert any(n == "wirespeed_latency_ns" and dict(lb)["hop"] == "client->venue" for n, lb in samples)
    kill = await call("kill", {"reduce_only": False})
    assert kill["cancels"] == 1 and kill["command_to_last_cancel_ns"] > 0
    assert (await c.wait_report("W1", 2))[1][T.ExecType] == "4"
    assert (await call("resume"))["killed"] is False
    c.new_order("W2", "MSFT", "1", 10, "409.50")
    await c.wait_report("W2")
    stop.set()                                   # as SIGTERM does: CLIENT1's orders are canceled first
    await task
    assert venues[1].stats["cancels"] == 2
    trail = read_trail(tmp_path / "audit")
    assert {r["kind"] for r in trail} >= {"in", "out", "risk", "control"}
    assert any(r["kind"] == "risk" and r["cl_ord_id"] == "R1" and r["reasons"] == ["max_qty"] for r in trail)
    # At exit: the latency table and a dump of the histograms, which `wirespeed report` plots.
    dumped = next(line.split()[2] for line in out.getvalue().splitlines() if line.startswith("latency dump"))
    png = tmp_path / "latency.png"
    assert report.main(dumped, None, str(png)) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    hists = report.load_dump(json.loads(open(dumped).read()))
    assert hists["client->venue"].get_total_count() == 3 and hists["client->venue @XNYS"].get_total_count() == 2
    (tmp_path / "bad.json").write_text('{"hops": {"x": "not a histogram"}}')
    assert report.main(str(tmp_path / "bad.json"), None, str(png)) == 2
    await c.stop()
    for v in venues:
        await v.stop()


@run_async(timeout=90)
async def test_audit_trail_holds_every_acknowledged_order_and_fill_after_kill_9(tmp_path):
    venues = await _venues()
    # The native risk core: new orders take the C fast path (gateway/order_fast.py), as deployed.
    path = service_toml(tmp_path, [v.port for v in venues], backend="native")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wirespeed.cli", "gateway", "--config", path,
                                                stdout=asyncio.subprocess.PIPE)
    try:
        lines = []
        while not any(line.startswith("listening admin") for line in lines):
            lines.append((await asyncio.wait_for(proc.stdout.readline(), 60)).decode())
        ports = _ports("".join(lines))
        c = FixClient("CLIENT2", "GW", "127.0.0.1", ports["fix"])
        await c.start()
        # Under load: marketable and resting orders to both venues, the kill while they flow.
        for i in range(300):
            px = "190.03" if i % 2 else "189.50"
            c.new_order(f"K{i}", "AAPL", "1", 10, px, extra=[(100, "XNAS" if i % 3 else "XNYS")])
            if i % 50 == 49:
                await asyncio.sleep(0.01)
        await c.wait_report("K200", 1, timeout=30)   # reports come in order: K0..K200 were all answered
        proc.kill()                              # SIGKILL: no flush, no goodbye
        await proc.wait()
        await asyncio.sleep(0.05)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    told = [m for reports in c.reports.values() for m in reports]
    assert len(told) > 200
    trail = read_trail(tmp_path / "audit")
    logged = {dict((int(k), v) for k, v in r["fields"]).get(T.ExecID)
              for r in trail if r["kind"] == "out" and r.get("client") == "CLIENT2"}
    missing = [m[T.ExecID] for m in told if m[T.ExecID] not in logged]
    assert not missing, f"{len(missing)} reports the client saw are not in the trail: {missing[:5]}"
    assert sum(1 for m in told if m[T.ExecType] == "F") > 10
    await c.stop()
    for v in venues:
        await v.stop()


def test_the_documented_example_config_loads(tmp_path):
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "gateway" / "service.md").read_text()
    example = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "example.toml"
    path.write_text(example.replace('directory = "audit"', f'directory = "{tmp_path / "audit"}"'))
    cfg = load_service_config(path)
    assert [c.comp_id for c in cfg.clients] == ["CLIENT1", "CLIENT2"] and cfg.clients[0].rate_limit.burst == 20
    assert [v.name for v in cfg.venues] == ["XNAS", "XNYS", "XOUCH"] and cfg.venues[2].protocol == "ouch" and cfg.risk.symbols["SPY"].max_qty == 500
    assert cfg.metrics.enabled and cfg.admin.enabled


@run_async(timeout=90)
async def test_sigterm_applies_cancel_on_disconnect_and_exits_zero(tmp_path):
    import signal
    venues = await _venues()
    path = service_toml(tmp_path, [v.port for v in venues])
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wirespeed.cli", "gateway", "--config", path,
                                                stdout=asyncio.subprocess.PIPE)
    lines = []
    while not any(line.startswith("listening admin") for line in lines):
        lines.append((await asyncio.wait_for(proc.stdout.readline(), 60)).decode())
    c = FixClient("CLIENT1", "GW", "127.0.0.1", _ports("".join(lines))["fix"])
    await c.start()
    c.new_order("W1", "MSFT", "1", 10, "409.50")                 # rests at XNYS
    await c.wait_report("W1")
    proc.send_signal(signal.SIGTERM)
    out = (await asyncio.wait_for(proc.stdout.read(), 20)).decode()
    assert await proc.wait() == 0
    assert venues[1].stats["cancels"] == 1                      # CLIENT1 has cancel-on-disconnect
    assert (await c.wait_report("W1", 2))[1][T.ExecType] == "4"
    assert "client->venue" in out and "latency dump" in out
    await c.stop()
    for v in venues:
        await v.stop()


def test_a_client_s_sending_time_keys_reach_its_session(tmp_path):
    from wirespeed.gateway.service import build_gateway
    path = service_toml(tmp_path, (1, 2), audit=False, extra=(
        '[[clients]]\ncomp_id = "CLIENT3"\nmax_latency_s = 10\ncheck_latency = false\nbacklog_credit = false\n'))
    gw = build_gateway(load_service_config(path))
    cfg = {c: s.config for c, s in gw.acceptor.sessions.items()}
    assert (cfg["CLIENT3"].sending_time_tolerance_s, cfg["CLIENT3"].check_latency, cfg["CLIENT3"].backlog_credit) \
        == (10, False, False)
    assert (cfg["CLIENT2"].sending_time_tolerance_s, cfg["CLIENT2"].check_latency, cfg["CLIENT2"].backlog_credit) \
        == (120, True, True)                                         # QuickFIX's MaxLatency default
