"""A memory store's older messages on disk (``MemoryStore(window=, spill=)``): a client session
keeps every message it sent for a ResendRequest, but only the last ``window`` in memory.

Two files a session in the process's spill folder (``SpillDir``): ``<name>.*.messages``, the raw
messages one after another, and ``<name>.*.index``, 16 bytes a number (the message's offset and
length, -1 for a number not sent). Each is made with a name of its own (two sessions whose names
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

import logging
import os
import shutil
import struct
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_ENTRY = struct.Struct("<qq")          # offset, length (-1, 0: no message of that number)
_MAX_GAP = 1 << 20                     # a jump in numbers wider than this starts the files afresh


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

    def path(self) -> Path:
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
        self.failing = False           # the last append failed (logged once; retried by the next)

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
        full disk) leaves the files as they were and nothing counted written."""
        if not items:
            return
        if self._data < 0:
            try:
                self._open()
            except OSError as exc:
                self._failed(exc)
                raise
        if items[0][0] - self.next > _MAX_GAP:      # (numbers that jumped: the older ones are let go)
            self._truncate(0, 0)
            self.first = self.next = items[0][0]
        entries, chunks, pos, seq = [], [], self._size, self.next
        for s, raw in items:
            if s < seq:
                continue                 # (a number already written: the first copy stays)
            entries.extend(_ENTRY.pack(-1, 0) for _ in range(s - seq))
            entries.append(_ENTRY.pack(pos, len(raw)))
            chunks.append(raw)
            pos += len(raw)
            seq = s + 1
        index_at = (self.next - self.first) * _ENTRY.size
        try:
            _write_all(self._data, b"".join(chunks), self._size)
            _write_all(self._index, b"".join(entries), index_at)
        except OSError as exc:
            self._truncate(self._size, index_at)
            self._failed(exc)
            raise
        if self.failing:
            log.warning("%s: client store spills to disk again", self.name)
        self.failing = False
        self._size, self.next = pos, seq

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
        found = [(begin + k, off, n) for k, (off, n) in enumerate(_ENTRY.iter_unpack(raw)) if off >= 0]
        if not found:
            return []
        lo, hi = found[0][1], found[-1][1] + found[-1][2]
        data = os.pread(self._data, hi - lo, lo)
        return [(s, data[off - lo:off - lo + n]) for s, off, n in found]

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
        self._size = 0

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
