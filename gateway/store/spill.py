"""A memory store's older messages on disk (``MemoryStore(window=, spill=)``): a client session
keeps every message it sent for a ResendRequest, but only the last ``window`` in memory.

Two files a session in the process's spill folder (``SpillDir``): ``<name>.*.messages``, the raw
messages one after another, and ``<name>.*.index``, 16 bytes a number (the message's offset and
length; zeros for a number not sent, a wide gap a hole the file system keeps without a block). Each is made with a name of its own (two sessions whose names
are alike once made safe for a path never share one) and unlinked at once: its descriptor keeps
it, so the kernel frees it when the process ends, a crash included (``du`` does not see them;
``df`` does). Written by ``os.write`` (one call for the data and one for the
index a spill, on the session's timer), read by ``os.pread`` (one for the index and one for the
data of a resend chunk): nothing is mapped, so none of it counts in the process's RSS (the page
cache is the kernel's), and memory holds no per-message index either. The files are the process's
own (a memory store starts at 1 with each process): made on the first spill, emptied by a reset,
let go on close.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import struct
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

#: offset, length (0: no message of that number), the number itself (an entry copied to another
#: number's slot points inside the file at a real message: its number tells it is not this one)
_ENTRY = struct.Struct("<qqq")
_NONE = _ENTRY.pack(0, 0, 0)
_HOLE = 64                             # a gap wider than this is a hole in the index file, not entries
#: Numbers one pair of files spans at most: 16 GiB of index, sparse (a hole costs no block); numbers
#: that jump past it start the files afresh (the messages in them counted in ``dropped``)
_MAX_SPAN = 1 << 30


_PREFIX = "wirespeed-clients-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                    # (EPERM: someone else's, alive)
        return True
    return True


def _remove_dead(root: str) -> None:
    """The folders a process that is gone left under ``root`` (killed: ``remove`` never ran), so
    crashes do not pile a day's spill each on the disk; a live process's are left alone."""
    gone = []
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        pid = name[len(_PREFIX):].split("-", 1)[0] if name.startswith(_PREFIX) else ""
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
            gone.append(name)
    if gone:
        log.warning("client store spill: removed %d folder(s) of processes that are gone under %s: %s",
                    len(gone), root, ", ".join(sorted(gone)))


class SpillDir:
    """The process's folder for its client stores' spill files, made under ``root`` on first use
    (``root`` "": the system's temporary folder) and removed with them by ``remove``."""

    def __init__(self, root: str = ""):
        self.root = root or tempfile.gettempdir()
        self._path: Path | None = None
        self.remade = 0                # times the folder was found removed and made again

    def path(self) -> Path:
        """The folder, made now if it is not there: on first use, and again (logged) if someone
        removed it under the running process (the files already open go on from their
        descriptors; only a session's first spill needs the folder)."""
        if self._path is not None and not self._path.is_dir():
            log.warning("client store spill: the folder %s was removed under the running process: "
                        "made again (the spill files already open are kept by their descriptors)", self._path)
            self._path = None
            self.remade += 1
        if self._path is None:
            os.makedirs(self.root, exist_ok=True)
            _remove_dead(self.root)
            self._path = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=self.root))
        return self._path

    def remove(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


class Spill:
    """One session's spilled messages: numbers ``first`` .. ``next - 1``."""

    def __init__(self, folder: SpillDir, name: str):
        self._folder, self.name = folder, name.replace("/", "_")
        self._data = self._index = -1
        self.first = self.next = 1
        self._size = 0                 # bytes of messages written
        self._longest = 0              # the longest message written (an index entry past it is corrupt)
        self.failing = False           # the last append failed (logged once; retried by the next)
        self.count = 0                 # messages in the files
        self.dropped = 0               # messages let go by numbers that jumped past _MAX_SPAN

    def _open(self) -> None:
        folder, fds = self._folder.path(), []
        try:
            for ext in (".messages", ".index"):
                fd, path = tempfile.mkstemp(prefix=f"{self.name}.", suffix=ext, dir=folder)
                fds.append(fd)
                os.unlink(path)          # (the descriptor keeps it: freed with the process, crash or not)
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        self._data, self._index = fds

    def append(self, items: list[tuple[int, bytes]]) -> None:
        """``items`` (numbers ascending, all at or above ``next``) written at the end; OSError (a
        full disk) leaves the files as they were and nothing counted written.

        A number not sent has an index entry of zeros (no message is empty): a wide gap
        (a jump in numbers) is left as a hole in the index file, which the file system keeps
        without a block (a sparse file), so a jump costs no disk and no memory here. Only
        numbers spanning more than ``_MAX_SPAN`` start the files afresh: the messages in them
        are let go, counted in ``dropped`` and logged (their resend is a GapFill)."""
        if not items:
            return
        if self._data < 0:
            try:
                self._open()
            except OSError as exc:
                self._failed(exc)
                raise
        if items[-1][0] - self.first >= _MAX_SPAN:     # (numbers that jumped that far: the older let go)
            self._restart(items)
        runs, entries, chunks, pos, seq = [], [], [], self._size, self.next
        longest = self._longest
        run_at = seq
        for s, raw in items:
            if s < seq:
                continue                 # (a number already written: the first copy stays)
            if s - seq > _HOLE:          # (a wide gap: a hole in the index, nothing written for it)
                if entries:
                    runs.append((run_at, entries))
                entries, run_at = [], s
            else:
                entries.extend(_NONE for _ in range(s - seq))
            n = len(raw)
            entries.append(_ENTRY.pack(pos, n, s))
            chunks.append(raw)
            pos += n
            seq = s + 1
            if n > longest:
                longest = n
        if entries:
            runs.append((run_at, entries))
        index_at = (self.next - self.first) * _ENTRY.size
        try:
            _write_all(self._data, b"".join(chunks), self._size)
            for at, run in runs:
                _write_all(self._index, b"".join(run), (at - self.first) * _ENTRY.size)
        except OSError as exc:
            self._truncate(self._size, index_at)
            self._failed(exc)
            raise
        if self.failing:
            log.warning("%s: client store spills to disk again", self.name)
        self.failing = False
        self._size, self.next, self._longest = pos, seq, longest
        self.count += len(chunks)

    def _restart(self, items: list[tuple[int, bytes]]) -> None:
        """The files emptied to start again (numbers that jumped past ``_MAX_SPAN``) at the lowest
        of ``items`` within ``_MAX_SPAN`` of their last, so the files span less than it and the
        next ordinary append does not start them again. What they held, and the items below that
        number (the batch may span the jump itself), counted in ``dropped`` and logged."""
        last = items[-1][0]
        floor = last - _MAX_SPAN + 1
        first = next(s for s, _ in items if s >= floor)
        below = sum(1 for s, _ in items if self.next <= s < first)
        if self.count or below:
            log.warning("%s: client store numbers jumped to %d, more than %d past the first spilled: the %d "
                        "messages spilled (numbers %d..%d) and %d more below %d are let go; a resend of them "
                        "is a GapFill", self.name, last, _MAX_SPAN, self.count, self.first, self.next - 1, below, first)
        self.dropped += self.count + below
        self._truncate(0, 0)
        self._empty()
        self.first = self.next = first

    def _failed(self, exc: OSError) -> None:
        if not self.failing:
            log.error("%s: client store cannot spill to %s (%s): its messages stay in memory until it can",
                      self.name, self._folder.root, exc)
        self.failing = True

    def get(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """The spilled messages numbered ``begin`` .. ``end`` (two reads)."""
        begin, end = max(begin, self.first), min(end, self.next - 1)
        if begin > end or self._index < 0:
            return []
        raw = os.pread(self._index, (end - begin + 1) * _ENTRY.size, (begin - self.first) * _ENTRY.size)
        found = [(begin + k, off, n, q) for k, (off, n, q) in enumerate(_ENTRY.iter_unpack(raw)) if n > 0]
        if not found:
            return []
        size, longest, after = self._size, self._longest, 0
        for s, off, n, q in found:
            # (an entry the disk or someone changed: an offset or length no append wrote would read
            # another message's bytes, or ask for 2^62 of memory; appends write in number order, so
            # each entry starts at or after the end of the one before, and names its own number; EIO,
            # so the resend gap-fills it)
            if q != s or off < after or n > longest or off + n > size:
                raise OSError(errno.EIO, f"{self.name}: spill index entry of number {s} is corrupt "
                                         f"(offset {off}, length {n}, number {q}; {size} bytes written, "
                                         f"longest {longest}, the entry before ends at {after})")
            after = off + n
        lo, hi = found[0][1], found[-1][1] + found[-1][2]
        data = os.pread(self._data, hi - lo, lo)
        return [(s, data[off - lo:off - lo + n]) for s, off, n, _ in found]

    def _truncate(self, data: int, index: int) -> None:
        for fd, size in ((self._data, data), (self._index, index)):
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass

    def reset(self) -> None:
        if self._data >= 0:
            self._truncate(0, 0)
        self._empty()

    def _empty(self) -> None:
        self.first = self.next = 1
        self._size = self.count = self._longest = 0

    def close(self) -> None:
        """The files let go (unlinked already: freed now); what was spilled is gone, so a store
        used after it reads nothing back (a resend gap-fills), never another file's bytes."""
        for fd in (self._data, self._index):
            if fd >= 0:
                os.close(fd)
        self._data = self._index = -1
        self._empty()


def _write_all(fd: int, data: bytes, at: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, at)
        view, at = view[n:], at + n
