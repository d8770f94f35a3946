"""One module per view: each draws its view-only controls and figures for a trained run."""
