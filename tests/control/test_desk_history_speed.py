"""The desk service's per-symbol history (a file per symbol: VWAP's intraday profile, IS's inputs;
validated, every error naming the file and the key) and its accelerated clock (``desk.speed``:
the same children as at speed 1, in less wall time)."""
import asyncio

import pytest

from wirespeed.config import ConfigError, GatewayConfig, RiskConfig, SymbolConfig, SymbolLimits
from wirespeed.control.live.algo_client import AlgoClient
from wirespeed.control.live.history import DAY_NS, SymbolHistory
from wirespeed.control.model import ExecutionRefused, ParentOrder
from wirespeed.control.service import DeskService
from wirespeed.control.service_config import (AlgoDefaults, ControlServiceConfig, DeskConfig, VenueEntry,
                                              load_control_config)
from wirespeed.control.venues import FeedEndpoint, PathEndpoint
from wirespeed.enums import Side
from wirespeed.gateway.service_config import ClientSessionConfig
from wirespeed.prices import TickSize
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol
from wirespeed.symbols import SymbolTable

from tests.gateway.conftest import run_async

S = 1_000_000_000
HISTORY = '''symbol = "MSFT"
volume = 240000
open_s = 0
close_s = 86400
bin_s = 21600
bins = [0.1, 0.4, 0.3, 0.2]
sigma_ticks = 0.08
half_spread_ticks = 0.7
'''


def history_file(tmp_path, text=HISTORY, name="msft.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_a_history_gives_vwap_its_day_profile_and_is_its_inputs(tmp_path):
    symbols = SymbolTable.of([("MSFT", TickSize.parse("0.01"), "410.00"), ("AAPL", TickSize.parse("0.01"), "190.00")])
    d = AlgoDefaults(history={"MSFT": history_file(tmp_path)}, expected_volume_per_s=10)
    day = 20_000 * DAY_NS                                      # some day's midnight
    parent = ParentOrder("P1", "MSFT", Side.BUY, 3000, day + 5 * 3600 * S, day + 7 * 3600 * S)
    vwap = d.configs("vwap", parent, symbols)
    p = vwap.profile
    assert p.starts_ns == tuple(day + i * 21600 * S for i in range(4)) and p.end_ns == day + DAY_NS
    assert p.volumes == pytest.approx((24_000, 96_000, 72_000, 48_000))
    # 5:00-6:00 in the first bin (24,000 over 6 h), 6:00-7:00 in the second (96,000 over 6 h)
    assert p.between(parent.start_ns, parent.end_ns) == pytest.approx(4_000 + 16_000)
    is_cfg = d.configs("is", parent, symbols)
    assert is_cfg.params.sigma == 0.08
    flat = AlgoDefaults(expected_volume_per_s=20_000 / 7200, sigma_ticks=0.08, half_spread_ticks=0.7)
    assert is_cfg.params == flat.configs("is", parent, symbols).params   # the same expected volume
    # a symbol without a history still uses the flat rate; with neither it is refused
    other = ParentOrder("P2", "AAPL", Side.BUY, 100, day, day + 60 * S)
    assert d.configs("vwap", other, symbols).profile.between(day, day + 60 * S) == pytest.approx(600)
    with pytest.raises(ExecutionRefused, match=r"or AAPL's history \(algo.history.AAPL\)"):
        AlgoDefaults(history={"MSFT": history_file(tmp_path)}).configs("vwap", other, symbols)


def test_a_parent_outside_the_historys_session_is_refused_naming_it(tmp_path):
    text = HISTORY.replace("close_s = 86400", "close_s = 43200").replace("bins = [0.1, 0.4, 0.3, 0.2]",
                                                                         "bins = [0.5, 0.5]")
    d = AlgoDefaults(history={"MSFT": history_file(tmp_path, text)})
    day = 20_000 * DAY_NS
    late = ParentOrder("P1", "MSFT", Side.BUY, 100, day + 13 * 3600 * S, day + 14 * 3600 * S)
    with pytest.raises(ExecutionRefused, match=r"history of MSFT \(algo.history.MSFT\) expects no volume"):
        d.configs("vwap", late, None)


@pytest.mark.parametrize("edit, text", [
    (("bins = [0.1, 0.4, 0.3, 0.2]", "bins = [0.1, 0.4, 0.3]"), "bins: 3 bins, the session 0-86400 s in 21600 s bins has 4"),
    (("bins = [0.1, 0.4, 0.3, 0.2]", "bins = [0.1, 0.4, 0.3, 0.3]"), "bins: the fractions and the auction must sum to 1"),
    (('symbol = "MSFT"', 'symbol = "AAPL"'), "symbol: the history is 'AAPL''s, not 'MSFT''s"),
    (("volume = 240000", "volume = -1"), "volume: must be a positive number"),
    (("volume = 240000", "volume = 240000\nspeed = 2"), "speed: unknown key"),
    (("volume = 240000\n", ""), "volume: required key is missing"),
    (("close_s = 86400", "close_s = 90000"), "close_s: must be whole seconds of a day"),
    (("sigma_ticks = 0.08", "sigma_ticks = 0"), "sigma_ticks: must be a positive number"),
])
def test_a_bad_history_names_the_file_and_the_key(tmp_path, edit, text):
    path = history_file(tmp_path, HISTORY.replace(*edit))
    with pytest.raises(ValueError) as e:
        AlgoDefaults(history={"MSFT": path})
    assert f"history.MSFT: {path}: {text}" in str(e.value)


def test_the_service_config_names_a_history_key(tmp_path):
    venue = '[[venues]]\nname = "XNAS"\n[[venues.paths]]\nname = "XNAS"\nport = 9001\n'
    head = '[[clients]]\ncomp_id = "CLIENT1"\n[[symbols]]\nname = "MSFT"\ntick = "0.01"\nreference = "410.00"\n'
    cfg = tmp_path / "desk.toml"
    cfg.write_text(head + f'[algo.history]\nMSFT = "{history_file(tmp_path)}"\n' + venue)
    loaded = load_control_config(cfg)
    assert loaded.algo.histories["MSFT"].volume == 240000
    cfg.write_text(head + f'[algo.history]\nZZZZ = "{history_file(tmp_path)}"\n' + venue)
    with pytest.raises(ConfigError, match=r"algo.history.ZZZZ: "):
        load_control_config(cfg)
    cfg.write_text(head + f'[algo.history]\nMSFT = "{tmp_path / "none.toml"}"\n' + venue)
    with pytest.raises(ConfigError, match=r"algo.history.MSFT: .*none.toml"):
        load_control_config(cfg)
    cfg.write_text(head + '[desk]\nspeed = 0\n' + venue)
    with pytest.raises(ConfigError, match=r"desk.speed: must be a number in \(0, 1000\]"):
        load_control_config(cfg)
    assert SymbolHistory.load(history_file(tmp_path), "MSFT").bins == (0.1, 0.4, 0.3, 0.2)


async def _children(speed: float) -> tuple[list, float]:
    """A short TWAP parent worked by a desk at ``speed``: its children's (quantity, limit), and
    the wall time it took."""
    venue = SimVenue(VenueSpec("XNAS", ouch=False, symbols=(VenueSymbol("MSFT", "0.01", "410.00", levels=3,
                                                                          level_qty=2000),)))
    await venue.start()
    svc = DeskService(ControlServiceConfig(
        clients=(ClientSessionConfig("CLIENT1"),),
        venues=(VenueEntry("XNAS", paths=(PathEndpoint("XNAS", venue.port),), feed=FeedEndpoint(
            venue.feed.request_port, snapshot_port=venue.feed.snapshot_port)),),
        gateway=GatewayConfig(port=0), risk=RiskConfig(default=SymbolLimits(max_qty=5000, collar_ticks=200)),
        symbols=(SymbolConfig("MSFT", "0.01", "410.00"),), desk=DeskConfig(speed=speed),
        algo=AlgoDefaults(finish_s=1.0)))        # the schedule 2.5 s of the 3.5 (the default keeps a minute)
    try:
        port = await svc.start()
        loop = asyncio.get_running_loop()
        for _ in range(500):
            if svc.desk._books.get("MSFT", {}).get("XNAS") is not None:
                break
            await asyncio.sleep(0.01)
        async with AlgoClient("127.0.0.1", port, "CLIENT1", "WIRESPEED", timeout=5) as client:
            t0 = loop.time()
            st = await client.submit("P1", "MSFT", "buy", 800, "twap", {"DurationSecs": "3.5", "DecisionSecs": "0.5",
                                                                         "Urgency": "cross", "MinChild": "100"},
                                     limit="412.00")
            assert st.ok, st.text
            parent = svc.desk.parents[("CLIENT1", "P1")]
            for _ in range(1000):
                if parent.done:
                    break
                await asyncio.sleep(0.005)
            wall = loop.time() - t0
        assert parent.done and parent.cum == 800
        kids = sorted((s.order.order_id, s.order.qty, s.order.price) for s in svc.gateway.orders.orders.values()
                      if s.client_id == "CONTROL")
        return [(q, px) for _, q, px in kids], wall
    finally:
        await svc.stop()
        await venue.stop()


@run_async(timeout=60)
async def test_an_accelerated_desk_makes_the_same_children_in_less_wall_time():
    at1, wall1 = await _children(1)
    at8, wall8 = await _children(8)
    assert len(at1) >= 3 and at8 == at1                      # the same decisions, child for child
    assert wall8 < wall1 / 2                                  # (a bound far from the 8x: no timing claim)
