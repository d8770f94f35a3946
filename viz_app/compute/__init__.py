"""Where runs come from: shared caches, worker processes with limits, what a waiting page shows, the disk cache and
the warm-up."""
