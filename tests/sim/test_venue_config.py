"""Venue config (TOML) validation naming the key, the shipped example, the latency model, and
``wirespeed venue`` starting several venues that answer on the ports it prints."""
import asyncio
import re
import sys
from pathlib import Path

import pytest

from wirespeed.config import ConfigError
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.sim.venue import LatencyModel, SimVenue, VenueSpec, VenueSymbol, load_market
from wirespeed.sim.venue.latency import VenueLatency

EXAMPLE = Path(__file__).parents[2] / "docs" / "sim" / "venues.toml"


def test_shipped_example_loads():
    market = load_market(EXAMPLE)
    assert [v.name for v in market.venue] == ["ALPHA", "BRAVO", "CHARLIE"]
    alpha, bravo, charlie = market.venue
    assert (alpha.maker_fee_bps, alpha.taker_fee_bps, alpha.latency.distribution) == (-0.2, 0.3, "normal")
    assert [s.name for s in alpha.symbols] == ["AAPL", "MSFT"] and alpha.ouch_users == {"TRADER": "SECRET"}
    assert bravo.ouch is False and bravo.symbols[0].tick == "0.05" and bravo.feed.session == "BRAVO"
    assert charlie.feed.retain == 20000 and charlie.comp_id == "CHARLIE"


@pytest.mark.parametrize("body, message", [
    ('[[venue]]\nname = "A"\nfee = 1', "venue[0].fee: unknown key"),
    ('[[venue]]\nname = "A"\n[[venue.symbols]]\nname = "X"\ntick = "abc"',
     "venue[0].symbols[0].tick: tick size must be a decimal number, not 'abc'"),
    ('[[venue]]\nname = "A"\n[[venue.symbols]]\nname = "X"\nreference = "1.005"',
     "venue[0].symbols[0].reference: price 1.005 is finer than the tick size 0.01"),
    ('[[venue]]\nname = "A"\n[[venue]]\nname = "A"', "venue: name 'A' is used twice"),
    ('[[venue]]\nname = "A"\nfix_port = 9100\n[[venue]]\nname = "B"\nfix_port = 9100',
     "venue: port 9100 is configured twice"),
    ('x = 1', "venue: required key is missing"),
    ('[[venue]]\nname = "A"\nlatency = { fixed_us = -1 }', "venue[0].latency.fixed_us: must be >= 0"),
    ('[[venue]]\nname = "A"\nlatency = { distribution = "cauchy" }', "venue[0].latency.distribution: must be one of"),
    ('[[venue]]\nname = "A"\nhost = "0.0.0.0"', "venue[0].host: a simulated venue listens on loopback"),
    ('[[venue]]\nname = "A"\nmaker_fee_bps = 500', "venue[0].maker_fee_bps: must be between -100 and 100"),
    ('[[venue]]\nname = "A"\nsymbols = []', "venue[0].symbols: a venue lists at least one symbol"),
    ('[[venue]]\nname = "A"\nouch_users = { TOOLONGNAME = "x" }', "venue[0].ouch_users.TOOLONGNAME"),
    ('[[venue]]\nname = "A"\n[[venue.symbols]]\nname = "X"\nlevel_qty = 0', "venue[0].symbols[0].level_qty"),
    ('[[venue]\nname = "A"', "not valid TOML"),
    ('[[venue]]\nname = "A"\nstart_time = "8am"\nend_time = "17:00:00"',
     "venue[0].start_time: must be a time of day HH:MM:SS, not '8am'"),
    ('[[venue]]\nname = "A"\nstart_time = "08:00:00"', "venue[0].end_time: must be a time of day HH:MM:SS"),
    ('[[venue]]\nname = "A"\nstart_time = "08:00:00"\nend_time = "17:00:00"\ntime_zone = "Mars/Base"',
     "venue[0].time_zone: unknown time zone 'Mars/Base'"),
])
def test_bad_config_names_the_key(tmp_path, body, message):
    path = tmp_path / "venues.toml"
    path.write_text(body + "\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_market(path)


def test_latency_model_is_seeded_and_shaped():
    normal = VenueLatency(LatencyModel(100, 20, "normal", seed=5))
    again = VenueLatency(LatencyModel(100, 20, "normal", seed=5))
    a = [normal.sample_ns() for _ in range(3000)]
    assert a == [again.sample_ns() for _ in range(3000)]
    assert abs(sum(a) / len(a) - 100_000) < 2_000
    expo = [VenueLatency(LatencyModel(50, 30, "exponential", seed=1)).sample_ns() for _ in range(1)]
    assert expo[0] >= 50_000
    uni = VenueLatency(LatencyModel(10, 5, "uniform", seed=2))
    assert all(5_000 <= uni.sample_ns() <= 15_000 for _ in range(1000))
    assert VenueLatency(LatencyModel()).zero


def test_venue_latency_delays_every_answer():
    async def main():
        spec = VenueSpec("SLOW", ouch=False, latency=LatencyModel(3000), symbols=(VenueSymbol("AAPL"),))
        venue = SimVenue(spec)
        await venue.start()
        client = FixClient("C1", "SLOW", "127.0.0.1", venue.port)
        await client.start()
        rtts = []
        for i in range(3):
            t0 = client.new_order(f"O{i}", "AAPL", "1", 10, "90.00")
            rtts.append((await client.wait_report(f"O{i}"))[0].recv_ns - t0)
        await client.stop()
        await venue.stop()
        return rtts
    assert all(rtt >= 3_000_000 for rtt in asyncio.run(main()))


def test_cli_starts_every_venue_and_prints_where(tmp_path):
    async def main():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wirespeed.cli", "venue", "--config", str(EXAMPLE), "--run-for", "2.5",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 20)).decode() for _ in range(3)]
        ports = {line.split()[0]: int(re.search(r"FIX 127\.0\.0\.1:(\d+)", line).group(1)) for line in lines}
        answers = {}
        for name, port in ports.items():
            client = FixClient("CLI1", name, "127.0.0.1", port)
            await client.start()
            client.new_order("X1", "NOPE", "1", 10, "1.00")
            answers[name] = (await client.wait_report("X1"))[0].get(T.OrdRejReason)
            await client.stop()
        rest, err = await asyncio.wait_for(proc.communicate(), 20)
        return lines, answers, proc.returncode, rest.decode(), err.decode()
    lines, answers, rc, rest, err = asyncio.run(main())
    assert rc == 0, err
    assert "OUCH 127.0.0.1:" in lines[0] and "ITCH feed udp 127.0.0.1:" in lines[0] and "request server" in lines[0] \
        and "snapshot tcp 127.0.0.1:" in lines[0]
    assert "OUCH" not in lines[1] and "(session BRAVO)" in lines[1]
    assert answers == {"ALPHA": "1", "BRAVO": "1", "CHARLIE": "1"}      # unknown symbol, each venue
    assert rest.count("rejects=1") == 3
