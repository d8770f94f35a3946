"""Teaching moves over a view: watching a model learn, predict-then-reveal."""
