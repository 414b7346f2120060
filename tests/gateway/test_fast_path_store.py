"""The fast path's store append in C (gateway/native/store_append.h) against the stores' own
``save_sent``: the same records appended both ways give byte-identical files, the same index and
numbers, and a store reopened from the C-written files serves the same messages."""
import random

import pytest

from wirespeed.gateway import native, order_fast  # noqa: F401 (binds the store types)
from wirespeed.gateway.store import FileStore, MemoryStore
from wirespeed.gateway.store import file as file_mod

pytestmark = pytest.mark.skipif(native._path is None, reason="gateway/native not built")
append = native._path.store_append if native._path is not None else None


def _script(seed, n=400):
    """(seq, raw, reply_to): mostly the next number, some gaps, numbers sent again, a jump back."""
    rng = random.Random(seed)
    seq, out = 1, []
    for k in range(n):
        roll = rng.random()
        if roll < 0.05:
            seq += rng.randint(2, 9)            # a gap
        elif roll < 0.08 and seq > 3:
            seq -= rng.randint(1, 3)            # sent again (a reset's or a resend's number)
        body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 40, 300, 5000])))
        out.append((seq, b"8=FIX.4.4\x01" + body, rng.choice([0, 0, 0, k, 2**40])))
        seq += 1
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_the_c_append_writes_what_save_sent_writes(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(file_mod, "_CHUNK", 1 << 14)      # the log grows often: those appends are Python's
    py, c = FileStore(tmp_path, "py"), FileStore(tmp_path, "c")
    taken = 0
    for seq, raw, reply in _script(seed):
        py.save_sent(seq, raw, reply)
        taken += append(c, seq, raw, reply)
        assert (c.next_sender_seq, c._size, c._first, list(c._starts)) == \
            (py.next_sender_seq, py._size, py._first, list(py._starts))
    assert 200 < taken < 400          # most in C (the odd numbers indexed by _note), the growth by the method
    last = py.next_sender_seq
    assert c.get_sent(1, last) == py.get_sent(1, last)
    for s in (py, c):
        s.set_next_target(7)
        s.close()
    assert (tmp_path / "c" / "messages").read_bytes() == (tmp_path / "py" / "messages").read_bytes()
    again = FileStore(tmp_path, "c")
    assert again.next_sender_seq == last and again.get_sent(1, last) == FileStore(tmp_path, "py").get_sent(1, last)


def test_a_memory_store_and_any_other_store():
    m = MemoryStore()
    assert append(m, 1, b"one", 0) and append(m, 5, b"five", 3)
    assert m.get_sent(1, 5) == [(1, b"one"), (5, b"five")] and m.next_sender_seq == 6

    class Other(MemoryStore):       # not a type bound to C: its own save_sent
        calls = []

        def save_sent(self, seq, raw, reply_to=0):
            self.calls.append((seq, raw, reply_to))
            super().save_sent(seq, raw, reply_to)
    o = Other()
    assert append(o, 1, b"x", 2) is False and o.calls == [(1, b"x", 2)]
    with pytest.raises(TypeError, match="store_append"):
        append(m, "1", b"x", 0)
