"""The desk's ``[algo.history]`` files built from recorded days (``wirespeed algo history``), so no
one writes them by hand.

Input: LOBSTER message files (or wirespeed CSVs, ``lobster.read_messages``), one a day; a LOBSTER
orderbook file beside a message file (its name with ``_orderbook_`` for ``_message_``) gives the
spread. Per symbol, over the days:

- ``volume``: the mean of each day's executed shares (visible 4, hidden 5 and the cross 6);
- ``bins`` / ``auction``: each day's profile (``profile.from_trades``: the continuous session's
  executions in ``bin_s`` bins, the cross as the auction), averaged (``profile.average``);
- ``sigma_ticks``: ticks per square-root second, the root of the summed squared changes between
  consecutive execution prices (in ticks) over the summed seconds between each day's first and
  last execution (days are not chained: the overnight move is not the desk's risk);
- ``half_spread_ticks``: from the orderbook file, the mean of (best ask - best bid) / 2 over its
  rows with both sides quoted; without one, half the mean price change between consecutive
  executions against opposite sides (a buy hitting the ask after a sell hitting the bid crosses
  the spread).

Each file is written as ``DIR/SYMBOL.toml`` (the symbol as written) and read back through ``SymbolHistory.load`` (the
desk's own validation). Bad input raises ``HistoryInputError`` naming the file, the line and the
field (``msft_orderbook_1.csv:3: ask price 1: 'x' is not an integer``).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from wirespeed.control.live.history import SymbolHistory

from .lobster import CROSS, EXECUTE, EXECUTE_HIDDEN, read_messages
from .profile import average, from_trades

NS = 1_000_000_000
#: LOBSTER's placeholders for an empty side of the book
EMPTY_ASK, EMPTY_BID = 9_999_999_999, -9_999_999_999


class HistoryInputError(ValueError):
    """Input the history cannot be built from: ``path[:line]: field: problem``."""


@dataclass
class _Day:
    execs: list            # (ts_ns, qty, price) of the continuous session, file order
    cross: int             # shares of the cross (auction)
    sq: float = 0.0        # summed squared price changes, ticks^2
    span_s: float = 0.0
    spread: list | None = None    # half spreads (ticks) of the orderbook rows, if a book was read


def orderbook_path(message_path: str) -> str:
    head, name = os.path.split(message_path)
    return os.path.join(head, name.replace("_message_", "_orderbook_")) if "_message_" in name else ""


def read_half_spreads(path: str, tick_units: float) -> list[float]:
    """(ask1 - bid1) / 2 in ticks for each row of a LOBSTER orderbook file with both sides quoted."""
    out = []
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise HistoryInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("ascii").strip()
            except UnicodeDecodeError as exc:
                raise HistoryInputError(f"{path}:{lineno}: byte {raw[exc.start]:#04x} at column {exc.start + 1} "
                                        "is not ASCII (a LOBSTER orderbook file is ASCII CSV)") from None
            if not line:
                continue
            cols = line.split(",")
            if len(cols) < 4 or len(cols) % 4:
                raise HistoryInputError(f"{path}:{lineno}: {len(cols)} columns, a LOBSTER orderbook row has 4 "
                                        "per level (ask price, ask size, bid price, bid size)")
            vals = []
            for name, text in zip(("ask price 1", "ask size 1", "bid price 1", "bid size 1"), cols):
                try:
                    vals.append(int(text))
                except ValueError:
                    raise HistoryInputError(f"{path}:{lineno}: {name}: {text.strip()!r} is not an integer") from None
            ask, _, bid, _ = vals
            if ask == EMPTY_ASK or bid == EMPTY_BID:
                continue
            if ask < bid:
                raise HistoryInputError(f"{path}:{lineno}: ask price 1: {ask} is below the bid {bid} (a crossed book)")
            out.append((ask - bid) / 2 / tick_units)
    return out


def _read_day(path: str, tick_units: float, symbol: str | None) -> dict[str, _Day]:
    days: dict[str, _Day] = {}
    last: dict[str, tuple] = {}
    try:
        for m in read_messages(path, symbol):
            if m.type not in (EXECUTE, EXECUTE_HIDDEN, CROSS):
                continue
            d = days.setdefault(m.symbol, _Day([], 0))
            if m.type == CROSS:
                d.cross += m.size
                continue
            px = m.price / tick_units
            prev = last.get(m.symbol)
            if prev is not None:
                d.sq += (px - prev[1]) ** 2
                d.span_s = (m.ts_ns - d.execs[0][0]) / NS
            last[m.symbol] = (m.ts_ns, px, m.direction)
            d.execs.append((m.ts_ns, m.size, px, m.direction))
    except OSError as exc:
        raise HistoryInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:     # (a ValueError, but without the file's name)
        raise HistoryInputError(f"{path}: not ASCII text ({exc.reason}, byte {exc.object[exc.start]:#04x}): "
                                "a LOBSTER message file is ASCII CSV") from None
    except ValueError as exc:             # MessageFileError: path:line: field and problem
        raise HistoryInputError(str(exc)) from None
    book = orderbook_path(path)
    if book and os.path.exists(book) and len(days) == 1:
        next(iter(days.values())).spread = read_half_spreads(book, tick_units)
    return days


def build(paths: list[str], *, tick: float = 0.01, open_s: int = 34_200, close_s: int = 57_600,
          bin_s: int = 1800, symbol: str | None = None) -> dict[str, SymbolHistory]:
    """One ``SymbolHistory`` per symbol traded in ``paths`` (each a day's message file)."""
    if not paths:
        raise HistoryInputError("--from: no input files")
    if not (isinstance(tick, (int, float)) and tick > 0):
        raise HistoryInputError(f"tick: must be a positive price increment, not {tick!r}")
    tick_units = tick * 10_000                 # LOBSTER prices are dollars x 10,000
    per: dict[str, list[_Day]] = {}
    for p in paths:
        for sym, day in _read_day(p, tick_units, symbol).items():
            per.setdefault(sym, []).append(day)
    if not per:
        raise HistoryInputError(f"{', '.join(paths)}: no executions (types 4, 5, 6): no volume to build from")
    out = {}
    for sym, days in sorted(per.items()):
        where = ", ".join(paths)
        profiles = []
        for d in days:
            try:
                profiles.append(from_trades(sym, ((t, q) for t, q, _, _ in d.execs), open_s=open_s,
                                            close_s=close_s, bin_s=bin_s, auction_qty=d.cross))
            except ValueError as exc:
                raise HistoryInputError(f"{where}: {sym}: {exc}") from None
        prof = average(profiles)
        volume = sum(sum(q for _, q, _, _ in d.execs) + d.cross for d in days) / len(days)
        span = sum(d.span_s for d in days)
        if span <= 0:
            raise HistoryInputError(f"{where}: {sym}: sigma_ticks: needs two executions at different times in a day")
        sigma = math.sqrt(sum(d.sq for d in days) / span)
        spreads = [h for d in days if d.spread for h in d.spread]
        if not spreads:
            spreads = [abs(b[2] - a[2]) / 2 for d in days for a, b in zip(d.execs, d.execs[1:]) if a[3] != b[3]]
        if not spreads:
            raise HistoryInputError(f"{where}: {sym}: half_spread_ticks: no orderbook file and no executions "
                                    "against both sides to measure the spread from")
        half = sum(spreads) / len(spreads)
        try:
            out[sym] = SymbolHistory(sym, float(volume), open_s, close_s, bin_s, prof.bins, prof.auction,
                                     max(sigma, 1e-6), max(half, 1e-6))
        except ValueError as exc:
            raise HistoryInputError(f"{where}: {sym}: {exc}") from None
    return out


def to_toml(h: SymbolHistory) -> str:
    bins = ", ".join(repr(float(b)) for b in h.bins)
    return (f'symbol = "{h.symbol}"\nvolume = {h.volume!r}\nopen_s = {h.open_s}\nclose_s = {h.close_s}\n'
            f"bin_s = {h.bin_s}\nbins = [{bins}]\nauction = {float(h.auction)!r}\n"
            f"sigma_ticks = {h.sigma_ticks!r}\nhalf_spread_ticks = {h.half_spread_ticks!r}\n")


def write(histories: dict[str, SymbolHistory], out: str | Path) -> dict[str, Path]:
    """``out/SYMBOL.toml`` for each, read back through the desk's own loader."""
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryInputError(f"--out {folder}: cannot create the folder: {exc.strerror or exc}") from None
    written = {}
    for sym, h in histories.items():
        p = folder / f"{sym}.toml"    # SYMBOL.toml, as docs/control/live.md configures it
        p.write_text(to_toml(h))
        SymbolHistory.load(p, sym)            # what the desk will read, checked now
        written[sym] = p
    return written


def main(args) -> int:
    """``wirespeed algo history --from lobster:PATH ... --out DIR``."""
    import sys
    paths = []
    for src in args.sources or []:
        kind, _, path = src.partition(":")
        if kind not in ("lobster", "csv") or not path:
            print(f"wirespeed algo history: --from {src!r}: must be lobster:PATH or csv:PATH", file=sys.stderr)
            return 2
        paths.append(path)
    try:
        hs = build(paths, tick=args.tick, open_s=args.open_s, close_s=args.close_s, bin_s=args.bin_s,
                   symbol=args.symbol)
        for sym, p in write(hs, args.out).items():
            h = hs[sym]
            print(f"{p}: {h.symbol} volume {h.volume:.0f}, {len(h.bins)} bins of {h.bin_s}s, auction "
                  f"{h.auction:.4f}, sigma {h.sigma_ticks:.4f} ticks/sqrt(s), half spread {h.half_spread_ticks:.3f} ticks")
    except (HistoryInputError, ValueError) as exc:
        print(f"wirespeed algo history: {exc}", file=sys.stderr)
        return 2
    return 0
