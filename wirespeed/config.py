"""Frozen, typed configuration with documented defaults, loaded from TOML.

One dataclass per component. ``from_mapping`` checks every key against the
dataclass: an unknown key, a missing required key or a value of the wrong type or
range raises ``ConfigError`` naming the full key (``risk.max_qty: must be a
positive integer, not -5``). Components validate their own ranges in
``__post_init__`` and raise ``ValueError``, which is re-raised with the key path.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import socket
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is missing, unknown, or invalid. The message names the key."""


def _check_type(where: str, value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: must be true or false, not {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: must be an integer, not {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: must be a number, not {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: must be a string, not {value!r}")
        return value
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: must be a list, not {value!r}")
        return tuple(_check_type(f"{where}[{i}]", v, item_tp) for i, v in enumerate(value))
    if origin is dict or tp is dict:
        k_tp, v_tp = typing.get_args(tp)
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: must be a table, not {value!r}")
        return {_check_type(f"{where}", k, k_tp): _check_type(f"{where}.{k}", v, v_tp) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: must be a table, not {value!r}")
        return from_mapping(tp, value, where)
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise ConfigError(f"{where}: must be one of {', '.join(map(repr, allowed))}, not {value!r}")
        return value
    raise TypeError(f"{where}: unsupported config type {tp!r}")


def from_mapping(cls: type[T], mapping: Mapping[str, Any], where: str = "") -> T:
    """Build the frozen config ``cls`` from a mapping, naming the key in every error."""
    prefix = f"{where}." if where else ""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(mapping) - names)
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key (known: {', '.join(sorted(names))})")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = f"{prefix}{f.name}"
        if f.name in mapping:
            kwargs[f.name] = _check_type(key, mapping[f.name], hints[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key}: required key is missing")
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        # Component validators name their own field first ("max_qty: ..."); prefix the path.
        raise ConfigError(f"{prefix}{msg}" if prefix else msg) from None


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name}: must be a positive integer, not {value!r}")


def _port(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError(f"{name}: must be a TCP port 0..65535, not {value!r}")


#: The smallest message size a session can run with: a Logon, a NewOrderSingle and an
#: ExecutionReport with a long Text all fit in it.
MIN_MESSAGE_BYTES = 512


def _comp_id(name: str, value: str) -> None:
    # '=' and SOH are FIX's own delimiters: a CompID carrying one would split the field it is
    # written in. CompIDs also name store files, so path separators are out too.
    if not value:
        raise ValueError(f"{name}: must not be empty")
    bad = next((c for c in value if c in "=\x01/\\" or not c.isprintable() or not c.isascii()), None)
    if bad is not None:
        raise ValueError(f"{name}: must be printable ASCII without '=', SOH or path separators, "
                         f"not {value!r} (contains {bad!r})")
    if len(value) > 64:
        raise ValueError(f"{name}: must be at most 64 characters, not {len(value)}")


def _host(name: str, value: str) -> None:
    """The host must resolve now: a typo is a start-up error naming the key, not a connect loop."""
    if not value:
        raise ValueError(f"{name}: must not be empty")
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    try:
        socket.getaddrinfo(value, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(f"{name}: cannot resolve host {value!r}: {getattr(exc, 'strerror', None) or exc}") from None


@dataclass(frozen=True, slots=True)
class SymbolLimits:
    """Pre-trade limits for one symbol (or the default for all)."""

    max_qty: int = 10_000            # largest order quantity, shares
    collar_ticks: int = 500          # |price - reference| allowed, in ticks
    max_notional: int = (1 << 64) - 1   # largest qty x price of one order, ticks x shares (default: open)
    long_limit: int = (1 << 32) - 1     # largest long position incl. open buys, shares (default: open)
    short_limit: int = (1 << 32) - 1    # largest short position incl. open sells, shares (default: open)
    restricted: bool = False            # every order in the symbol is rejected (restricted list)

    def __post_init__(self) -> None:
        _positive("max_qty", self.max_qty)
        for key, bits in (("max_qty", 32), ("max_notional", 64), ("long_limit", 32), ("short_limit", 32)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
                raise ValueError(f"{key}: must be an integer 0..{(1 << bits) - 1} (the hardware's {bits}-bit "
                                 f"field), not {value!r}")
        # the limit table stores max_notional in 42 bits, all ones for open (hw/risk/checks.py)
        if not (self.max_notional < (1 << 42) - 1 or self.max_notional == (1 << 64) - 1):
            raise ValueError(f"max_notional: must be at most {(1 << 42) - 2} (the limit table's 42-bit field) "
                             f"or {(1 << 64) - 1} (open), not {self.max_notional!r}")
        if isinstance(self.collar_ticks, bool) or not isinstance(self.collar_ticks, int) or self.collar_ticks < 0:
            raise ValueError(f"collar_ticks: must be a non-negative integer, not {self.collar_ticks!r}")


@dataclass(frozen=True, slots=True)
class RiskConfig:
    # model: the golden model in software; native: the same decision in C (gateway/native); amaranth: the Amaranth simulator running hw/risk's
    # pipeline (slow: for verification); verilator: the Verilated pipeline (hardware in the loop)
    backend: typing.Literal["model", "native", "amaranth", "verilator"] = "model"
    default: SymbolLimits = field(default_factory=SymbolLimits)
    symbols: dict[str, SymbolLimits] = field(default_factory=dict)
    credit_limit: int = (1 << 64) - 1   # gross open + filled notional, ticks x shares (default: open)
    session_rate: float = 0.0           # orders per second per client session (the pipeline's GCRA); 0 = off
    session_burst: int = 1              # orders a session may send back to back within its rate

    def __post_init__(self) -> None:
        if isinstance(self.credit_limit, bool) or not 0 <= self.credit_limit < 1 << 64:
            raise ValueError(f"credit_limit: must be an integer 0..{(1 << 64) - 1}, not {self.credit_limit!r}")
        if self.session_rate < 0:
            raise ValueError(f"session_rate: must be >= 0 orders per second, not {self.session_rate!r}")
        if self.session_rate and 1e9 / self.session_rate >= 1 << 32:
            raise ValueError(f"session_rate: {self.session_rate!r}/s is below the slowest rate the "
                             f"pipeline's 32-bit interval holds ({1e9 / (1 << 32):.3f}/s)")
        _positive("session_burst", self.session_burst)
        if self.session_rate and (self.session_burst - 1) * 1e9 / self.session_rate >= 1 << 32:
            raise ValueError(f"session_burst: {self.session_burst} at {self.session_rate}/s does not fit the "
                             f"pipeline's 32-bit tolerance")

    def limits_for(self, symbol: str) -> SymbolLimits:
        return self.symbols.get(symbol, self.default)


@dataclass(frozen=True, slots=True)
class SymbolConfig:
    name: str
    tick: str = "0.01"
    reference: str = "100.00"

    def __post_init__(self) -> None:
        from .prices import PriceError, TickSize
        if not self.name or not self.name.isascii() or len(self.name) > 8 or not self.name.isprintable() \
                or " " in self.name:
            raise ValueError(f"name: must be 1-8 printable ASCII characters without spaces, not {self.name!r}")
        try:
            tick = TickSize.parse(self.tick)
        except ValueError as exc:
            raise ValueError(f"tick: {exc}") from None
        try:
            ticks = tick.to_ticks(self.reference)
        except (PriceError, ArithmeticError, ValueError) as exc:
            if isinstance(exc, PriceError) and "negative" in str(exc):
                raise ValueError(f"reference: must not be negative, not {self.reference!r}") from None
            raise ValueError(f"reference: {self.reference!r} is not a price on the tick size {tick} "
                             f"({exc})") from None
        if ticks <= 0:
            raise ValueError(f"reference: must be a positive price, not {self.reference!r}")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 0                    # 0 = pick a free port
    comp_id: str = "WIRESPEED"
    heartbeat_s: int = 30
    max_message_bytes: int = 8192

    def __post_init__(self) -> None:
        _port("port", self.port)
        _positive("heartbeat_s", self.heartbeat_s)
        _positive("max_message_bytes", self.max_message_bytes)
        if self.max_message_bytes < MIN_MESSAGE_BYTES:
            raise ValueError(f"max_message_bytes: must be at least {MIN_MESSAGE_BYTES} (a Logon and an order "
                             f"must fit), not {self.max_message_bytes}")
        _comp_id("comp_id", self.comp_id)
        _host("host", self.host)


@dataclass(frozen=True, slots=True)
class VenueConfig:
    name: str = "VENUE1"
    host: str = "127.0.0.1"
    port: int = 0
    comp_id: str = "VENUE1"
    fee_bps: float = 0.2             # charged on traded notional, reported in the venue stats
    latency_us: int = 0              # added one-way processing delay

    def __post_init__(self) -> None:
        _port("port", self.port)
        _comp_id("comp_id", self.comp_id)
        _host("host", self.host)
        if not 0 <= self.fee_bps <= 1000:
            raise ValueError(f"fee_bps: must be between 0 and 1000, not {self.fee_bps!r}")
        if self.latency_us < 0:
            raise ValueError(f"latency_us: must be >= 0, not {self.latency_us!r}")


@dataclass(frozen=True, slots=True)
class DemoConfig:
    orders: int = 300
    seed: int = 7

    def __post_init__(self) -> None:
        _positive("orders", self.orders)


@dataclass(frozen=True, slots=True)
class WirespeedConfig:
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    venue: VenueConfig = field(default_factory=VenueConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    symbols: tuple[SymbolConfig, ...] = (
        SymbolConfig("AAPL", "0.01", "190.00"),
        SymbolConfig("MSFT", "0.01", "410.00"),
        SymbolConfig("SPY", "0.01", "520.00"),
    )

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ValueError("symbols: must list at least one symbol")
        seen: dict[str, int] = {}
        for i, sym in enumerate(self.symbols):
            if sym.name in seen:
                raise ValueError(f"symbols[{i}].name: duplicate symbol {sym.name!r} (also symbols[{seen[sym.name]}])")
            seen[sym.name] = i
        if self.gateway.comp_id == self.venue.comp_id:
            raise ValueError(f"venue.comp_id: must differ from gateway.comp_id ({self.gateway.comp_id!r})")


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` laid over it table by table: ``{"demo": {"orders": 5}}``
    changes demo.orders and keeps every other demo key of ``base``."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file's tables; a missing, unreadable or malformed file is a ConfigError naming it."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read the config file: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None


def load_config(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> WirespeedConfig:
    """Read a TOML file (or nothing: all defaults) into a validated ``WirespeedConfig``."""
    data: dict[str, Any] = read_toml(path) if path is not None else {}
    if overrides:
        data = merge(data, overrides)
    return from_mapping(WirespeedConfig, data)
