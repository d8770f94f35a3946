"""Serving policy, not maths: the largest sizes a link may ask for, the cost estimate of a run, the heap trim."""
