"""WIRESPEED_QUICKACK=1 (transport/tcp.py ``QUICKACK``): a connection's socket gets TCP_QUICKACK
after each read it handled, by the C read entry (native/read_entry.h, ``_qa_fd``) and by the
Python chain (``FixProtocol._handle``, ``_qa_sock``). A loopback socket in the kernel's delayed-ACK
("pingpong") mode reads TCP_QUICKACK 0; after a read the flag reads 1, and with the switch off
(``_qa_fd`` -1, ``_qa_sock`` None) it stays 0."""
import socket

import pytest

from wirespeed.gateway.native import _path
from wirespeed.gateway.transport import tcp

from .test_fast_path import order, pinned_time  # noqa: F401 (the autouse fixture)
from .test_read_entry import EntryRig

pytestmark = pytest.mark.skipif(tcp.READ_ENTRY is None or not hasattr(socket, "TCP_QUICKACK"),
                                reason="the C read entry is not built, or no TCP_QUICKACK here")


@pytest.fixture
def pingpong():
    """A loopback connection whose accepted end is in delayed-ACK mode (TCP_QUICKACK reads 0)."""
    srv = socket.create_server(("127.0.0.1", 0))
    b = socket.create_connection(srv.getsockname())
    a, _ = srv.accept()
    srv.close()
    for s in (a, b):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def again():
        for _ in range(5):
            b.send(b"x" * 100)
            a.recv(1000)
            a.send(b"y")
            b.recv(10)
        return a.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK)
    yield a, again
    a.close()
    b.close()


def _flag(sock):
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK)


@pytest.mark.parametrize("entry", [True, False], ids=["c_entry", "python_chain"])
def test_a_read_leaves_the_socket_in_quickack_mode_only_when_switched_on(entry, pingpong):
    sock, again = pingpong
    rig = EntryRig(entry)
    rig.read(rig.frame("D", order("first")))       # (the client's first order: Python's)
    proto = rig.protos["CLIENT1"]
    for k, on in enumerate((False, True, False)):
        proto._qa_fd, proto._qa_sock = (sock.fileno(), sock) if on else (-1, None)
        assert again() == 0
        _path.entry_counts()
        rig.read(rig.frame("D", order(f"q{k}")))
        taken, passed = _path.entry_counts()
        assert (taken, passed) == ((1, 0) if entry else (0, 0)), (taken, passed)
        assert _flag(sock) == (1 if on else 0), on
    assert rig.client.fast.orders == 3


def test_the_switch_sets_the_socket_at_connection_made(monkeypatch, pingpong):
    sock, _ = pingpong

    class T:
        def get_extra_info(self, name):
            return sock if name == "socket" else None
    for on in (True, False):
        monkeypatch.setattr(tcp, "QUICKACK", on)
        proto = tcp.FixProtocol(lambda _d: ...)
        proto.connection_made(T())
        assert (proto._qa_fd, proto._qa_sock) == ((sock.fileno(), sock) if on else (-1, None))
