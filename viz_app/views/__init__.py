"""The app's views, in the order of the page's view switch. Each module declares its figures once, in
``figures(state, src, **options) -> list[Chart]``, and lays them out beside its own controls in
``render(state, run, trace) -> state``; the slide exporter (viz_app/export/figures.py) draws the same ``figures``. A
new view
is one module here, its entry below and its strings (view.NAME, exp.NAME); tests/test_app.py fails if a view is
missing from the page or the deck."""
from viz_app.views import backprop, clipping, compare, eigen, embeddings, nnlm, shapes, states, timeline, unroll

VIEWS = {"nnlm": nnlm, "unroll": unroll, "shapes": shapes, "states": states, "bptt": backprop, "eigen": eigen,
         "clipping": clipping, "compare": compare, "timeline": timeline, "embed": embeddings}
