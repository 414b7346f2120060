"""The audit trail: every application message in and out and every risk decision, as JSON lines.

Records are appended to a list on the hot path (a tuple, no formatting). The order path calls
``flush()`` before it writes anything to a client: that hands the pending records to the
kernel as one ``marshal`` frame appended to ``audit.journal`` (one C call and one ``os.write``;
JSON of the same records cost ~10x as much, on every report). Whatever a client was told is
then in the journal before the client can see it: a ``kill -9`` after that loses nothing the
client knows about (the kernel's page cache survives the process; ``fsync=True`` also survives
the machine). ``settle()``, on the gateway's timer and at close, off the hot path, formats the
journaled records as JSON lines into ``audit-YYYYMMDD.jsonl`` (one file per UTC day) and then
empties the journal. A journal left by a crash is settled when the trail is next opened (and
``read_trail`` reads it too), skipping what had already reached the day files, so the trail
holds every record once. A record that marshal cannot hold is made JSON on the spot (correct,
only slower).
"""
from __future__ import annotations

import json
import logging
import marshal
import os
import struct
import time
from pathlib import Path

from wirespeed.config import ConfigError

log = logging.getLogger("wirespeed.audit")

JOURNAL = "audit.journal"
_LEN = struct.Struct("<I")
_DAY_NS = 86_400 * 10**9
#: Journaled records kept in memory until the timer settles them; past it they are settled at
#: once (a starved timer must not grow memory).
MAX_UNSETTLED = 200_000


def _line(t: int, kind: str, fields: dict) -> str:
    return json.dumps({"t": t, "kind": kind, **fields}, separators=(",", ":"), default=str) + "\n"


def _day(t: int) -> str:
    return time.strftime("%Y%m%d", time.gmtime(t // 1_000_000_000))


class AuditTrail:
    def __init__(self, directory: str | Path, fsync: bool = False, clock=time.time_ns):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"audit.directory: cannot create {str(directory)!r}: {exc.strerror}") from None
        self.fsync, self.clock = fsync, clock
        self._pending: list[tuple] = []       # recorded, not yet in the journal
        self._journaled: list[tuple] = []     # in the journal, not yet in a day file
        self._fd = -1                         # today's JSON file
        self._journal_fd = -1
        self._day = ""
        self._day_no = -1
        self.records = 0
        self._recover()

    def record(self, kind: str, fields: dict) -> None:
        """Queue one record; ``fields`` must stay unchanged until the next flush (it is not copied)."""
        self._pending.append((self.clock(), kind, fields))

    def flush(self) -> None:
        """Make every pending record durable (in the journal) before the caller tells a client."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        try:
            frame = marshal.dumps(pending)
        except ValueError:       # an object marshal cannot hold: that record goes as JSON text
            frame = marshal.dumps([(t, kind, fields) if _marshallable(fields) else
                                   (t, kind, json.loads(json.dumps(fields, default=str))) for t, kind, fields in pending])
        if self._journal_fd < 0:
            self._journal_fd = os.open(self.directory / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        _write_all(self._journal_fd, _LEN.pack(len(frame)) + frame)
        if self.fsync:
            os.fsync(self._journal_fd)
        self._journaled += pending
        self.records += len(pending)
        if len(self._journaled) > MAX_UNSETTLED:
            self.settle()

    def settle(self) -> None:
        """Off the hot path: journaled records become JSON lines in their day's file; the
        journal is emptied once they are written."""
        self.flush()
        if not self._journaled:
            return
        records, self._journaled = self._journaled, []
        self._write_lines(records)
        if self.fsync and self._fd >= 0:
            os.fsync(self._fd)
        os.ftruncate(self._journal_fd, 0)

    def _write_lines(self, records) -> None:
        lines = []
        for t, kind, fields in records:
            day_no = t // _DAY_NS
            if day_no != self._day_no:
                if lines:
                    _write_all(self._fd, "".join(lines).encode())
                    lines = []
                self._open(_day(t))
                self._day_no = day_no
            lines.append(_line(t, kind, fields))
        if lines:
            _write_all(self._fd, "".join(lines).encode())

    def _recover(self) -> None:
        """A journal left by a crash: its records that are not in the day files yet go there now."""
        journal = self.directory / JOURNAL
        if not journal.exists():
            return
        try:
            records = _missing(self.directory, _read_journal(journal))
        except ValueError as exc:
            bad = journal.with_suffix(".journal.bad")
            journal.rename(bad)
            log.error("audit journal %s unreadable (%s): kept as %s, the trail continues without it", journal, exc,
                      bad)
            return
        if records:
            self._write_lines(records)
            log.warning("audit: %d records of a crashed run settled from %s", len(records), journal)
        journal.unlink()

    def _open(self, day: str) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = os.open(self.directory / f"audit-{day}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._day = day

    @property
    def path(self) -> Path | None:
        return self.directory / f"audit-{self._day}.jsonl" if self._day else None

    def close(self) -> None:
        self.settle()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
            self._journal_fd = -1
            (self.directory / JOURNAL).unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _marshallable(fields) -> bool:
    try:
        marshal.dumps(fields)
        return True
    except ValueError:
        return False


def _read_journal(path: Path) -> list[tuple]:
    """Every whole frame of a journal (a frame cut short by a crash was never acknowledged to
    anyone: its write had not returned). Raises ValueError for a journal that is not one."""
    data = path.read_bytes()
    records, pos = [], 0
    while pos + _LEN.size <= len(data):
        (n,) = _LEN.unpack_from(data, pos)
        if pos + _LEN.size + n > len(data):
            break
        try:
            frame = marshal.loads(data[pos + _LEN.size:pos + _LEN.size + n])
        except (EOFError, TypeError, ValueError) as exc:
            raise ValueError(f"frame at byte {pos}: {exc}") from None
        if not isinstance(frame, list) or not all(isinstance(r, tuple) and len(r) == 3 and isinstance(r[0], int)
                                                  and isinstance(r[1], str) and isinstance(r[2], dict)
                                                  for r in frame):
            raise ValueError(f"frame at byte {pos}: not a list of (time, kind, fields) records")
        records += frame
        pos += _LEN.size + n
    return records


def _missing(directory: Path, journal: list[tuple]) -> list[tuple]:
    """The journal's records after the last one already in the day files (the crash may have
    come between writing the JSON lines and emptying the journal)."""
    if not journal:
        return []
    days = sorted(directory.glob("audit-*.jsonl"))
    last = ""
    for path in reversed(days):
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        if lines:
            last = lines[-1] + "\n"
            break
    for k in range(len(journal) - 1, -1, -1):
        if _line(*journal[k]) == last:
            return journal[k + 1:]
    return journal


class NoAudit:
    """The trail when none is configured: records go nowhere."""

    records = 0
    path = None

    def record(self, kind: str, fields: dict) -> None:
        pass

    def flush(self) -> None:
        pass

    def settle(self) -> None:
        pass

    def close(self) -> None:
        pass


def read_trail(directory: str | Path) -> list[dict]:
    """Every record of every day in ``directory``, in file order, and those of a journal not yet
    settled (a running or crashed gateway's): the trail as it will be (for tests and tools)."""
    directory = Path(directory)
    out = []
    for path in sorted(directory.glob("audit-*.jsonl")):
        with open(path) as f:
            out += [json.loads(line) for line in f if line.strip()]
    journal = directory / JOURNAL
    if journal.exists():
        out += [json.loads(_line(*r)) for r in _missing(directory, _read_journal(journal))]
    return out

