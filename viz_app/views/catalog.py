"""The app's views in lecture order: importing this module registers them (viz_app.views.register). The page, the
exporter and the warm-up import it before they read a link."""
from viz_app.views import (backprop, clipping, compare, eigen, embeddings, nnlm, register, shapes, states, timeline,
                           unroll)

for _module in (nnlm, unroll, shapes, states, backprop, eigen, clipping, compare, timeline, embeddings):
    register(_module.VIEW)
