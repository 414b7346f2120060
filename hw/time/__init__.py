"""Hardware time: a free-running nanosecond counter the host sets and slews (counter.py), its
golden model (model.py)."""
