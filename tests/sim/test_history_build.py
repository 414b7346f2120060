"""``wirespeed algo history``: the desk's history files built from recorded days (sim/market/history.py),
each value checked against a direct computation on a small known input; bad input names the file,
the line and the field."""
import math

import pytest

from wirespeed.cli import main
from wirespeed.control.live.history import SymbolHistory
from wirespeed.sim.market.history import HistoryInputError, build

# day 1: two visible executions in the first bin, a hidden one in the second, the closing cross
DAY1 = """34200.000000000,1,9,300,999900,1
34200.500000000,4,1,100,1000000,-1
34300.000000000,4,2,200,1000200,1
36000.000000000,5,3,50,1000100,-1
57600.000000000,6,0,150,1000000,1
"""
DAY2 = """34200.500000000,4,1,100,1000000,-1
34201.500000000,4,2,100,1000100,1
"""
BOOK1 = """1000100,10,999900,10
1000300,5,1000000,5
9999999999,0,999900,3
"""


def day(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_one_day_with_its_orderbook(tmp_path):
    msg = day(tmp_path, "ABC_2026-01-02_34200000_57600000_message_1.csv", DAY1)
    day(tmp_path, "ABC_2026-01-02_34200000_57600000_orderbook_1.csv", BOOK1)
    h = build([msg])["ABC"]
    assert h.volume == 500
    assert h.bins[0] == pytest.approx(300 / 500) and h.bins[1] == pytest.approx(50 / 500)
    assert sum(h.bins[2:]) == 0 and h.auction == pytest.approx(150 / 500)
    # ticks of $0.01: 10000, 10002, 10001 -> squared changes 4 + 1 over 36000 - 34200.5 s
    assert h.sigma_ticks == pytest.approx(math.sqrt(5 / 1799.5))
    assert h.half_spread_ticks == pytest.approx((1.0 + 1.5) / 2)     # the empty-ask row left out


def test_two_days_averaged_and_the_spread_from_executions_without_a_book(tmp_path):
    d1 = day(tmp_path, "ABC_2026-01-02_34200000_57600000_message_1.csv", DAY1)
    d2 = day(tmp_path, "ABC_2026-01-03_34200000_57600000_message_1.csv", DAY2)
    h = build([d1, d2])["ABC"]
    assert h.volume == (500 + 200) / 2
    assert h.bins[0] == pytest.approx((0.6 + 1.0) / 2) and h.bins[1] == pytest.approx(0.05)
    assert h.auction == pytest.approx(0.15)
    assert h.sigma_ticks == pytest.approx(math.sqrt((5 + 1) / (1799.5 + 1.0)))
    # consecutive executions against opposite sides: |2|/2, |1|/2 on day 1, |1|/2 on day 2
    assert h.half_spread_ticks == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_the_command_writes_files_the_desk_loads(tmp_path, capsys):
    msg = day(tmp_path, "ABC_2026-01-02_34200000_57600000_message_1.csv", DAY1)
    out = tmp_path / "hist"
    assert main(["algo", "history", "--from", f"lobster:{msg}", "--out", str(out)]) == 0
    loaded = SymbolHistory.load(out / "ABC.toml", "ABC")
    assert loaded == build([msg])["ABC"]
    assert "ABC.toml: ABC volume 500" in capsys.readouterr().out


def test_bad_input_names_the_file_line_and_field(tmp_path, capsys):
    bad = day(tmp_path, "ABC_2026-01-02_34200000_57600000_message_1.csv", DAY1.replace(",200,1000200", ",x,1000200"))
    with pytest.raises(HistoryInputError, match=r"message_1\.csv:3: size 'x' is not an integer"):
        build([bad])
    msg = day(tmp_path, "XYZ_2026-01-02_34200000_57600000_message_1.csv", DAY1)
    day(tmp_path, "XYZ_2026-01-02_34200000_57600000_orderbook_1.csv", BOOK1.replace("1000300", "1O00300"))
    with pytest.raises(HistoryInputError, match=r"orderbook_1\.csv:2: ask price 1: '1O00300' is not an integer"):
        build([msg])
    only_adds = day(tmp_path, "QQ_2026-01-02_34200000_57600000_message_1.csv", "34200.0,1,1,10,1000000,1\n")
    with pytest.raises(HistoryInputError, match="no executions"):
        build([only_adds])
    assert main(["algo", "history", "--from", "parquet:x", "--out", str(tmp_path)]) == 2
    assert "--from 'parquet:x': must be lobster:PATH or csv:PATH" in capsys.readouterr().err
    assert main(["algo", "history", "--from", f"lobster:{tmp_path / 'none.csv'}", "--out", str(tmp_path)]) == 2
    assert "none.csv: cannot read" in capsys.readouterr().err


def test_bytes_that_are_not_ascii_and_an_unreadable_book_name_the_file(tmp_path):
    msg = day(tmp_path, "ABC_2026-01-02_34200000_57600000_message_1.csv", DAY1)
    book = tmp_path / "ABC_2026-01-02_34200000_57600000_orderbook_1.csv"
    book.write_bytes(BOOK1.encode() + b"\xff\xfe,1,2,3\n")
    with pytest.raises(HistoryInputError, match=r"orderbook_1\.csv:\d+: byte 0xff at column 1 is not ASCII"):
        build([str(msg)])
    book.unlink()
    book.mkdir()                                   # there, but not a file that can be read
    with pytest.raises(HistoryInputError, match=r"orderbook_1\.csv: cannot read"):
        build([str(msg)])
    bad = tmp_path / "XYZ_2026-01-02_34200000_57600000_message_1.csv"
    bad.write_bytes(DAY1.encode().replace(b"1000200", b"10\xff0200"))
    with pytest.raises(HistoryInputError, match=r"XYZ_2026-01-02_34200000_57600000_message_1\.csv: not ASCII text"):
        build([str(bad)])
