"""Append-only file store, one folder per session, that survives ``kill -9``.

Files (in ``<root>/<BeginString>-<Sender>-<Target>/``):

- ``messages`` — append-only records ``<seq> <reply_to> <length>\\n<raw>\\n``, every
  message this side sent, so any of them can be resent after a restart.
- ``seqnums`` — ``<next sender> <next target>\\n`` rewritten in place.
- ``session`` — creation time (epoch seconds).

Both files are written through shared memory maps: a store is a memory copy
into the kernel's page cache, with no system call on the hot path, and a killed
process loses nothing already copied (the pages belong to the kernel, not to the
process). The log file grows in chunks; its unused tail is zeros, cut off on
``close``. ``fsync`` decides what survives the machine losing power: ``none``
(never), ``batch`` (on ``flush()``, which the engine calls on its timer, about
once a second), ``always`` (before the message goes on the wire). Neither blocks
the event loop: each store has a writer thread that runs ``fdatasync`` (which
writes back the pages dirtied through the maps, and releases the GIL); under
``always`` the session holds a message back until the thread reports it durable
(``sync``), so one session's fsync delays its own reply, not the other sessions.
On open, a torn trailing record (or the zero tail) is cut off (a torn record with
a WARNING), and the next numbers are taken as the larger of ``seqnums`` and what
the message log proves (a message sent as seq N means the next is N+1; a message
sent in reply to inbound seq K means K was processed). Anything else that does not
parse (an unreadable ``seqnums``, a bad record with more data after it) is a
``StoreError`` naming the file and byte offset, and nothing is cut: that is
corruption, not a crash, and silently dropping the rest would lose sent messages.
The log is indexed by streaming reads (a window of ``_READ`` bytes), not read whole.

- ``lock`` — an exclusive ``flock`` held for the store's life: a second store on the
  same folder (another desk, a restarted process while the old one still drains)
  is a ``StoreError`` instead of two writers corrupting each other's numbers and
  log. The kernel drops the lock when the process dies, however it dies.
"""
from __future__ import annotations

import asyncio
import enum
import fcntl
import logging
import mmap
import os
import sys
import threading
import time
from array import array
from pathlib import Path

log = logging.getLogger(__name__)

class FsyncPolicy(str, enum.Enum):
    NONE = "none"
    BATCH = "batch"
    ALWAYS = "always"


_SEQNUMS = b"%020d %020d\n"   # fixed width: rewritten in place, never a stale tail
_SEQNUMS_SIZE = 42
_CHUNK = 1 << 20               # the log grows a MiB (or what one record needs) at a time
_MADV_POPULATE_WRITE = 23     # Linux 5.14+ (not in the mmap module's constants)
_SWITCH_INTERVAL = 0.0002      # seconds: how long the writer thread may wait for the GIL
_MAX_DIGITS = 18                # sequence numbers the session accepts (session.MAX_SEQ)
_MAX_GAP = 1 << 20             # a jump in sender numbers wider than this starts the index afresh
_MAX_HEADER = 3 * (_MAX_DIGITS + 1) + 3   # a record header's longest form, with its newline
_READ = 1 << 20                 # the log is indexed through a window this large (not read whole)


class StoreError(Exception):
    """A store file that cannot be opened or read: the message names the file and the problem."""


class FileStore:
    def __init__(self, root: str | Path, session_id: str, fsync: FsyncPolicy | str = FsyncPolicy.BATCH):
        try:
            self.fsync = FsyncPolicy(fsync)
        except ValueError:
            raise ValueError(f"fsync: must be none, batch or always, not {fsync!r}") from None
        self.dir = Path(root) / session_id.replace("/", "_")
        self._writer: _Writer | None = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.dir}: cannot create the store folder: {exc.strerror or exc}") from None
        # Where each sent message's record starts in the log: 8 bytes a message (a dict of
        # tuples took ~15 times that). Entry i is seq ``_first + i``; -1 where none was sent.
        self._starts = array("q")
        self._first = 1
        self._holes = 0                # -1 entries padded into _starts (bounded at _MAX_GAP)
        self.dropped = 0               # messages the index let go when numbers jumped (not resent)
        self._low = 1                  # none below this number is resent (the index started again at it):
                                       # a resend counts those it gap-fills in resend_trimmed, as MemoryStore's
        self._always = self.fsync is FsyncPolicy.ALWAYS   # (read per message: a bool, not an Enum lookup)
        self.deferred_sync = self._always   # the session waits for ``sync`` before writing
        self._dirty = False
        self.next_sender_seq = self.next_target_seq = 1
        self.creation_time = time.time()
        self._msg_fd = self._seq_fd = self._lock_fd = -1
        self._mm = None
        try:
            self._lock()      # before anything is read or cut: the files may be another store's
            self._open()
        except BaseException as exc:
            for fd in (self._msg_fd, self._seq_fd, self._lock_fd):
                if fd >= 0:
                    os.close(fd)   # (closing the lock's descriptor releases the lock)
            if not isinstance(exc, OSError):
                raise
            where = exc.filename or self.dir
            raise StoreError(f"{where}: cannot open the session store: {exc.strerror or exc}") from None

    def _lock(self) -> None:
        path = self.dir / "lock"
        self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._lock_fd, 32, 0).decode("ascii", "replace").strip()
            os.close(self._lock_fd)
            self._lock_fd = -1
            raise StoreError(f"{self.dir}: another process (pid {holder or '?'}) holds this store "
                             f"(its {path.name} file is locked): two stores on one folder would "
                             f"corrupt each other's numbers and messages") from None
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, b"%d\n" % os.getpid(), 0)   # who holds it, for the error above

    # -- open / recover ------------------------------------------------------------
    def _open(self) -> None:
        session_file = self.dir / "session"
        if session_file.exists():
            try:
                self.creation_time = float(session_file.read_text().strip())
            except (ValueError, UnicodeDecodeError):
                pass   # a torn write of the creation time: keep now
        else:
            self._write_atomic(session_file, f"{self.creation_time}\n")
        self._msg_fd = os.open(self.dir / "messages", os.O_RDWR | os.O_CREAT, 0o640)
        self._seq_fd = os.open(self.dir / "seqnums", os.O_RDWR | os.O_CREAT, 0o640)
        sender, target = self._read_seqnums()
        max_sent, max_reply = self._load_index()
        self.next_sender_seq = max(sender, max_sent + 1)
        self.next_target_seq = max(target, max_reply + 1)
        if os.fstat(self._seq_fd).st_size != _SEQNUMS_SIZE:
            os.ftruncate(self._seq_fd, 0)
            os.posix_fallocate(self._seq_fd, 0, _SEQNUMS_SIZE)
        self._seq_mm = mmap.mmap(self._seq_fd, _SEQNUMS_SIZE)
        self._write_seqnums()
        self._mm = None
        self._map(self._size + _CHUNK)

    def _map(self, capacity: int) -> None:
        """(Re)map the log with room for ``capacity`` bytes (the file grows; zeros past the data)."""
        # Blocks are allocated now, not on first touch: a full disk is an OSError here, where
        # a sparse mapping would kill the process with SIGBUS when a store touched the page.
        # The old mapping is closed only once the new one is made: a full disk leaves the store
        # as it was (its messages still resent, a record that fits still stored).
        os.posix_fallocate(self._msg_fd, 0, capacity)
        mm = mmap.mmap(self._msg_fd, capacity)
        if self._mm is not None:
            self._mm.close()
        self._mm = mm
        self._capacity = capacity
        # Fault the unwritten part in now (page tables, writable), not one page fault every
        # ~17 messages on the send path. Best effort: the kernel may not know the advice.
        start = self._size - self._size % mmap.PAGESIZE
        try:
            self._mm.madvise(_MADV_POPULATE_WRITE, start, capacity - start)
        except (OSError, ValueError):
            pass

    def _read_seqnums(self) -> tuple[int, int]:
        raw = os.pread(self._seq_fd, 64, 0)
        if not raw.strip(b"\0"):
            # Empty, or allocated but never written (a crash while the store was first opened):
            # nothing was recorded, and the log still proves what was sent and answered.
            return 1, 1
        data = raw.split()
        if len(data) == 2 and data[0].isdigit() and data[1].isdigit() and raw.endswith(b"\n"):
            # (A next number may be one past the largest sequence number: one digit more.)
            if max(len(data[0].lstrip(b"0")), len(data[1].lstrip(b"0"))) > _MAX_DIGITS + 1:
                raise StoreError(f"{self.dir / 'seqnums'}: sequence number out of range "
                                 f"(over {_MAX_DIGITS + 1} digits)")
            return int(data[0]), int(data[1])
        # Written in place with a fixed width, so never torn into non-digits: this is corruption,
        # and guessing 1 would make the session ask for (or skip) numbers the venue disagrees on.
        bad = next((i for i, b in enumerate(raw) if b not in b"0123456789 \n"), 0)
        raise StoreError(f"{self.dir / 'seqnums'}: unreadable at byte {bad} (want '<next sender> "
                         f"<next target>\\n', found {raw[:_SEQNUMS_SIZE]!r}): repair or remove the file")

    def _load_index(self) -> tuple[int, int]:
        path, fd = self.dir / "messages", self._msg_fd
        size = os.fstat(fd).st_size
        window = _Window(fd)
        pos, max_sent, max_reply = 0, 0, 0
        while pos < size:
            head = window.read(pos, _MAX_HEADER)
            nl = head.find(b"\n")
            parts = head[:nl].split() if nl >= 0 else []
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                self._bad_record(path, size, pos, None, "no record header '<seq> <reply_to> <length>'")
                break
            if max(len(p) for p in parts) > _MAX_DIGITS:
                raise StoreError(f"{path}: record at byte {pos}: number out of range "
                                 f"(over {_MAX_DIGITS} digits)")
            seq, reply_to, length = map(int, parts)
            end = pos + nl + 1 + length
            if end >= size or window.read(end, 1) != b"\n":
                self._bad_record(path, size, pos, end + 1, f"its {length} bytes are not followed by a newline")
                break
            self._note(seq, pos)
            max_sent, max_reply = max(max_sent, seq), max(max_reply, reply_to)
            pos = end + 1
        if pos < size:
            os.ftruncate(fd, pos)
        self._size = pos
        return max_sent, max_reply

    def _bad_record(self, path: Path, size: int, pos: int, record_end: int | None, problem: str) -> None:
        """A record at ``pos`` that does not parse. Returns (the caller cuts the log at ``pos``)
        if it is what a crash leaves: the zero tail of the mapping, or the last record, copied
        in part (everything after ``pos`` that is not zero lies within that one record). Anything
        else is corruption: a StoreError, and the log is left as it is."""
        data_end = _data_end(self._msg_fd, pos, size)
        if data_end <= pos:
            return                                        # only the zero tail: a normal kill -9
        tail = os.pread(self._msg_fd, min(data_end - pos, _MAX_HEADER), pos)
        # (The log is grown before a record is copied in, so a torn record lies inside the file:
        # one claiming to run past its end has a bad length, not a crash behind it.)
        if (data_end <= record_end <= size) if record_end is not None else \
                (data_end - pos < _MAX_HEADER and all(b in b"0123456789 " for b in tail)):
            log.warning("%s: record at byte %d is torn (%s; the process died while writing it): "
                        "cut %d bytes", path, pos, problem, data_end - pos)
            return
        raise StoreError(f"{path}: record at byte {pos}: {problem}, and {data_end - pos} bytes of data "
                         f"follow it: the log is corrupt (left as it is; repair or remove it)")

    # -- the store interface -------------------------------------------------------
    def save_sent(self, seq: int, raw: bytes, reply_to: int = 0) -> None:
        start = self._size
        record = b"%d %d %d\n%b\n" % (seq, reply_to, len(raw), raw)
        end = start + len(record)
        if end > self._capacity:
            self._map(end + _CHUNK)
        self._mm[start:end] = record
        self._size = end
        if seq - self._first == len(self._starts):
            self._starts.append(start)
        else:
            self._note(seq, start)
        # No seqnums rewrite: on open, the log itself proves the next sender number.
        self.next_sender_seq = seq + 1
        self._dirty = True   # made durable by the writer thread: ``sync`` (always) or ``flush`` (batch)

    def take_back(self, seq: int) -> bool:
        """Forget the messages numbered ``seq`` on, the last records of the log (never on the wire,
        Session.take_back): the log is cut back to where ``seq``'s record began (the bytes zeroed:
        the mapping's unused tail is zeros) and ``seqnums`` rewritten; False (nothing changed) if
        they are not the log's last records."""
        i, starts = seq - self._first, self._starts
        if not 0 <= i < len(starts) or seq >= self.next_sender_seq or len(starts) != self.next_sender_seq - self._first:
            return False
        cut = starts[i]
        if cut < 0 or any(s < cut for s in starts[i:]):
            return False
        self._mm[cut:self._size] = bytes(self._size - cut)
        self._size = cut
        del starts[i:]
        self.next_sender_seq = seq
        self._write_seqnums()
        self._dirty = True
        return True

    def get_sent(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        out = []
        mm, starts, first = self._mm, self._starts, self._first
        for seq in range(max(begin, first), min(end, first + len(starts) - 1) + 1):
            start = starts[seq - first]
            if start >= 0:
                nl = mm.find(b"\n", start)
                length = int(mm[start:nl].rsplit(b" ", 1)[1])   # the record header: seq reply_to length
                out.append((seq, mm[nl + 1:nl + 1 + length]))
        return out

    def set_next_target(self, seq: int) -> None:
        self.next_target_seq = seq
        self._write_seqnums()
        self._dirty = True

    def flush(self) -> None:
        """``batch``: ask the writer thread for an fdatasync of what is dirty; returns at once."""
        if self._dirty and self.fsync is not FsyncPolicy.NONE:
            self._dirty = False
            self._thread().request(None)

    def sync(self, done) -> None:
        """Call ``done()`` on the event loop once everything saved so far is on disk (the
        writer thread's fdatasync); without a running loop, synchronously."""
        self._dirty = False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._fdatasync()
            done()
            return
        self._thread().request(lambda: loop.call_soon_threadsafe(done))

    def _thread(self) -> "_Writer":
        if self._writer is None:
            self._writer = _Writer(self._fdatasync, self.dir.name)
        return self._writer

    def _fdatasync(self) -> None:
        for fd in (self._msg_fd, self._seq_fd):
            try:
                os.fdatasync(fd)
            except (OSError, ValueError):
                pass   # closed meanwhile (reset, close): the closing side syncs itself

    def reset(self) -> None:
        """New session: empty the log, sequence numbers back to 1."""
        self._mm.close()
        self._mm = None
        os.ftruncate(self._msg_fd, 0)   # nothing of the old log may be read back
        self._size = 0
        self._map(_CHUNK)
        self._starts, self._first, self._holes, self._low = array("q"), 1, 0, 1
        self.next_sender_seq = self.next_target_seq = 1
        self.creation_time = time.time()
        self._write_atomic(self.dir / "session", f"{self.creation_time}\n")
        self._write_seqnums()
        self._dirty = True
        self.flush()

    def refresh(self) -> None:
        """Re-read the sequence numbers and the log from disk (RefreshOnLogon: a hot standby
        takes over a store another process has been writing). Unlike ``close`` it leaves
        the files as they are: the other process's records must survive. What this side
        saved is made durable here, not left to the writer thread, whose descriptors close.
        The other process cannot write while this store is open (the lock): a standby closes
        its store while it stands by, and ``refresh`` opens it again (StoreError if the other
        process still holds it)."""
        if self._mm is None:
            self._lock()
        else:
            if self._dirty and self.fsync is not FsyncPolicy.NONE:
                self._fdatasync()
            self._mm.close()
            self._seq_mm.close()
            for fd in (self._msg_fd, self._seq_fd):
                os.close(fd)
            self._mm = None
        self._starts, self._first, self._dirty, self._holes, self._low = array("q"), 1, False, 0, 1
        try:
            self._open()
        except OSError as exc:
            raise StoreError(f"{exc.filename or self.dir}: cannot open the session store: "
                             f"{exc.strerror or exc}") from None

    def close(self) -> None:
        if self._mm is None:
            return
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._dirty and self.fsync is not FsyncPolicy.NONE:
            self._fdatasync()
        self._mm.close()
        self._mm = None
        self._seq_mm.close()
        os.ftruncate(self._msg_fd, self._size)   # no zero tail on a clean close
        for fd in (self._msg_fd, self._seq_fd, self._lock_fd):   # the lock goes last
            try:
                os.close(fd)
            except OSError:
                pass
        self._lock_fd = -1

    # -- helpers ---------------------------------------------------------------------
    def _note(self, seq: int, start: int) -> None:
        """Index a record that is not simply the next number: after a gap (padded with -1), a
        number sent again (the later record wins), one below the first indexed, or a jump too
        wide to pad (the index starts again at ``seq``: older messages stay in the log but are no
        longer resent)."""
        starts, i = self._starts, seq - self._first
        if 0 <= i < len(starts):
            if starts[i] < 0:
                self._holes -= 1       # (a padded number sent after all: one hole fewer)
            starts[i] = start
        elif len(starts) <= i <= len(starts) + _MAX_GAP and self._holes + i - len(starts) <= _MAX_GAP:
            self._holes += i - len(starts)
            starts.extend([-1] * (i - len(starts)))
            starts.append(start)
        elif -_MAX_GAP <= i < 0 and self._holes - i - 1 <= _MAX_GAP:
            self._holes += -i - 1
            self._starts = array("q", [start] + [-1] * (-i - 1)) + starts
            self._first = seq
        else:
            # (the padding is bounded too, at _MAX_GAP entries in all: jump after jump of just under
            # _MAX_GAP would otherwise grow the index 8 MB each)
            n = len(starts) - starts.count(-1)
            self.dropped += n
            if n:
                log.warning("%s: sent numbers jumped to %d (from %d..%d, %d padded): the index starts again "
                            "there; %d older messages stay in the log but are no longer resent (a GapFill)",
                            self.dir, seq, self._first, self._first + len(starts) - 1, self._holes, n)
            self._starts, self._first, self._holes = array("q", [start]), seq, 0
            self._low = seq             # (none below it is indexed now: a resend of them counts as trimmed)

    def _write_seqnums(self) -> None:
        self._seq_mm[:] = _SEQNUMS % (self.next_sender_seq, self.next_target_seq)

    @staticmethod
    def _write_atomic(path: Path, text: str) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)


def _data_end(fd: int, pos: int, size: int) -> int:
    """One past the last non-zero byte at or after ``pos`` (``pos`` if there is none): read
    backwards from the end, through the zero tail, in ``_READ``-byte steps."""
    end = size
    while end > pos:
        start = max(pos, end - _READ)
        chunk = os.pread(fd, end - start, start).rstrip(b"\0")
        if chunk:
            return start + len(chunk)
        end = start
    return pos


class _Window:
    """Reads a file through one buffer of ``_READ`` bytes, refilled where the reader goes: the
    log's index is built with a read per megabyte (or per record larger than that), not a copy
    of the whole log in memory."""

    def __init__(self, fd: int):
        self._fd, self._base, self._buf = fd, 0, b""

    def read(self, pos: int, n: int) -> bytes:
        i = pos - self._base
        if i < 0 or i + n > len(self._buf):
            self._base, self._buf, i = pos, os.pread(self._fd, max(n, _READ), pos), 0
        return self._buf[i:i + n]


class _Writer:
    """A store's writer thread: runs ``fsync()`` whenever asked, then the callbacks of the
    requests it covered. Requests arriving during one fsync share the next one."""

    def __init__(self, fsync, name: str):
        # A thread coming back from fdatasync waits for the GIL until the busy event loop
        # drops it: up to the switch interval (5 ms by default), which a reply under ``always``
        # would wait too. A short interval costs nothing while no other thread wants the GIL.
        if sys.getswitchinterval() > _SWITCH_INTERVAL:
            sys.setswitchinterval(_SWITCH_INTERVAL)
        self._fsync = fsync
        self._cond = threading.Condition()
        self._pending: list = []
        self._wanted = self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"store-{name}", daemon=True)
        self._thread.start()

    def request(self, callback) -> None:
        with self._cond:
            self._wanted = True
            if callback is not None:
                self._pending.append(callback)
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._stopping:
                    self._cond.wait()
                if not self._wanted:
                    return
                self._wanted = False
                callbacks, self._pending = self._pending, []
            self._fsync()
            for cb in callbacks:
                try:
                    cb()
                except RuntimeError:
                    pass   # the loop closed meanwhile: nobody is waiting for this send any more
