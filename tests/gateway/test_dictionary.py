"""Data-dictionary validation against QuickFIX's XML dictionaries: each SessionRejectReason
and RefTagID, QuickFIX's order of checks, groups at any depth, a venue's customised
dictionary, and agreement with QuickFIX's own validator (the quickfix-py binding)."""
import pytest

from wirespeed.gateway.fix.dictionary import Dictionary, DictionaryError, dictionary, load_dictionary
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.fix.xmlspec import BUILTIN, parse_spec

HDR_TIME = "20261122-10:00:00.000"
NOS44 = [(11, "A"), (55, "AAPL"), (54, "1"), (60, HDR_TIME), (38, "100"), (40, "2"), (44, "1.5"), (59, "0")]
NOS42 = NOS44 + [(21, "1")]
PARTY = [(453, "1"), (448, "P1"), (447, "D"), (452, "1")]


def parse(fields, msg_type="D", begin="FIX.4.4"):
    p = FixParser()
    p.feed(encode_message(begin, msg_type, "S", "T", 1, fields, HDR_TIME))
    return p.poll()


def check(fields, msg_type="D", begin="FIX.4.4", d=None, **kw):
    return (d or dictionary(begin, **kw)).validate(parse(fields, msg_type, begin))


def test_valid_new_order_passes_in_both_versions():
    assert check(NOS44) is None
    assert check(NOS42, begin="FIX.4.2") is None


@pytest.mark.parametrize("fields,reason,tag", [
    ([f for f in NOS44 if f[0] != 54], 1, 54),                        # required missing
    ([f for f in NOS44 if f[0] != 60], 1, 60),                        # TransactTime required in 4.4
    ([f for f in NOS44 if f[0] not in (60, 11)], 1, 11),              # the lowest missing tag first
    (NOS44 + [(4999, "x")], 0, 4999),                                 # not in the dictionary: invalid tag
    (NOS44 + [(112, "x")], 2, 112),                                   # not defined for MsgType D
    (NOS44 + [(448, "x")], 2, 448),                                   # a group member outside its group
    ([(t, "abc" if t == 38 else v) for t, v in NOS44], 6, 38),        # data format
    ([(t, "20261122-1000" if t == 60 else v) for t, v in NOS44], 6, 60),
    ([(t, "Z" if t == 54 else v) for t, v in NOS44], 5, 54),          # enum value
    ([(t, "9" if t == 59 else v) for t, v in NOS44], 5, 59),
    (NOS44 + [(167, "NOPE")], 5, 167),                                # a STRING field's enumeration
    (NOS44 + [(18, "1 T")], 5, 18),                                   # each value of a multiple-value field
    (NOS44 + [(58, "a"), (58, "b")], 13, 58),                         # repeated tag
    ([(112, "x")] + [(t, "Z" if t == 54 else v) for t, v in NOS44], 5, 54),   # ascending tag order
])
def test_rejects(fields, reason, tag):
    assert check(fields)[:2] == (reason, tag)


def test_fix42_and_fix44_agree_with_the_standard_on_what_is_required():
    for begin, nos in (("FIX.4.2", NOS42), ("FIX.4.4", NOS44)):
        assert check([f for f in nos if f[0] != 38], begin=begin) is None   # OrderQty is not required
    assert check([f for f in NOS42 if f[0] != 21], begin="FIX.4.2")[:2] == (1, 21)   # HandlInst, 4.2 only
    assert check([f for f in NOS44 if f[0] != 21]) is None
    assert check([f for f in NOS42 if f[0] != 55], begin="FIX.4.2")[:2] == (1, 55)   # Symbol: 4.2 body
    assert check([f for f in NOS44 if f[0] != 55]) is None   # 4.4: in Instrument, not required there
    er = [(37, "1"), (17, "1"), (20, "0"), (150, "2"), (39, "2"), (55, "X"), (54, "1"), (151, "0"), (14, "1"),
          (6, "1")]
    assert check(er, "8", "FIX.4.2") is None
    assert check(er, "8", "FIX.4.4")[:2] == (0, 20)                   # ExecTransType is 4.2 only


def test_instrument_and_parties_belong_to_new_order_and_security_definition():
    secdef = [(320, "R1"), (322, "S1"), (323, "1"), (55, "AAPL"), (48, "US0378331005"), (22, "4")]
    assert check(secdef, "d") is None
    assert check(secdef + [(454, "1"), (455, "AAPL.O"), (456, "5")], "d") is None   # Instrument's group
    # Parties with its nested PtysSubGrp, two levels deep.
    deep = NOS44 + [(453, "2"), (448, "P1"), (447, "D"), (452, "1"), (802, "1"), (523, "sub"), (803, "1"),
                    (448, "P2"), (447, "D"), (452, "3")]
    assert check(deep) is None
    assert check(NOS44 + [(454, "1"), (455, "AAPL.O")]) is None


@pytest.mark.parametrize("tail,reason,tag", [
    ([(453, "2")] + PARTY[1:], 16, 453),                                          # count too high
    ([(453, "1"), (447, "D"), (448, "P1")], 16, 453),                             # a second entry starts at 448
    ([(453, "1"), (447, "D"), (452, "1")], 15, 447),                              # no delimiter first
    (PARTY[:1] + [(448, "P1"), (447, "#"), (452, "1")], 5, 447),                  # member values checked
    (PARTY + [(802, "2"), (523, "s"), (803, "1")], 16, 802),                      # nested count
    (PARTY + [(802, "1"), (523, "s"), (803, "x")], 6, 803),                       # nested value
    (PARTY + [(112, "z")], 2, 112),                                               # after the group
])
def test_repeating_groups_at_any_depth(tail, reason, tag):
    assert check(NOS44 + tail)[:2] == (reason, tag)


def test_required_member_of_a_group_entry():
    email = [(164, "T1"), (94, "0"), (147, "subject"), (33, "2"), (58, "line one"), (58, "line two")]
    assert check(email, "C") is None
    assert check(email[:3] + [(33, "1"), (355, "5")], "C")[:2] in ((1, 58), (15, 355))


def test_user_defined_and_unknown_field_options():
    # ValidateUserDefinedFields=N (allow_user_defined) lets tags >= 5000 through; =Y rejects them
    # as QuickFIX does; AllowUnknownMsgFields=Y lets tags < 5000 through.
    assert check(NOS44 + [(9001, "x")]) is None
    assert check(NOS44 + [(9001, "x")], allow_user_defined=False)[:2] == (0, 9001)
    assert check(NOS44 + [(112, "x")], allow_unknown_fields=True) is None
    assert check(NOS44 + [(4999, "x")], allow_unknown_fields=True) is None
    assert check(NOS44 + [(9001, "x")], allow_unknown_fields=True, allow_user_defined=False)[:2] == (0, 9001)


VENUE = """<fix type='FIX' major='4' minor='4'>
 <header>
  <field name='BeginString' required='Y'/><field name='BodyLength' required='Y'/>
  <field name='MsgType' required='Y'/><field name='SenderCompID' required='Y'/>
  <field name='TargetCompID' required='Y'/><field name='MsgSeqNum' required='Y'/>
  <field name='PossDupFlag' required='N'/><field name='SendingTime' required='Y'/>
  <field name='OrigSendingTime' required='N'/>
 </header>
 <trailer><field name='CheckSum' required='Y'/></trailer>
 <messages>
  <message name='Heartbeat' msgtype='0' msgcat='admin'><field name='TestReqID' required='N'/></message>
  <message name='NewOrderSingle' msgtype='D' msgcat='app'>
   <field name='ClOrdID' required='Y'/>
   <component name='Instrument' required='Y'/>
   <field name='Side' required='Y'/>
   <field name='OrderQty' required='Y'/>
   <field name='VenueStrategy' required='Y'/>
   <field name='VenueTag' required='N'/>
   <group name='NoVenueLegs' required='N'>
    <field name='VenueLegRef' required='Y'/>
    <field name='VenueLegRatio' required='N'/>
   </group>
  </message>
  <message name='OrderCancelRequest' msgtype='F' msgcat='app'>
   <field name='ClOrdID' required='Y'/>
  </message>
 </messages>
 <components>
  <component name='Instrument'><field name='Symbol' required='Y'/></component>
 </components>
 <fields>
  <field number='11' name='ClOrdID' type='STRING'/>
  <field number='112' name='TestReqID' type='STRING'/>
  <field number='8' name='BeginString' type='STRING'/>
  <field number='9' name='BodyLength' type='LENGTH'/>
  <field number='10' name='CheckSum' type='STRING'/>
  <field number='34' name='MsgSeqNum' type='SEQNUM'/>
  <field number='35' name='MsgType' type='STRING'/>
  <field number='38' name='OrderQty' type='QTY'/>
  <field number='43' name='PossDupFlag' type='BOOLEAN'/>
  <field number='49' name='SenderCompID' type='STRING'/>
  <field number='52' name='SendingTime' type='UTCTIMESTAMP'/>
  <field number='54' name='Side' type='CHAR'><value enum='1' description='BUY'/><value enum='2' description='SELL'/></field>
  <field number='55' name='Symbol' type='STRING'/>
  <field number='56' name='TargetCompID' type='STRING'/>
  <field number='122' name='OrigSendingTime' type='UTCTIMESTAMP'/>
  <field number='5001' name='VenueStrategy' type='STRING'><value enum='VWAP' description='V'/><value enum='TWAP' description='T'/></field>
  <field number='5002' name='VenueTag' type='INT'/>
  <field number='5003' name='NoVenueLegs' type='NUMINGROUP'/>
  <field number='5004' name='VenueLegRef' type='STRING'/>
  <field number='5005' name='VenueLegRatio' type='FLOAT'/>
 </fields>
</fix>"""


@pytest.fixture
def venue(tmp_path):
    path = tmp_path / "VENUE44.xml"
    path.write_text(VENUE)
    return load_dictionary(path, allow_user_defined=False)


def test_a_venues_customised_dictionary_with_user_defined_fields(venue):
    base = [(11, "A"), (55, "X"), (54, "1"), (38, "5"), (5001, "VWAP")]
    assert check(base, d=venue) is None
    assert check(base[:-1], d=venue)[:2] == (1, 5001)                                  # required, user-defined
    assert check(base[:-1] + [(5001, "POV")], d=venue)[:2] == (5, 5001)                # its enumeration
    assert check(base + [(5002, "x")], d=venue)[:2] == (6, 5002)                       # its type
    assert check(base + [(5999, "x")], d=venue)[:2] == (0, 5999)                       # not in the dictionary
    assert check([(11, "A"), (5001, "VWAP")], "F", d=venue)[:2] == (2, 5001)           # not in this message
    legs = base + [(5003, "2"), (5004, "L1"), (5005, "0.5"), (5004, "L2")]
    assert check(legs, d=venue) is None
    assert check(base + [(5003, "1"), (5005, "0.5")], d=venue)[:2] == (15, 5005)       # delimiter first
    assert check([(11, "A"), (54, "1"), (38, "5"), (5001, "VWAP")], d=venue)[:2] == (1, 55)   # component
    assert venue.version == "FIX.4.4" and venue.known_type("D") and not venue.known_type("8")


def test_a_venue_may_require_more_of_the_header(tmp_path):
    path = tmp_path / "STRICT44.xml"
    path.write_text(VENUE.replace("<field name='PossDupFlag' required='N'/>", "<field name='PossDupFlag' required='Y'/>"))
    strict = load_dictionary(path)
    base = [(11, "A"), (55, "X"), (54, "1"), (38, "5"), (5001, "VWAP")]
    assert check(base, d=strict)[:2] == (1, 43)                                        # before the body's
    assert check([(43, "N")] + base[1:], d=strict)[:2] == (1, 11)


def test_a_loaded_dictionary_compiles_into_shapes(venue):
    # The venue's message, once valid, is learned as a shape: the next one parses through it.
    base = [(11, "A"), (55, "X"), (54, "1"), (38, "5"), (5001, "VWAP")]
    assert check(base, d=venue) is None
    p = FixParser(dictionary=venue)
    p.feed(encode_message("FIX.4.4", "D", "S", "T", 2, base, HDR_TIME))
    msg = p.poll()
    assert msg.validated is venue and msg.get(5001) == "VWAP"
    p.feed(encode_message("FIX.4.4", "D", "S", "T", 3, base[:-1] + [(5001, "POV")], HDR_TIME))
    msg = p.poll()
    assert msg.validated is None and venue.validate(msg)[:2] == (5, 5001)   # no shape is more lenient


@pytest.mark.parametrize("text,expected", [
    ("<fix major='4' minor='4'><messages>", "not well-formed XML"),
    ("<fox/>", "root element must be <fix>"),
    ("<fix major='4' minor='4'><messages><message name='X' msgtype='X'><field name='Nope' required='Y'/>"
     "</message></messages><fields/></fix>", "message X: field 'Nope' is not defined in <fields>"),
    ("<fix major='4' minor='4'><messages><message name='X' msgtype='X'><component name='C' required='Y'/>"
     "</message></messages><fields/></fix>", "message X: component 'C' is not defined"),
    ("<fix major='4' minor='4'><fields><field number='1' name='A' type='INT'/>"
     "<field number='1' name='B' type='INT'/></fields></fix>", "field number 1 is defined twice"),
])
def test_a_bad_dictionary_is_an_error_naming_the_file_and_the_problem(text, expected):
    with pytest.raises(DictionaryError, match="venue.xml: .*" + expected.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(text, "venue.xml")


def test_a_field_listed_twice_is_one_field_required_if_either_listing_is():
    spec = parse_spec(VENUE.replace("<field name='VenueTag' required='N'/>",
                                    "<field name='VenueTag' required='N'/><component name='Instrument' required='N'/>"
                                    "<field name='VenueTag' required='Y'/>"), "twice.xml")
    d = Dictionary(spec)
    nos = d.messages["D"]
    assert nos.fields.count("5002") == 1 and "5002" in nos.required and nos.fields.count("55") == 1
    assert "55" in nos.required   # the required Instrument listing wins over the optional one


def test_a_dictionary_of_another_version_is_refused(tmp_path):
    path = tmp_path / "d.xml"
    path.write_text(VENUE)
    with pytest.raises(DictionaryError, match="a FIX.4.4 dictionary, but the session's BeginString is FIX.4.2"):
        load_dictionary(path, begin_string="FIX.4.2")
    with pytest.raises(DictionaryError, match="cannot read"):
        load_dictionary(tmp_path / "missing.xml")


# -- agreement with QuickFIX's own validator ------------------------------------------------
_QF_REASONS = {"Required tag missing": 1, "Tag not defined for this message type": 2, "Invalid tag number": 0,
               "Tag specified without a value": 4, "Value is incorrect (out of range) for this tag": 5,
               "Incorrect data format for value": 6, "Repeated tag not part of repeating group": 13,
               "Repeating group count mismatch": 16}


def _quickfix_verdict(fix, dd, raw: bytes):
    try:
        dd.validate(fix.Message(raw.decode(), dd, False))
    except Exception as exc:   # QuickFIX raises one exception type per reason, told apart by text
        text = str(exc)
        reason = next((r for t, r in _QF_REASONS.items() if text.startswith(t)), None)
        assert reason is not None, f"unmapped QuickFIX error {text!r}"
        tag = text.rpartition(": ")[2]
        return reason, int(tag) if tag.isdigit() else None
    return None


_MUTATIONS = [
    lambda f: f, lambda f: [x for x in f if x[0] != 54], lambda f: [x for x in f if x[0] != 38],
    lambda f: f + [(4999, "x")], lambda f: f + [(112, "x")], lambda f: f + [(448, "x")],
    lambda f: [(t, "abc" if t == 38 else v) for t, v in f], lambda f: [(t, "Z" if t == 54 else v) for t, v in f],
    lambda f: [(t, "9" if t == 59 else v) for t, v in f], lambda f: f + [(58, "a"), (58, "b")],
    lambda f: f + [(18, "1 T")], lambda f: f + [(18, "1 2")], lambda f: f + [(167, "NOPE")],
    lambda f: f + [(432, "20261201")], lambda f: f + PARTY, lambda f: f + [(453, "2")] + PARTY[1:],
    lambda f: f + [(453, "1"), (447, "D"), (448, "P")], lambda f: f + PARTY + [(112, "z")],
    lambda f: [(112, "x")] + [(t, "Z" if t == 54 else v) for t, v in f],
    lambda f: f + [(555, "1"), (600, "X"), (539, "1"), (524, "p")], lambda f: f + [(100, "")],
    lambda f: [x for x in f if x[0] not in (11, 60)],
]


@pytest.mark.parametrize("begin,base", [("FIX.4.4", NOS44), ("FIX.4.2", NOS42)])
def test_agrees_with_quickfix_on_reason_and_tag(begin, base):
    fix = pytest.importorskip("quickfix")
    dd = fix.DataDictionary(str(BUILTIN[begin]))
    ours_dd = Dictionary(begin, allow_user_defined=False)
    for mutate in _MUTATIONS:
        fields = mutate(list(base))
        raw = encode_message(begin, "D", "S", "T", 1, fields, HDR_TIME)
        p = FixParser()
        p.feed(raw)
        msg = p.poll()
        ours = msg.error if msg.error is not None else ours_dd.validate(msg)
        theirs = _quickfix_verdict(fix, dd, raw)
        if theirs is None or ours is None:
            assert ours == theirs, fields
        elif theirs[1] is None:   # QuickFIX's text leaves out the tag of some reasons
            assert ours[0] == theirs[0], fields
        else:
            assert ours[:2] == theirs, fields


def _frame(body: str, begin="FIX.4.4") -> bytes:
    head = f"8={begin}\x019={len(body)}\x01"
    total = sum((head + body).encode()) % 256
    return (head + body + f"10={total:03d}\x01").encode()


def test_numbers_of_any_length_are_refused_not_converted():
    huge = "9" * 5000    # past Python's int() limit for text: a traceback if converted
    assert check(NOS44 + [(453, huge), (448, "P"), (447, "D"), (452, "1")])[:2] == (6, 453)   # > 18 digits
    qty = lambda v: [(t, v if t == 38 else x) for t, x in NOS44]
    assert check(qty("1" * 19))[:2] == (6, 38) and check(qty("1" * 18)) is None
    body = "35=D\x0149=S\x0156=T\x0134=1\x0152=" + HDR_TIME + "\x01" + "".join(f"{t}={v}\x01" for t, v in NOS44)
    for extra, expected in ((f"{huge}=x\x01", (0, None)), (f"{huge}=x\x01{huge}=y\x01", (13, None))):
        p = FixParser(1 << 16)
        p.feed(_frame(body + extra))
        msg = p.poll()
        assert msg.error is None and dictionary("FIX.4.4", allow_user_defined=False).validate(msg)[:2] == expected
