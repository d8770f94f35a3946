"""Where runs come from: shared caches, worker processes with limits, the disk cache and the warm-up."""
