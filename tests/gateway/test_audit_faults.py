"""The audit trail under faults: a disk that fills (ENOSPC, short writes), a kill -9 in the
middle of a write, a journal torn or garbled, midnight with fsync, two processes on one
directory. The guarantee each test holds it to: every record whose flush returned is in the
trail exactly once after a restart, and the trail always parses."""
import errno
import json
import logging
import os

import pytest

from wirespeed.config import ConfigError
from wirespeed.gateway import audit as A
from wirespeed.gateway.audit import JOURNAL, AuditTrail, read_trail

T0 = 1_796_083_200 * 10**9 - 10**9   # 2026-11-30 23:59:59 UTC
DAY1 = "audit-20261130.jsonl"
REAL_WRITE = os.write


class Killed(BaseException):
    """kill -9 in the middle of a system call: nothing after it runs, not even an except."""


def _crash(trail):
    for fd in (trail._fd, trail._journal_fd, trail._lock_fd):
        if fd >= 0:
            os.close(fd)


def _is(fd, suffix):
    try:
        return os.readlink(f"/proc/self/fd/{fd}").endswith(suffix)
    except OSError:
        return False


def _faulty_write(monkeypatch, suffix, plan):
    """os.write on files named ``*suffix`` follows ``plan``: per call, None (write it all), an
    int (write that many bytes), a function of the data (the bytes to write), an exception
    (raise it); past the plan, writes normally."""
    real, calls = REAL_WRITE, iter(plan)

    def write(fd, data):
        if not _is(fd, suffix):
            return real(fd, data)
        step = next(calls, None)
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step = step(bytes(data))
        return real(fd, data if step is None else bytes(data[:step]))
    monkeypatch.setattr(os, "write", write)


def _enospc():
    return OSError(errno.ENOSPC, "No space left on device")


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _ns(directory):
    return [r["n"] for r in read_trail(directory)]


def test_a_failed_settle_keeps_its_records_and_the_next_settle_writes_them(tmp_path, monkeypatch):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    trail.record("out", {"n": 1})
    trail.flush()
    _faulty_write(monkeypatch, ".jsonl", [_enospc()])
    with pytest.raises(OSError):
        trail.settle()
    assert (tmp_path / JOURNAL).stat().st_size > 0          # the journal kept what the day file lacks
    trail.record("out", {"n": 2})
    trail.flush()
    trail.settle()
    _crash(trail)
    assert _ns(tmp_path) == [1, 2]
    AuditTrail(tmp_path).close()
    assert [r["n"] for r in _lines(tmp_path / DAY1)] == [1, 2]


def test_a_short_write_then_enospc_in_a_settle_is_cut_back_and_written_once_later(tmp_path, monkeypatch):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    for i in range(4):
        trail.record("out", {"n": i, "pad": "x" * 50})
    trail.flush()
    _faulty_write(monkeypatch, ".jsonl", [100, _enospc()])
    with pytest.raises(OSError):
        trail.settle()
    assert (tmp_path / DAY1).stat().st_size == 0              # the torn 100 bytes were taken back
    monkeypatch.undo()
    trail.close()
    assert [r["n"] for r in _lines(tmp_path / DAY1)] == [0, 1, 2, 3]


def test_a_kill_during_a_settle_leaves_a_torn_line_that_recovery_cuts_and_settles_once(tmp_path, monkeypatch):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    for i in range(5):
        trail.record("out", {"n": i})
    trail.flush()
    _faulty_write(monkeypatch, ".jsonl", [150, Killed()])
    with pytest.raises(Killed):
        trail.settle()
    monkeypatch.undo()
    _crash(trail)
    assert not (tmp_path / DAY1).read_bytes().endswith(b"\n")
    assert _ns(tmp_path) == [0, 1, 2, 3, 4]                  # a reader skips the torn line
    AuditTrail(tmp_path).close()
    assert [r["n"] for r in _lines(tmp_path / DAY1)] == [0, 1, 2, 3, 4]
    assert not (tmp_path / JOURNAL).exists()


def test_identical_records_do_not_hide_the_ones_between_them(tmp_path, monkeypatch):
    trail = AuditTrail(tmp_path, clock=lambda: T0)        # one clock value: the same t on every record
    same = {"msg": "8", "fields": [(39, "0")]}
    for fields in (same, {"n": "between"}, same, {"n": "after"}):
        trail.record("out", fields)
    trail.flush()
    first_line = lambda data: data.index(b"\n") + 1           # noqa: E731
    _faulty_write(monkeypatch, ".jsonl", [first_line, Killed()])   # exactly the first line reaches the file
    with pytest.raises(Killed):
        trail.settle()
    monkeypatch.undo()
    _crash(trail)
    AuditTrail(tmp_path).close()
    assert [r.get("n") for r in _lines(tmp_path / DAY1)] == [None, "between", None, "after"]


def test_recovery_reads_a_last_line_longer_than_its_tail_block(tmp_path):
    assert A._TAIL < 200_000
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    trail.record("out", {"n": 0, "pad": "y" * 200_000})
    trail.settle()
    trail.record("out", {"n": 1})
    trail.flush()
    _crash(trail)
    again = AuditTrail(tmp_path, clock=lambda: T0)
    again.record("out", {"n": 2})
    again.close()
    assert [(r["rec"], r["n"]) for r in _lines(tmp_path / DAY1)] == [(1, 0), (2, 1), (3, 2)]


def test_record_numbers_continue_across_restarts_and_a_clock_stepped_back_keeps_the_order(tmp_path):
    now = [T0 + 10**9]                                          # just past midnight
    trail = AuditTrail(tmp_path, clock=lambda: now[0])
    trail.record("out", {"n": 0})
    now[0] = T0                                                 # the clock steps back over midnight
    trail.record("out", {"n": 1})
    trail.settle()
    trail.record("out", {"n": 2})
    trail.flush()
    _crash(trail)
    AuditTrail(tmp_path, clock=lambda: T0).close()
    assert [p.name for p in tmp_path.glob("*.jsonl")] == ["audit-20261201.jsonl"]
    assert [(r["rec"], r["n"]) for r in read_trail(tmp_path)] == [(1, 0), (2, 1), (3, 2)]


def test_a_flush_torn_by_enospc_is_taken_back_and_its_records_retried(tmp_path, monkeypatch):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    trail.record("out", {"n": 1})
    trail.flush()
    size = (tmp_path / JOURNAL).stat().st_size
    trail.record("out", {"n": 2, "pad": "x" * 100})
    _faulty_write(monkeypatch, JOURNAL, [20, _enospc()])
    with pytest.raises(OSError):                              # the caller does not tell its client
        trail.flush()
    monkeypatch.undo()
    assert (tmp_path / JOURNAL).stat().st_size == size       # no torn frame left behind
    trail.record("out", {"n": 3})
    trail.flush()                                             # n=2 goes now, before n=3
    _crash(trail)
    AuditTrail(tmp_path).close()
    assert _ns(tmp_path) == [1, 2, 3]


def test_a_torn_frame_that_could_not_be_taken_back_hides_nothing_after_it(tmp_path, monkeypatch, caplog):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    trail.record("out", {"n": 1})
    trail.flush()
    trail.record("out", {"n": 2, "pad": "x" * 100})
    _faulty_write(monkeypatch, JOURNAL, [40, _enospc()])

    def no_truncate(fd, n):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(os, "ftruncate", no_truncate)
    with pytest.raises(OSError):
        trail.flush()
    monkeypatch.undo()
    trail.record("out", {"n": 3})
    trail.flush()
    _crash(trail)
    assert _ns(tmp_path) == [1, 2, 3]                         # a reader salvages past the torn bytes
    with caplog.at_level(logging.WARNING, "wirespeed.audit"):
        AuditTrail(tmp_path).close()
    assert [r["n"] for r in _lines(tmp_path / DAY1)] == [1, 2, 3]
    assert "unreadable in part" in caplog.text and (tmp_path / "audit.journal.bad").exists()


def test_a_frame_cut_at_the_journals_end_is_harmless_and_the_frames_before_it_settle(tmp_path, caplog):
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    trail.record("out", {"n": 1})
    trail.flush()
    _crash(trail)
    with open(tmp_path / JOURNAL, "ab") as f:                 # a kill -9 inside the next frame's write
        f.write(A._HEAD.pack(A._MAGIC, 500, 2) + b"\x00" * 30)
    with caplog.at_level(logging.WARNING, "wirespeed.audit"):
        AuditTrail(tmp_path).close()
    assert _ns(tmp_path) == [1] and "cut short" in caplog.text
    assert not list(tmp_path.glob("*.bad*"))


def test_garbled_journals_are_kept_under_their_own_names_and_their_good_frames_settled(tmp_path):
    for k in range(2):
        trail = AuditTrail(tmp_path, clock=lambda: T0)
        trail.record("out", {"n": 2 * k})
        trail.flush()
        os.write(trail._journal_fd, b"garbage in the middle" * 3)
        trail.record("out", {"n": 2 * k + 1})
        trail.flush()
        _crash(trail)
        AuditTrail(tmp_path).close()
    assert sorted(p.name for p in tmp_path.glob("*.bad*")) == ["audit.journal.bad", "audit.journal.bad.1"]
    assert _ns(tmp_path) == [0, 1, 2, 3]


def test_fsync_covers_the_day_that_ends_at_midnight_and_recovery_before_the_journal_goes(tmp_path, monkeypatch):
    events = []
    real_fsync, real_unlink = os.fsync, os.unlink
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                 real_fsync(fd))[1])
    monkeypatch.setattr(os, "unlink", lambda p, **kw: (events.append(("unlink", str(p))), real_unlink(p, **kw))[1])
    now = [T0]
    trail = AuditTrail(tmp_path, fsync=True, clock=lambda: now[0])
    trail.record("out", {"n": 1})
    now[0] += 2 * 10**9
    trail.record("out", {"n": 2})
    trail.settle()
    assert ("fsync", str(tmp_path / DAY1)) in events          # synced before its descriptor closed
    trail.record("out", {"n": 3})
    trail.flush()
    _crash(trail)
    events.clear()
    AuditTrail(tmp_path, fsync=True)._release()
    day2 = str(tmp_path / "audit-20261201.jsonl")
    assert events.index(("fsync", day2)) < events.index(("unlink", str(tmp_path / JOURNAL)))
    assert _ns(tmp_path) == [1, 2, 3]


def test_a_second_trail_on_one_directory_is_refused_naming_the_key(tmp_path):
    first = AuditTrail(tmp_path)
    with pytest.raises(ConfigError, match=r"audit.directory: .* in use by another process \(pid \d+"):
        AuditTrail(tmp_path)
    first.record("out", {"n": 1})
    first.close()
    AuditTrail(tmp_path).close()                              # free again once the first let go
    assert _ns(tmp_path) == [1]


def test_a_corrupt_last_line_refuses_to_guess_where_the_journal_resumes(tmp_path):
    (tmp_path / DAY1).write_text('{"t":1,"kind":"out","rec":1}\nnot json at all\n')
    with pytest.raises(ConfigError, match="audit.directory: .*audit-20261130.jsonl: the last line is not"):
        AuditTrail(tmp_path)
    with pytest.raises(ValueError, match="audit-20261130.jsonl:2: not a JSON line"):
        read_trail(tmp_path)


def test_past_the_memory_bound_a_failing_settle_lets_memory_go_and_the_journal_keeps_all(tmp_path, monkeypatch):
    monkeypatch.setattr(A, "MAX_UNSETTLED", 3)
    trail = AuditTrail(tmp_path, clock=lambda: T0)
    _faulty_write(monkeypatch, ".jsonl", [_enospc()] * 100)
    for i in range(8):
        trail.record("out", {"n": i})
        trail.flush()                          # succeeds: the records are in the journal
    assert trail._frames is None               # memory let them go
    monkeypatch.setattr(os, "write", REAL_WRITE)
    trail.settle()                             # read back from the journal
    trail.close()
    assert [r["n"] for r in _lines(tmp_path / DAY1)] == list(range(8))


def test_another_process_holding_the_directory_is_named_by_its_pid(tmp_path):
    import subprocess
    import sys
    child = subprocess.Popen([sys.executable, "-c", "import sys; from wirespeed.gateway.audit import AuditTrail; "
                              "t = AuditTrail(sys.argv[1]); print('open', flush=True); sys.stdin.read(); t.close()",
                              str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "open\n"
        with pytest.raises(ConfigError, match=rf"audit.directory: .* in use by another process \(pid {child.pid} "):
            AuditTrail(tmp_path)
    finally:
        child.stdin.close()
        child.wait(10)
    AuditTrail(tmp_path).close()                              # its exit let the lock go
