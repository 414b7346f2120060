import pytest

from wirespeed.clock import fix_timestamp, parse_fix_timestamp
from wirespeed.config import ConfigError, load_config
from wirespeed.latency import LatencyRecorder
from wirespeed.reasons import RISK_REASONS, RejectReason as R, primary, reasons_in


def test_primary_is_lowest_code():
    assert primary(R.PRICE_COLLAR.bit | R.MAX_QTY.bit | R.ZERO_QTY.bit) is R.ZERO_QTY
    assert primary(0) is R.NONE
    assert reasons_in(R.PRICE_COLLAR.bit | R.BAD_FIELD.bit) == [R.BAD_FIELD, R.PRICE_COLLAR]


def test_every_risk_reason_maps_to_fix():
    for r in RISK_REASONS:
        assert isinstance(r.ord_rej_reason, int)
        assert r.text == f"risk: {r.name.lower()}"
    assert R.UNKNOWN_SYMBOL.ord_rej_reason == 1 and R.DUPLICATE_CLORDID.ord_rej_reason == 6


def test_none_has_no_bit():
    with pytest.raises(ValueError):
        R.NONE.bit


@pytest.mark.parametrize("overrides,message", [
    ({"risk": {"default": {"max_qty": -5}}}, "risk.default.max_qty: must be a positive integer, not -5"),
    ({"risk": {"default": {"max_qty": "ten"}}}, "risk.default.max_qty: must be an integer, not 'ten'"),
    ({"gateway": {"port": 70000}}, "gateway.port: must be a TCP port 0..65535, not 70000"),
    ({"gateway": {"prot": 1}}, "gateway.prot: unknown key"),
    ({"risk": {"backend": "fpga"}}, "risk.backend: must be one of 'model', 'native', 'amaranth', 'verilator', not 'fpga'"),
    ({"symbols": [{"tick": "0.01"}]}, r"symbols\[0\].name: required key is missing"),
    ({"demo": {"orders": 0}}, "demo.orders: must be a positive integer, not 0"),
    ({"venue": {"fee_bps": -1}}, "venue.fee_bps: must be between 0 and 1000, not -1"),
    ({"demo": {"clients": 2}}, "demo.clients: unknown key"),
    ({"risk": {"default": {"max_notional": (1 << 42) - 1}}},
     r"risk.default.max_notional: must be at most 4398046511102 \(the limit table's 42-bit field\)"),
])
def test_config_errors_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=overrides)


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[gateway\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    good = tmp_path / "good.toml"
    good.write_text("[risk.default]\nmax_qty = 42\n[risk.symbols.AAPL]\nmax_qty = 7\n")
    cfg = load_config(good)
    assert cfg.risk.limits_for("AAPL").max_qty == 7 and cfg.risk.limits_for("MSFT").max_qty == 42


def test_latency_percentiles():
    rec = LatencyRecorder()
    for v in range(1, 1001):
        rec.record("hop", v * 1000)
    p = rec.percentiles("hop")
    assert p["count"] == 1000
    assert abs(p["p50"] - 500_000) <= 500 and abs(p["p99"] - 990_000) <= 1000
    assert p["max"] >= 999_000
    table = rec.table("us")
    assert "hop" in table and "p99.9" in table


def test_fix_timestamp_round_trip():
    ns = 1_763_800_000_123_000_000
    text = fix_timestamp(ns)
    assert len(text) == 21 and text[8] == "-"
    assert parse_fix_timestamp(text) == ns
    with pytest.raises(ValueError):
        parse_fix_timestamp("2026-11-22")


def test_fix_timestamp_matches_datetime():
    # Random instants, and the last and first nanosecond around second and millisecond edges:
    # the cached second prefix and the millisecond table must agree with datetime throughout.
    import datetime as dt
    import random
    rng = random.Random(7)
    base = 1_763_800_000 * 1_000_000_000
    instants = [rng.randrange(0, 4_102_444_800 * 1_000_000_000) for _ in range(2000)]
    instants += [base + k * 1_000_000 + d for k in range(-2, 1003, 7) for d in (-1, 0, 1)]
    for ns in instants:
        want = dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.timezone.utc).strftime("%Y%m%d-%H:%M:%S")
        assert fix_timestamp(ns) == f"{want}.{ns // 1_000_000 % 1000:03d}", ns


@pytest.mark.parametrize("overrides,message", [
    ({"gateway": {"max_message_bytes": 100}}, "gateway.max_message_bytes: must be at least 512"),
    ({"gateway": {"comp_id": "A=B"}}, "gateway.comp_id: must be printable ASCII without '=', SOH"),
    ({"venue": {"comp_id": "V\x01X"}}, r"venue.comp_id: must be printable ASCII without '=', SOH"),
    ({"venue": {"comp_id": "../etc"}}, "venue.comp_id: must be printable ASCII"),
    ({"gateway": {"comp_id": "VENUE1"}}, "venue.comp_id: must differ from gateway.comp_id"),
    ({"symbols": [{"name": "AAPL", "tick": "abc"}]}, r"symbols\[0\].tick: tick size must be a decimal number"),
    ({"symbols": [{"name": "AAPL", "tick": "0"}]}, r"symbols\[0\].tick: tick size must be positive"),
    ({"symbols": [{"name": "AAPL", "reference": "-5.00"}]}, r"symbols\[0\].reference: must not be negative"),
    ({"symbols": [{"name": "AAPL", "tick": "0.05", "reference": "10.01"}]},
     r"symbols\[0\].reference: '10.01' is not a price on the tick size 0.05"),
    ({"symbols": [{"name": "AAPL"}, {"name": "MSFT"}, {"name": "AAPL"}]},
     r"symbols\[2\].name: duplicate symbol 'AAPL' \(also symbols\[0\]\)"),
    ({"symbols": []}, "symbols: must list at least one symbol"),
    ({"symbols": [{"name": "TOO LONG NAME"}]}, r"symbols\[0\].name: must be 1-8 printable ASCII"),
    ({"venue": {"host": "no-such-host.invalid"}}, "venue.host: cannot resolve host 'no-such-host.invalid'"),
    ({"gateway": {"host": ""}}, "gateway.host: must not be empty"),
])
def test_demo_config_errors_name_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=overrides)


def test_override_changes_one_key_not_the_whole_table(tmp_path):
    cfg = tmp_path / "demo.toml"
    cfg.write_text("[demo]\nseed = 99\norders = 10\n[venue]\nfee_bps = 0.5\n")
    config = load_config(cfg, {"demo": {"orders": 42}})
    assert (config.demo.orders, config.demo.seed, config.venue.fee_bps) == (42, 99, 0.5)


def test_config_files_that_cannot_be_read_name_the_file(tmp_path):
    from wirespeed.config import read_toml
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[demo]\norders = \xff\n")
    with pytest.raises(ConfigError, match=r"bad.toml: cannot read the config file"):
        read_toml(bad)
    (tmp_path / "broken.toml").write_text("[demo\n")
    with pytest.raises(ConfigError, match=r"broken.toml: not valid TOML"):
        load_config(tmp_path / "broken.toml")
    with pytest.raises(ConfigError, match=r"missing.toml: config file not found"):
        load_config(tmp_path / "missing.toml")


def test_the_latency_table_keeps_numbers_wider_than_their_column_apart():
    # The sustained-load run's row: 1,200,000 round trips of ~17.3 s (microseconds wider than a column).
    rec = LatencyRecorder()
    rec.record("client round trip", 17_314_086_910)
    rec._hists["client round trip"].record_value(17_314_086_910, 1_199_999)   # (the count at once)
    row = rec.table().splitlines()[1]
    fields = row[len("client round trip"):].split()
    assert fields[0] == "1200000" and len(fields) == 6 and all(float(f) > 17_000_000 for f in fields[1:])
