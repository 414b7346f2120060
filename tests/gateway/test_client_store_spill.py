"""A client store that keeps every message of the day with only a bounded window in memory
(``MemoryStore(window=, spill=)``, store/spill.py): the older ones are written to disk and a
ResendRequest reads them back, byte for byte."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import simplefix

from wirespeed.config import ConfigError, load_config
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway
from wirespeed.gateway.store import MemoryStore
from wirespeed.gateway.store.memory import _SPILL_BATCH
from wirespeed.gateway.store.spill import Spill, SpillDir
from wirespeed.symbols import table_from_config

from .sessionkit import Peer

N = 1000
WINDOW = 10


def _report(k: int) -> list:
    return [(37, f"O{k}"), (11, f"C{k}"), (17, f"E{k}"), (150, "0"), (39, "0"), (55, "AAPL"), (54, "1"),
            (38, 10), (151, 10), (14, 0), (6, "0"), (58, "x" * (1 + k % 50))]


def test_a_window_of_10_resends_1000_messages_from_disk_as_they_were_sent(tmp_path):
    folder = SpillDir(str(tmp_path))
    store = MemoryStore(0, WINDOW, Spill(folder, "GW-CLIENT1"))
    peer = Peer(store=store)
    peer.logon()
    s = peer.session
    sent, most = {}, 0
    for k in range(N):
        if k % 2:
            s.send("8", _report(k))
        else:                          # as the fast path's C append does it: into the dict, no spill
            seq = store.next_sender_seq
            raw = s.encoder.encode("8", seq, _report(k))
            store._sent[seq] = raw
            store.next_sender_seq = seq + 1
            s._write(raw)
        for m in peer.received():
            sent[m.seq_num] = m
        most = max(most, len(store._sent))
        if k % 100 == 99:
            s.on_timer()               # (its store.flush: spilled down to the window)
            assert len(store._sent) <= WINDOW
    assert most <= WINDOW + _SPILL_BATCH + 100      # never more than the window and a timer's sends
    assert len(sent) == N and sorted(sent) == list(range(2, N + 2))
    # every stored copy is the bytes that went out, read from disk below the window
    assert [(q, raw) for q, raw in store.get_sent(1, N + 1)][1:] == [(q, sent[q].raw) for q in sorted(sent)]
    assert os.fstat(store._spill._data).st_size > 0        # on disk, unlinked: freed with the process
    s.connection_lost()                # the client goes, comes back and asks for everything
    s.connection_made(peer.parser.feed, peer._close)
    assert [m.msg_type for m in peer.send("A", [(98, 0), (108, 30)])] == ["A"]
    out = peer.send("2", [(7, 1), (16, 0)])
    assert out[0].msg_type == "4" and out[0][T.GapFillFlag] == "Y" and out[0][T.NewSeqNo] == "2"   # (the Logon)
    resent = out[1:N + 1]
    assert [m.seq_num for m in resent] == sorted(sent)
    for m in resent:
        orig = sent[m.seq_num]
        assert m[T.PossDupFlag] == "Y" and m[T.OrigSendingTime] == orig[T.SendingTime]
        assert m.body() == orig.body()
    # the resent bytes as a FIX parser wirespeed did not write reads them: framed, numbered, PossDup,
    # OrigSendingTime, BodyLength and CheckSum right
    theirs = simplefix.FixParser()
    theirs.append_buffer(b"".join(m.raw for m in resent))
    for m in resent:
        got, raw = theirs.get_message(), m.raw
        assert got is not None and int(got.get(34)) == m.seq_num and got.get(43) == b"Y"
        assert got.get(122).decode() == sent[m.seq_num][T.SendingTime]
        body_at, trailer_at = raw.index(b"\x0135=") + 1, raw.rindex(b"10=")
        assert int(got.get(9)) == trailer_at - body_at
        assert int(got.get(10)) == sum(raw[:trailer_at]) % 256
    assert theirs.get_message() is None
    assert s.resend_trimmed == 0 and store.dropped == 0
    store.reset()                      # a new day: nothing of the old one read back
    assert store.get_sent(1, N + 1) == []
    store.close()
    assert not list(folder.path().glob("*"))
    folder.remove()
    assert not list(tmp_path.iterdir())


def test_a_full_disk_keeps_the_messages_in_memory_until_it_can_spill(tmp_path, monkeypatch, caplog):
    import wirespeed.gateway.store.spill as spill_mod
    store = MemoryStore(0, WINDOW, Spill(SpillDir(str(tmp_path)), "S"))
    real = spill_mod._write_all
    fail = [True]

    def full(fd, data, at):
        if fail:
            raise OSError(28, "No space left on device")
        real(fd, data, at)
    monkeypatch.setattr(spill_mod, "_write_all", full)
    for seq in range(1, 101):
        store.save_sent(seq, b"m%d" % seq)
    store.flush()
    assert len(store._sent) == 100 and "cannot spill" in caplog.text       # nothing lost
    fail.clear()
    store.flush()
    assert len(store._sent) == WINDOW
    assert store.get_sent(1, 100) == [(q, b"m%d" % q) for q in range(1, 101)]
    store.close()


def test_the_gateway_s_client_stores_spill_under_the_configured_folder(tmp_path):
    config = load_config()
    symbols = table_from_config(config.symbols)
    gw = Gateway(config, 1, clients=("CLIENT1",), symbols=symbols, client_memory_messages=5,
                 client_store_directory=str(tmp_path / "spill"))
    store = gw.acceptor.sessions["CLIENT1"].store
    assert store.window == 5 and store._spill is not None and store.max_messages == 0
    for seq in range(1, 30):
        store.save_sent(seq, b"m")
    store.flush()
    assert len(store._sent) == 5 and list((tmp_path / "spill").iterdir())
    gw.close_stores()
    assert not list((tmp_path / "spill").iterdir())         # the process's folder goes with it
    gw.orders.audit.close()
    bounded = Gateway(config, 1, clients=("CLIENT1",), symbols=symbols, client_stored_messages=7)
    assert bounded.acceptor.sessions["CLIENT1"].store._spill is None       # a bound: nothing on disk
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="retention.client_store_directory: cannot create"):
        Gateway(config, 1, clients=("CLIENT1",), symbols=symbols, client_store_directory=str(tmp_path / "file"))


def test_a_killed_process_s_spill_folder_is_removed_by_the_next_and_a_live_one_s_kept(tmp_path, caplog):
    """A gateway killed (no ``remove``) leaves its folder: the next process's first spill removes
    it, so crashes do not pile a day's spill each on the disk; a live process's folder stays."""
    with open("/proc/sys/kernel/pid_max") as f:
        dead = int(f.read()) + 1                  # (above pid_max: no process has it)
    for pid in (dead, 1):                         # (pid 1: alive)
        d = tmp_path / f"wirespeed-clients-{pid}-x"
        d.mkdir()
        (d / "S.messages").write_bytes(b"m" * 100)
    (tmp_path / "other").mkdir()
    store = MemoryStore(0, WINDOW, Spill(SpillDir(str(tmp_path)), "S"))
    for seq in range(1, 30):
        store.save_sent(seq, b"m")
    store.flush()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert f"wirespeed-clients-{dead}-x" not in names and "wirespeed-clients-1-x" in names and "other" in names
    assert sum(n.startswith(f"wirespeed-clients-{os.getpid()}-") for n in names) == 1
    assert "processes that are gone" in caplog.text
    store.close()


def test_two_clients_whose_names_are_alike_in_a_path_never_read_each_other_s_messages(tmp_path):
    folder = SpillDir(str(tmp_path))
    a = MemoryStore(0, 2, Spill(folder, "GW-A/B"))
    b = MemoryStore(0, 2, Spill(folder, "GW-A_B"))
    for store, tag in ((a, b"A"), (b, b"B")):
        for seq in range(1, 11):
            store.save_sent(seq, tag + b"%d" % seq)
        store.flush()
    assert a.get_sent(1, 10) == [(q, b"A%d" % q) for q in range(1, 11)]
    assert b.get_sent(1, 10) == [(q, b"B%d" % q) for q in range(1, 11)]
    a.close()
    b.close()
    folder.remove()


def test_a_store_used_after_close_reads_nothing_back_rather_than_other_bytes(tmp_path):
    folder = SpillDir(str(tmp_path))
    store = MemoryStore(0, 2, Spill(folder, "S"))
    for seq in range(1, 11):
        store.save_sent(seq, b"m%d" % seq)
    store.flush()
    store.close()
    for seq in range(11, 21):
        store.save_sent(seq, b"m%d" % seq)
    store.flush()
    assert all(raw == b"m%d" % q for q, raw in store.get_sent(1, 20))   # (1..8 gone: gap-filled)
    store.close()
    folder.remove()


def test_a_process_killed_leaves_no_spilled_bytes_on_disk(tmp_path):
    code = textwrap.dedent(f"""
        import os, signal
        from wirespeed.gateway.store import MemoryStore
        from wirespeed.gateway.store.spill import Spill, SpillDir
        store = MemoryStore(0, 2, Spill(SpillDir({str(tmp_path)!r}), "GW-C"))
        for seq in range(1, 1001):
            store.save_sent(seq, b"x" * 300)
        store.flush()
        assert os.fstat(store._spill._data).st_size >= 998 * 300
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files]
    assert left == []
