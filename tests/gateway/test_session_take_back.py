"""Session.take_back (the trail's gate met a client connection's bytes that never left): only the
session's last numbers, whole messages, none a resend, and never a number a resend in progress
still has to serve (it would gap-fill past the session's next number: the client then sees the
taken-back messages, numbered again, as too low and logs out)."""
from wirespeed.gateway.fix import tags as T

from .sessionkit import Peer


def _report(k):
    return [(37, f"O{k}"), (17, f"E{k}"), (150, "0"), (39, "0")]


def _sent(s, seq):
    (_, raw), = s.store.get_sent(seq, seq)
    return raw


def test_only_the_last_whole_fresh_messages_are_taken_back():
    peer = Peer()
    peer.logon()
    s = peer.session
    a, b = s.send("8", _report(1)), s.send("8", _report(2))
    assert s.take_back(_sent(s, a)) is None                        # not the last
    assert s.take_back(_sent(s, a) + _sent(s, b)[:-3]) is None     # not whole
    resent = s.encoder.encode("8", b, _report(2), header_extra=[(T.PossDupFlag, "Y"),
                                                                (T.OrigSendingTime, "20261202-09:00:00")])
    assert s.take_back(resent) is None                             # a resend (PossDupFlag=Y)
    assert s.store.next_sender_seq == b + 1
    msgs = s.take_back(_sent(s, a) + _sent(s, b))
    assert [m.seq_num for m in msgs] == [a, b] and s.store.next_sender_seq == a
    assert s.send("8", _report(3)) == a                            # numbered on from there


def test_no_take_back_of_a_number_a_resend_in_progress_still_serves():
    peer = Peer(max_resends_per_second=3)
    peer.logon()
    s = peer.session
    for k in range(3):
        s.send("8", _report(k))
    peer.received()
    seq = s.send("8", _report(9))      # numbered; say its bytes met the failing gate
    peer.send("2", [(7, 1), (16, 0)])  # the client asks for everything: 1..3 now, the rest next second
    assert s._resend_job is not None
    s.take_back(_sent(s, seq))
    s.on_timer()                       # the rest of the resend
    out = peer.received()
    fills = [int(m[T.NewSeqNo]) for m in out if m.msg_type == "4"]
    assert not fills or max(fills) <= s.store.next_sender_seq, \
        f"gap-filled to {max(fills)}, the session's next number is {s.store.next_sender_seq}"
