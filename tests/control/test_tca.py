import pytest

from wirespeed.control.tca.metrics import analyse
from wirespeed.control.tca.plots import write_plots
from wirespeed.control.tca.report import comparison_table, text_report
from wirespeed.control.tca.tape import (AckRecord, ChildRecord, DoneRecord, ExecRecord, MarketRecord, ParentRecord,
                                        ScheduleRecord, Tape)

S = 1_000_000_000


def hand_tape() -> Tape:
    t = Tape()
    t.add(ParentRecord(-5 * S, "P", "XYZ", 1, 1000, 0, 100 * S, 0, "twap", 100.0))
    t.add(MarketRecord(0, "", 101.0, 0))
    t.add(ChildRecord(1 * S, "P.1@A", "P.1", "P", "twap", "A", 1, 700, 102, 0, "best price"))
    t.add(ChildRecord(1 * S, "P.1@B", "P.1", "P", "twap", "B", 1, 300, 103, 0, "depth"))
    t.add(AckRecord(1 * S + 100_000, "P.1@A", "A", 100_000))
    t.add(AckRecord(1 * S + 300_000, "P.1@B", "B", 300_000))
    t.add(ScheduleRecord(10 * S, "P", 300.0))
    t.add(ExecRecord(20 * S, "P.1@A", "P.1", "P", "A", 600, 102, 300.0))
    t.add(MarketRecord(20 * S, "A", 102.0, 600))
    t.add(MarketRecord(25 * S, "A", 101.0, 1200))
    t.add(ScheduleRecord(30 * S, "P", 500.0))
    t.add(MarketRecord(50 * S, "", 103.0, 0))
    t.add(ExecRecord(60 * S, "P.1@B", "P.1", "P", "B", 200, 103, -40.0))
    t.add(MarketRecord(60 * S, "B", 103.0, 200))
    t.add(ScheduleRecord(70 * S, "P", 1000.0))
    t.add(DoneRecord(80 * S, "P.1@A", "A", 100, "cancelled"))
    t.add(DoneRecord(80 * S, "P.1@B", "B", 100, "venue reject", True))
    t.add(MarketRecord(100 * S, "", 104.0, 0))
    return t


def test_tca_arithmetic_hand_checked():
    r = analyse(hand_tape(), "P")
    assert r.filled == 800 and r.fill_rate == pytest.approx(0.8)
    assert r.avg_px == pytest.approx(102.25)
    assert (r.decision_mid, r.arrival_mid, r.end_mid) == (100.0, 101.0, 104.0)
    assert r.slippage_bps == pytest.approx((102.25 - 101) / 101 * 1e4)
    assert (r.delay_cost, r.impact_cost, r.opportunity_cost, r.fees, r.rebates) == \
        pytest.approx((800, 1000, 800, 260, -40))
    assert r.bps(r.shortfall) == pytest.approx(286.0)
    assert r.market_twap == pytest.approx(102.0)
    assert r.market_vwap == pytest.approx(101.5)
    assert r.twap_tracking_bps == pytest.approx(0.25 / 102 * 1e4)
    assert r.participation == pytest.approx(0.4)
    assert r.schedule_gap == 300 and r.schedule_gap_frac == pytest.approx(0.3)
    assert (r.latency_p50_us, r.children) == (pytest.approx(200.0), 1)
    a, b = r.venues
    assert (a.venue, a.sent, a.filled, a.avg_px, a.fees, a.rejects) == ("A", 700, 600, 102, 300.0, 0)
    assert (b.venue, b.filled, b.fill_rate, b.rejects) == ("B", 200, pytest.approx(2 / 3), 1)


def test_sell_side_costs_have_the_opposite_sign():
    t = Tape()
    t.add(ParentRecord(0, "S", "XYZ", 2, 100, 0, 10 * S, 0, "pov", 100.0))
    t.add(MarketRecord(0, "", 100.0, 0))
    t.add(ExecRecord(1 * S, "S.1", "S.1", "S", "A", 100, 99, 0.0))
    r = analyse(t, "S")
    assert r.slippage_bps == pytest.approx(100.0) and r.impact_cost == pytest.approx(100.0)


def test_report_plots_and_tape_round_trip(tmp_path):
    tape = hand_tape()
    r = analyse(tape, "P")
    text = text_report(r, tick=0.01)
    assert "arrival slippage" in text and "implementation shortfall" in text and "A " in text
    assert "twap" in comparison_table([r, r])
    files = write_plots(tape, "P", tmp_path)
    assert len(files) == 4 and all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in files)
    tape.write_csv(tmp_path / "tape.csv")
    again = Tape.read_csv(tmp_path / "tape.csv")
    assert again.records == tape.records
    assert analyse(again, "P") == r


def test_bad_tape_names_line_and_field(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("exec,1,o,c,P,A,10,notaprice,0.0\n")
    with pytest.raises(ValueError, match=r"bad.csv:1: exec.price: cannot read 'notaprice'"):
        Tape.read_csv(p)
    p.write_text("parent,1\n")
    with pytest.raises(ValueError, match=r":1: parent needs 10 fields"):
        Tape.read_csv(p)
    with pytest.raises(KeyError, match="no parent"):
        analyse(Tape(), "P")


def test_a_replaced_parent_is_reported_whole_and_per_plan():
    t = Tape()
    for rec in hand_tape().records:
        if getattr(rec, "ts_ns", 0) > 40 * S and not any(isinstance(r, ParentRecord) and r.ts_ns == 40 * S
                                                         for r in t.records):
            # at 40 s a replace: the new plan works 900 more (total 1,500) to 120 s, the mid 101 then
            t.add(ParentRecord(40 * S, "P", "XYZ", 1, 900, 40 * S, 120 * S, 0, "twap", 101.0))
        t.add(rec)
    r = analyse(t, "P")
    assert (r.qty, r.filled, r.arrival_mid, r.end_mid) == (1500, 800, 101.0, 104.0)   # whole: the new total
    assert r.opportunity_cost == pytest.approx((104 - 100) * 700)
    one, two = r.segments
    assert (one.start_ns, one.end_ns, one.qty, one.filled, one.avg_px) == (0, 40 * S, 1000, 600, 102.0)
    assert (two.start_ns, two.end_ns, two.qty, two.filled, two.avg_px) == (40 * S, 120 * S, 900, 200, 103.0)
    assert two.fill_rate == pytest.approx(200 / 900) and one.fill_rate == pytest.approx(0.6)
    assert (one.arrival_mid, two.arrival_mid) == (101.0, 101.0)
    assert two.slippage_bps == pytest.approx(2 / 101 * 1e4) and one.slippage_bps == pytest.approx(1 / 101 * 1e4)
    assert (one.schedule_gap, two.schedule_gap) == (300, 200)
    text = text_report(r)
    assert "plan  from (s)" in text and "     2      40.0      900       200   22.2%" in text
    assert len(analyse(hand_tape(), "P").segments) == 1 and "plan  from" not in text_report(analyse(hand_tape(), "P"))


def test_a_fill_stamped_at_the_replaces_own_nanosecond_belongs_to_the_plan_before_it():
    """The desk takes such a fill off what the new plan works (a simulated clock gives ties):
    the whole parent and the segments must count it once, on the old plan's side."""
    t = Tape()
    t.add(MarketRecord(0, "X", 100.0, 0))
    t.add(ParentRecord(0, "P", "MSFT", 1, 1000, 0, 100, 0, "twap", 100.0))
    t.add(ExecRecord(50, "o1", "c1", "P", "X", 300, 100, 0.0))
    t.add(ParentRecord(50, "P", "MSFT", 1, 700, 50, 200, 0, "twap", 100.0))     # 700 left of 1,000
    t.add(ExecRecord(150, "o2", "c2", "P", "X", 700, 100, 0.0))
    r = analyse(t, "P")
    assert (r.qty, r.filled, r.fill_rate) == (1000, 1000, 1.0)
    assert [(s.qty, s.filled) for s in r.segments] == [(1000, 300), (700, 700)]
