"""`python -m viz_app.export`: the command-line exporter (viz_app/export/cli.py)."""
from viz_app.export.cli import main

raise SystemExit(main())
