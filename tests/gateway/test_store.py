import os

import pytest

from wirespeed.gateway.store import FileStore, MemoryStore


def killed(store: FileStore) -> None:
    """What ``kill -9`` does to a store: the kernel closes the lock's descriptor (the lock goes
    with it) and nothing else happens: no flush, no cut of the zero tail."""
    os.close(store._lock_fd)
    store._lock_fd = -1


@pytest.mark.parametrize("policy", ["none", "batch", "always"])
def test_file_store_survives_reopen(tmp_path, policy):
    s = FileStore(tmp_path, "FIX.4.4-A-B", policy)
    for seq in range(1, 6):
        s.save_sent(seq, b"msg%d" % seq)
    s.set_next_target(8)
    s.flush()
    killed(s)                                            # no close(): as after kill -9
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
    killed(s)
    again = FileStore(tmp_path, "X", "none")
    assert again.get_sent(1, 3) == [(1, b"one"), (2, b"two")]
    assert again.next_sender_seq == 3
    again.save_sent(3, b"three")
    killed(again)
    assert FileStore(tmp_path, "X", "none").get_sent(3, 3) == [(3, b"three")]


def test_seqnums_recovered_from_the_log(tmp_path):
    s = FileStore(tmp_path, "X", "none")
    s.save_sent(1, b"a", reply_to=0)
    s.save_sent(2, b"b", reply_to=7)                     # sent while processing inbound 7
    os.truncate(tmp_path / "X" / "seqnums", 0)           # the seqnums write never happened
    killed(s)
    again = FileStore(tmp_path, "X", "none")
    assert again.next_sender_seq == 3 and again.next_target_seq == 8


def test_reset(tmp_path):
    s = FileStore(tmp_path, "X", "batch")
    s.save_sent(1, b"a")
    s.set_next_target(5)
    s.reset()
    s.close()
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
    killed(s)
    peek = FileStore(tmp_path, "X", "none")
    assert peek.get_sent(1, 5) == want
    killed(peek)
    s._lock()                                            # (s writes on, as the only store again)
    s.save_sent(s._first + len(s._starts) + filestore._MAX_GAP + 1, b"far")   # too far to pad
    far = s.next_sender_seq - 1
    assert s.get_sent(1, far) == [(far, b"far")] and len(s._starts) == 1
    s.close()
    again = FileStore(tmp_path, "X", "none")
    assert again.get_sent(far, far) == [(far, b"far")] and again.next_sender_seq == far + 1


def test_jump_after_jump_keeps_the_index_bounded_and_counts_what_it_lets_go(tmp_path, caplog):
    """Numbers that jump by just under 2^20 again and again: the padding is bounded in all (not 8 MB
    more a jump), and the messages the index lets go when it starts again are counted and logged."""
    from wirespeed.gateway.store import file as filestore
    s = FileStore(tmp_path, "X", "none")
    step = filestore._MAX_GAP // 2 + 1
    seq, most = 1, 0
    for _ in range(6):
        s.save_sent(seq, b"m%d" % seq)
        s.save_sent(seq + 1, b"m%d" % (seq + 1))
        most = max(most, len(s._starts))
        seq += step
    assert most <= filestore._MAX_GAP + 8               # (unbounded: 6 jumps would be ~3 M entries)
    assert s.dropped == 6 and "6 older messages stay in the log" in caplog.text   # (3 jumps pad 2^20)
    last = seq - step
    assert s.get_sent(last, last + 1) == [(last, b"m%d" % last), (last + 1, b"m%d" % (last + 1))]
    s.close()


def test_index_below_its_first_number(tmp_path):
    s = FileStore(tmp_path, "X", "none")
    s._first = 10                                        # as if the log began at 10
    s._note(10, 0)
    s._note(7, 5)
    assert s._first == 7 and list(s._starts) == [5, -1, -1, 0]


# -- one store per folder (the lock) -----------------------------------------------------------
def test_a_second_store_on_the_same_folder_is_refused_until_the_first_closes(tmp_path):
    from wirespeed.gateway.store import StoreError
    first = FileStore(tmp_path, "FIX.4.4-DESK-XNAS", "none")
    first.save_sent(1, b"first")
    before = (tmp_path / "FIX.4.4-DESK-XNAS" / "messages").read_bytes()
    with pytest.raises(StoreError, match=rf"{tmp_path / 'FIX.4.4-DESK-XNAS'}: another process "
                                         rf"\(pid {os.getpid()}\) holds this store"):
        FileStore(tmp_path, "FIX.4.4-DESK-XNAS", "none")
    assert (tmp_path / "FIX.4.4-DESK-XNAS" / "messages").read_bytes() == before   # nothing cut
    first.save_sent(2, b"second")                        # the holder is unaffected
    first.close()
    again = FileStore(tmp_path, "FIX.4.4-DESK-XNAS", "none")
    assert again.get_sent(1, 2) == [(1, b"first"), (2, b"second")]
    again.close()


def test_a_killed_process_releases_its_store(tmp_path):
    import subprocess
    import sys
    from wirespeed.gateway.store import StoreError
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom wirespeed.gateway.store import FileStore\n"
         f"s = FileStore({str(tmp_path)!r}, 'S', 'none')\ns.save_sent(1, b'theirs')\n"
         "print('open', flush=True)\nsys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=os.getcwd())
    try:
        assert holder.stdout.readline() == b"open\n"
        with pytest.raises(StoreError, match=rf"another process \(pid {holder.pid}\) holds this store"):
            FileStore(tmp_path, "S", "none")
    finally:
        holder.kill()                                    # kill -9: no close, the kernel drops the lock
        holder.wait(10)
    s = FileStore(tmp_path, "S", "none")
    assert s.get_sent(1, 1) == [(1, b"theirs")] and s.next_sender_seq == 2
    s.close()


# -- corruption is an error, a crash is not ------------------------------------------------------
def _log(tmp_path, n=20):
    s = FileStore(tmp_path, "S", "none")
    for seq in range(1, n + 1):
        s.save_sent(seq, b"8=FIX.4.4\x0135=8\x01X%d\x01" % seq)
    s.set_next_target(200)
    s.close()
    return tmp_path / "S" / "messages"


def test_a_bad_record_mid_log_is_an_error_naming_its_offset_and_nothing_is_cut(tmp_path):
    from wirespeed.gateway.store import StoreError
    path = _log(tmp_path)
    clean = path.read_bytes()
    k = clean.find(b"\n10 0 ") + 1                       # record 10's header
    for where, bad in ((k, b"x"), (clean.find(b"\n", k) - 1, b"1")):   # its seq; its length
        data = bytearray(clean)
        data[where] = bad[0]
        path.write_bytes(bytes(data))
        with pytest.raises(StoreError, match=rf"{path}: record at byte {k}: .* bytes of data follow it"):
            FileStore(tmp_path, "S", "none")
        assert path.read_bytes() == bytes(data)          # left as it is
    path.write_bytes(clean[:k] + b"11 0 999999\n" + clean[k:])   # a length past the end of the log
    with pytest.raises(StoreError, match=rf"record at byte {k}: its 999999 bytes are not followed"):
        FileStore(tmp_path, "S", "none")


def test_a_torn_last_record_is_cut_with_a_warning(tmp_path, caplog):
    path = _log(tmp_path, 3)
    clean = path.read_bytes()
    for torn in (b"4 0 3", b"4 0 30\n8=FIX", b"4 0 3\nabc"):   # the header, the body, the newline cut
        path.write_bytes(clean + torn + b"\0" * 5000)   # (and the zero tail of the mapping)
        caplog.clear()
        s = FileStore(tmp_path, "S", "none")
        assert s.next_sender_seq == 4 and s.next_target_seq == 200 and len(s.get_sent(1, 9)) == 3
        s.close()
        assert path.read_bytes() == clean
        assert [r.levelname for r in caplog.records] == ["WARNING"]
        assert f"{path}: record at byte {len(clean)} is torn" in caplog.text, torn
    path.write_bytes(clean + b"\0" * 5000)               # the zero tail alone: cut, no warning
    caplog.clear()
    FileStore(tmp_path, "S", "none").close()
    assert path.read_bytes() == clean and not caplog.records


def test_an_unreadable_seqnums_is_an_error_naming_its_offset(tmp_path):
    from wirespeed.gateway.store import StoreError
    _log(tmp_path, 3)
    seqnums = tmp_path / "S" / "seqnums"
    good = seqnums.read_bytes()
    for where, bad in ((0, b"x"), (25, b"-"), (41, b"\0")):
        data = bytearray(good)
        data[where] = bad[0]
        seqnums.write_bytes(bytes(data))
        with pytest.raises(StoreError, match=rf"{seqnums}: unreadable at byte {where}"):
            FileStore(tmp_path, "S", "none")
        assert seqnums.read_bytes() == bytes(data)
    seqnums.write_bytes(b"\0" * len(good))               # allocated, never written: the log decides
    s = FileStore(tmp_path, "S", "none")
    assert (s.next_sender_seq, s.next_target_seq) == (4, 1)
    s.close()


def test_the_log_is_indexed_by_streaming_reads(tmp_path, monkeypatch):
    from pathlib import Path
    from wirespeed.gateway.store import file as filestore
    s = FileStore(tmp_path, "S", "none")
    big = b"y" * 5000
    records = [(seq, big if seq % 7 == 0 else b"m%d" % seq) for seq in (1, 2, 3, 5, 6, 7, 8, 14, 15, 8)]
    for seq, raw in records:
        s.save_sent(seq, raw, reply_to=seq + 30)
    s.close()
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} read whole"))
    reads = []
    real = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, off: (reads.append(n), real(fd, n, off))[1])
    monkeypatch.setattr(filestore, "_READ", 100)         # records straddle the window and outgrow it
    again = FileStore(tmp_path, "S", "none")
    want = dict(records)
    assert again.get_sent(1, 20) == sorted(want.items())
    assert again.next_sender_seq == 16 and again.next_target_seq == 46
    assert max(reads) <= len(big) and sum(reads) < 3 * os.path.getsize(tmp_path / "S" / "messages")
    again.close()


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_take_back_forgets_the_last_numbers_and_only_those(tmp_path, kind):
    """Session.take_back's part (the trail's gate met bytes that never left): the last numbers are
    forgotten and handed out again; a file store reopened says the same."""
    store = MemoryStore() if kind == "memory" else FileStore(tmp_path, "S")
    for seq in range(1, 6):
        store.save_sent(seq, b"m%d" % seq)
    store.set_next_target(9)
    assert not store.take_back(6) and not store.take_back(0)
    assert store.take_back(4)
    assert store.next_sender_seq == 4 and [s for s, _ in store.get_sent(1, 10)] == [1, 2, 3]
    store.save_sent(4, b"again")
    assert store.get_sent(4, 4) == [(4, b"again")]
    if kind == "file":
        store.close()
        store = FileStore(tmp_path, "S")
        assert store.next_sender_seq == 5 and store.next_target_seq == 9
        assert [raw for _, raw in store.get_sent(1, 10)] == [b"m1", b"m2", b"m3", b"again"]
    store.close()


def test_a_padded_number_sent_after_all_is_one_hole_fewer(tmp_path, monkeypatch):
    """The padding's bound counts the holes still open: filled ones no longer count against it
    (before, ``_holes`` never went down, so a session that filled its gaps was restarted anyway)."""
    from wirespeed.gateway.store import file as filestore
    monkeypatch.setattr(filestore, "_MAX_GAP", 16)
    s = FileStore(tmp_path, "X", "none")
    s.save_sent(1, b"m1")
    s.save_sent(17, b"m17")                              # 15 padded
    for q in range(2, 17):
        s.save_sent(q, b"m%d" % q)                       # ... and every one of them sent after all
    s.save_sent(33, b"m33")                              # 15 padded again: 15 open in all, within 16
    assert s.dropped == 0 and s._first == 1
    assert s.get_sent(1, 33) == [(q, b"m%d" % q) for q in list(range(1, 18)) + [33]]
    s.close()


def test_a_resend_counts_what_the_file_stores_index_let_go_as_trimmed(tmp_path):
    """Numbers that jumped past the padding start the index again: the messages below it are
    gap-filled by a resend and counted in the session's resend_trimmed (the metric's
    cause="retention"), as MemoryStore's bound is (before: gap-filled, not counted)."""
    from wirespeed.gateway.store import file as filestore
    from .sessionkit import Peer
    store = FileStore(tmp_path, "X", "none")
    peer = Peer(store=store)
    peer.logon()
    for k in range(5):
        peer.session.send("8", [(11, f"C{k}"), (17, f"E{k}"), (150, "0"), (39, "0"), (55, "AAPL")])
    far = store.next_sender_seq + filestore._MAX_GAP + 1
    store.save_sent(far, b"x")                           # (the index starts again at far)
    peer.received()
    out = peer.send("2", [(7, 1), (16, 6)])
    assert [(m.msg_type, m.seq_num, m.get(36)) for m in out] == [("4", 1, "7")]
    assert peer.session.resend_trimmed == 6 and store.dropped == 6 and store._low == far
    store.close()
