"""The lecture's own experiments and readings of a run: NNLM, embeddings, the cliff, evidence, formula, ledger."""
