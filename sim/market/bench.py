"""One synthetic trading day timed (``make bench-sim`` prints it after the engine)."""
from __future__ import annotations

import time

from .config import MarketConfig, SymbolProfile
from .synthetic import SyntheticMarket


def bench_day(seed: int = 1) -> dict:
    """6.5 h of the default one-symbol profile on a SimClock: book events, trades, wall and
    CPU seconds."""
    market = SyntheticMarket(MarketConfig(symbols=(SymbolProfile("SIMA"),), seed=seed))
    w0, c0 = time.perf_counter(), time.process_time()
    day = market.run_day()["SIMA"]
    return {"events": day.events, "trades": len(day.trades), "seconds": time.perf_counter() - w0,
            "cpu_seconds": time.process_time() - c0, "volume": day.volume}
