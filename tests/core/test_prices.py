from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from wirespeed.prices import PriceError, TickSize


@pytest.mark.parametrize("text,units,decimals", [("0.01", 1, 2), ("0.05", 5, 2), ("1", 1, 0), ("25", 25, 0),
                                                 ("0.0001", 1, 4), ("0.50", 5, 1)])
def test_parse_tick(text, units, decimals):
    assert TickSize.parse(text) == TickSize(units, decimals)


@pytest.mark.parametrize("bad", ["0", "-0.01", "abc", "nan"])
def test_bad_tick_is_named(bad):
    with pytest.raises(ValueError, match="tick size"):
        TickSize.parse(bad)


@given(ticks=st.integers(0, 2**32 - 1), units=st.sampled_from([1, 5, 25]), decimals=st.integers(0, 6))
def test_ticks_round_trip_exactly(ticks, units, decimals):
    tick = TickSize(units, decimals)
    text = tick.format(ticks)
    assert tick.parse_ticks(text) == ticks
    assert Decimal(text) == tick.to_decimal(ticks) == Decimal(ticks * units).scaleb(-decimals)


def test_format_has_fixed_decimals():
    assert TickSize.parse("0.01").format(19025) == "190.25"
    assert TickSize.parse("0.01").format(5) == "0.05"
    assert TickSize.parse("1").format(7) == "7"


@pytest.mark.parametrize("text,ticks", [("190.25", 19025), ("190.2", 19020), ("190", 19000), ("190.250", 19025),
                                        (".5", 50)])
def test_parse_accepts_equivalent_forms(text, ticks):
    assert TickSize.parse("0.01").parse_ticks(text) == ticks


@pytest.mark.parametrize("text,match", [("190.255", "finer"), ("1.2.3", "malformed"), ("-1", "malformed"),
                                        ("1e3", "malformed"), ("", "malformed")])
def test_parse_rejects_bad_prices(text, match):
    with pytest.raises(PriceError, match=match):
        TickSize.parse("0.01").parse_ticks(text)


def test_off_grid_price_for_non_decimal_tick():
    with pytest.raises(PriceError, match="multiple"):
        TickSize.parse("0.05").parse_ticks("1.03")
    assert TickSize.parse("0.05").parse_ticks("1.05") == 21


def test_float_is_refused():
    with pytest.raises(PriceError, match="float"):
        TickSize.parse("0.01").to_ticks(1.5)
