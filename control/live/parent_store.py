"""The desk's parents on disk: what a restarted desk needs to carry them on (``resume.py``).

One JSON line an event, appended to ``parents-YYYYMMDD.jsonl`` (the desk clock's UTC day) in the
desk's store folder (``desk.store_path``), one ``write(2)`` a line (whole lines or, after a crash
mid-write, a last line cut short, which the reader skips: nobody was told of what it held):

| ev | when | fields |
|---|---|---|
| ``new`` | a parent accepted, before its New goes out | id, client, cl, algo, symbol, side, qty, start, end, limit (ticks or null), request (its StrategyParametersGrp as parsed), seed |
| ``fill`` | a child fill, before the parent's report | id, leg, qty, px (ticks), venue |
| ``replace`` | a replace applied | id, cl, qty, start, end, limit, request |
| ``cancel`` | a cancel (or the desk's stop, the kill switch) taken | id, cl |
| ``end`` | the parent's last report (Filled, DoneForDay, Canceled) | id, status |

What cannot be re-derived is here: the request as the desk resolved it (StartTime / EndTime on
the desk's clock, DurationSecs turned into an EndTime), the seed, the fills as the parent
aggregated them. The children are the gateway's orders, rebuilt from its audit trail
(gateway/order_recovery.py); their leg ids name the parent.

fsync (``desk.store_fsync``): ``always`` after every line, ``batch`` (default) on the desk's
tick, ``none`` never (the page cache survives the process, not the machine). Bounded by the day:
a new day starts a new file, and at open a file of an earlier day whose parents all ended is
removed once read; a file with a parent still working is kept (and read again) until it ends.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
from pathlib import Path

from wirespeed.config import ConfigError

from ..model import Urgency
from .strategy import StrategyRequest

log = logging.getLogger("wirespeed.control.desk")

FSYNC = ("none", "batch", "always")
_FILE = re.compile(r"parents-(\d{8})\.jsonl")
_KINDS = frozenset({"new", "fill", "replace", "cancel", "end"})


def request_record(req: StrategyRequest | None) -> dict | None:
    if req is None:
        return None
    out = dataclasses.asdict(req)
    if req.urgency is not None:
        out["urgency"] = req.urgency.value
    return out


def request_from(rec: dict | None) -> StrategyRequest | None:
    if rec is None:
        return None
    rec = dict(rec)
    if rec.get("urgency") is not None:
        rec["urgency"] = Urgency(rec["urgency"])
    return StrategyRequest(**rec)


@dataclasses.dataclass
class StoredParent:
    """A parent as its events tell it: the last plan, its fills by leg, whether it ended."""

    new: dict
    plan: dict                                   # the new record, or the last replace's
    cl: str
    fills: list = dataclasses.field(default_factory=list)   # (leg, qty, px, venue)
    cancel_cl: str = ""
    ended: str = ""                              # the final OrdStatus, "" while working
    where: str = ""

    @property
    def id(self) -> str:
        return self.new["id"]


class ParentStore:
    def __init__(self, folder: str | Path, fsync: str = "batch", clock=time.time_ns):
        if fsync not in FSYNC:
            raise ConfigError(f"desk.store_fsync: must be one of {', '.join(FSYNC)}, not {fsync!r}")
        self.folder, self.fsync, self.clock = Path(folder), fsync, clock
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"desk.store_path: cannot create the store folder {str(folder)!r}: "
                              f"{exc.strerror}") from None
        self._fd, self._day, self._dirty = -1, "", False
        self.parents: dict[str, StoredParent] = {}
        self.max_id = 0
        self._load()

    # -- reading -----------------------------------------------------------------------------
    def _files(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("parents-*.jsonl") if _FILE.fullmatch(p.name))

    def _load(self) -> None:
        files = self._files()
        by_file: dict[Path, set[str]] = {}
        for path in files:
            ids = by_file[path] = set()
            with open(path, "rb") as f:
                for no, line in enumerate(f, 1):
                    if not line.endswith(b"\n"):
                        log.warning("desk store %s:%d: a line cut short (a write a crash interrupted) skipped",
                                    path, no)
                        break
                    if line.strip():
                        ids.add(self._apply(f"{path}:{no}", line))
        today = self._today()
        for path, ids in by_file.items():
            if path.name < f"parents-{today}.jsonl" and all(self.parents[i].ended for i in ids if i in self.parents):
                path.unlink()
        # what is kept: the parents still working (the ended ones are only counted for their ids)
        self.parents = {k: p for k, p in self.parents.items() if not p.ended}

    def _apply(self, where: str, line: bytes) -> str:
        try:
            r = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"desk.store_path: {where}: not a JSON line ({exc})") from None
        try:
            if not isinstance(r, dict) or r.get("ev") not in _KINDS:
                raise ValueError(f"not a desk store event (ev one of {', '.join(sorted(_KINDS))})")
            pid, ev = r["id"], r["ev"]
            if not isinstance(pid, str) or not pid.startswith("P") or not pid[1:].isdigit():
                raise ValueError(f"id {pid!r} is not a parent id P<n>")
            if ev == "new":
                for key in ("client", "cl", "algo", "symbol", "side", "qty", "start", "end"):
                    r[key]
                self.parents[pid] = StoredParent(r, r, r["cl"], where=where)
                self.max_id = max(self.max_id, int(pid[1:]))
                return pid
            p = self.parents.get(pid)
            if p is None:
                raise ValueError(f"{ev} of parent {pid}, which no new event before it started")
            if ev == "fill":
                p.fills.append((str(r["leg"]), int(r["qty"]), int(r["px"]), str(r["venue"])))
            elif ev == "replace":
                p.plan = {**p.plan, **r}
                p.cl = r["cl"]
            elif ev == "cancel":
                p.cancel_cl = r["cl"]
            else:
                p.ended = str(r["status"])
            return pid
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"desk.store_path: {where}: {exc if isinstance(exc, ValueError) else 'missing ' + str(exc)}"
                              ) from None

    # -- writing -----------------------------------------------------------------------------
    def _today(self) -> str:
        return time.strftime("%Y%m%d", time.gmtime(self.clock() // 1_000_000_000))

    def _write(self, rec: dict) -> None:
        day = self._today()
        if day != self._day or self._fd < 0:
            self.close()
            self._fd = os.open(self.folder / f"parents-{day}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self._day = day
        data = (json.dumps(rec, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        if self.fsync == "always":
            os.fsync(self._fd)
        else:
            self._dirty = True

    def new(self, p) -> None:
        o = p.order
        self._write({"ev": "new", "id": p.order_id, "client": p.client.config.target_comp_id, "cl": p.cl_ord_id,
                     "algo": p.algo, "symbol": o.symbol, "side": int(o.side), "qty": o.qty, "start": o.start_ns,
                     "end": o.end_ns, "limit": o.limit, "request": request_record(p.request),
                     "seed": p.runner.algo.config.seed})

    def fill(self, p, leg: str, qty: int, px: int, venue: str) -> None:
        self._write({"ev": "fill", "id": p.order_id, "leg": leg, "qty": qty, "px": px, "venue": venue})

    def replace(self, p) -> None:
        o = p.order
        self._write({"ev": "replace", "id": p.order_id, "cl": p.cl_ord_id, "qty": o.qty, "start": o.start_ns,
                     "end": o.end_ns, "limit": o.limit, "request": request_record(p.request)})

    def cancel(self, p) -> None:
        self._write({"ev": "cancel", "id": p.order_id, "cl": p.cancel_cl})

    def end(self, p) -> None:
        self._write({"ev": "end", "id": p.order_id, "status": p.status})

    def sync(self) -> None:
        """The desk's tick (``batch``): what was written since is made durable."""
        if self._dirty and self._fd >= 0 and self.fsync == "batch":
            os.fsync(self._fd)
        self._dirty = False

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1
