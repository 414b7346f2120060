"""The parser's fast path (shapes learned by the dictionary) against the general path, and the
template encoder against the generic one: the fast versions must agree on every input."""
from hypothesis import given, settings, strategies as st

from wirespeed.gateway.fix.dictionary import MAX_SHAPES, Dictionary
from wirespeed.gateway.fix.encoder import Encoder, encode_message
from wirespeed.gateway.fix.parser import FixParser

TIME = "20261122-10:00:00.000"
NOS = [(11, "A1"), (55, "AAPL"), (54, "1"), (60, TIME), (38, "100"), (40, "2"), (44, "1.5"), (59, "0")]


def frame(fields, msg_type="D", seq=2):
    return encode_message("FIX.4.4", msg_type, "S", "T", seq, fields, TIME)


def general(raw):
    """Parse with no shapes and validate with a fresh dictionary: the reference."""
    p = FixParser()
    p.feed(raw)
    msg = p.poll()
    return msg, (msg.error if msg.error is not None else Dictionary("FIX.4.4").validate(msg))


def trained(*examples) -> Dictionary:
    d = Dictionary("FIX.4.4")
    for fields in examples:
        msg, problem = general(frame(fields))
        assert problem is None
        assert d.validate(msg) is None   # teaches d the shape
    return d


def fast(d, raw):
    p = FixParser(dictionary=d)
    p.feed(raw)
    msg = p.poll()
    return msg, (msg.error if msg.error is not None else d.validate(msg))


def test_a_learned_shape_takes_the_fast_path_with_the_same_fields():
    d = trained(NOS)
    other = [(t, {11: "ZZ-9", 38: "250", 44: "99.125", 54: "2"}.get(t, v)) for t, v in NOS]
    raw = frame(other, seq=77)
    msg, problem = fast(d, raw)
    ref, ref_problem = general(raw)
    assert msg.validated is d and problem is None is ref_problem
    assert msg.fields == ref.fields and msg.flat == ref.flat and msg.pairs == ref.pairs
    assert msg.seq_num == 77 and msg.get(11) == "ZZ-9"


def test_values_read_several_tags_at_once_on_both_paths():
    d = trained(NOS)
    raw = frame([(t, {11: "Q7", 44: "12.25"}.get(t, v)) for t, v in NOS], seq=9)
    shaped, _ = fast(d, raw)
    plain, _ = general(raw)
    assert shaped.shape is not None and plain.shape is None
    for tags in [(11, 55, 54, 38, 44), (44, 11), (11, 9999, 44), (38,), ()]:
        expected = tuple(plain.get(t, "-") for t in tags)
        assert shaped.values(tags, "-") == plain.values(tags, "-") == expected
    assert shaped.values((11, 44)) == ("Q7", "12.25") and shaped.values((1, 11)) == (None, "Q7")
    assert shaped.shape.for_app
    assert shaped.session_values() == ("9", "S", "T", TIME) == plain.values((34, 49, 56, 52))


def test_a_shape_without_sending_time_is_not_for_the_app_fast_path():
    d = trained(NOS)
    assert d.shapes["D"][0].for_app
    for tag in ("52", "34", "49", "56"):
        shape = d.shapes["D"][0]
        stripped = type(shape)("x", tuple(t for t in shape.tags if t != tag), "D")
        assert not stripped.for_app, tag


def test_an_unknown_shape_takes_the_general_path_and_is_learned():
    d = trained(NOS)
    extra = NOS + [(1, "ACCT")]
    msg, problem = fast(d, frame(extra))
    assert msg.validated is None and problem is None
    msg, _ = fast(d, frame(extra))
    assert msg.validated is d


def test_shapes_per_msg_type_are_bounded():
    d = trained(NOS)
    for i in range(MAX_SHAPES + 5):
        fields = NOS + [(5000 + i, "x")]   # user-defined tags: valid, each a new shape
        fast(d, frame(fields))
        fast(d, frame(fields))
    assert len(d.shapes["D"]) == MAX_SHAPES


value = st.text(st.sampled_from("019AZaz.-:=%"), min_size=0, max_size=6)


@given(st.lists(st.one_of(st.none(), st.none(), value), min_size=len(NOS), max_size=len(NOS)),
       st.integers(0, 4 * len(NOS)))
@settings(max_examples=400, deadline=None)
def test_fast_and_general_paths_agree_on_any_values(values, swap):
    """Some values replaced by arbitrary text (often invalid, sometimes empty), sometimes two
    fields swapped: both paths give the same fields and the same verdict."""
    fields = [(t, orig if v is None else v) for (t, orig), v in zip(NOS, values)]
    if swap < len(NOS) - 1:
        fields[swap], fields[swap + 1] = fields[swap + 1], fields[swap]
    raw = frame(fields)
    msg, problem = fast(trained(NOS), raw)
    ref, ref_problem = general(raw)
    assert problem == ref_problem
    assert msg.fields == ref.fields and msg.flat == ref.flat
    if msg.validated is not None:
        assert ref_problem is None


def test_template_matches_the_generic_encoder_whatever_the_text():
    """Templates compile their fixed text as constants: braces, quotes, backslashes and '%'
    in CompIDs or values come out as they are."""
    enc = Encoder("FIX.4.4", "S{0}%1", "T'\"\\")
    assert enc.template("0", []).encode(4, [], TIME) == enc.encode("0", 4, [], TIME)
    values = ["{seq}", "'''\\n{{x}}"]
    raw = enc.template("D", [11, 58]).encode(5, values, TIME)
    assert raw == enc.encode("D", 5, list(zip([11, 58], values)), TIME)


def test_template_matches_the_generic_encoder():
    enc = Encoder("FIX.4.4", "S%1", "T")
    tags = [11, 55, 38, 44, 58]
    for values in (["A", "AAPL", 100, "1.5", "50% done"], ["B" * 40, "MSFT", 7, "0.01", "x" * 300]):
        raw = enc.template("D", tags).encode(9, values, TIME)
        assert raw == enc.encode("D", 9, list(zip(tags, values)), TIME)
        msg, _ = general(raw)   # frames (BodyLength and CheckSum right) and parses back
        assert msg is not None and msg.get(58) == values[4] and msg.get(38) == str(values[2])


def _drain(parser, chunks):
    out = []
    for chunk in chunks:
        parser.feed(chunk)
        while (msg := parser.poll(1)) is not None:
            out.append(msg)
    return out


def _garbled(raw: bytes) -> tuple[bytes, bytes]:
    """``raw`` with a wrong CheckSum, and with a BodyLength one short (values still of the shape)."""
    bad_sum = bytearray(raw)
    bad_sum[-2] = ord("0") if bad_sum[-2] != ord("0") else ord("1")
    length = raw.split(b"\x01")[1]                    # b"9=<n>"
    bad_len = raw.replace(length, b"9=%d" % (int(length[2:]) - 1), 1)[:-7]
    return bytes(bad_sum), bad_len + b"10=%03d\x01" % (sum(bad_len) % 256)   # CheckSum right for it


def _stream():
    """Valid frames of a learned shape, one whose CheckSum is wrong, one whose BodyLength is
    wrong (both garbled: dropped), noise, and a valid frame of an unlearned shape."""
    good = [frame([(t, {11: f"ID{k}"}.get(t, v)) for t, v in NOS], seq=k) for k in range(2, 6)]
    bad_sum, bad_len = _garbled(good[1])
    other = frame(NOS + [(1, "ACCT")], seq=9)
    return good[0] + bad_sum + b"noise" + bad_len + good[3] + other + good[2]


def test_a_garbled_frame_of_a_learned_shape_is_dropped():
    d = trained(NOS)
    for bad in _garbled(frame(NOS)):
        p = FixParser(dictionary=d)
        p.feed(bad)
        assert p.poll(1) is None and p.garbled == 1


@given(st.lists(st.integers(1, 400), min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_reads_cut_anywhere_give_what_the_general_parser_gives(cuts):
    """However the stream is cut into reads, the shape-matching parser returns the same
    messages, drops the same garbled frames, and matches straight out of whole reads."""
    data = _stream()
    chunks, at = [], 0
    for n in cuts:
        chunks.append(data[at:at + n])
        at += n
    chunks.append(data[at:])
    d = trained(NOS)
    fast_parser, ref_parser = FixParser(dictionary=d), FixParser()
    got, want = _drain(fast_parser, chunks), _drain(ref_parser, [data])
    assert [m.flat for m in got] == [m.flat for m in want]
    assert [m.raw for m in got] == [m.raw for m in want]
    assert fast_parser.garbled == ref_parser.garbled == 2
    assert [m.validated is d for m in got] == [m.get(1) is None for m in want]


def test_whole_reads_are_matched_without_the_stream_buffer():
    d = trained(NOS)
    p = FixParser(dictionary=d)
    raw = frame(NOS)
    p.feed(raw + raw)
    first, second = p.poll(1), p.poll(1)
    assert first.validated is d and second.validated is d and first.raw == second.raw == raw
    assert p.poll(1) is None and not p._buf and p._data is None
