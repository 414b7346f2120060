"""bench/send_flags.py (the venue write's system call alone, per way of making it) runs and times
every way it names, each send answered before the next (a short run: the figures are the bench's,
nothing is asserted about them)."""
from wirespeed.gateway.bench import send_flags


def test_every_way_is_timed_for_every_send():
    times = send_flags.run(40, block=20)
    assert set(times) == set(send_flags.WAYS)
    for name, values in times.items():
        assert len(values) == 40 and all(v > 0 for v in values), name
