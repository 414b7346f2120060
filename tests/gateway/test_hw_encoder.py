"""The hardware's frames on the wire: an OUCH venue with encoder = "verilator" gets Enter Orders
from the Verilated OUCH encoder, a FIX venue NewOrderSingles from the Verilated FIX encoder
(gateway/hw_encoder.py), and sim's venues accept them."""
import dataclasses

import pytest

from wirespeed.config import VenueConfig, load_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import Encoder, tags as T
from wirespeed.gateway.fix.orders import new_order_fields, venue_cl_ord_id
from wirespeed.gateway.hw_encoder import make_fix_encoder, make_ouch_encoder
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


@pytest.mark.slow        # the first run Verilates the FIX encoder: minutes (make test-all, make test-hw-long)
@run_async(timeout=900)
async def test_verilated_fix_frames_reach_the_venue_and_are_acknowledged():
    config = load_config(overrides={"risk": {"default": {"max_qty": 5000, "collar_ticks": 100}}})
    symbols = table_from_config(config.symbols)
    venue = SimVenue(VenueConfig(name="XFIX", comp_id="XFIX"), symbols)
    await venue.start()
    gateway = Gateway(config, clients=("CLIENT1",), symbols=symbols,
                      venues=[VenueEndpoint("XFIX", "127.0.0.1", venue.port, "XFIX", sender_comp_id="WIRESPD",
                                            encoder="verilator")])     # (the hardware's CompIDs: 8 characters)
    link = gateway.orders.venues["XFIX"]
    frames = []
    hw_frame = link.fix_encoder.frame
    link.fix_encoder.frame = lambda order, seq, ts: frames.append((order, hw_frame(order, seq, ts))) or frames[-1][1]
    await gateway.start()
    written = []
    real_write = link.session._write                                  # the venue connection's transport write
    link.session._write = lambda raw: written.append(raw) or real_write(raw)
    client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gateway.port)
    await client.start()
    try:
        client.new_order("F1", "MSFT", "1", 10, "409.50")           # rests at the venue
        client.new_order("F2", "AAPL", "2", 25, "191.00")
        for cl in ("F1", "F2"):
            rep = (await client.wait_report(cl))[0]
            assert rep[T.ExecType] == "0" and rep[T.OrdStatus] == "0", rep     # the venue's ack -> New
        assert len(frames) == 2
        sender = link.session.config.sender_comp_id
        for order, frame in frames:
            assert frame in written                                 # the hardware's bytes went onto the socket
            msg = dict(field.split(b"=", 1) for field in frame.split(b"\x01")[:-1])
            seq, ts = int(msg[b"34"]), msg[b"52"].decode()
            assert msg[b"60"].decode() == ts                        # the one timestamp the hardware stamps
            fields = new_order_fields(order, symbols, venue_cl_ord_id(order.order_id), ts)
            assert frame == Encoder("FIX.4.4", sender, "XFIX").encode("D", seq, fields, sending_time=ts)
        open_at_venue = {(o.symbol, o.qty) for o in venue.core.orders.values() if o.open}
        assert {("MSFT", 10), ("AAPL", 25)} <= open_at_venue
        # a symbol the hardware's table was not loaded with is refused by name (the order path
        # then encodes that order in software)
        with pytest.raises(ValueError, match="order.symbol=99: not in the encoder's table"):
            link.fix_encoder.frame(dataclasses.replace(frames[0][0], symbol=99), 9, "20261201-14:00:00.000")
    finally:
        await client.stop()
        await gateway.stop()
        await venue.stop()


def test_fix_encoder_limits_are_named_at_startup():
    table = table_from_config(load_config().symbols)
    with pytest.raises(ValueError, match="encoder: the Verilated FIX encoder's sender: the hardware holds CompIDs of "
                                         "1..8 ASCII characters, not 'WIRESPEED1'"):
        make_fix_encoder("verilator", table, "WIRESPEED1", "XFIX")
    with pytest.raises(ValueError, match="writes FIX.4.4, not 'FIX.4.2'"):
        make_fix_encoder("verilator", table, "WIRESPD", "XFIX", "FIX.4.2")
    with pytest.raises(ValueError, match="encoder: must be one of software, verilator, not 'asic'"):
        make_fix_encoder("asic", table, "WIRESPD", "XFIX")
    assert make_fix_encoder("software", table, "WIRESPD", "XFIX") is None


def test_unknown_encoder_is_named():
    with pytest.raises(ValueError, match="encoder: must be one of software, verilator, not 'fpga'"):
        make_ouch_encoder("fpga", {})
    assert make_ouch_encoder("software", {}) is None


def test_service_config_checks_the_encoder():
    from wirespeed.gateway.service_config import VenueSessionConfig
    with pytest.raises(ValueError, match="encoder: must be 'software' or 'verilator', not 'fpga'"):
        VenueSessionConfig(name="V1", port=9000, comp_id="V1", encoder="fpga")
    assert VenueSessionConfig(name="V1", port=9000, comp_id="V1", protocol="ouch", username="U",
                              encoder="verilator").encoder == "verilator"
    assert VenueSessionConfig(name="V1", port=9000, comp_id="V1", encoder="verilator").encoder == "verilator"   # FIX
