"""The audit trail: every application message in and out and every risk decision, as JSON lines.

Records are appended to a list on the hot path (a tuple, no formatting). The order path calls
``flush()`` before it writes anything to a client: that hands the pending records to the
kernel as one ``marshal`` frame appended to ``audit.journal`` (one C call and one ``os.write``;
JSON of the same records cost ~10x as much, on every report). Whatever a client was told is
then in the journal before the client can see it: a ``kill -9`` after that loses nothing the
client knows about (the kernel's page cache survives the process; ``fsync=True`` also survives
the machine). A flush that fails takes its bytes back out of the journal (a torn frame would hide
the frames after it), keeps the records pending for the next flush and raises: the caller must
not tell the client.

Every record gets a number, counted on across restarts; its JSON line carries it as ``rec``.
``settle()``, on the gateway's timer and at close, off the hot path, writes the journaled records
after the last number already written as JSON lines into ``audit-YYYYMMDD.jsonl`` (one file per
UTC day; a clock stepped back never reopens an earlier day's file, so the files in name order
hold the records in number order) and empties the journal only once all are written (and, with
``fsync``, synced). A day file's write that fails is cut back to where it began. A journal left by a
crash is settled when the trail is next opened: the newest day file is cut back to its last
newline (a settle the crash interrupted) and the number on its last line says where the
journal's records resume, read from the file's tail only. So the trail holds every record once
and always parses. ``read_trail`` reads an unsettled journal too. One process owns a directory
(``flock`` on ``audit.lock``).
"""
from __future__ import annotations

import calendar
import fcntl
import json
import logging
import marshal
import os
import re
import struct
import time
from pathlib import Path

from wirespeed.config import ConfigError

try:
    import orjson
except ImportError:  # pragma: no cover - a declared dependency
    orjson = None

log = logging.getLogger("wirespeed.audit")

JOURNAL = "audit.journal"
LOCK = "audit.lock"
_MAGIC = b"WSJ1"
_HEAD = struct.Struct("<4sIQ")    # magic, frame length, number of the frame's first record
_DAY_NS = 86_400 * 10**9
_DAY_FILE = re.compile(r"audit-(\d{8})\.jsonl")
_TAIL = 64 * 1024                 # a day file is read backwards in blocks of this, never whole
#: Journaled records kept in memory until the timer settles them; past it they are settled at
#: once (a starved timer must not grow memory; if that settle fails too, memory lets them go and
#: the next settle reads them back from the journal). ~1-1.5 KB a record as Python objects: 200,000
#: peaked the gateway at 660-740 MiB under make bench-load --audit with the timer starved (issue 15).
MAX_UNSETTLED = 50_000
#: Records waiting for a flush that keeps failing (a disk full or gone) before the gateway stops
#: accepting new orders (``audit.max_pending``): they cannot be dropped (a client may have been
#: told of their orders), so new flow is what stops. ~5 records an order round trip.
MAX_PENDING = 50_000
RETRY_NS = 100_000_000      # a backlogged trail tries its disk again at most this often from the order path


def _json_line(rec: int, t: int, kind: str, fields: dict) -> bytes:
    return (json.dumps({"t": t, "kind": kind, **fields, "rec": rec}, separators=(",", ":"), default=str)
            + "\n").encode()


if orjson is not None:
    # (datetimes and dataclasses through default=str, as json wrote them)
    _OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME
                | orjson.OPT_PASSTHROUGH_DATACLASS)

    def _line(rec: int, t: int, kind: str, fields: dict) -> bytes:
        """One record's JSON line. orjson (C) writes it ~10x faster than ``json`` (settle was ~30 %
        of the gateway's CPU under make bench-load with the trail on); what it will not encode the
        same way (an int past 64 bits, a float NaN) goes through ``json`` as before."""
        obj = {"t": t, "kind": kind, **fields, "rec": rec}
        try:
            line = orjson.dumps(obj, default=str, option=_OPTIONS)
        except TypeError:       # (orjson.JSONEncodeError: e.g. an int past 64 bits)
            return _json_line(rec, t, kind, fields)
        if b"null" in line and _has_nan(obj):
            return _json_line(rec, t, kind, fields)
        return line
    _BODY = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    _SEP = b'},"\\u0000",{'     # (a sentinel string between the records' bodies, with their braces: see _lines)
    _KINDS: dict = {}
    _CLASH = frozenset(("t", "kind", "rec"))

    def _lines(records) -> list[bytes]:
        """The JSON lines of ``records`` ((rec, t, kind, fields) each), the same bytes as ``_line``
        of each, from one ``orjson.dumps`` of all their fields with a sentinel string between
        them, each line one format of its head, its body (split off without its braces) and its
        ``rec`` (no dict a record; one call a batch: settle's lines were ~4x the trail-off CPU
        under make bench-load --audit). The sentinel's bytes can stand only between values (inside
        a JSON string every quote is escaped): when they occur exactly once between each two
        records, every split is a boundary. Anything else (a nested match, an empty or a clashing
        record, what orjson cannot write, a null that may be a NaN) is ``_line``'s, record by
        record."""
        bodies = []
        for _rec, _t, _kind, fields in records:
            bodies.append(fields)
            bodies.append("\x00")
        try:
            data = orjson.dumps(bodies, default=str, option=_BODY)
        except TypeError:
            return [_line(*r) for r in records]
        # [{A},"\u0000",{B},"\u0000"] -> A, B (the first body's "{", the last's "}" cut here)
        parts = data[2:-len(_SEP) + 1].split(_SEP)
        if len(parts) != len(records) or not records:
            return [_line(*r) for r in records]
        kinds, clash, out = _KINDS, _CLASH, []
        for (rec, t, kind, fields), body in zip(records, parts):
            head = kinds.get(kind)
            if head is None:
                if not isinstance(kind, str) or len(kinds) > 64:
                    out.append(_line(rec, t, kind, fields))
                    continue
                head = kinds[kind] = (b'{"t":%d,"kind":' + orjson.dumps(kind).replace(b"%", b"%%")
                                      + b',%s,"rec":%d}\n')
            if (not body or type(fields) is not dict or type(t) is not int or type(rec) is not int
                    or not clash.isdisjoint(fields) or (b"null" in body and _has_nan(fields))):
                out.append(_line(rec, t, kind, fields))
            else:
                out.append(head % (t, body, rec))
        return out
else:  # pragma: no cover - a declared dependency
    _line = _json_line

    def _lines(records) -> list[bytes]:
        return [_line(*r) for r in records]


def _has_nan(obj) -> bool:
    """A float NaN or infinity anywhere in ``obj`` (orjson writes null for them, json NaN)."""
    if isinstance(obj, float):
        return obj != obj or obj in (float("inf"), float("-inf"))
    if isinstance(obj, dict):
        return any(_has_nan(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_nan(v) for v in obj)
    return False


def _day(day_no: int) -> str:
    return time.strftime("%Y%m%d", time.gmtime(day_no * 86_400))


class AuditTrail:
    def __init__(self, directory: str | Path, fsync: bool = False, clock=time.time_ns, max_pending: int = MAX_PENDING):
        if isinstance(max_pending, bool) or not isinstance(max_pending, int) or max_pending < 1:
            raise ConfigError(f"audit.max_pending must be a positive integer, not {max_pending!r}")
        self.max_pending = max_pending
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"audit.directory: cannot create {str(directory)!r}: {exc.strerror}") from None
        self.fsync, self.clock = fsync, clock
        self._pending: list[tuple] = []       # recorded, not yet in the journal
        # In the journal, not yet all in a day file: (number of the first record, records) a
        # frame; None once memory let them go (the journal on disk still has them).
        self._frames: list[tuple[int, list]] | None = []
        self._unsettled = 0
        self._next = 1                        # the number the next journaled record gets
        self._settled = 0                     # the number of the last record in a day file
        self._fd = -1                         # the current day's JSON file
        self._journal_fd = -1
        self._journal_size = 0                # where the next frame starts (taken back to on failure)
        self._torn: Path | None = None        # a day file whose failed write could not be cut back
        self._day = ""
        self._day_no = -1
        self.records = 0
        # Orders refused while backlogged, not recorded one by one (that would grow the backlog):
        # one "control" record says how many once a flush succeeds again.
        self.refused = 0
        self._refused_since = 0
        self._retried = 0
        self._lock_fd = _lock(self.directory)
        try:
            self._recover()
        except BaseException:
            self._release()
            raise

    def record(self, kind: str, fields: dict) -> None:
        """Queue one record; ``fields`` must stay unchanged until the next flush (it is not copied)."""
        self._pending.append((self.clock(), kind, fields))

    def backlogged(self) -> bool:
        """True while ``max_pending`` records wait for a flush that fails: the order path then
        refuses new orders (``refuse``) until a flush gets through (the timer's settle retries,
        and so does this call, at most once a ``RETRY_NS``). One length compare when under it."""
        if len(self._pending) < self.max_pending:
            return False
        now = time.monotonic_ns()
        if now - self._retried >= RETRY_NS:
            self._retried = now
            try:
                self.flush()
            except OSError:
                return True
        return len(self._pending) >= self.max_pending

    def refuse(self) -> None:
        """Count one order refused because of the backlog (told to its client unrecorded: it never
        became an order, and recording it would grow what the cap bounds)."""
        if not self.refused:
            self._refused_since = self.clock()
            log.error("audit: %d records not yet on disk (flushes failing): new orders are refused until "
                      "the journal can be written again", len(self._pending))
        self.refused += 1

    def flush(self) -> None:
        """Make every pending record durable (in the journal) before the caller tells a client.
        Raises OSError when it could not: then the records stay pending and nobody may be told."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        refused = self.refused
        if refused:
            # Orders were refused for the backlog: the frame that clears it says how many (taken
            # out again if this flush fails too, so a failing disk does not grow the backlog).
            pending.append((self.clock(), "control", {"action": "audit_backlog", "refused_orders": refused,
                                                      "since": self._refused_since}))
        try:
            frame = marshal.dumps(pending)
        except ValueError:       # an object marshal cannot hold: that record goes as JSON text
            frame = marshal.dumps([(t, kind, fields) if _marshallable(fields) else
                                   (t, kind, json.loads(json.dumps(fields, default=str))) for t, kind, fields in pending])
        data = _HEAD.pack(_MAGIC, len(frame), self._next) + frame
        try:
            if self._journal_fd < 0:
                self._open_journal()
            _write_all(self._journal_fd, data)
            if self.fsync:
                os.fsync(self._journal_fd)
        except OSError:
            self._pending = (pending[:-1] if refused else pending) + self._pending
            self._take_back()
            raise
        if refused:
            log.warning("audit: journal written again; %d orders were refused meanwhile", refused)
            self.refused -= refused
        self._journal_size += len(data)
        if self._frames is not None:
            self._frames.append((self._next, pending))
        self._next += len(pending)
        self._unsettled += len(pending)
        self.records += len(pending)
        if self._unsettled > MAX_UNSETTLED:
            try:
                self.settle()
            except OSError as exc:   # the flush itself succeeded: the caller may tell its client
                log.error("audit: settling %d journaled records failed (%s); they stay in the journal",
                          self._unsettled, exc)
                self._frames, self._unsettled = None, 0

    def settle(self) -> None:
        """Off the hot path: journaled records become JSON lines in their day's file; the
        journal is emptied once all of them are written (and synced, with ``fsync``)."""
        self.flush()
        frames = self._frames
        if frames is None:
            frames = _scan(_read(self.directory / JOURNAL))[0]
        if not frames:
            return
        self._write_records(frames)
        if self.fsync and self._fd >= 0:
            os.fsync(self._fd)
        if self._journal_fd >= 0:
            os.ftruncate(self._journal_fd, 0)
            self._journal_size = 0
        self._frames, self._unsettled = [], 0

    def _write_records(self, frames) -> None:
        """The JSON lines of the records after the last one written, in number order (a day's
        run of them made in one ``_lines`` call)."""
        batch, last = [], self._settled
        for first, records in frames:
            if first + len(records) <= self._settled + 1:
                continue
            for n, (t, kind, fields) in enumerate(records, first):
                if n <= self._settled:
                    continue
                day_no = max(t // _DAY_NS, self._day_no)
                if day_no != self._day_no or self._fd < 0:
                    if batch:
                        self._append(_lines(batch), last)
                        batch = []
                    self._open(day_no)
                batch.append((n, t, kind, fields))
                last = n
        if batch:
            self._append(_lines(batch), last)

    def _append(self, lines: list[str], last: int) -> None:
        """Whole lines or none: a failed write is cut back to where it began (else the next
        settle would glue its first line to a torn one), and the count moves only after."""
        if self._torn is not None:
            _last_line(self._torn, repair=True)
            self._torn = None
        start = os.fstat(self._fd).st_size
        try:
            _write_all(self._fd, b"".join(lines))
        except OSError:
            try:
                os.ftruncate(self._fd, start)
            except OSError as exc:
                log.error("audit: cannot cut %s back to byte %d (%s); it is cut at its last newline next time",
                          self.path, start, exc)
                self._torn = self.path
            raise
        self._settled = last

    def _recover(self) -> None:
        """Where the day files end (cut back to a whole line), then a crashed run's journal: its
        records after that go there now."""
        self._settled, self._day_no = _settled_tail(self.directory, repair=True)
        self._next = self._settled + 1
        journal = self.directory / JOURNAL
        if not journal.exists():
            return
        frames, problems, torn = _scan(_read(journal))
        if torn:
            log.warning("audit: %s ends in a frame cut short (its write never returned, so nobody was told "
                        "of it): dropped", journal)
        if frames:
            self._next = max(self._settled, frames[-1][0] + len(frames[-1][1]) - 1) + 1
            before = self._settled
            self._write_records(frames)
            if self.fsync and self._fd >= 0:
                os.fsync(self._fd)          # the lines are on disk before their journal goes
            if self._settled > before:
                log.warning("audit: %d records of a crashed run settled from %s", self._settled - before, journal)
        if problems:
            bad = _aside(journal)
            log.error("audit journal %s unreadable in part (%s): its %d good frames settled, the file kept as %s",
                      journal, "; ".join(problems), len(frames), bad)
        else:
            journal.unlink()

    def _open_journal(self) -> None:
        self._journal_fd = os.open(self.directory / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._journal_size = os.fstat(self._journal_fd).st_size

    def _take_back(self) -> None:
        """A flush failed: cut the journal back to where its frame began."""
        if self._journal_fd < 0:
            return
        try:
            os.ftruncate(self._journal_fd, self._journal_size)
        except OSError as exc:
            log.error("audit: cannot cut %s back to byte %d (%s): a reader skips the torn frame",
                      self.directory / JOURNAL, self._journal_size, exc)
            try:
                self._journal_size = os.fstat(self._journal_fd).st_size
            except OSError:
                pass

    def _open(self, day_no: int) -> None:
        if self._fd >= 0:
            if self.fsync:
                os.fsync(self._fd)           # the day that ends is synced before it is let go
            os.close(self._fd)
            self._fd = -1
        day = _day(day_no)
        self._fd = os.open(self.directory / f"audit-{day}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._day, self._day_no = day, day_no

    @property
    def path(self) -> Path | None:
        return self.directory / f"audit-{self._day}.jsonl" if self._day else None

    def close(self) -> None:
        """Settle and let go. If the settle fails the journal stays for the next open."""
        settled = False
        try:
            self.settle()
            settled = True
        finally:
            self._release(unlink_journal=settled)

    def _release(self, unlink_journal: bool = False) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
            self._journal_fd = -1
            if unlink_journal:
                (self.directory / JOURNAL).unlink(missing_ok=True)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)          # closing the descriptor lets the flock go
            self._lock_fd = -1


def _lock(directory: Path) -> int:
    """One trail per directory: a second process would settle and truncate the other's journal."""
    path = directory / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    except OSError as exc:
        raise ConfigError(f"audit.directory: cannot open {str(path)!r}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise ConfigError(f"audit.directory: {str(directory)!r} is in use by another process (pid {holder} holds "
                          f"{LOCK}); give each gateway its own directory") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


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


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _aside(journal: Path) -> Path:
    """An unreadable journal is kept for inspection under a name no later one overwrites."""
    k = 0
    while True:
        bad = journal.with_name(f"{journal.name}.bad" + (f".{k}" if k else ""))
        if not bad.exists():
            journal.rename(bad)
            return bad
        k += 1


def _frame_at(data: bytes, pos: int, expect: int | None):
    """((first number, records, end), "") for a whole valid frame at ``pos``, else (None, why);
    why is "short" for a frame the end of the data cuts."""
    if len(data) - pos < _HEAD.size:
        return None, "short" if _MAGIC.startswith(data[pos:pos + len(_MAGIC)]) else "no frame header"
    magic, size, first = _HEAD.unpack_from(data, pos)
    if magic != _MAGIC:
        return None, "no frame header"
    end = pos + _HEAD.size + size
    if end > len(data):
        return None, "short"
    try:
        records = marshal.loads(memoryview(data)[pos + _HEAD.size:end])
    except (EOFError, TypeError, ValueError) as exc:
        return None, f"not marshal data ({exc})"
    if not isinstance(records, list) or not all(
            isinstance(r, tuple) and len(r) == 3 and isinstance(r[0], int) and isinstance(r[1], str)
            and isinstance(r[2], dict) for r in records):
        return None, "not a list of (time, kind, fields) records"
    if expect is not None and first < expect:
        return None, f"record number {first} goes back (expected {expect})"
    return (first, records, end), ""


def _scan(data: bytes) -> tuple[list[tuple[int, list]], list[str], bool]:
    """A journal's good frames, what could not be read (byte ranges and why, records missing),
    and whether it ends in a frame cut short: harmless only there (a write that never returned,
    so no client was told); anywhere else the frames after the damage are salvaged."""
    frames: list[tuple[int, list]] = []
    problems: list[str] = []
    pos, expect = 0, None
    while pos < len(data):
        found, why = _frame_at(data, pos, expect)
        if found is not None:
            first, records, end = found
            if expect is not None and first > expect:
                problems.append(f"records {expect}-{first - 1} lost before byte {pos}")
            frames.append((first, records))
            expect, pos = first + len(records), end
            continue
        nxt = data.find(_MAGIC, pos + 1)
        while nxt >= 0 and _frame_at(data, nxt, expect)[0] is None:
            nxt = data.find(_MAGIC, nxt + 1)
        if nxt < 0:
            if why == "short":
                return frames, problems, True
            problems.append(f"bytes {pos}-{len(data)}: {why}")
            break
        problems.append(f"bytes {pos}-{nxt}: {why}")
        pos = nxt
    return frames, problems, False


def _day_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("audit-*.jsonl") if _DAY_FILE.fullmatch(p.name))


def _last_line(path: Path, repair: bool) -> bytes | None:
    """The last whole line of ``path``, read backwards from its end. A tail after the last
    newline (a write a crash cut) is cut off when ``repair``, else ignored."""
    with open(path, "r+b" if repair else "rb") as f:
        size = start = f.seek(0, os.SEEK_END)
        buf = b""
        while start > 0:
            step = min(_TAIL, start)
            start -= step
            f.seek(start)
            buf = f.read(step) + buf
            end = buf.rfind(b"\n")
            if end < 0:
                continue
            before = buf.rfind(b"\n", 0, end)
            if before < 0 and start > 0:
                continue
            if repair and end + 1 < len(buf):
                log.warning("audit: %s ended mid-line (a settle cut by a crash): %d bytes cut, their records "
                            "are settled again from the journal", path, len(buf) - end - 1)
                f.truncate(start + end + 1)
            return buf[before + 1:end]
        if repair and size:
            log.warning("audit: %s held no whole line: %d bytes cut", path, size)
            f.truncate(0)
        return None


def _settled_tail(directory: Path, repair: bool) -> tuple[int, int]:
    """(the number of the last record in the day files, the newest day file's day number)."""
    days = _day_files(directory)
    newest = -1
    if days:
        stamp = _DAY_FILE.fullmatch(days[-1].name).group(1)
        newest = calendar.timegm(time.strptime(stamp, "%Y%m%d")) // 86_400
    for path in reversed(days):
        line = _last_line(path, repair)
        if line is None:
            continue
        try:
            rec = json.loads(line).get("rec", 0)
            if not isinstance(rec, int):
                raise ValueError(f"rec is {rec!r}")
        except (ValueError, AttributeError) as exc:
            raise ConfigError(f"audit.directory: {path}: the last line is not a trail record ({exc})") from None
        return rec, newest
    return 0, newest


class NoAudit:
    """The trail when none is configured: records go nowhere."""

    records = 0
    path = None

    def backlogged(self) -> bool:
        return False

    def refuse(self) -> None:
        pass

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
    settled (a running or crashed gateway's): the trail as it will be (for tests and tools).
    A line a crash cut short is skipped (its record is still in the journal); any other line
    that is not JSON raises ValueError naming the file and line."""
    return [rec for _, rec in iter_trail(directory)]


def iter_trail(directory: str | Path, skip: tuple[bytes, ...] = (), since_ns: int = 0):
    """``read_trail`` one record at a time, each with where it is (``file:line``, or
    ``audit.journal:record N``): the day files are read line by line, never whole, so a
    reader of a long trail (the order path rebuilding its orders, ``order_recovery.py``)
    holds one line at a time. ``skip``: a day-file line whose first 80 bytes hold one of these
    is not parsed nor yielded (the reports to clients, for a reader that does not need them:
    a third of a trail's lines); a journal's records are always yielded. ``since_ns``: only the
    records of the UTC days from the one holding this time (epoch ns) on: an earlier day file is
    not read (only its last line, for where the journal resumes), a journal record of an earlier
    time is not yielded."""
    directory = Path(directory)
    settled = 0
    first_day = time.strftime("%Y%m%d", time.gmtime(since_ns // _DAY_NS * 86_400))
    for path in _day_files(directory):
        if _DAY_FILE.fullmatch(path.name).group(1) < first_day:
            last = _last_line(path, repair=False)
            try:
                rec = json.loads(last).get("rec") if last else None
            except (ValueError, AttributeError):
                rec = None
            settled = rec if isinstance(rec, int) else settled
            continue
        with open(path, "rb") as f:
            for no, line in enumerate(f, 1):
                if not line.endswith(b"\n"):
                    break
                if skip and any(x in line[:80] for x in skip):
                    at = line.rfind(b'"rec":')       # (its number still says where the journal resumes)
                    if at > 0 and line[at + 6:-2].isdigit():
                        settled = int(line[at + 6:-2])
                    continue
                if line.strip():
                    try:
                        rec = json.loads(line)
                    except ValueError as exc:
                        raise ValueError(f"{path}:{no}: not a JSON line ({exc})") from None
                    if isinstance(rec, dict):
                        settled = rec.get("rec", settled) if isinstance(rec.get("rec"), int) else settled
                    yield f"{path}:{no}", rec
    journal = directory / JOURNAL
    for first, records in _scan(_read(journal))[0]:
        for n, (t, kind, fields) in enumerate(records, first):
            if n > settled and t >= since_ns // _DAY_NS * _DAY_NS:
                yield f"{journal}:record {n}", json.loads(_line(n, t, kind, fields))
