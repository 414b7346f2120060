"""Venue configuration: frozen, validated, loaded from TOML (``wirespeed venue --config FILE``).

Every error names its full key (``venue[1].symbols[0].tick: ...``); see docs/sim/venue.md.
"""
from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field
from pathlib import Path

from wirespeed.config import ConfigError, VenueConfig, from_mapping, read_toml
from wirespeed.gateway.session.schedule import Schedule
from wirespeed.prices import PriceError, TickSize
from wirespeed.symbols import Symbol, SymbolTable


def _port(name: str, value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"{name}: must be a port 0..65535 (0: any free one), not {value!r}")


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """The venue's processing delay before each answer: ``fixed_us`` plus a seeded sample."""
    fixed_us: float = 0.0
    jitter_us: float = 0.0
    distribution: typing.Literal["uniform", "normal", "exponential"] = "uniform"
    seed: int = 1

    def __post_init__(self) -> None:
        if self.fixed_us < 0:
            raise ValueError(f"fixed_us: must be >= 0, not {self.fixed_us!r}")
        if self.jitter_us < 0:
            raise ValueError(f"jitter_us: must be >= 0, not {self.jitter_us!r}")


@dataclass(frozen=True, slots=True)
class VenueSymbol:
    """A symbol a venue lists, with its tick and the liquidity its resident maker provides."""
    name: str
    tick: str = "0.01"
    reference: str = "100.00"
    levels: int = 5                 # price levels the maker quotes each side
    level_qty: int = 500            # shares per level
    max_qty: int = 1_000_000        # larger orders are rejected

    def __post_init__(self) -> None:
        try:
            Symbol(1, self.name, TickSize.parse(self.tick))
        except ValueError as exc:
            key = "name" if "symbol" in str(exc) else "tick"
            raise ValueError(f"{key}: {exc}") from None
        try:
            TickSize.parse(self.tick).to_ticks(self.reference)
        except (PriceError, ValueError) as exc:
            raise ValueError(f"reference: {exc}") from None
        for key in ("levels", "level_qty", "max_qty"):
            value = getattr(self, key)
            if value < (0 if key == "levels" else 1):
                raise ValueError(f"{key}: must be {'>= 0' if key == 'levels' else 'positive'}, not {value!r}")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    enabled: bool = True
    session: str = ""               # MoldUDP64 session; default: the venue name
    retain: int = 100_000           # messages kept for retransmission
    request_rate: float = 200.0     # requests a second per source
    heartbeat_s: float = 1.0

    def __post_init__(self) -> None:
        if len(self.session) > 10 or not self.session.isascii():
            raise ValueError(f"session: at most 10 ASCII characters, not {self.session!r}")
        if self.retain < 1:
            raise ValueError(f"retain: must be positive, not {self.retain!r}")
        if self.request_rate <= 0 or self.heartbeat_s <= 0:
            raise ValueError("request_rate and heartbeat_s: must be positive")


@dataclass(frozen=True, slots=True)
class VenueSpec:
    name: str
    comp_id: str = ""               # FIX SenderCompID; default: the name
    host: str = "127.0.0.1"
    fix_port: int = 0
    ouch: bool = True               # an OUCH 5.0 / SoupBinTCP front end on ouch_port
    ouch_port: int = 0
    ouch_users: dict[str, str] = field(default_factory=lambda: {"USER": "PASS"})
    maker_fee_bps: float = -0.2     # negative: a rebate
    taker_fee_bps: float = 0.3
    latency: LatencyModel = field(default_factory=LatencyModel)
    feed: FeedSpec = field(default_factory=FeedSpec)
    heartbeat_s: int = 30
    max_messages_per_second: int = 20_000     # per FIX session; above it the session is logged out
    stp: typing.Literal["cancel_newest", "cancel_oldest", "cancel_both", "decrement"] = "cancel_newest"
    symbols: tuple[VenueSymbol, ...] = (VenueSymbol("AAPL", "0.01", "190.00"),)
    # QuickFIX's FileStorePath: the FIX sessions' stores on disk under it (one folder per session),
    # so their numbers and sent messages survive a restart; "": in memory, for this process.
    store_path: str = ""
    # Where the venue announces its ports each time it starts (control/venues/announce.py: a venue
    # manager reads it to find a restarted venue's feed on other ports); "": not announced.
    announce_path: str = ""
    # ... and over TCP on this port (a connection gets the announcement and is closed); 0: not
    announce_port: int = 0
    # QuickFIX's StartTime / EndTime (HH:MM:SS in time_zone, an IANA name, default UTC): the FIX
    # sessions' window. Out of it a Logon is refused; a session day runs from one StartTime to the
    # next, and its first Logon finds the session's store reset (numbers from 1, QuickFIX's rule),
    # as a counterparty keeping the same window expects. "": no window, numbers kept for ever.
    start_time: str = ""
    end_time: str = ""
    time_zone: str = ""

    def __post_init__(self) -> None:
        for key in ("store_path", "announce_path"):
            v = getattr(self, key)
            if not isinstance(v, str) or "\x00" in v:
                raise ValueError(f"{key}: must be a {'folder' if key == 'store_path' else 'file'} path, not {v!r}")
        if not self.name or not self.name.isascii() or not self.name.replace("_", "").isalnum() or len(self.name) > 10:
            raise ValueError(f"name: 1..10 letters, digits or '_', not {self.name!r}")
        if not self.comp_id:
            object.__setattr__(self, "comp_id", self.name)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"host: a simulated venue listens on loopback, not {self.host!r}")
        _port("fix_port", self.fix_port)
        self.window()
        _port("announce_port", self.announce_port)
        _port("ouch_port", self.ouch_port)
        for user, password in self.ouch_users.items():
            if not 0 < len(user) <= 6 or len(password) > 10:
                raise ValueError(f"ouch_users.{user}: SoupBinTCP usernames are 1..6, passwords <= 10 characters")
        for key in ("maker_fee_bps", "taker_fee_bps"):
            if not -100 <= getattr(self, key) <= 100:
                raise ValueError(f"{key}: must be between -100 and 100 bps, not {getattr(self, key)!r}")
        if self.heartbeat_s < 1:
            raise ValueError(f"heartbeat_s: must be positive, not {self.heartbeat_s!r}")
        if self.max_messages_per_second < 1:
            raise ValueError(f"max_messages_per_second: must be positive, not {self.max_messages_per_second!r}")
        if not self.symbols:
            raise ValueError("symbols: a venue lists at least one symbol")
        names = [s.name for s in self.symbols]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValueError(f"symbols: {dup!r} is listed twice")
        if not self.feed.session:
            object.__setattr__(self, "feed", FeedSpec(True if self.feed.enabled else False, self.name,
                                                      self.feed.retain, self.feed.request_rate, self.feed.heartbeat_s))

    def window(self) -> dict:
        """The FIX sessions' window as SessionConfig keys ({} without one); a bad key is named."""
        if not self.start_time and not self.end_time:
            if self.time_zone:
                raise ValueError("time_zone: only with start_time and end_time")
            return {}
        times = {}
        for key in ("start_time", "end_time"):
            text = getattr(self, key)
            try:
                if not isinstance(text, str) or len(text) != 8:
                    raise ValueError
                times[key] = dt.time.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{key}: must be a time of day HH:MM:SS, not {text!r}") from None
        Schedule(times["start_time"], times["end_time"], None, None, self.time_zone or None).check()
        return {**times, "time_zone": self.time_zone or None}

    def symbol_table(self) -> SymbolTable:
        return SymbolTable.of((s.name, s.tick, s.reference) for s in self.symbols)

    @classmethod
    def from_venue_config(cls, cfg: VenueConfig, symbols: SymbolTable, *, levels: int = 5,
                          level_qty: int = 500) -> "VenueSpec":
        """The demo's one-venue config (``[venue]`` of wirespeed.toml) as a full venue: the fee
        is charged to taker and maker alike, no OUCH, no feed, as before."""
        return cls(cfg.name[:10], cfg.comp_id, cfg.host, cfg.port, ouch=False, maker_fee_bps=cfg.fee_bps,
                   taker_fee_bps=cfg.fee_bps, latency=LatencyModel(float(cfg.latency_us)),
                   feed=FeedSpec(enabled=False),
                   symbols=tuple(VenueSymbol(s.name, str(s.tick), s.tick.format(s.reference_ticks), levels,
                                             level_qty) for s in symbols))


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """A venue config file: ``[[venue]]`` tables."""
    venue: tuple[VenueSpec, ...]

    def __post_init__(self) -> None:
        names = [v.name for v in self.venue]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValueError(f"venue: name {dup!r} is used twice")
        fixed = [p for v in self.venue for p in (v.fix_port, v.ouch_port if v.ouch else 0) if p]
        clash = next((p for p in fixed if fixed.count(p) > 1), None)
        if clash:
            raise ValueError(f"venue: port {clash} is configured twice")


def load_market(path: str | Path) -> MarketSpec:
    p = Path(path)
    data = read_toml(p)
    if "venue" not in data:
        raise ConfigError(f"{p}: venue: required key is missing (one [[venue]] table per venue)")
    return from_mapping(MarketSpec, data)
