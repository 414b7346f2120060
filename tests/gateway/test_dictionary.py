"""Data-dictionary validation: each SessionRejectReason the dictionary produces."""
import pytest

from wirespeed.gateway.fix.dictionary import dictionary
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser

HDR_TIME = "20261122-10:00:00.000"
NOS44 = [(11, "A"), (55, "AAPL"), (54, "1"), (60, HDR_TIME), (38, "100"), (40, "2"), (44, "1.5"), (59, "0")]


def parse(fields, msg_type="D", begin="FIX.4.4"):
    p = FixParser()
    p.feed(encode_message(begin, msg_type, "S", "T", 1, fields, HDR_TIME))
    return p.poll()


def check(fields, msg_type="D", begin="FIX.4.4", **kw):
    return dictionary(begin, **kw).validate(parse(fields, msg_type, begin))


def test_valid_new_order_passes():
    assert check(NOS44) is None


@pytest.mark.parametrize("fields,reason,tag", [
    ([f for f in NOS44 if f[0] != 55], 1, 55),                        # required missing
    ([f for f in NOS44 if f[0] != 60], 1, 60),                        # TransactTime required in 4.4
    (NOS44 + [(4999, "x")], 3, 4999),                                 # undefined tag
    (NOS44 + [(112, "x")], 2, 112),                                   # not defined for MsgType D
    ([(t, "abc" if t == 38 else v) for t, v in NOS44], 6, 38),        # data format
    ([(t, "20261122-1000" if t == 60 else v) for t, v in NOS44], 6, 60),
    ([(t, "Z" if t == 54 else v) for t, v in NOS44], 5, 54),          # enum value
    ([(t, "9" if t == 59 else v) for t, v in NOS44], 5, 59),
    (NOS44 + [(58, "a"), (58, "b")], 13, 58),                         # repeated tag
])
def test_rejects(fields, reason, tag):
    assert check(fields)[:2] == (reason, tag)


def test_user_defined_tags_pass_unless_configured():
    assert check(NOS44 + [(9001, "x")]) is None


def test_allow_unknown_fields():
    assert check(NOS44 + [(112, "x")], allow_unknown_fields=True) is None


def test_fix42_differences():
    nos42 = [(11, "A"), (21, "1"), (55, "AAPL"), (54, "1"), (38, "100"), (40, "2"), (44, "1.5")]
    assert check(nos42, begin="FIX.4.2") is None                      # no TransactTime needed
    assert check([f for f in nos42 if f[0] != 21], begin="FIX.4.2")[:2] == (1, 21)   # HandlInst required
    er = [(37, "1"), (17, "1"), (20, "0"), (150, "2"), (39, "2"), (55, "X"), (54, "1"), (151, "0"), (14, "1"),
          (6, "1")]
    assert check(er, "8", "FIX.4.2") is None
    assert check(er, "8", "FIX.4.4")[:2] in ((2, 20), (5, 150))      # 20 and ExecType=2 are 4.2 only


def test_repeating_groups():
    email = [(164, "T1"), (94, "0"), (147, "subject"), (33, "2"), (58, "line one"), (58, "line two")]
    assert check(email, "C") is None
    short = [(164, "T1"), (94, "0"), (147, "subject"), (33, "3"), (58, "line one"), (58, "line two")]
    assert check(short, "C")[:2] == (16, 33)
    parties = NOS44 + [(453, "2"), (448, "P1"), (447, "D"), (452, "1"), (448, "P2"), (447, "D"), (452, "3")]
    assert check(parties) is None
    bad_start = NOS44 + [(453, "1"), (447, "D"), (448, "P1")]
    assert check(bad_start)[0] == 16


def test_security_definition_is_known():
    secdef = [(320, "R1"), (322, "S1"), (323, "1"), (55, "AAPL")]
    assert check(secdef, "d") is None
