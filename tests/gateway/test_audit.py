"""The audit trail's files: one a UTC day, every record a JSON line, nothing written before flush;
the journal that makes a flush cheap, and what a crash leaves of it."""
import json
import os

import pytest

from wirespeed.config import ConfigError
from wirespeed.gateway.audit import JOURNAL, AuditTrail, read_trail

T0 = 1_796_083_200 * 10**9 - 10**9   # 2026-11-30 23:59:59 UTC


def test_records_rotate_by_utc_day_and_stay_in_order(tmp_path):
    now = [T0]
    trail = AuditTrail(tmp_path, clock=lambda: now[0])
    trail.record("in", {"client": "C1", "fields": {"11": "A"}})
    assert [p.name for p in tmp_path.iterdir()] == ["audit.lock"]   # the hot path wrote nothing yet
    trail.flush()
    now[0] += 2 * 10**9                                   # past midnight
    trail.record("risk", {"decision": "accept", "mask": 0})
    now[0] += 1
    trail.record("out", {"fields": [(11, "A"), (39, "0")]})
    trail.close()
    files = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert files == ["audit-20261130.jsonl", "audit-20261201.jsonl"]
    second = [json.loads(line) for line in (tmp_path / files[1]).read_text().splitlines()]
    assert [r["kind"] for r in second] == ["risk", "out"] and second[1]["fields"] == [[11, "A"], [39, "0"]]
    assert [r["kind"] for r in read_trail(tmp_path)] == ["in", "risk", "out"] and trail.records == 3


def test_an_audit_directory_that_cannot_be_made_names_the_key(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="audit.directory: cannot create"):
        AuditTrail(blocker / "sub")


def _crash(trail):
    """What a kill -9 leaves: the kernel keeps what was written, nothing else runs."""
    for fd in (trail._fd, trail._journal_fd, trail._lock_fd):
        if fd >= 0:
            os.close(fd)


def test_flush_makes_records_durable_in_the_journal_and_a_restart_settles_them_once(tmp_path):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    for i in range(3):
        trail.record("out", {"client": "C1", "fields": [(17, f"E{i}"), (39, "2")]})
        trail.flush()                                 # before each report reaches the client
    # Journaled, not yet JSON: the trail as read already holds them (a tool reading a live run).
    assert [r["fields"][0][1] for r in read_trail(tmp_path)] == ["E0", "E1", "E2"]
    trail.settle()                                    # the timer: JSON lines, journal emptied
    trail.record("out", {"client": "C1", "fields": [(17, "E3")]})
    trail.flush()
    _crash(trail)
    assert (tmp_path / JOURNAL).stat().st_size > 0
    again = AuditTrail(tmp_path, clock=lambda: T0 + 1)   # the restart settles what the crash left
    assert not (tmp_path / JOURNAL).exists()
    again.close()
    assert [r["fields"][0][1] for r in read_trail(tmp_path)] == ["E0", "E1", "E2", "E3"]


def test_a_crash_between_the_json_lines_and_emptying_the_journal_duplicates_nothing(tmp_path, monkeypatch):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    for i in range(4):
        trail.record("risk", {"order_id": i, "decision": "accept"})
    trail.flush()
    monkeypatch.setattr(os, "ftruncate", lambda fd, n: None)   # the lines are written, the journal kept
    trail.settle()
    monkeypatch.undo()
    _crash(trail)
    assert [r["order_id"] for r in read_trail(tmp_path)] == [0, 1, 2, 3]
    AuditTrail(tmp_path).close()
    lines = (tmp_path / "audit-20261130.jsonl").read_text().splitlines()
    assert [json.loads(line)["order_id"] for line in lines] == [0, 1, 2, 3]


def test_a_record_marshal_cannot_hold_goes_as_json_and_a_garbled_journal_is_kept_aside(tmp_path, caplog):
    from decimal import Decimal
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    trail.record("out", {"fields": [(6, Decimal("190.250000"))]})
    trail.record("risk", {"mask": 0})
    trail.flush()
    _crash(trail)
    assert [r.get("fields") for r in read_trail(tmp_path)] == [[[6, "190.250000"]], None]
    (tmp_path / JOURNAL).write_bytes(b"\x05\x00\x00\x00garbage")
    AuditTrail(tmp_path).close()
    assert (tmp_path / "audit.journal.bad").exists() and "unreadable" in caplog.text
