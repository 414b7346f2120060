"""Toxics: what a network path does to the bytes of one direction (sans-IO).

The types, attribute names, units and JSON are toxiproxy's, so a toxiproxy client
configures a wirespeed relay unchanged:

============  ==========================================  ==============================
type          attributes (unit)                           effect
============  ==========================================  ==============================
latency       latency (ms), jitter (ms)                    delay every chunk by latency
                                                           +- a jitter sample
bandwidth     rate (KB/s, 0: unlimited)                    serialise at ``rate``
slow_close    delay (ms)                                   hold the close that long
timeout       timeout (ms, 0: never close)                 black hole; close after timeout
reset_peer    timeout (ms)                                 TCP RST after timeout
slicer        average_size, size_variation (bytes),        cut chunks into pieces
              delay (us)                                   ``delay`` apart
limit_data    bytes                                        close once that many passed
============  ==========================================  ==============================

wirespeed extensions (a toxiproxy client still sends them as plain attributes):
latency takes fractional milliseconds (0.05 = 50 us) and ``distribution``
(``uniform`` as toxiproxy, ``normal``, ``exponential``), and the ``loss`` type models a
lost segment the way TCP shows it to the application: with ``probability`` per chunk the
chunk (and, in order, everything behind it) arrives one retransmission timeout ``rto``
(ms) late.

``toxicity`` is toxiproxy's: the probability that the toxic applies to a connection
(drawn once per connection and direction from the relay's seeded generator).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

STREAMS = ("upstream", "downstream")
DISTRIBUTIONS = ("uniform", "normal", "exponential")


class ToxicError(ValueError):
    """A toxic's name, type, stream, toxicity or attribute is invalid; the message says which."""


def _number(kind: str, minimum: float, maximum: float | None = None):
    def check(where: str, value: Any):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ToxicError(f"{where}: must be a number, not {value!r}")
        if kind == "int" and value != int(value):
            raise ToxicError(f"{where}: must be a whole number, not {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum:g}" if maximum is None else f"between {minimum:g} and {maximum:g}"
            raise ToxicError(f"{where}: must be {bound}, not {value!r}")
        return int(value) if kind == "int" else float(value)
    return check


def _choice(options: tuple[str, ...]):
    def check(where: str, value: Any):
        if value not in options:
            raise ToxicError(f"{where}: must be one of {', '.join(options)}, not {value!r}")
        return value
    return check


_MS, _COUNT = _number("float", 0), _number("int", 0)
#: type -> attribute -> (default, check). Defaults are toxiproxy's.
SCHEMA: dict[str, dict[str, tuple[Any, Any]]] = {
    "latency": {"latency": (0, _MS), "jitter": (0, _MS), "distribution": ("uniform", _choice(DISTRIBUTIONS))},
    "bandwidth": {"rate": (0, _COUNT)},
    "slow_close": {"delay": (0, _MS)},
    "timeout": {"timeout": (0, _MS)},
    "reset_peer": {"timeout": (0, _MS)},
    "slicer": {"average_size": (0, _COUNT), "size_variation": (0, _COUNT), "delay": (0, _COUNT)},
    "limit_data": {"bytes": (0, _COUNT)},
    "loss": {"probability": (0.0, _number("float", 0, 1)), "rto": (200, _MS)},
}


@dataclass(frozen=True, slots=True)
class ToxicSpec:
    """One toxic as configured (validated on construction; attributes complete with defaults)."""
    type: str
    name: str = ""
    stream: str = "downstream"
    toxicity: float = 1.0
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in SCHEMA:
            raise ToxicError(f"type: unknown toxic type {self.type!r} (known: {', '.join(SCHEMA)})")
        if not self.name:
            object.__setattr__(self, "name", f"{self.type}_{self.stream}")
        if not isinstance(self.name, str) or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ToxicError(f"name: must be letters, digits, '_' or '-', not {self.name!r}")
        if self.stream not in STREAMS:
            raise ToxicError(f"stream: must be upstream or downstream, not {self.stream!r}")
        object.__setattr__(self, "toxicity", _number("float", 0, 1)("toxicity", self.toxicity))
        if not isinstance(self.attributes, Mapping):
            raise ToxicError(f"attributes: must be an object, not {self.attributes!r}")
        schema = SCHEMA[self.type]
        unknown = sorted(set(self.attributes) - set(schema))
        if unknown:
            raise ToxicError(f"attributes.{unknown[0]}: not an attribute of {self.type} "
                             f"(known: {', '.join(schema)})")
        attrs = {k: check(f"attributes.{k}", self.attributes.get(k, default)) for k, (default, check) in schema.items()}
        if self.type == "slicer" and attrs["size_variation"] >= max(attrs["average_size"], 1):
            raise ToxicError("attributes.size_variation: must be smaller than average_size")
        if self.type == "slicer" and attrs["average_size"] < 1:
            raise ToxicError("attributes.average_size: must be >= 1, not 0")
        object.__setattr__(self, "attributes", MappingProxyType(attrs))

    @classmethod
    def from_json(cls, body: Any, *, base: "ToxicSpec | None" = None) -> "ToxicSpec":
        """From toxiproxy's JSON object; with ``base``, an update: missing keys keep base's values."""
        if not isinstance(body, Mapping):
            raise ToxicError(f"body: must be a JSON object, not {body!r}")
        known = {"name", "type", "stream", "toxicity", "attributes"}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ToxicError(f"{unknown[0]}: unknown toxic field (known: {', '.join(sorted(known))})")
        if base is None:
            if "type" not in body:
                raise ToxicError("type: missing")
            return cls(body["type"], body.get("name") or "", body.get("stream") or "downstream",
                       body.get("toxicity", 1.0), body.get("attributes") or {})
        attrs = dict(base.attributes)
        attrs.update(body.get("attributes") or {})
        return cls(base.type, base.name, base.stream, body.get("toxicity", base.toxicity), attrs)

    def to_json(self) -> dict:
        return {"name": self.name, "type": self.type, "stream": self.stream, "toxicity": self.toxicity,
                "attributes": dict(self.attributes)}


@dataclass(slots=True)
class LinkState:
    """What one direction of one connection remembers between chunks."""
    rng: random.Random
    passed: int = 0                 # bytes let through (limit_data)
    free_at_ns: int = 0             # when the bandwidth-limited wire is free again
    applies: dict = field(default_factory=dict)   # toxic name -> bool (toxicity, drawn once)

    def active(self, spec: ToxicSpec) -> bool:
        hit = self.applies.get(spec.name)
        if hit is None:
            hit = self.applies[spec.name] = spec.toxicity >= 1.0 or self.rng.random() < spec.toxicity
        return hit


@dataclass(slots=True)
class Plan:
    """What to do with one chunk: pieces as (deadline ns, bytes), and whether to close after."""
    pieces: list
    close: bool = False


def jitter_ns(spec: ToxicSpec, rng: random.Random) -> int:
    a = spec.attributes
    base, jit = a["latency"] * 1e6, a["jitter"] * 1e6
    if jit:
        dist = a["distribution"]
        if dist == "uniform":
            base += rng.uniform(-jit, jit)
        elif dist == "normal":
            base += rng.gauss(0.0, jit)
        else:
            base += rng.expovariate(1.0 / jit)
    return max(0, int(base))


def plan_chunk(toxics: list[ToxicSpec], state: LinkState, data: bytes, now_ns: int) -> Plan:
    """Apply the toxics of one direction, in order, to a chunk read at ``now_ns``.

    Returns absolute deadlines (not sleeps) so the relay can keep order and measure how
    late each write was against exactly what was planned here.
    """
    pieces = [[now_ns, data]]
    close = False
    for spec in toxics:
        if not state.active(spec):
            continue
        a, t = spec.attributes, spec.type
        if t == "latency":
            for p in pieces:
                p[0] += jitter_ns(spec, state.rng)
        elif t == "bandwidth" and a["rate"]:
            ns_per_byte = 1e9 / (a["rate"] * 1000)
            for p in pieces:
                start = max(p[0], state.free_at_ns)
                p[0] = state.free_at_ns = start + int(len(p[1]) * ns_per_byte)
        elif t == "loss":
            for p in pieces:
                if state.rng.random() < a["probability"]:
                    p[0] += int(a["rto"] * 1e6)
        elif t == "slicer":
            out = []
            for at, chunk in pieces:
                i = 0
                while i < len(chunk):
                    size = a["average_size"] + state.rng.randint(-a["size_variation"], a["size_variation"])
                    out.append([at, chunk[i:i + max(1, size)]])
                    i += max(1, size)
                    at += a["delay"] * 1000
            pieces = out
        elif t == "limit_data":
            room = a["bytes"] - state.passed
            kept = []
            for at, chunk in pieces:
                if room <= 0:
                    break
                kept.append([at, chunk[:room]])
                room -= len(chunk[:room])
            pieces = kept
            close = close or room <= 0
        elif t == "timeout":
            pieces = []                # black hole: nothing passes while it is there
    state.passed += sum(len(p[1]) for p in pieces)
    return Plan(pieces, close)
