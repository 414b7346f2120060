"""gateway/bench/path_stages.py: the fast path's stages stamped one by one over real loopback sockets."""
import pytest

from wirespeed.gateway import native
from wirespeed.gateway.bench import path_stages

pytestmark = pytest.mark.skipif(native._path is None or native._risk is None, reason="gateway/native not built")


@pytest.mark.parametrize("c_send", [True, False])
def test_every_order_and_fill_takes_the_fast_paths_and_its_stages_add_up(c_send):
    client, report = path_stages.run(40, c_send)
    assert [len(v) for v in client] == [40] * len(path_stages.CLIENT_STAGES)
    assert [len(v) for v in report] == [40] * len(path_stages.REPORT_STAGES)
    for k in range(40):
        stages = [v[k] for v in client]
        assert all(s > 0 for s in stages), stages
        # received -> venue written is the stages up to and with the write
        assert stages[-1] == sum(stages[:5])
        rstages = [v[k] for v in report]
        assert all(s >= 0 for s in rstages)
        if c_send:       # written inside the C call
            assert rstages[2] == rstages[3] == 0 and rstages[-1] <= rstages[0] + rstages[1]
        else:
            assert rstages[-1] == sum(rstages[:4])
