"""Ids stay unique across restarts (ExecID, OrderID, the gateway's 32-bit order ids)."""
import pytest

from wirespeed.ids import MAX_ORDER_ID, PER_SECOND, OrderIds, StringIds, run_token

DAY = 86_400 * 10**9


def test_string_ids_of_two_runs_never_collide():
    first = StringIds("W", epoch_ns=1_700_000_000 * 10**9)
    a = [next(first) for _ in range(1000)]
    second = StringIds("W", epoch_ns=1_700_000_000 * 10**9 + 1_000)   # restarted 1 us later
    b = [next(second) for _ in range(1000)]
    assert len(set(a) | set(b)) == 2000
    assert a[0].startswith("W") and a[0] != b[0]
    assert run_token(0) == "0" and run_token(36_000) == "10"


def test_order_ids_restart_later_the_same_day_starts_above_the_earlier_run():
    t0 = 20 * DAY + 9 * 3600 * 10**9            # 09:00 UTC
    first = OrderIds(epoch_ns=t0)
    issued = [next(first) for _ in range(PER_SECOND)]   # a whole second's worth at once
    again = OrderIds(epoch_ns=t0 + 10**9)        # kill -9, restart one second later
    assert next(again) > issued[-1]
    assert issued == sorted(issued) and all(0 < i <= MAX_ORDER_ID for i in issued)


def test_order_ids_with_a_reservation_file_survive_any_rate_and_clock(tmp_path):
    path = tmp_path / "ids"
    first = OrderIds(path, block=100, epoch_ns=DAY + 3600 * 10**9)
    issued = [next(first) for _ in range(250)]    # crosses two block reservations
    assert int(path.read_text()) >= issued[-1] + 1
    # Restarted with the clock set back an hour: still above everything issued.
    again = OrderIds(path, block=100, epoch_ns=DAY)
    assert next(again) > issued[-1]


def test_order_id_reservation_file_errors_name_the_file(tmp_path):
    path = tmp_path / "ids"
    path.write_text("garbage")
    with pytest.raises(ValueError, match=r"ids: order-id reservation must be an integer"):
        OrderIds(path)
    with pytest.raises(ValueError, match="block must be a positive integer"):
        OrderIds(block=0)


def test_ack_app_exec_ids_differ_between_two_runs():
    from wirespeed.gateway.apps import AckApp
    first, second = AckApp(), AckApp()     # the same process, the same microsecond or not
    assert {next(first._ids) for _ in range(3)}.isdisjoint({next(second._ids) for _ in range(3)})
