"""The order state machine's table, every pair of statuses."""
import itertools

import pytest

from wirespeed.enums import OrdStatus as S
from wirespeed.gateway import order_state as fsm

# Written out independently of the table: what FIX order life cycles allow.
LEGAL = {
    (S.PENDING_NEW, S.NEW), (S.PENDING_NEW, S.REJECTED), (S.PENDING_NEW, S.PARTIALLY_FILLED),
    (S.PENDING_NEW, S.FILLED), (S.PENDING_NEW, S.CANCELED), (S.PENDING_NEW, S.EXPIRED),
    (S.PENDING_NEW, S.PENDING_CANCEL),
    *((live, to) for live in (S.NEW, S.PARTIALLY_FILLED)
      for to in (S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.DONE_FOR_DAY, S.PENDING_CANCEL,
                 S.PENDING_REPLACE)),
    *((S.PENDING_CANCEL, to) for to in (S.PENDING_CANCEL, S.CANCELED, S.FILLED, S.EXPIRED, S.DONE_FOR_DAY,
                                        S.NEW, S.PARTIALLY_FILLED)),
    *((S.PENDING_REPLACE, to) for to in (S.PENDING_REPLACE, S.REPLACED, S.FILLED, S.CANCELED, S.EXPIRED,
                                         S.DONE_FOR_DAY, S.NEW, S.PARTIALLY_FILLED)),
    (S.REPLACED, S.NEW), (S.REPLACED, S.PARTIALLY_FILLED), (S.REPLACED, S.FILLED),
    (S.DONE_FOR_DAY, S.CANCELED), (S.DONE_FOR_DAY, S.EXPIRED),
}


@pytest.mark.parametrize("current,new", list(itertools.product(S, S)), ids=lambda s: s.name)
def test_every_transition_is_legal_exactly_when_listed(current, new):
    if (current, new) in LEGAL:
        assert fsm.advance(current, new) is new
    else:
        with pytest.raises(fsm.IllegalTransition, match=f"{current.name} -> {new.name}"):
            fsm.advance(current, new)


def test_terminal_states_have_no_exit_and_the_issue_states_all_have_rows():
    assert fsm.TERMINAL == {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
    assert set(fsm.TRANSITIONS) == set(S) and len(S) == 11


@pytest.mark.parametrize("status,reason", [
    (None, fsm.CXL_UNKNOWN), (S.FILLED, fsm.CXL_TOO_LATE), (S.CANCELED, fsm.CXL_TOO_LATE),
    (S.DONE_FOR_DAY, fsm.CXL_TOO_LATE), (S.PENDING_CANCEL, fsm.CXL_PENDING), (S.PENDING_REPLACE, fsm.CXL_PENDING),
    (S.PENDING_NEW, fsm.CXL_BROKER)])
def test_cancel_reject_reason_names_why(status, reason):
    code, text = fsm.cancel_reject_reason(status)
    assert code == reason and text
