import os

import pytest

from wirespeed.gateway.store import FileStore, MemoryStore


@pytest.mark.parametrize("policy", ["none", "batch", "always"])
def test_file_store_survives_reopen(tmp_path, policy):
    s = FileStore(tmp_path, "FIX.4.4-A-B", policy)
    for seq in range(1, 6):
        s.save_sent(seq, b"msg%d" % seq)
    s.set_next_target(8)
    s.flush()
    # No close(): as after kill -9.
    again = FileStore(tmp_path, "FIX.4.4-A-B", policy)
    assert again.next_sender_seq == 6 and again.next_target_seq == 8
    assert again.get_sent(2, 4) == [(2, b"msg2"), (3, b"msg3"), (4, b"msg4")]
    assert again.creation_time == s.creation_time


def test_torn_trailing_record_is_cut(tmp_path):
    s = FileStore(tmp_path, "X", "none")
    s.save_sent(1, b"one")
    s.save_sent(2, b"two")
    with open(tmp_path / "X" / "messages", "r+b") as f:
        f.seek(s._size)                                  # the process died mid-copy into the map,
        f.write(b"3 0 100\npartial")                     # leaving the zero tail after it
    again = FileStore(tmp_path, "X", "none")
    assert again.get_sent(1, 3) == [(1, b"one"), (2, b"two")]
    assert again.next_sender_seq == 3
    again.save_sent(3, b"three")
    assert FileStore(tmp_path, "X", "none").get_sent(3, 3) == [(3, b"three")]


def test_seqnums_recovered_from_the_log(tmp_path):
    s = FileStore(tmp_path, "X", "none")
    s.save_sent(1, b"a", reply_to=0)
    s.save_sent(2, b"b", reply_to=7)                     # sent while processing inbound 7
    os.truncate(tmp_path / "X" / "seqnums", 0)           # the seqnums write never happened
    again = FileStore(tmp_path, "X", "none")
    assert again.next_sender_seq == 3 and again.next_target_seq == 8


def test_reset(tmp_path):
    s = FileStore(tmp_path, "X", "batch")
    s.save_sent(1, b"a")
    s.set_next_target(5)
    s.reset()
    again = FileStore(tmp_path, "X", "batch")
    assert (again.next_sender_seq, again.next_target_seq, again.get_sent(1, 10)) == (1, 1, [])


def test_bad_policy_is_named(tmp_path):
    with pytest.raises(ValueError, match="fsync: must be none, batch or always, not 'sometimes'"):
        FileStore(tmp_path, "X", "sometimes")


def test_memory_store_interface():
    m = MemoryStore()
    m.save_sent(1, b"a")
    m.set_next_target(3)
    assert m.get_sent(1, 2) == [(1, b"a")] and m.next_sender_seq == 2 and m.next_target_seq == 3


def test_log_grows_past_its_mapping_and_closes_without_a_zero_tail(tmp_path):
    s = FileStore(tmp_path, "X", "none")
    big = b"x" * 300_000
    for seq in range(1, 8):                              # ~2 MiB: past the first 1 MiB chunk
        s.save_sent(seq, big + b"%d" % seq)
    assert s.get_sent(7, 7) == [(7, big + b"7")]
    s.close()
    size = os.path.getsize(tmp_path / "X" / "messages")
    assert size == sum(len(b"%d 0 %d\n" % (q, len(big) + 1)) + len(big) + 2 for q in range(1, 8))
    again = FileStore(tmp_path, "X", "none")
    assert again.get_sent(1, 1) == [(1, big + b"1")] and again.next_sender_seq == 8


def test_index_of_gaps_repeats_and_jumps(tmp_path):
    # The index is one array entry per number: gaps read back as absent, a number stored again
    # reads back as its later record, and all of it survives a reopen (rebuilt from the log).
    from wirespeed.gateway.store import file as filestore
    s = FileStore(tmp_path, "X", "none")
    s.save_sent(1, b"one")
    s.save_sent(4, b"four")                              # seqnums jumped: 2 and 3 were never sent
    s.save_sent(4, b"four again")
    s.save_sent(5, b"five")
    want = [(1, b"one"), (4, b"four again"), (5, b"five")]
    assert s.get_sent(0, 9) == want and s.get_sent(2, 3) == [] and s.get_sent(5, 4) == []
    assert s._starts.itemsize == 8 and len(s._starts) == 5
    assert FileStore(tmp_path, "X", "none").get_sent(1, 5) == want
    s.save_sent(s._first + len(s._starts) + filestore._MAX_GAP + 1, b"far")   # too far to pad
    far = s.next_sender_seq - 1
    assert s.get_sent(1, far) == [(far, b"far")] and len(s._starts) == 1
    again = FileStore(tmp_path, "X", "none")
    assert again.get_sent(far, far) == [(far, b"far")] and again.next_sender_seq == far + 1


def test_index_below_its_first_number(tmp_path):
    s = FileStore(tmp_path, "X", "none")
    s._first = 10                                        # as if the log began at 10
    s._note(10, 0)
    s._note(7, 5)
    assert s._first == 7 and list(s._starts) == [5, -1, -1, 0]
