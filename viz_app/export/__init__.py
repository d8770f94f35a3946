"""Figures leaving the app: the render service (Kaleido), captions and file names, every view's figures, the CLI."""
