"""FIX session timers in accelerated time over real loopback sockets: a gateway acceptor and
initiator (and a silent raw peer) whose HeartBtInt / TestRequest / disconnect timers run on a
SimClock (discrete events) or a ScaledClock (real time sped up), so simulated days see the
session protocol at simulated-time intervals."""
import asyncio
import time

from wirespeed.clock import ScaledClock, SimClock
from wirespeed.gateway.acceptor import FixAcceptor
from wirespeed.gateway.apps import EchoApp
from wirespeed.gateway.fix.parser import FixParser
from wirespeed.gateway.initiator import FixInitiator
from wirespeed.gateway.session import Session, SessionConfig

HB = 30      # HeartBtInt, simulated seconds
DAY = 1_780_000_000 * 10 ** 9


class Logged(Session):
    """A session that notes the simulated time of every message it sends."""

    def __init__(self, *a, clock_ns, **kw):
        super().__init__(*a, **kw)
        self.sent_at, self._clock_ns = [], clock_ns

    def _send_raw(self, msg_type, fields, header_extra=()):
        self.sent_at.append((msg_type, self._clock_ns() / 1e9))
        return super()._send_raw(msg_type, fields, header_extra)


def _frame(body: str) -> bytes:
    msg = f"8=FIX.4.4\x019={len(body)}\x01{body}".encode()
    return msg + b"10=%03d\x01" % (sum(msg) % 256)


def _logon() -> bytes:
    now = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()) + ".000"
    return _frame(f"35=A\x0149=PEER\x0156=VENUE\x0134=1\x0152={now}\x0198=0\x01108={HB}\x01")


async def _silent_peer(port: int, clock) -> list[tuple[str, float]]:
    """Logs on, then says nothing: the (MsgType, simulated second) of what it gets, then EOF."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    t0 = clock.time_ns()
    writer.write(_logon())
    parser, got = FixParser(8192), []
    while True:
        data = await reader.read(65536)
        at = (clock.time_ns() - t0) / 1e9
        if not data:
            got.append(("EOF", at))
            break
        parser.feed(data)
        while (msg := parser.poll()) is not None:
            got.append((msg.msg_type, at))
    writer.close()
    return got


def _venue(clock, *, tick_on_clock=False):
    ns = clock.monotonic_ns
    session = Logged(SessionConfig("VENUE", "PEER", heartbeat_s=HB), EchoApp(), clock=lambda: ns() / 1e9,
                     clock_ns=ns)
    # On a SimClock's own loop asyncio's time is the clock's already; a ScaledClock runs on a
    # real loop, so the acceptor's timer must tick on the clock itself.
    acceptor = FixAcceptor(sessions={"PEER": session})
    if tick_on_clock:
        acceptor.clock = clock
    return acceptor, session


def _check_silent_peer(got, slack=0.0):
    """Heartbeat after HeartBtInt, TestRequest at 1.2x silence, disconnect HeartBtInt after it
    (the timers tick once a simulated second; ``slack``: simulated seconds a real-time clock's
    late wake-ups may add on a loaded machine)."""
    kinds = [k for k, _ in got]
    assert kinds[:3] == ["A", "0", "1"] and kinds[-1] == "EOF", got
    at = dict((k, t) for k, t in reversed(got))        # first time of each
    assert HB <= at["0"] <= HB + 2 + slack
    assert 1.2 * HB <= at["1"] <= 1.2 * HB + 2 + slack
    assert at["1"] + HB <= got[-1][1] <= at["1"] + HB + 2.5 + slack


def test_a_silent_peer_is_tested_and_disconnected_on_the_simulated_clock():
    clock = SimClock.at_day(DAY, "09:30")

    async def main():
        acceptor, session = _venue(clock)
        port = await acceptor.start()
        real0 = time.perf_counter()
        got = await _silent_peer(port, clock)
        real = time.perf_counter() - real0
        await acceptor.stop()
        return got, real, session
    got, real, session = clock.run_async(main())
    _check_silent_peer(got)
    assert session.last_error == "no answer to TestRequest"
    assert real < got[-1][1] / 10, "simulated minutes pass in a fraction of the real time"


def test_acceptor_and_initiator_heartbeat_at_simulated_intervals():
    clock = SimClock.at_day(DAY, "09:30")
    ns = clock.monotonic_ns

    async def main():
        acceptor, venue = _venue(clock)
        port = await acceptor.start()
        client = Logged(SessionConfig("PEER", "VENUE", role="initiator", heartbeat_s=HB), EchoApp(),
                        clock=lambda: ns() / 1e9, clock_ns=ns)
        initiator = FixInitiator(client, "127.0.0.1", port, reconnect=False)
        await initiator.start()
        assert await initiator.wait_logged_on(5)
        await clock.sleep(10 * HB + 5)                 # five simulated minutes of idle session
        await initiator.stop()
        await acceptor.stop()
        return venue, client
    venue, client = clock.run_async(main())
    for s in (venue, client):
        beats = [t for k, t in s.sent_at if k == "0"]
        assert len(beats) == 10, s.sent_at
        gaps = [b - a for a, b in zip(beats, beats[1:])]
        assert all(HB <= g <= HB + 1.01 for g in gaps), gaps
        assert not any(k == "1" for k, _ in s.sent_at), "both sides heartbeat: nobody goes silent"


def test_scaled_clock_ticks_the_session_timers_in_its_time():
    async def main():
        clock = ScaledClock(60.0)                      # a simulated minute a real second
        acceptor, session = _venue(clock, tick_on_clock=True)
        port = await acceptor.start()
        got = await asyncio.wait_for(_silent_peer(port, clock), 10)
        await acceptor.stop()
        return got, session
    got, session = asyncio.run(main())
    _check_silent_peer(got, slack=4.0)          # (4 simulated s = 67 ms of real time at 60x)
    assert session.last_error == "no answer to TestRequest"
