"""The lecture deck: its codec (no state), its links, its sidebar and bar, and its handout."""
