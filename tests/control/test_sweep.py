import pytest

from wirespeed.sim.backtest.sweep import SweepError, SweepSpec, batches, load_spec, run_sweep, tasks, write_results

SMALL = SweepSpec(algorithms=("twap", "pov"), seeds=(1, 2), start=5.0, minutes=5.0,
                  params={"pov": {"rate": [0.05, 0.1]}})


def test_grid_of_tasks():
    ts = tasks(SMALL)
    assert len(ts) == 2 * 1 + 2 * 2
    assert {t["params"].get("rate") for t in ts if t["algo"] == "pov"} == {0.05, 0.1}


def test_one_dask_task_per_day_and_seed_holding_every_algorithm_and_setting():
    ts = tasks(SMALL)
    groups = batches(ts)
    assert sorted(i for g in groups for i in g) == list(range(len(ts)))
    assert [{(ts[i]["day"], ts[i]["seed"]) for i in g} for g in groups] == [{("stylised", 1)}, {("stylised", 2)}]
    assert all(sorted(ts[i]["algo"] for i in g) == ["pov", "pov", "twap"] for g in groups)


def test_small_sweep_same_numbers_serially_and_on_a_two_worker_local_cluster(tmp_path):
    serial = run_sweep(SMALL, serial=True)
    cluster = run_sweep(SMALL, workers=2)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]  # noqa: E731
    assert strip(serial) == strip(cluster)
    assert all(r["fill_rate"] > 0 for r in serial)
    path = write_results(cluster, tmp_path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("day,algo,seed,params") and len(lines) == 1 + len(cluster)
    assert (tmp_path / "summary.png").exists()
    # the Parquet file reads back (pyarrow's reader) with the same rows as the CSV
    import pyarrow.parquet as pq
    back = pq.read_table(tmp_path / "results.parquet").to_pylist()
    assert [(r["algo"], r["seed"], r["params"], r["filled"]) for r in back] == \
        [(r["algo"], r["seed"], r["params"], r["filled"]) for r in cluster]
    assert [r["slippage_bps"] for r in back] == [r["slippage_bps"] for r in cluster]
    assert back[0]["expected_cost"] is None


@pytest.mark.parametrize("text, message", [
    ("[sweep]\nseeds = [1, 'two']\n", "sweep.seeds[1]: must be an integer"),
    ("[sweep]\nalgorithms = ['twap', 'fast']\n", "sweep.algorithms[1]: unknown algorithm 'fast'"),
    ("[sweep]\nspeed = 3\n", "sweep.speed: unknown key"),
    ("[sweep]\nalgorithms = ['pov']\n[params.pov]\nrat = 0.1\n", "params.pov.rat: not a setting of pov"),
    ("[sweep]\nalgorithms = ['pov']\n[params.twap]\nseed = 1\n", "params.twap: not one of the sweep's algorithms"),
    ("[sweeps]\n", "sweeps: unknown table"),
    ("[sweep\n", "not valid TOML"),
])
def test_malformed_spec_names_the_key(tmp_path, text, message):
    p = tmp_path / "s.toml"
    p.write_text(text)
    with pytest.raises(SweepError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_spec(p)


def test_net_slippage_takes_the_days_own_move_out_of_arrival_slippage():
    from types import SimpleNamespace as NS

    from wirespeed.control.tca.tape import ExecRecord, Tape
    from wirespeed.sim.backtest.counterfactual import net_cost, net_move, net_slippage_bps
    tape = Tape()
    # a buy of 300 at arrival mid 1000: 100 at 1001 at t=10 (the day's own mid then 1000),
    # 200 at 1006 at t=20 (the day's own mid had risen to 1004)
    for ts, q, px in ((10, 100, 1001), (20, 200, 1006)):
        tape.add(ExecRecord(ts, "o", "c", "p", "V", q, px, 1.0))
    path = lambda t: 1000.0 if t < 15 else 1004.0  # noqa: E731
    slip = (100 * 1 + 200 * 6) / 300 / 1000 * 1e4
    res = NS(tca=NS(sign=1, filled=300, arrival_mid=1000.0, slippage_bps=slip, fees=3.0),
             algo=NS(parent=NS(start_ns=0)), tape=tape)
    assert net_move(res, path) == 200 * 4
    assert net_slippage_bps(res, path) == pytest.approx((100 * 1 + 200 * 2) / 300 / 1000 * 1e4)
    assert net_cost(res, path) == pytest.approx(100 * 1 + 200 * 2 + 3.0)
