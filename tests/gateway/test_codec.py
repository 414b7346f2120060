"""The sans-IO codec: framing, validation, garbled frames, and properties."""
import simplefix
from hypothesis import given, settings, strategies as st

from wirespeed.gateway.fix import Encoder, FixParser
from wirespeed.gateway.fix.encoder import frame
from wirespeed.gateway.fix.tags import HEADER_TAGS, SessionRejectReasons as SRR

ENC = Encoder("FIX.4.4", "A", "B")


def nos(seq=1, **extra):
    fields = [(11, "X1"), (55, "AAPL"), (54, "1"), (38, 100), (40, "2"), (44, "1.50")] + list(extra.items())
    return ENC.encode("D", seq, fields, sending_time="20261122-10:00:00.000")


def test_encoder_output_parses_in_simplefix():
    raw = nos()
    p = simplefix.FixParser()
    p.append_buffer(raw)
    m = p.get_message()
    assert m.get(35) == b"D" and m.get(55) == b"AAPL" and m.get(44) == b"1.50"
    assert raw.endswith(b"10=%03d\x01" % (sum(raw[:-7]) % 256))


def test_multiple_and_partial_messages():
    data = nos(1) + nos(2) + nos(3)
    p = FixParser()
    out = []
    for i in range(0, len(data), 7):
        p.feed(data[i:i + 7])
        while (m := p.poll()) is not None:
            out.append(m.seq_num)
    assert out == [1, 2, 3] and p.garbled == 0


def test_garbled_checksum_is_dropped_and_parsing_resumes():
    bad = nos(1).replace(b"AAPL", b"AAPM")
    p = FixParser()
    p.feed(bad + nos(2))
    m = p.poll()
    assert m.seq_num == 2 and p.garbled == 1 and "CheckSum" in p.last_garbled


def test_a_frame_cut_just_after_a_garbled_one_is_not_lost():
    """The read ends one byte into the next frame: that "8" must survive the drop."""
    data = nos(1).replace(b"AAPL", b"AAPM") + nos(2)
    cut = data.index(b"8=FIX", 1) + 1
    p = FixParser()
    p.feed(data[:cut])
    assert p.poll() is None and p.garbled == 1
    p.feed(data[cut:])
    assert p.poll().seq_num == 2


def test_wrong_body_length_is_dropped():
    raw = nos(1).replace(b"9=", b"9=1", 1)
    p = FixParser()
    p.feed(raw + nos(2))
    assert p.poll().seq_num == 2 and p.garbled == 1


def test_oversized_message_is_dropped():
    p = FixParser(max_message_bytes=256)
    p.feed(ENC.encode("D", 1, [(58, "x" * 400)]) + nos(2))
    assert p.poll().seq_num == 2 and "exceeds" in p.last_garbled


def test_bad_tag_is_reported_not_raised():
    body = b"35=D\x0149=A\x0156=B\x0134=1\x0152=20261122-10:00:00\x01ab=1\x01"
    raw = frame(b"FIX.4.4", body)
    p = FixParser()
    p.feed(raw)
    m = p.poll()
    assert m.error[0] == SRR.INVALID_TAG_NUMBER


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_arbitrary_bytes_never_raise(data):
    p = FixParser(max_message_bytes=512)
    p.feed(data)
    for _ in range(50):
        if p.poll() is None:
            break


fix_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="="), min_size=1,
                   max_size=20)


@given(st.lists(st.tuples(st.integers(100, 9999).filter(lambda t: t not in HEADER_TAGS), fix_text), max_size=15),
       st.integers(1, 10**9))
@settings(max_examples=200, deadline=None)
def test_encode_parse_round_trip(fields, seq):
    raw = ENC.encode("D", seq, fields)
    p = FixParser(max_message_bytes=1 << 16)
    p.feed(raw)
    m = p.poll()
    assert m is not None and m.error is None
    assert m.seq_num == seq and m.body() == [(t, v) for t, v in fields]
