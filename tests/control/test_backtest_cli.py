from wirespeed.cli import main


def test_backtest_command_prints_report_and_baselines_and_writes_plots(tmp_path, capsys):
    rc = main(["backtest", "--algo", "twap", "--day", "stylised", "--start", "5", "--minutes", "8",
               "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "TCA twap-1 (twap)" in out and "arrival slippage" in out
    for name in ("naive-immediate", "naive-twap"):
        assert name in out
    assert len(list(tmp_path.glob("*.png"))) == 4 and (tmp_path / "twap-1_tape.csv").exists()


def test_backtest_command_refuses_bad_input_with_the_reason(tmp_path, capsys):
    assert main(["backtest", "--algo", "fast", "--day", "stylised", "--out", str(tmp_path)]) == 2
    assert "unknown algorithm 'fast'" in capsys.readouterr().out
    assert main(["backtest", "--day", "nowhere", "--out", str(tmp_path)]) == 2
    assert "unknown day 'nowhere'" in capsys.readouterr().out
    assert main(["backtest", "--algo", "pov", "--param", "rate=0", "--day", "stylised", "--out", str(tmp_path)]) == 2
    assert "participation rate must be in (0, 1]" in capsys.readouterr().out
