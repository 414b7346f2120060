"""Network paths: loopback TCP relays that inject delay, jitter, bandwidth limits, loss as
retransmission delay, outages, slow close and slicing, with toxiproxy's HTTP API.

    relay = Relay(seed=1)
    path = await relay.create("venue1_a", upstream=f"127.0.0.1:{venue_port}")
    path.add_toxic(ToxicSpec("latency", stream="downstream", attributes={"latency": 0.2, "jitter": 0.05}))
    api = ControlApi(relay); await api.start()      # toxiproxy clients now drive it
"""
from .api import ControlApi
from .proxy import Proxy, ProxyError, Relay
from .timer import TimerConfig
from .toxics import ToxicError, ToxicSpec

__all__ = ["ControlApi", "Proxy", "ProxyError", "Relay", "TimerConfig", "ToxicError", "ToxicSpec"]
