"""The sim bench runs, and doubles as a differential test of the engine against a plain book."""
from wirespeed.sim.bench import ReferenceBook, bench_engine, commands, engine_state, run_engine, run_reference


def test_engine_and_reference_book_agree_on_the_benchmark_mix():
    cmds = commands(20_000, resting=300, seed=4)
    _, book = run_engine(cmds)
    _, ref = run_reference(cmds)
    assert engine_state(book) == ref.state() and 200 < len(book) < 400
    kinds = {c[0] for c in cmds}
    assert kinds == {0, 1, 2, 3}


def test_reference_book_reports_fills_in_price_time_order():
    ref = ReferenceBook()
    ref.place(1, __import__("wirespeed.enums").enums.Side.SELL, 101, 5)
    ref.place(2, __import__("wirespeed.enums").enums.Side.SELL, 100, 5)
    fills = ref.place(3, __import__("wirespeed.enums").enums.Side.BUY, 101, 7, True)
    assert fills == [(3, 2, 100, 5), (3, 1, 101, 2)]


def test_bench_engine_reports_rates():
    r = bench_engine(n=5_000, repeats=1)
    assert r["ops"] == 5_000 and r["engine_ops_s"] > 0 and r["reference_ops_s"] > 0
