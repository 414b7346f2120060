"""The sample day shipped in ``sim/data/``: a quiet synthetic day of one symbol, recorded as a
LOBSTER message file, for tests and the demo.

``python -m wirespeed.sim.market.sample`` writes it again (same seed, same bytes);
``sample_path()`` is where it lives, ``load_sample()`` its rows.
"""
from __future__ import annotations

import os
import sys

from .config import MarketConfig, SymbolProfile
from .lobster import LobsterWriter, Message, read_messages, write_messages
from .synthetic import SyntheticMarket

SAMPLE_SYMBOL = "SIMA"
SAMPLE_FILE = f"{SAMPLE_SYMBOL}_2026-11-30_34200000_57600000_message_5.csv"
#: Quiet on purpose (a few thousand rows, well under 1 MB): makers re-quote every 60 s.
SAMPLE_CONFIG = MarketConfig(symbols=(SymbolProfile(
    SAMPLE_SYMBOL, start_ticks=5_000, volatility_bps=80, spread_ticks=2, levels=3, depth=600, makers=2,
    requote_s=60.0, daily_volume=60_000, close_auction_share=0.1, passive_rate=0.02, passive_life_s=120.0),),
    seed=20261130)
#: LOBSTER units (dollars x 10,000) per tick of the sample symbol: a cent tick.
SAMPLE_PRICE_SCALE = 100


def sample_path() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", SAMPLE_FILE)


def record_day(config: MarketConfig, price_scale: int = SAMPLE_PRICE_SCALE):
    """Run a synthetic day and return ``(market, rows)``: its book events as LOBSTER rows, the
    closing cross included."""
    market = SyntheticMarket(config)
    writer = LobsterWriter(price_scale)
    market.engine.subscribe(writer)
    days = market.run_day()
    for sym, day in days.items():
        writer.cross(config.close_s * 1_000_000_000, sym, day.auction_volume, day.auction_price or 0)
    return market, writer.rows


def load_sample() -> list[Message]:
    return list(read_messages(sample_path()))


def main(argv=None) -> int:
    path = (argv or sys.argv[1:] or [sample_path()])[0]
    _, rows = record_day(SAMPLE_CONFIG)
    n = write_messages(path, rows)
    print(f"{path}: {n} rows, {os.path.getsize(path):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
