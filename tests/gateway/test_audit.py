"""The audit trail's files: one a UTC day, every record a JSON line, nothing written before flush."""
import json

import pytest

from wirespeed.config import ConfigError
from wirespeed.gateway.audit import AuditTrail, read_trail

T0 = 1_796_083_200 * 10**9 - 10**9   # 2026-11-30 23:59:59 UTC


def test_records_rotate_by_utc_day_and_stay_in_order(tmp_path):
    now = [T0]
    trail = AuditTrail(tmp_path, clock=lambda: now[0])
    trail.record("in", {"client": "C1", "fields": {"11": "A"}})
    assert not list(tmp_path.iterdir())                    # the hot path wrote nothing yet
    trail.flush()
    now[0] += 2 * 10**9                                   # past midnight
    trail.record("risk", {"decision": "accept", "mask": 0})
    now[0] += 1
    trail.record("out", {"fields": [(11, "A"), (39, "0")]})
    trail.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["audit-20261130.jsonl", "audit-20261201.jsonl"]
    second = [json.loads(line) for line in (tmp_path / files[1]).read_text().splitlines()]
    assert [r["kind"] for r in second] == ["risk", "out"] and second[1]["fields"] == [[11, "A"], [39, "0"]]
    assert [r["kind"] for r in read_trail(tmp_path)] == ["in", "risk", "out"] and trail.records == 3


def test_an_audit_directory_that_cannot_be_made_names_the_key(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="audit.directory: cannot create"):
        AuditTrail(blocker / "sub")
