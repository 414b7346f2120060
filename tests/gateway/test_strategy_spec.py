"""Client sessions' dictionary: QuickFIX's FIX44.xml plus StrategyParametersGrp, TargetStrategy as text."""
from wirespeed.gateway.fix.dictionary import dictionary, strategy_dictionary
from wirespeed.gateway.fix.tags import SessionRejectReasons as SRR
from wirespeed.gateway.session import SessionConfig

from .test_dictionary import NOS44, check

PARENT = NOS44 + [(847, "VWAP"), (957, "2"), (958, "StartTime"), (959, "19"), (960, "20261201-14:30:00"),
                  (958, "MaxPctVolume"), (959, "11"), (960, "0.1")]


def test_parent_order_with_strategy_parameters_is_valid_on_client_sessions():
    assert check(PARENT, d=strategy_dictionary()) is None
    # A replace of a running parent carries the group too.
    replace = [(41, "A"), (11, "B"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00.000"), (38, "100"),
               (40, "2"), (44, "1.5"), (847, "TWAP"), (957, "1"), (958, "Urgency"), (959, "1"), (960, "2")]
    assert check(replace, msg_type="G", d=strategy_dictionary()) is None


def test_the_plain_quickfix_dictionary_refuses_both_as_quickfix_does():
    reason, tag, _ = check(NOS44 + [(847, "VWAP")], d=dictionary("FIX.4.4"))
    assert (reason, tag) == (SRR.INCORRECT_DATA_FORMAT, 847)          # INT in FIX44.xml
    reason, tag, _ = check(NOS44 + [(957, "1"), (958, "X")], d=dictionary("FIX.4.4"))
    assert reason in (SRR.INVALID_TAG_NUMBER, SRR.TAG_NOT_DEFINED_FOR_MSG_TYPE) and tag in (957, 958)


def test_the_group_is_still_validated():
    reason, tag, _ = check(NOS44 + [(847, "VWAP"), (957, "2"), (958, "StartTime"), (960, "x")],
                           d=strategy_dictionary())
    assert (reason, tag) == (16, 957)   # 16: incorrect NumInGroup count for repeating group


def test_session_config_chooses_it_only_when_asked_and_only_for_fix44():
    base = dict(sender_comp_id="GW", target_comp_id="C", role="acceptor")
    assert SessionConfig(**base, strategy_parameters=True).load_dictionary() is strategy_dictionary()
    assert SessionConfig(**base).load_dictionary() is dictionary("FIX.4.4")
    assert SessionConfig(**base, begin_string="FIX.4.2", strategy_parameters=True).load_dictionary() \
        is dictionary("FIX.4.2")
