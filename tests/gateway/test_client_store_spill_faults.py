"""The client store's spill under faults: its folder removed under the running process, an I/O error
reading spilled messages back during a resend, numbers that jump far (store/spill.py,
Session._pump_resend)."""
import errno
import logging
import os
import shutil

import pytest

from wirespeed.clock import fix_timestamp
from wirespeed.config import load_config
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.metrics import GatewayCollector
from wirespeed.gateway.server import Gateway
from wirespeed.gateway.store import MemoryStore
from wirespeed.gateway.store import spill as spill_mod
from wirespeed.gateway.store.spill import Spill, SpillDir
from wirespeed.symbols import table_from_config

from .conftest import run_async
from .rawfix import RawFix
from .sessionkit import Peer

WINDOW = 10


def _fill(store, first, last, tag=b"m"):
    for seq in range(first, last + 1):
        store.save_sent(seq, tag + b"%d" % seq)
    store.flush()


def test_a_spill_folder_removed_under_the_process_is_made_again_and_nothing_is_lost(tmp_path, caplog):
    root = tmp_path / "spill"
    folder = SpillDir(str(root))
    a = MemoryStore(0, WINDOW, Spill(folder, "GW-A"))
    _fill(a, 1, 50, b"a")                        # A's files open (then unlinked): the folder made
    assert len(a._sent) == WINDOW
    shutil.rmtree(root)                          # an operator's clean-up, the whole configured folder
    b = MemoryStore(0, WINDOW, Spill(folder, "GW-B"))
    with caplog.at_level(logging.WARNING, "wirespeed.gateway.store.spill"):
        _fill(b, 1, 50, b"b")                    # B's first spill needs the folder: made again
        _fill(a, 51, 100, b"a")                  # A goes on from its descriptors
        c = MemoryStore(0, WINDOW, Spill(folder, "GW-C"))
        _fill(c, 1, 50, b"c")
    assert len(b._sent) == WINDOW and len(c._sent) == WINDOW and len(a._sent) == WINDOW
    assert not b._spill.failing and not c._spill.failing
    assert caplog.text.count("was removed under the running process") == 1 and folder.remade == 1
    assert folder.path().is_dir() and folder.path().parent == root
    for store, tag, last in ((a, b"a", 100), (b, b"b", 50), (c, b"c", 50)):
        assert store.get_sent(1, last) == [(q, tag + b"%d" % q) for q in range(1, last + 1)]
        store.close()
    folder.remove()
    assert not list(root.iterdir())


def _spilled_peer(tmp_path, name="GW-CLIENT1", n=60):
    store = MemoryStore(0, WINDOW, Spill(SpillDir(str(tmp_path)), name))
    peer = Peer(store=store)
    peer.logon()
    for k in range(n):
        peer.session.send("8", [(11, f"C{k}"), (17, f"E{k}"), (150, "0"), (39, "0"), (55, "AAPL")])
    peer.received()
    peer.session.on_timer()                      # (spilled down to the window)
    assert len(store._sent) == WINDOW and store._spill.count == n + 1 - WINDOW
    return peer, store


def _covered(out) -> dict[int, str]:
    """Each number the resend answered: 'R' resent, 'G' inside a GapFill."""
    got = {}
    for m in out:
        if m.msg_type == "4":
            for q in range(m.seq_num, int(m[T.NewSeqNo])):
                got[q] = "G"
        else:
            assert m[T.PossDupFlag] == "Y"
            got[m.seq_num] = "R"
    return got


def test_an_io_error_reading_spilled_messages_gap_fills_them_counted_and_the_session_goes_on(
        tmp_path, monkeypatch, caplog):
    peer, store = _spilled_peer(tmp_path)
    other, other_store = _spilled_peer(tmp_path, "GW-CLIENT2")
    bad = {20, 21, 33}
    real = Spill.get

    def eio(self, begin, end):
        if self is store._spill and any(begin <= q <= end for q in bad):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(self, begin, end)
    monkeypatch.setattr(Spill, "get", eio)
    s = peer.session
    with caplog.at_level(logging.ERROR, "wirespeed.session"):
        out = peer.send("2", [(7, 1), (16, 0)])
    got = _covered(out)
    assert sorted(got) == list(range(1, 62))     # every number answered, contiguous
    assert {q for q, how in got.items() if how == "G"} == {1} | bad     # (1: the Logon)
    assert s.resend_unreadable == 3 and s.active
    assert "cannot read 3 stored messages back" in caplog.text and "Input/output error" in caplog.text
    assert [m.msg_type for m in peer.send("1", [(112, "T1")])] == ["0"]   # the session answers still
    out = other.send("2", [(7, 2), (16, 0)])     # another session's resend: untouched
    assert all(how == "R" for how in _covered(out).values()) and other.session.resend_unreadable == 0
    store.close()
    other_store.close()


def test_an_entry_copied_to_another_number_or_going_backwards_is_an_io_error_counted(tmp_path):
    # (before: number 20's entry written into 30's slot stays inside the file, so 30 was resent as
    # message 20 (another order's report, PossDup) with nothing counted; an entry pointing back
    # before the one ahead of it gave EINVAL (a negative read) uncounted, or read the whole file)
    peer, store = _spilled_peer(tmp_path)
    sp = store._spill
    at = lambda q: (q - sp.first) * spill_mod._ENTRY.size      # noqa: E731
    os.pwrite(sp._index, os.pread(sp._index, spill_mod._ENTRY.size, at(20)), at(30))
    os.pwrite(sp._index, spill_mod._ENTRY.pack(0, 5, 41), at(41))
    for q, why in ((30, "number 20"), (41, "the entry before ends at")):
        with pytest.raises(OSError) as exc:
            sp.get(q - 1, q)
        assert exc.value.errno == errno.EIO and f"number {q} is corrupt" in str(exc.value) and why in str(exc.value)
    assert sp.get(20, 20)[0][0] == 20 and sp.get(40, 40)[0][0] == 40     # (the entries they came from)
    out = peer.send("2", [(7, 1), (16, 0)])
    got = _covered(out)
    assert sorted(got) == list(range(1, 62))
    assert got[30] != "R" and got[41] != "R" and got[20] == "R" and got[40] == "R"
    # 30 counted unreadable; 41, read alone once its chunk failed, is 5 bytes of message 1 (no
    # entry before it to go back from): gap-filled as what does not parse is, as 40's case below
    assert peer.session.resend_unreadable == 1


def test_a_corrupt_index_entry_is_an_io_error_its_resend_gap_fills_only_it(tmp_path):
    # (before: a length of 2^62 raised MemoryError out of the resend, one past the end of the file
    # read back other messages' bytes as the message, a negative offset EINVAL)
    peer, store = _spilled_peer(tmp_path)
    sp = store._spill
    bad = {20: (-5, 10), 21: (0, 1 << 62), 33: (0, sp._size + 1), 40: (sp._size - 3, 3),
           41: (0, 2000)}                       # (inside the file, but longer than any message written)
    assert sp._size > 2000
    for q, entry in bad.items():
        os.pwrite(sp._index, spill_mod._ENTRY.pack(*entry, q), (q - sp.first) * spill_mod._ENTRY.size)
    for q in bad:
        try:
            sp.get(q, q)
        except OSError as exc:
            assert exc.errno == errno.EIO and f"number {q} is corrupt" in str(exc)
        else:
            assert q == 40, q                  # (inside the file, no longer than the longest: read)
    out = peer.send("2", [(7, 1), (16, 0)])
    got = _covered(out)
    assert sorted(got) == list(range(1, 62))
    # (40's 3 bytes are not a message: gap-filled as what does not parse is, not counted unreadable)
    assert {q for q, how in got.items() if how == "G"} == {1} | set(bad)
    resent = {m.seq_num: m for m in out if m.msg_type == "8"}
    assert all(m[T.ClOrdID] == f"C{m.seq_num - 2}" for q, m in resent.items() if q != 40)
    assert peer.session.resend_unreadable == 4 and peer.session.active
    store.close()


def test_the_metrics_count_unreadable_and_trimmed_resends_and_dropped_messages(tmp_path):
    config = load_config()
    gw = Gateway(config, 1, clients=("CLIENT1",), symbols=table_from_config(config.symbols),
                 client_memory_messages=5, client_store_directory=str(tmp_path))
    s = gw.acceptor.sessions["CLIENT1"]
    out, parser = [], FixParser(1 << 20)
    s.connection_made(out.append, lambda: None)
    begin, us = s.config.begin_string, s.config.sender_comp_id

    def send(seq, mt, fields):
        s.data_received(encode_message(begin, mt, "CLIENT1", us, seq, fields, fix_timestamp()))
        parser.feed(b"".join(out))
        out.clear()
        got = []
        while (m := parser.poll()) is not None:
            got.append(m)
        return got

    def samples():
        return {(x.name, tuple(sorted(x.labels.items()))): x.value
                for m in GatewayCollector(gw).collect() for x in m.samples}
    send(1, "A", [(98, 0), (108, 30)])
    for k in range(19):
        s.send("8", [(11, f"C{k}"), (17, f"E{k}"), (150, "0"), (39, "0"), (55, "AAPL")])
    s.on_timer()                                  # numbers 1..15 spilled (the last 5 in memory)
    out.clear()                                   # (what was sent live: only the resends are read)
    sp = s.store._spill
    os.pwrite(sp._index, spill_mod._ENTRY.pack(0, 1 << 62, 3), (3 - sp.first) * spill_mod._ENTRY.size)
    assert sorted(_covered(send(2, "2", [(7, 2), (16, 10)]))) == list(range(2, 11))    # 3: unreadable
    far = spill_mod._MAX_SPAN + 100
    for seq in range(far, far + 10):              # (numbers that jump past the span: 1..20 let go)
        s.store.save_sent(seq, b"x")
    s.on_timer()
    out.clear()
    assert sorted(_covered(send(3, "2", [(7, 1), (16, 10)]))) == list(range(1, 11))    # gap-filled: trimmed
    got = samples()
    assert (s.resend_unreadable, s.resend_trimmed, s.store.dropped) == (1, 10, 20)
    assert got[("wirespeed_resend_gap_filled_total", (("cause", "unreadable"), ("name", "CLIENT1")))] == 1
    assert got[("wirespeed_resend_gap_filled_total", (("cause", "retention"), ("name", "CLIENT1")))] == 10
    assert got[("wirespeed_client_store_dropped_total", (("name", "CLIENT1"),))] == 20
    gw.close_stores()
    gw.orders.audit.close()


def test_a_jump_in_numbers_leaves_a_hole_on_disk_not_entries_and_keeps_the_older_messages(tmp_path):
    store = MemoryStore(0, 2, Spill(SpillDir(str(tmp_path)), "S"))
    _fill(store, 1, 10)
    jump = 10 + (1 << 20) + 5                    # wider than the old 2^20 limit, which let 1..8 go uncounted
    for rounds in range(4):                      # jump after jump: disk stays flat
        base = jump * (rounds + 1)
        for seq in range(base, base + 10):
            store.save_sent(seq, b"m%d" % seq)
        store.flush()
    sp = store._spill
    st = os.fstat(sp._index)
    assert st.st_size > 4 * (1 << 20) * 16       # the index spans the numbers ...
    assert st.st_blocks * 512 < 1 << 20          # ... as holes: no blocks for the gaps
    assert store.dropped == 0
    assert store.get_sent(1, 10) == [(q, b"m%d" % q) for q in range(1, 11)]
    assert store.get_sent(jump, jump + 9) == [(q, b"m%d" % q) for q in range(jump, jump + 10)]
    assert store.get_sent(11, 300) == []         # (a hole reads as no message)
    store.close()


def test_numbers_that_jump_past_the_span_let_the_spilled_go_counted_and_logged(tmp_path, caplog):
    store = MemoryStore(0, 2, Spill(SpillDir(str(tmp_path)), "S"))
    _fill(store, 1, 10)                          # 1..8 spilled
    far = spill_mod._MAX_SPAN + 100
    with caplog.at_level(logging.WARNING, "wirespeed.gateway.store.spill"):
        _fill(store, far, far + 9)
    # (9, 10 left memory in the same batch as the far ones: kept, the files would span more than
    # _MAX_SPAN again, and the next ordinary spill would start them afresh, far.. with them)
    assert store.dropped == 10 and store._spill.dropped == 10
    assert "the 8 messages spilled (numbers 1..8) and 2 more below %d are let go" % far in caplog.text
    assert store._low == far and store.get_sent(1, 10) == []
    assert store.get_sent(far, far + 9) == [(q, b"m%d" % q) for q in range(far, far + 10)]
    caplog.clear()
    with caplog.at_level(logging.WARNING, "wirespeed.gateway.store.spill"):
        _fill(store, far + 10, far + 20)         # ordinary sends after the jump: no restart
    assert store.dropped == 10 and "jumped" not in caplog.text
    assert store.get_sent(far, far + 18) == [(q, b"m%d" % q) for q in range(far, far + 19)]
    assert store._spill.first == far and store._spill.count == 19
    store.close()


def test_a_full_disk_is_retried_by_the_timer_not_by_every_send(tmp_path, monkeypatch):
    """While the disk is full each send must not write (and join) everything unspilled again: that is
    a write of all of memory a message. The timer's flush retries; nothing is lost meanwhile."""
    store = MemoryStore(0, WINDOW, Spill(SpillDir(str(tmp_path)), "S"))
    real, calls, full = spill_mod._write_all, [], [True]

    def write(fd, data, at):
        calls.append(len(data))
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, data, at)
    monkeypatch.setattr(spill_mod, "_write_all", write)
    n = WINDOW + 3 * 1024 + 500
    for seq in range(1, n + 1):
        store.save_sent(seq, b"m%d" % seq)
    assert len(calls) == 1 and len(store._sent) == n          # one try, then memory (nothing lost)
    store.flush()                                             # the timer: one try more
    assert len(calls) == 2 and len(store._sent) == n
    full.clear()
    store.flush()
    assert len(store._sent) == WINDOW and store.get_sent(1, n) == [(q, b"m%d" % q) for q in range(1, n + 1)]
    store.close()


def test_reconnects_and_resets_open_no_more_descriptors(tmp_path):
    """A client that connects, is reset and goes again, many times: its two spill files stay the
    same two descriptors (reset truncates them), and close lets them go."""
    fds = lambda: len(os.listdir("/proc/self/fd"))
    store = MemoryStore(0, 2, Spill(SpillDir(str(tmp_path)), "GW-CLIENT1"))
    peer = Peer(store=store)
    peer.logon()
    before = None
    for k in range(50):
        for _ in range(5):
            peer.session.send("8", [(11, f"C{k}"), (17, f"E{k}")])
        peer.session.on_timer()
        peer.received()
        peer.session.connection_lost()
        peer.session.connection_made(peer.parser.feed, peer._close)
        peer.seq = 1
        peer.logon()                                  # (141=Y: the store reset, its files truncated)
        before = fds() if before is None else before
    assert fds() == before and store._spill._data >= 0
    store.close()
    assert fds() == before - 2


@run_async(timeout=60)
async def test_over_sockets_an_unreadable_spill_gap_fills_one_client_and_the_other_is_undisturbed(
        tmp_path, monkeypatch):
    config = load_config()
    gw = Gateway(config, clients=("CLIENT1", "CLIENT2"), symbols=table_from_config(config.symbols), venues=[],
                 client_memory_messages=5, client_store_directory=str(tmp_path))
    await gw.start()
    comp = config.gateway.comp_id
    peers = {c: await RawFix(c, comp).connect(gw.port) for c in ("CLIENT1", "CLIENT2")}
    try:
        for c, p in peers.items():
            await p.logon()
            s = gw.acceptor.sessions[c]
            for k in range(40):
                s.send("8", [(11, f"C{k}"), (17, f"E{k}"), (150, "0"), (39, "0"), (55, "AAPL")])
            s.store.flush()
            for _ in range(40):
                await p.expect("8")
        bad = gw.acceptor.sessions["CLIENT1"].store._spill
        real = Spill.get

        def eio(self, begin, end):
            if self is bad:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            return real(self, begin, end)
        monkeypatch.setattr(Spill, "get", eio)
        for p in peers.values():
            await p.send("2", [(7, 1), (16, 0)])
        got = {}
        for c, p in peers.items():
            msgs = []
            while 41 not in _covered(msgs):          # (bounded: recv times out)
                msgs.append(await p.recv())
            got[c] = _covered(msgs)
        spilled = set(range(1, 42 - 5))                  # (the last 5 in memory; 1: the Logon)
        assert sorted(got["CLIENT1"]) == list(range(1, 42))
        assert {q for q, how in got["CLIENT1"].items() if how == "G"} == spilled
        assert {q for q, how in got["CLIENT2"].items() if how == "G"} == {1}
        assert gw.acceptor.sessions["CLIENT1"].resend_unreadable == len(spilled)     # (the Logon too: unread)
        assert gw.acceptor.sessions["CLIENT2"].resend_unreadable == 0
        for p in peers.values():                         # both sessions answer on
            await p.send("1", [(112, "T")])
            assert (await p.expect("0"))[112] == "T"
    finally:
        for p in peers.values():
            await p.close()
        await gw.stop()


@run_async(timeout=60)
async def test_a_client_reconnecting_in_a_loop_leaks_no_descriptors(tmp_path):
    """30 connections of one client (logon, reports spilled, gone): the gateway's open descriptors
    come back to what they were after the first (its socket closed, its spill files the same two)."""
    import asyncio
    config = load_config()
    gw = Gateway(config, clients=("CLIENT1",), symbols=table_from_config(config.symbols), venues=[],
                 client_memory_messages=2, client_store_directory=str(tmp_path))
    await gw.start()
    fds = lambda: len(os.listdir("/proc/self/fd"))
    s, base = gw.acceptor.sessions["CLIENT1"], None
    loop = asyncio.get_running_loop()
    try:
        for k in range(30):
            p = await RawFix("CLIENT1", config.gateway.comp_id).connect(gw.port)
            await p.logon()
            for j in range(5):
                s.send("8", [(11, f"C{k}-{j}"), (17, f"E{k}-{j}"), (150, "0"), (39, "0")])
            s.store.flush()
            for _ in range(5):
                await p.expect("8")
            await p.close()
            deadline = loop.time() + 5
            while s.active and loop.time() < deadline:       # (the gateway sees the close)
                await asyncio.sleep(0.01)
            assert not s.active
            base = fds() if base is None else base
        assert fds() == base and s.store._spill._data >= 0
    finally:
        await gw.stop()
