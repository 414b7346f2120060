"""The configuration of ``wirespeed gateway --config FILE``: one TOML file for the whole service.

Client sessions, venue sessions, routes, the risk backend and its limits, the audit
directory, the metrics and admin ports, how the sockets are read (spin, busy poll, kernel
timestamps). Loaded through ``wirespeed.config.from_mapping``, so every error names its key
(``venues[1].port: must be a TCP port 0..65535, not -1``,
``clients[0].route: no venue named 'XLON' (venues: XNAS, XNYS)``). See docs/gateway/service.md
for an example.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from wirespeed.config import (GatewayConfig, RiskConfig, SymbolConfig, WirespeedConfig, _comp_id, _host, _port,
                              from_mapping, read_toml)

from .controls import RateLimit


def _credit(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"credit_limit: must be a non-negative integer (ticks x shares), not {value!r}")


def _rate(rate: float, burst: int) -> None:
    RateLimit(rate, burst)      # raises "rate: ..." / "burst: ..."


@dataclass(frozen=True, slots=True)
class ClientSessionConfig:
    comp_id: str
    route: str = ""                      # default venue for orders without ExDestination ("" = the first venue)
    cancel_on_disconnect: bool = False
    cancel_grace_s: float = 0.0          # seconds after a disconnect before its working orders are canceled
    rate: float = 0.0                    # orders per second (the gateway's throttle); 0 = off
    burst: int = 1
    credit_limit: int = 0                # open notional this client may have out, ticks x shares; 0 = none
    max_latency_s: int = 120             # QuickFIX MaxLatency: inbound SendingTime within this many seconds
    check_latency: bool = True           # QuickFIX CheckLatency
    backlog_credit: bool = True          # SendingTimeBacklogCredit (docs/gateway/session.md)

    def __post_init__(self) -> None:
        _comp_id("comp_id", self.comp_id)
        _credit(self.credit_limit)
        if isinstance(self.max_latency_s, bool) or not isinstance(self.max_latency_s, int) or self.max_latency_s < 1:
            raise ValueError(f"max_latency_s: must be a whole number of seconds >= 1, not {self.max_latency_s!r}")
        for key in ("check_latency", "backlog_credit"):
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"{key}: must be true or false, not {getattr(self, key)!r}")
        if self.cancel_grace_s < 0:
            raise ValueError(f"cancel_grace_s: must be >= 0 seconds, not {self.cancel_grace_s!r}")
        _rate(self.rate, self.burst)

    @property
    def rate_limit(self) -> RateLimit | None:
        return RateLimit(self.rate, self.burst) if self.rate else None


@dataclass(frozen=True, slots=True)
class VenueSessionConfig:
    name: str
    port: int
    comp_id: str
    host: str = "127.0.0.1"
    protocol: str = "fix"                # fix: FIX 4.4; ouch: OUCH 5.0 over SoupBinTCP (port = the OUCH port)
    rate: float = 0.0                    # orders per second toward this venue; 0 = off
    burst: int = 1
    username: str = ""                   # ouch: the SoupBinTCP login (1..6 characters)
    password: str = ""                   # ouch: at most 10 characters
    credit_limit: int = 0                # open notional allowed at this venue, ticks x shares; 0 = none
    encoder: str = "software"            # "verilator": new-order frames from the Verilated encoder (OUCH
                                         # Enter Order, FIX NewOrderSingle; gateway/hw_encoder.py)
    # QuickFIX's FileStorePath: a folder for the session's sequence numbers and sent messages (one
    # subfolder BeginString-Sender-Target, the gateway's FileStore); "" keeps them in memory.
    store_path: str = ""
    # QuickFIX's ResetOnLogon: every Logon asks for a sequence reset (141=Y), as the gateway always
    # did (the default); false: the numbers go on across connections and restarts (with store_path),
    # a lost link recovered by ResendRequest.
    reset_on_logon: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.store_path, str) or "\x00" in self.store_path:
            raise ValueError(f"store_path: must be a folder path (QuickFIX's FileStorePath), not {self.store_path!r}")
        if self.store_path and self.protocol == "ouch":
            raise ValueError("store_path: an OUCH venue keeps no FIX store (its venue replays by sequence number)")
        if not isinstance(self.reset_on_logon, bool):
            raise ValueError(f"reset_on_logon: must be true or false (QuickFIX's ResetOnLogon), "
                             f"not {self.reset_on_logon!r}")
        if self.encoder not in ("software", "verilator"):
            raise ValueError(f"encoder: must be 'software' or 'verilator', not {self.encoder!r}")
        if not self.name or not self.name.isascii() or not self.name.isalnum():
            raise ValueError(f"name: must be ASCII letters and digits (it is the ExDestination value), "
                             f"not {self.name!r}")
        _port("port", self.port)
        _comp_id("comp_id", self.comp_id)
        _host("host", self.host)
        _credit(self.credit_limit)
        if self.protocol not in ("fix", "ouch"):
            raise ValueError(f"protocol: must be 'fix' or 'ouch', not {self.protocol!r}")
        if self.protocol == "ouch" and not 1 <= len(self.username) <= 6:
            raise ValueError(f"username: an OUCH venue needs a SoupBinTCP username of 1..6 characters, "
                             f"not {self.username!r}")
        if len(self.password) > 10:
            raise ValueError("password: SoupBinTCP passwords are at most 10 characters")
        _rate(self.rate, self.burst)

    @property
    def rate_limit(self) -> RateLimit | None:
        return RateLimit(self.rate, self.burst) if self.rate else None


@dataclass(frozen=True, slots=True)
class AuditConfig:
    directory: str = ""                  # "" = no audit trail
    fsync: bool = False                  # also survive a power cut (slower: one fsync per client report)
    max_pending: int = 50_000            # records waiting on a failing disk before new orders are refused

    def __post_init__(self) -> None:
        if isinstance(self.max_pending, bool) or not isinstance(self.max_pending, int) or self.max_pending < 1:
            raise ValueError(f"max_pending: must be a positive integer of records, not {self.max_pending!r}")

    def trail(self):
        """The AuditTrail this section configures, or None (no directory): the gateway's service
        and the control plane's desk build theirs here, so every key of ``[audit]`` reaches both."""
        from .audit import AuditTrail
        return AuditTrail(self.directory, fsync=self.fsync, max_pending=self.max_pending) if self.directory else None


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    """What the gateway keeps in memory of what is done (docs/gateway/service.md, "Retention")."""

    finished_orders: int = 10_000        # the last finished orders kept for late venue reports, status
                                         # requests and late cancels; older ones are forgotten (>= 1)
    stored_messages: int = 20_000        # per venue session, the last sent messages kept for a
                                         # ResendRequest (older: GapFill); 0 = all of the day
    client_stored_messages: int = 0      # per client session, the same; 0 (the default) = all of the
                                         # day: a client reconnecting gets every ExecutionReport resent
    client_memory_messages: int = 20_000  # of a client store that keeps all of the day, the last kept in
                                         # memory; the older ones on disk (0 = all in memory)
    client_store_directory: str = ""     # where those go (a folder of the process's made in it);
                                         # "" = the system's temporary folder

    def __post_init__(self) -> None:
        if not isinstance(self.client_store_directory, str):
            raise ValueError(f"client_store_directory: must be a string (a folder), not {self.client_store_directory!r}")
        for key in ("finished_orders", "stored_messages", "client_stored_messages", "client_memory_messages"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{key}: must be a non-negative integer, not {v!r}")
        if self.finished_orders == 0:
            # (0 is "all" for the stores; for orders "none" would forget each as it finishes, so a
            # late fill of it is unknown: refused rather than read either way)
            raise ValueError("finished_orders: must be at least 1 (0 would forget every order as it finishes; "
                             "the stores' 0 = all has no meaning here)")


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 0                        # 0 = pick a free port (logged at start)

    def __post_init__(self) -> None:
        _port("port", self.port)
        _host("host", self.host)


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """How the gateway's client and venue sessions use their sockets (docs/gateway/transport.md)."""

    spin_micros: float = 0.0             # after each read the event loop polls this long instead of sleeping (0 = off)
    busy_poll_us: int = 0                # SO_BUSY_POLL on every client and venue socket (0 = off)
    cpu_affinity: tuple[int, ...] = ()   # pin the gateway process to these CPUs (() = not pinned)
    kernel_timestamps: bool = False      # SO_TIMESTAMPNS, read by recvmsg: the kernel->user hop measured
    coalesce_writes: bool = True         # writes after the first in one loop turn go out together, per connection

    def __post_init__(self) -> None:
        if not 0 <= self.spin_micros <= 1_000_000:
            raise ValueError(f"spin_micros: must be 0..1000000 microseconds, not {self.spin_micros!r}")
        if isinstance(self.busy_poll_us, bool) or not 0 <= self.busy_poll_us <= 1_000_000:
            raise ValueError(f"busy_poll_us: must be 0..1000000 microseconds, not {self.busy_poll_us!r}")
        cpus = os.cpu_count() or 1
        for i, cpu in enumerate(self.cpu_affinity):
            if not 0 <= cpu < cpus:
                raise ValueError(f"cpu_affinity[{i}]: no CPU {cpu} on this machine (CPUs 0..{cpus - 1})")


def _admin_default() -> EndpointConfig:
    return EndpointConfig(enabled=True)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    clients: tuple[ClientSessionConfig, ...]
    venues: tuple[VenueSessionConfig, ...]
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    metrics: EndpointConfig = field(default_factory=EndpointConfig)       # Prometheus; off by default
    admin: EndpointConfig = field(default_factory=_admin_default)         # loopback HTTP; on by default
    transport: TransportConfig = field(default_factory=TransportConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    symbols: tuple[SymbolConfig, ...] = WirespeedConfig().symbols

    def __post_init__(self) -> None:
        if not self.clients:
            raise ValueError("clients: must list at least one client session")
        if not self.venues:
            raise ValueError("venues: must list at least one venue session")
        _unique("clients", [c.comp_id for c in self.clients], "comp_id")
        _unique("venues", [v.name for v in self.venues], "name")
        _unique("venues", [v.comp_id for v in self.venues], "comp_id")
        names = [v.name for v in self.venues]
        for i, c in enumerate(self.clients):
            if c.route and c.route not in names:
                raise ValueError(f"clients[{i}].route: no venue named {c.route!r} (venues: {', '.join(names)})")
            if c.comp_id == self.gateway.comp_id:
                raise ValueError(f"clients[{i}].comp_id: must differ from gateway.comp_id ({c.comp_id!r})")
        for i, v in enumerate(self.venues):
            if v.comp_id == self.gateway.comp_id:
                raise ValueError(f"venues[{i}].comp_id: must differ from gateway.comp_id ({v.comp_id!r})")
        WirespeedConfig(gateway=self.gateway, risk=self.risk, symbols=self.symbols,
                        venue=_venue_config(self.venues[0]))

    def core(self) -> WirespeedConfig:
        """The core config the gateway's components take."""
        return WirespeedConfig(gateway=self.gateway, risk=self.risk, symbols=self.symbols,
                               venue=_venue_config(self.venues[0]))


def _venue_config(v: VenueSessionConfig):
    from wirespeed.config import VenueConfig
    return VenueConfig(name=v.name, host=v.host, port=v.port, comp_id=v.comp_id)


def _unique(where: str, values: list[str], key: str) -> None:
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{where}[{i}].{key}: duplicate {v!r} (also {where}[{seen[v]}])")
        seen[v] = i


def load_service_config(path: str | Path) -> ServiceConfig:
    data = read_toml(path)
    return from_mapping(ServiceConfig, data)
