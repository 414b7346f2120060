"""The audit trail: every application message in and out and every risk decision, as JSON lines.

Records are appended to a list on the hot path (a tuple, no formatting); ``flush()``
formats them and hands them to the kernel with one ``os.write``. The order path calls
``flush()`` before it writes anything to a client, so whatever a client was told (an
ack, a fill, a reject) is in the file before the client can see it: a ``kill -9`` after
that loses nothing the client knows about (the kernel's page cache survives the
process; ``fsync=True`` also survives the machine). Everything else is flushed by the
gateway's timer. Files are ``audit-YYYYMMDD.jsonl`` in ``directory``, one per UTC day.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from wirespeed.config import ConfigError


class AuditTrail:
    def __init__(self, directory: str | Path, fsync: bool = False, clock=time.time_ns):
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"audit.directory: cannot create {str(directory)!r}: {exc.strerror}") from None
        self.fsync, self.clock = fsync, clock
        self._pending: list[tuple] = []
        self._fd = -1
        self._day = ""
        self.records = 0

    def record(self, kind: str, fields: dict) -> None:
        """Queue one record; ``fields`` must stay unchanged until the next flush (it is not copied)."""
        self._pending.append((self.clock(), kind, fields))

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        lines = []
        for t, kind, fields in pending:
            day = time.strftime("%Y%m%d", time.gmtime(t // 1_000_000_000))
            if day != self._day:
                if lines:
                    self._write("".join(lines))
                    lines = []
                self._open(day)
            lines.append(json.dumps({"t": t, "kind": kind, **fields}, separators=(",", ":"), default=str) + "\n")
        self._write("".join(lines))
        self.records += len(pending)

    def _open(self, day: str) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = os.open(self.directory / f"audit-{day}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._day = day

    def _write(self, text: str) -> None:
        data = text.encode()
        while data:
            n = os.write(self._fd, data)
            data = data[n:]
        if self.fsync:
            os.fsync(self._fd)

    @property
    def path(self) -> Path | None:
        return self.directory / f"audit-{self._day}.jsonl" if self._day else None

    def close(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class NoAudit:
    """The trail when none is configured: records go nowhere."""

    records = 0
    path = None

    def record(self, kind: str, fields: dict) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def read_trail(directory: str | Path) -> list[dict]:
    """Every record of every day in ``directory``, in file order (for tests and tools)."""
    out = []
    for path in sorted(Path(directory).glob("audit-*.jsonl")):
        with open(path) as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out

