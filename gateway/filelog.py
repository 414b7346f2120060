"""QuickFIX's FileLogPath: a messages log and an event log per session.

The files are named as QuickFIX names them, ``<BeginString>-<SenderCompID>-<TargetCompID>``
with ``.messages.current.log`` (every message in and out, one a line, SOH kept, after a
``YYYYMMDD-HH:MM:SS.ffffff : `` time stamp) and ``.event.current.log`` (what the session
logs about itself). Off the hot path unless configured: the session is only wrapped when a
session sets FileLogPath, and then each message costs one buffered write.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H:%M:%S.%f")


class MessageLog:
    def __init__(self, root: str | Path, session_id: str):
        folder = Path(root)
        folder.mkdir(parents=True, exist_ok=True)
        name = session_id.replace("/", "_")
        self.messages_path = folder / f"{name}.messages.current.log"
        self.events_path = folder / f"{name}.event.current.log"
        self._messages = open(self.messages_path, "a", encoding="latin-1")
        self._events = logging.FileHandler(self.events_path, encoding="utf-8")
        self._events.setFormatter(logging.Formatter("%(asctime)s : %(message)s"))
        self._logger = logging.getLogger("wirespeed.session")

    def attach(self, session) -> "MessageLog":
        """Log what ``session`` receives and sends (it keeps working the same)."""
        write_line = self._messages.write
        on_message, connection_made, on_timer = session._on_message, session.connection_made, session.on_timer

        def logged_message(msg):
            write_line(f"{_stamp()} : {msg.raw.decode('latin-1')}\n")
            on_message(msg)

        def logged_connection(write, close):
            def logged_write(raw: bytes):
                write_line(f"{_stamp()} : {raw.decode('latin-1')}\n")
                write(raw)
            connection_made(logged_write, close)

        def flushing_timer():
            self._messages.flush()   # at most a timer tick of log lines in the buffer
            on_timer()

        session._on_message, session.connection_made, session.on_timer = \
            logged_message, logged_connection, flushing_timer
        name = session.name
        self._events.addFilter(lambda record: bool(record.args) and record.args[0] == name)
        self._logger.addHandler(self._events)
        if self._logger.getEffectiveLevel() > logging.INFO:
            self._logger.setLevel(logging.INFO)
        return self

    def close(self) -> None:
        self._logger.removeHandler(self._events)
        self._events.close()
        self._messages.close()
