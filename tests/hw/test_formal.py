"""Bounded proofs (hw/verify/formal.py): the pipeline decides as an unpipelined reference does,
over any configuration and any sequence of orders and fills, and its latency is fixed.
The small bound runs in make test; one order in flight ahead (with and without backpressure, the
covers) and the mutants that the proof must refute run in make test-hw-formal; two orders ahead
in make test-hw-formal-deep (hours)."""
import pytest

from wirespeed.hw.risk.pipeline import LATENCY
from wirespeed.hw.verify import formal
from wirespeed.reasons import RejectReason as R

pytestmark = pytest.mark.hw


def test_first_decision_equals_the_reference_at_fixed_latency(tmp_path):
    """make test: any configuration, any first order (and fill): its decision equals the
    reference's, exactly LATENCY cycles after it is taken (the solver's cost grows steeply with
    each order in flight, so the orders behind it are left to make test-hw-formal)."""
    log = formal.prove(formal.Bounds(steps=LATENCY, backpressure=False), workdir=tmp_path)
    assert "PASSED" in log


@pytest.mark.slow
@pytest.mark.formal
def test_decisions_equal_the_reference_and_latency_is_fixed(tmp_path):
    """Every order with one order and fill ahead of it in flight."""
    log = formal.prove(formal.Bounds(steps=LATENCY + 1, backpressure=False), workdir=tmp_path, timeout=3600)
    assert "PASSED" in log


@pytest.mark.slow
@pytest.mark.formal
def test_under_backpressure_and_every_cover_is_reached(tmp_path):
    """The same bound with o.ready free (stalls), and the covers (an accept; a reject for
    duplicate, position, credit, rate, reduce-only) reached within it: the proof is not vacuous."""
    formal.prove(formal.Bounds(steps=LATENCY + 1, backpressure=True), workdir=tmp_path, cover=True, timeout=3600)


@pytest.mark.slow
@pytest.mark.formal_deep
@pytest.mark.parametrize("backpressure", [False, True], ids=["ready", "backpressure"])
def test_deeper_bound(tmp_path, backpressure):
    """Two orders and fills ahead (make test-hw-formal-deep: its last step alone ran 10 minutes,
    350 s of CPU, without an answer; docs/hw/verification.md)."""
    formal.prove(formal.Bounds(steps=LATENCY + 2, backpressure=backpressure), workdir=tmp_path, cover=True,
                 timeout=7200)


@pytest.mark.slow
@pytest.mark.formal
# a position or credit limit can be exceeded by the first order; a duplicate or a rate reject
# needs an order ahead of it: each mutant at the smallest bound that can refute it
@pytest.mark.parametrize("drop, ahead", [(R.DUPLICATE_CLORDID, 1), (R.POSITION_LIMIT, 0), (R.CREDIT_LIMIT, 0),
                                         (R.RATE_LIMIT, 1)], ids=["duplicate", "position", "credit", "rate"])
def test_a_mutant_reference_is_refuted(tmp_path, drop, ahead):
    """The proof is not vacuous: a reference without one check disagrees within the bound (an
    assertion fails: not a solver that crashed, timed out or is missing)."""
    with pytest.raises(formal.FormalError, match=r"bounded proof failed[\s\S]*Status: FAILED"):
        formal.prove(formal.Bounds(steps=LATENCY + ahead, backpressure=False, drop=drop), workdir=tmp_path,
                     timeout=3600)


def test_the_induction_miter_finds_the_pipeline_s_registers():
    """The k-induction miter (formal.Bounds(induction=True)) ties the reference's state to
    registers of the pipeline found by name and by structure (formal._named, formal._stages):
    it elaborates, finds every one of them, and puts the pipeline's module globals back (a
    rename in hw/risk fails here, in seconds, not in a proof)."""
    from amaranth.hdl import Fragment

    from wirespeed.hw.risk import pipeline
    saved = (pipeline.Memory, pipeline.register_file, pipeline.FillCounters)
    Fragment.get(formal.Miter(formal.Bounds(steps=LATENCY, backpressure=False, induction=True)), None)
    assert (pipeline.Memory, pipeline.register_file, pipeline.FillCounters) == saved
    with pytest.raises(ValueError, match="output always ready"):
        formal.Miter(formal.Bounds(backpressure=True, induction=True))


@pytest.mark.slow
@pytest.mark.formal
def test_the_induction_invariants_hold_from_reset(tmp_path):
    """The base case of the k-induction: from reset, any configuration, every state up to
    LATENCY cycles into the traffic (the decisions against the reference fed LATENCY - 1 cycles
    late, the order echoed in full) satisfies every invariant of formal.Miter._invariants: the
    configuration registers and the limit table, the stage and fill registers against the
    orders and fills in flight, the per-entry opened - released, the credit accumulators, the
    TATs and the duplicate window against the reference's state."""
    formal.prove(formal.Bounds(steps=LATENCY, backpressure=False, induction=True), workdir=tmp_path, timeout=3600)


@pytest.mark.slow
@pytest.mark.formal_deep
@pytest.mark.xfail(raises=formal.FormalError, strict=True,
                   reason="the induction step of length LATENCY gave no answer in 9 minutes "
                          "(docs/hw/verification.md, 'k-induction')")
def test_unbounded_by_k_induction(tmp_path):
    """Any number of orders and fills: the base case above and the step (smtbmc -i -t LATENCY)."""
    formal.prove(formal.Bounds(steps=LATENCY, backpressure=False, induction=True), workdir=tmp_path, timeout=3600,
                 induction=LATENCY)
