import pytest

from wirespeed.sim.backtest.sweep import SweepError, SweepSpec, load_spec, run_sweep, tasks, write_results

SMALL = SweepSpec(algorithms=("twap", "pov"), seeds=(1, 2), start=5.0, minutes=5.0,
                  params={"pov": {"rate": [0.05, 0.1]}})


def test_grid_of_tasks():
    ts = tasks(SMALL)
    assert len(ts) == 2 * 1 + 2 * 2
    assert {t["params"].get("rate") for t in ts if t["algo"] == "pov"} == {0.05, 0.1}


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
