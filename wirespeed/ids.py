"""Identifiers that stay unique across restarts: ExecID, OrderID, the gateway's order ids.

A counter from 1 repeats itself after a restart, and a counterparty that sees the same
ExecID twice drops the second report as a duplicate (or worse, books it twice on a
resend). Two sources, both free on the hot path (one increment per id):

- ``run_token()`` — a prefix for string ids (ExecID, OrderID): the process start in
  microseconds since the epoch, base 36. ``StringIds`` = token + counter.
- ``OrderIds`` — the 32-bit integer order id the order record, the venue ClOrdID and
  OUCH's UserRefNum carry (OUCH wants it increasing within a day). It starts at the
  time of day in units of 1/``PER_SECOND`` s: a restart later the same day (even a
  millisecond later) starts above every id the earlier run issued unless that run
  averaged more than ``PER_SECOND`` ids a second since its start. With a ``path`` the ids are also reserved in blocks written to that
  file (atomically, fsynced) before use, so a restart continues above the last block
  whatever the rate and the clock did.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
#: Ids per second of the time-of-day start: 86,400 s x 32,768 < 2**32 with room for 1.4e9 more.
PER_SECOND = 32_768
MAX_ORDER_ID = 2**32 - 1


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if not n:
            return out


_last_us = 0


def run_token(epoch_ns: int | None = None) -> str:
    """A run's start as a short string (base-36 microseconds since the epoch).

    From the clock (``epoch_ns`` None) two sources made in one process in the same
    microsecond still get different tokens."""
    global _last_us
    if epoch_ns is not None:
        return _base36(epoch_ns // 1000)
    _last_us = max(time.time_ns() // 1000, _last_us + 1)
    return _base36(_last_us)


class StringIds:
    """``<prefix><run token>-<n>``: unique across restarts, ordered within a run."""
    __slots__ = ("_prefix", "_n")

    def __init__(self, prefix: str = "", epoch_ns: int | None = None):
        self._prefix = f"{prefix}{run_token(epoch_ns)}-"
        self._n = 0

    def __next__(self) -> str:
        self._n += 1
        return f"{self._prefix}{self._n}"

    def __iter__(self):
        return self


class OrderIds:
    """32-bit order ids, increasing within a day and unique across restarts (see module doc)."""
    __slots__ = ("_next", "_limit", "_path", "_block")

    def __init__(self, path: str | Path | None = None, block: int = 4096, epoch_ns: int | None = None):
        if not isinstance(block, int) or block <= 0:
            raise ValueError(f"block must be a positive integer, not {block!r}")
        epoch_ns = time.time_ns() if epoch_ns is None else epoch_ns
        start = max(1, epoch_ns % 86_400_000_000_000 * PER_SECOND // 1_000_000_000)
        self._path = Path(path) if path is not None else None
        self._block = block
        if self._path is not None:
            start = max(start, self._read_reserved())
            self._limit = start
            self._next = start
            self._reserve()
        else:
            self._limit = MAX_ORDER_ID + 1
            self._next = start

    def _read_reserved(self) -> int:
        try:
            text = self._path.read_text().strip()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise ValueError(f"{self._path}: cannot read the order-id reservation: {exc.strerror}") from None
        if not text.isdigit() or int(text) > MAX_ORDER_ID + 1:
            raise ValueError(f"{self._path}: order-id reservation must be an integer 0..{MAX_ORDER_ID + 1}, "
                             f"not {text[:40]!r}")
        return int(text)

    def _reserve(self) -> None:
        limit = min(self._next + self._block, MAX_ORDER_ID + 1)
        tmp = self._path.with_name(self._path.name + ".tmp")
        with open(tmp, "w") as f:
            f.write(f"{limit}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path)
        self._limit = limit

    def __next__(self) -> int:
        n = self._next
        if n >= self._limit:
            if n > MAX_ORDER_ID or self._path is None:
                raise OverflowError("order ids exhausted for today (2**32 - 1 issued)")
            self._reserve()
        self._next = n + 1
        return n

    def __iter__(self):
        return self
