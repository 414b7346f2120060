"""Drive the cocotb + Verilator run of OrderTx (OUCH encoder + EthTx) into cocotbext-eth's MAC model."""
import pytest

from wirespeed.hw.eth.order_tx import OrderTx
from wirespeed.hw.toolchain import BUILD_DIR, REPO_ROOT, run_cocotb, write_verilog

pytestmark = pytest.mark.hw


def test_ouch_orders_through_the_mac_model():
    top = "ouch_eth_tx"
    src = write_verilog(OrderTx("ouch", depth=16), top, out_dir=BUILD_DIR / "sim-src")   # a stable path: the build is reused
    run_cocotb(verilog_path=src, top=top, test_module="tests.hw.tb.ouch_eth_tx_tb", test_dir=REPO_ROOT,
               build_name="ouch_eth_tx_d16", extra_env={"WS_ORDERS": "120"})
