"""``make bench``: figures printed as ratios against baselines measured in the same run.

Nothing here is asserted: benchmarks report, tests verify.
"""
