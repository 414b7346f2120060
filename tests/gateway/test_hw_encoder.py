"""The hardware's Enter Order on the wire: an OUCH venue with encoder = "verilator" gets frames
from the Verilated OUCH encoder (gateway/hw_encoder.py), and sim's OUCH venue accepts them."""
import dataclasses

import pytest

from wirespeed.config import VenueConfig, load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.hw_encoder import make_ouch_encoder
from wirespeed.gateway.ouch import enter_order, soup_unsequenced
from wirespeed.gateway.server import Gateway, VenueEndpoint
from wirespeed.sim.venue import SimVenue, VenueSpec
from wirespeed.symbols import table_from_config

from .conftest import run_async

pytestmark = pytest.mark.hw


@run_async(timeout=240)   # the first run Verilates the encoder (minutes on a loaded machine)
async def test_verilated_encoder_frames_reach_the_venue_and_are_accepted():
    config = load_config(overrides={"risk": {"default": {"max_qty": 5000, "collar_ticks": 100}}})
    symbols = table_from_config(config.symbols)
    spec = VenueSpec.from_venue_config(VenueConfig(name="XOUCH", comp_id="XOUCH"), table_from_config(config.symbols[:2]))
    venue = SimVenue(dataclasses.replace(spec, ouch=True))
    await venue.start()
    gateway = Gateway(config, clients=("CLIENT1",), symbols=symbols, venues=[
        VenueEndpoint("XOUCH", "127.0.0.1", venue.ouch_port, "XOUCH", protocol="ouch", username="USER",
                      password="PASS", encoder="verilator")])
    ouch = gateway.initiators["XOUCH"]
    frames = []
    hw_frame = ouch.hw_encoder.frame
    ouch.hw_encoder.frame = lambda order: frames.append((order, hw_frame(order))) or frames[-1][1]
    written = []
    await gateway.start()
    client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gateway.port)
    await client.start()
    try:
        real_write = ouch._write                                    # what goes to transport.write
        ouch._write = lambda message, frame=None: written.append(frame) or real_write(message, frame)
        client.new_order("H1", "MSFT", "1", 10, "409.50")           # rests at the venue
        client.new_order("H2", "AAPL", "2", 25, "191.00")
        for cl in ("H1", "H2"):
            rep = (await client.wait_report(cl))[0]
            assert rep[T.ExecType] == "0" and rep[T.OrdStatus] == "0", rep     # the venue's Accepted -> New
        assert len(frames) == 2
        for order, frame in frames:
            assert frame in written                                 # the hardware's bytes went onto the socket
            assert frame == soup_unsequenced(enter_order(order, ouch.scales[order.symbol]))
        open_at_venue = {(o.symbol, o.qty) for o in venue.core.orders.values() if o.open}
        assert {("MSFT", 10), ("AAPL", 25)} <= open_at_venue
    finally:
        await client.stop()
        await gateway.stop()
        await venue.stop()


def test_unknown_encoder_is_named():
    with pytest.raises(ValueError, match="encoder: must be one of software, verilator, not 'fpga'"):
        make_ouch_encoder("fpga", {})
    assert make_ouch_encoder("software", {}) is None


@pytest.mark.parametrize("kw,message", [({"encoder": "fpga"}, "encoder: must be 'software' or 'verilator', not 'fpga'"),
                                        ({"encoder": "verilator"}, "encoder: 'verilator' encodes OUCH Enter Orders")])
def test_service_config_checks_the_encoder(kw, message):
    from wirespeed.gateway.service_config import VenueSessionConfig
    with pytest.raises(ValueError, match=message):
        VenueSessionConfig(name="V1", port=9000, comp_id="V1", **kw)
    assert VenueSessionConfig(name="V1", port=9000, comp_id="V1", protocol="ouch", username="U",
                              encoder="verilator").encoder == "verilator"
