"""LOBSTER / CSV message files: read, written, replayed into an engine with a user's orders."""
import numpy as np
import pytest

from wirespeed.clock import SimClock
from wirespeed.enums import Side
from wirespeed.sim.book import BookOrder
from wirespeed.sim.engine import MatchingEngine
from wirespeed.sim.market.lobster import (CSV_HEADER, LobsterWriter, MessageFileError, read_messages,
                                          write_messages)
from wirespeed.sim.market.replay import Replay, ReplayError
from wirespeed.sim.market.sample import (SAMPLE_CONFIG, SAMPLE_PRICE_SCALE, SAMPLE_SYMBOL, load_sample,
                                         record_day, sample_path)
from wirespeed.sim.market.synthetic import DEFAULT_DAY_NS, SyntheticMarket

NS = 10**9


def levels(book):
    return {(s, p): [o.qty for o in book.orders_at(s, p)] for s in (Side.BUY, Side.SELL) for p, _ in book.depth(s, 999)}


def replay_engine(rows, until_s):
    clock = SimClock(DEFAULT_DAY_NS + 34_200 * NS - 1)
    eng = MatchingEngine("R", [SAMPLE_SYMBOL], clock=clock)
    rep = Replay(eng, rows, price_scale=SAMPLE_PRICE_SCALE)
    rep.start()
    clock.run_until(DEFAULT_DAY_NS + until_s * NS)
    return eng, rep, clock


def test_sample_day_is_small_and_is_what_its_seed_generates():
    import os
    assert os.path.getsize(sample_path()) < 1_000_000
    _, rows = record_day(SAMPLE_CONFIG)
    assert load_sample() == rows and len(rows) > 5_000


def test_lobster_columns_agree_with_numpy_reading_the_same_file():
    ours = load_sample()
    arr = np.loadtxt(sample_path(), delimiter=",")
    assert arr.shape == (len(ours), 6)
    assert np.allclose(arr[:, 0], [m.ts_ns / NS for m in ours], atol=1e-6)
    assert (arr[:, 1:].astype(np.int64) == np.array([(m.type, m.order_id, m.size, m.price, m.direction)
                                                     for m in ours])).all()


def test_replay_rebuilds_the_recorded_book_midday_and_at_the_close():
    market = SyntheticMarket(SAMPLE_CONFIG)
    writer = LobsterWriter(SAMPLE_PRICE_SCALE)
    market.engine.subscribe(writer)
    market.start()
    market.clock.run_until(DEFAULT_DAY_NS + 43_200 * NS)          # noon
    noon_book = levels(market.engine.book(SAMPLE_SYMBOL))
    noon_rows = list(writer.rows)
    eng, rep, _ = replay_engine(noon_rows, 43_200)
    assert levels(eng.book(SAMPLE_SYMBOL)) == noon_book and len(noon_book) >= 6
    assert rep.skipped == 0 and rep.done
    # the whole shipped day: its volume profile comes back from the replay
    eng, rep, _ = replay_engine(load_sample(), 57_600)
    prof = rep.profile(SAMPLE_SYMBOL)
    assert abs(sum(prof.bins) + prof.auction - 1) < 1e-9 and prof.auction > 0.03
    vol = sum(q for _, q in rep.trades[SAMPLE_SYMBOL])
    assert vol == sum(m.size for m in load_sample() if m.type == 4)


def test_a_users_order_ahead_of_the_record_trades_first():
    rows = load_sample()
    first_exec = next(m for m in rows if m.type == 4)
    eng, rep, clock = replay_engine(rows, first_exec.ts_ns // NS - 1)
    book = eng.book(SAMPLE_SYMBOL)
    # The user improves on the side the recorded execution will hit, by one tick.
    resting_side = Side.BUY if first_exec.direction == 1 else Side.SELL
    price = first_exec.price // SAMPLE_PRICE_SCALE + (1 if resting_side == Side.BUY else -1)
    fills = []

    class Me:
        def on_fill(self, trade, maker):
            fills.append(trade)
    mine = BookOrder(eng.next_id(), resting_side, price, 100, owner=Me(), participant="me")
    res = book.submit(mine)
    assert res.rested
    clock.run_until(DEFAULT_DAY_NS + first_exec.ts_ns + 1)
    assert mine.filled > 0 and mine.filled == min(100, first_exec.size)


@pytest.mark.parametrize("line, problem", [
    ("34200.5,1,7,100,5853300", "5 columns, a LOBSTER message row has 6"),
    ("34200.5,9,7,100,5853300,1", "type 9 is not a LOBSTER event type"),
    ("34200.5,1,7,abc,5853300,1", "size 'abc' is not an integer"),
    ("34200.5,1,7,100,5853300,0", "direction 0 must be 1 \\(buy\\) or -1 \\(sell\\)"),
    ("9:30,1,7,100,5853300,1", "time '9:30' is not seconds after midnight"),
    ("34200.5,1,7,0,5853300,1", "size 0 must be positive"),
    ("34199.0,1,7,100,5853300,1", "time 34199.0 is before the previous row.s"),
])
def test_a_malformed_row_names_file_line_and_problem(tmp_path, line, problem):
    path = tmp_path / "AAPL_2012-06-21_34200000_57600000_message_10.csv"
    path.write_text("34200.0,1,1,100,5853300,1\n" + line + "\n")
    with pytest.raises(MessageFileError, match=f"{path}:2: {problem}"):
        list(read_messages(str(path)))


def test_wirespeed_csv_carries_symbols_and_round_trips(tmp_path):
    rows = [m._replace(symbol="S1" if i % 2 else "S2") for i, m in enumerate(load_sample()[:200])]
    path = tmp_path / "day.csv"
    write_messages(str(path), rows, csv=True)
    assert path.read_text().splitlines()[0] == CSV_HEADER
    assert list(read_messages(str(path))) == rows
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_HEADER + "\n34200.0,,1,1,100,5853300,1\n")
    with pytest.raises(MessageFileError, match="bad.csv:2: empty symbol"):
        list(read_messages(str(bad)))
    # the LOBSTER reader takes the ticker from the file name
    path2 = tmp_path / "MSFT_2012-06-21_34200000_57600000_message_1.csv"
    write_messages(str(path2), rows[:3])
    assert {m.symbol for m in read_messages(str(path2))} == {"MSFT"}


def test_replay_refuses_rows_it_cannot_place():
    rows = load_sample()[:10]
    eng = MatchingEngine("R", ["OTHER"], clock=SimClock(0))
    with pytest.raises(ReplayError, match="symbol 'SIMA' has no book at venue R"):
        Replay(eng, rows)
    eng = MatchingEngine("R", [SAMPLE_SYMBOL], clock=SimClock(0))
    with pytest.raises(ReplayError, match="is not on the tick \\(300 LOBSTER units\\)"):
        Replay(eng, rows, price_scale=300)
