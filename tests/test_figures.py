"""Figure functions on small Traces: the right traces, axes and titles, in both languages; NaN handled."""
import numpy as np
import pytest
import torch

import engine
from conftest import exploding_net
from engine import experiment, spectrum
from engine.lessons.cliff import basin_boundary, cliff_loss
from engine.lessons.cliff import demo as cliff_demo
from viz_app.figures import activity, clipping, compare, eigenvalues, gradients, timeline, unrolled
from viz_app.text.i18n import t


@pytest.fixture(scope="module")
def hello():
    run = experiment.run(experiment.RunConfig(text="hello", epochs=60, hidden_size=8))
    return run, run.trace(tbptt_window=2)


@pytest.fixture(scope="module")
def lstm_trace():
    torch.manual_seed(0)
    net = engine.RecurrentNet("lstm", 3, 6, 2)
    return engine.record(net, torch.randn(9, 2, 3), torch.randint(0, 2, (9, 2)))


@pytest.fixture(scope="module")
def exploded():
    return engine.record(exploding_net(), torch.ones(30, 1, 1), torch.zeros(30, 1, 1), loss="mse")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_unrolled_hello(hello, lang):
    run, tr = hello
    fig = unrolled.unrolled_network(tr, lang=lang, vocab=run.eval_data.vocab, step=2)
    strips = fig.data[0]  # one heatmap: a strip of H units per step (h, e, l, l), empty cells between them
    cells = [v for v in strips.z[0] if v is not None]
    assert np.array_equal(cells, tr.hidden[-1, :, 0, :].ravel().tolist())
    assert len(strips.x) == len(strips.z[0]) + 1  # cells given by their edges
    # a click on a cell picks (customdata) its step and its unit of the layer drawn (layout.meta)
    assert fig.layout.meta["step_unit"] == 3 and fig.layout.meta["step_layer"] == tr.hidden.shape[0] - 1
    picked = [(c[0], c[3], v) for c, v in zip(strips.customdata[0], strips.z[0]) if c[3] >= 0]
    assert [(s, j) for s, j, _ in picked] == [(s, j) for s in range(4) for j in range(tr.hidden.shape[3])]
    assert all(v == tr.hidden[-1, s, 0, j] for s, j, v in picked)
    assert "unit" not in {d.name for d in fig.data}  # no unit mark unless the page writes a unit's equations
    marked = unrolled.unrolled_network(tr, lang=lang, vocab=run.eval_data.vocab, step=2, unit=5)
    (mark,) = [d for d in marked.data if d.name == "unit"]
    centres = [(strips.x[k] + strips.x[k + 1]) / 2 for k, c in enumerate(strips.customdata[0]) if c[3] == 5]
    assert list(mark.x) == pytest.approx(centres) and len(centres) == 4  # above unit 5's cell of every strip
    by_name = {d.name: d for d in fig.data}
    assert list(by_name["x"].text) == ["<b>h</b>", "<b>e</b>", "<b>l</b>", "<b>l</b>"]
    # the trained model predicts e after h, l after e, l after l, o after the second l
    assert [p[0] for p in by_name["y"].text] == ["e", "l", "l", "o"]
    probs = torch.softmax(torch.as_tensor(tr.outputs[:, 0]), -1)
    assert [float(p.split("<br>")[0][2:]) for p in by_name["y"].text] == [round(float(v), 2) for v in probs.max(-1)[0]]
    assert fig.layout.title.text == t("fig.unrolled", lang)
    assert "dL/dh" not in by_name
    assert fig.layout.images[0].x == 1.5  # the step's band


def test_unrolled_window_pages(lstm_trace):
    """A window of 4 of the 9 steps: it turns by pages of 2 columns, the step at least one column from its edges
    (except at the sequence's ends); only the window's points are kept."""
    want = [0, 0, 1, 1, 3, 3, 5, 5, 5]
    for step, first in enumerate(want):
        fig = unrolled.unrolled_network(lstm_trace, lang="en", step=step, window=4)
        for trace in fig.data[1:]:
            kept = [x for x, y in zip(trace.x, trace.y) if x is not None and y is not None]
            assert first - 0.64 < min(kept) and max(kept) < first + 3.5, trace.name  # the window's columns
        assert [x for x, y in zip(fig.data[3].x, fig.data[3].y) if y is not None] == list(range(first, first + 4))
        assert list(fig.layout.xaxis.range) == [first - unrolled.PAD, first + 3 + unrolled.PAD]
        assert fig.layout.images[0].x == step - 0.5


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_unrolled_step_through(hello, lang):
    """The step-through's 2T phases: forward up to column p (the rest behind the veil), then BPTT back to column
    2T-1-p with ||dL/dh_t|| written on the columns it has reached (and only those)."""
    run, tr = hello
    steps, vocab = tr.steps, run.eval_data.vocab
    norms = np.linalg.norm(tr.grad_hidden[-1, :, 0, :].astype(float), axis=-1)
    for phase in range(2 * steps):
        fig = unrolled.unrolled_network(tr, lang=lang, vocab=vocab, through=True, phase=phase, window=8)
        by_name = {d.name: d for d in fig.data}
        band, veil = fig.layout.images
        grads = by_name["dL/dh"]
        written = [(x, text) for x, y, text in zip(grads.x, grads.y, grads.text) if y is not None]
        hidden = sorted(set(range(steps)) - {round(x) for x, _ in written})  # the window's columns not written
        arrows = [(x, y) for d in fig.data if d.name.startswith("dL/dh arrows") for x, y in zip(d.x, d.y)
                  if x is not None]
        if phase < steps:
            assert fig.layout.title.text == t("fig.unrolled_fwd", lang, t=phase)
            assert band.x == phase - 0.5 and veil.x == phase + 0.36 and hidden == list(range(steps))
            assert all(y is None for _, y in arrows)
        else:
            column = 2 * steps - 1 - phase
            assert fig.layout.title.text == t("fig.unrolled_bptt", lang, t=column)
            assert band.x == column - 0.5 and veil.x > steps - 0.5
            assert hidden == list(range(column))  # BPTT has reached the columns column..T-1
            assert [float(text) for _, text in written] == [float(f"{v:.2g}") for v in norms[column:]]
            assert {round(x + 0.48) for x, _ in arrows} == set(range(1, steps))  # from every column but the first
            assert all((y is not None) == (round(x + 0.48) >= column) for x, y in arrows)  # drawn once reached


def test_state_figures(hello, lstm_trace):
    run, tr = hello
    heat = activity.state_heatmap(tr, name="h", lang="en", vocab=run.eval_data.vocab)
    assert heat.data[0].z.shape == (8, 4) and list(heat.layout.xaxis.ticktext) == ["h", "e", "l", "l"]
    assert heat.layout.meta == {"step_unit": "y", "step_layer": 0}  # a click on a cell picks its row's unit
    row = activity.state_heatmap(tr, name="h", lang="en", unit=5)
    (outline,) = [s for s in row.layout.shapes if s.name == "unit-row"]
    assert (outline.y0, outline.y1) == (4.5, 5.5)
    assert not [s for s in heat.layout.shapes if s.name == "unit-row"]
    gate = activity.state_heatmap(lstm_trace, name="f", lang="ko")
    assert gate.data[0].zmin == 0 and gate.data[0].zmax == 1 and "망각 게이트" in gate.layout.title.text
    sat = activity.saturation_bars(lstm_trace, lang="en")
    assert list(sat.data[0].x) == ["input gate", "forget gate", "candidate cell state", "output gate"]
    assert all(0 <= v <= 1 for v in sat.data[0].y)
    pca = activity.pca_trajectory(lstm_trace, lang="en", dims=3)
    assert pca.data[0].type == "scatter3d"
    txt = activity.text_activation(tr, vocab=run.eval_data.vocab, unit=1, lang="ko")
    assert np.allclose(txt.data[0].z[0], tr.hidden[-1, :, 0, 1])


def test_gradient_figures(hello, lstm_trace):
    run, tr = hello
    fig = gradients.grad_norms_over_time(tr, lang="en", scale="log")
    names = [d.name for d in fig.data]
    assert names == [t("leg.total", "en"), t("leg.direct", "en"), t("leg.truncated", "en", k=2)]
    assert fig.layout.yaxis.type == "log"
    total = np.sqrt((tr.grad_hidden[-1] ** 2).sum(axis=(1, 2)))
    assert np.allclose(fig.data[0].y, total)
    jm = gradients.jacobian_map(lstm_trace, lang="ko", cell_state=True)
    assert np.isnan(jm.data[0].z[0, 5]) and np.isclose(jm.data[0].z[4, 4], 0.0)  # log10 of ||I|| = 0
    bars = gradients.term_bars(tr, lang="en")
    assert np.isclose(sum(bars.data[0].y), np.linalg.norm(tr.weight_terms.matrices["weight_hh_l0"].sum(0)))
    d = gradients.derivative_distribution(lstm_trace, lang="en", name="f")
    assert max(d.data[0].y) <= 0.25


def test_spectrum_figures(lstm_trace):
    main = lstm_trace.main_spectrum
    fig = eigenvalues.eigenvalue_plane(main.eigenvalues, gamma=0.25, lang="en")
    assert len(fig.data) == 4  # unit circle, 1/gamma circle, eigenvalues, rescaled ones (none: as trained)
    assert np.allclose(np.hypot(fig.data[1].x, fig.data[1].y), 4.0)
    assert not fig.data[3].x and fig.data[3].showlegend is False
    lags_fig = eigenvalues.decay_curve(lstm_trace.jacobians.spectral[-1], rho=0.5, bound_rate=0.8, lang="ko")
    assert np.allclose(lags_fig.data[1].y, 0.5 ** lags_fig.data[1].x)
    assert lags_fig.layout.yaxis.type == "log"


@pytest.mark.parametrize("scale", ["log", "linear"])
def test_the_rho_figures_carry_every_position_and_place_like_a_build_at_it(hello, scale):
    """The eigen view's figures over the rho slider's positions (Run.rescaled_grid): built at position 0 and placed
    at i on the server (figures.common.place, what viz_app/web/controls.js does), each equals the figure built at i; the
    rescaled eigenvalues are W_hh's times rho / rho_trained, and the lines exist only where they apply."""
    import json

    import plotly.io as pio

    from engine import spectrum
    from viz_app.figures.common import place
    run, tr = hello
    values = (0.0, 0.3, 0.9, 1.7)
    grid = run.rescaled_grid(values)
    regs = [spectrum.regime("rnn", b) for b in grid.spectra]
    lines = [eigenvalues.reference_lines(b, r) for b, r in zip(grid.spectra, regs)]
    main = tr.main_spectrum
    rescaled = [b.eigenvalues if v else None for v, b in zip(values, grid.spectra)]
    builders = [lambda i: eigenvalues.eigenvalue_plane(main.eigenvalues, gamma=main.gamma, lang="en",
                                                       rescaled=rescaled, index=i),
                lambda i: eigenvalues.decay_curve(list(grid.norms), rho=[r["rho"] for r in lines],
                                                  bound_rate=[r["bound_rate"] for r in lines], lang="ko",
                                                  scale=scale, index=i)]
    for build in builders:
        at_zero = build(0).to_dict()
        for i in range(len(values)):
            placed = json.loads(pio.to_json(place(at_zero, i, "rho"), validate=False))
            assert placed == json.loads(pio.to_json(build(i), validate=False)), i
    plane = builders[0](2)
    ratio = 0.9 / main.spectral_radius
    assert np.allclose(sorted(np.hypot(plane.data[-1].x, plane.data[-1].y)),
                       sorted(np.abs(main.eigenvalues) * ratio), rtol=1e-4)


def test_nonfinite_traces_draw_the_finite_part(exploded):
    first = exploded.nonfinite["hidden"]
    net = unrolled.unrolled_network(exploded, lang="en", step=0)
    preds = next(d for d in net.data if d.name == "y").text
    assert "nan" not in " ".join(preds) and preds[-1] == "ŷ: " + t("leg.nonfinite", "en")
    fig = gradients.grad_norms_over_time(exploded, lang="en")
    assert fig.layout.shapes and any(s.x0 is not None for s in fig.layout.shapes)
    heat = activity.state_heatmap(exploded, name="h", lang="ko")
    z = np.asarray(heat.data[0].z, dtype=float)
    assert np.isfinite(z[:, :first]).all() and np.isnan(z[:, first:]).all()
    assert any(a.text == t("leg.nonfinite", "ko") for a in heat.layout.annotations)
    gradients.jacobian_map(exploded, lang="en")
    activity.pca_trajectory(exploded, lang="en")


def test_clipping_compare_timeline_figures():
    cfg = experiment.RunConfig(cell="rnn", nonlinearity="relu", task="sine", length=40, init="identity", rho=1.3,
                               lr=0.05, optimizer="sgd", epochs=25)
    plain = experiment.run(cfg).history
    clipped = experiment.run(cfg.with_(clip="norm", clip_threshold=1.0)).history
    fig = clipping.clip_norms(plain, clipped, threshold=1.0, lang="en")
    assert fig.layout.yaxis.type == "log"
    fired = fig.data[2]
    assert len(fired.x) == int(clipped.clipped.sum())
    assert list(fig.data[-1].y) == [1.0, 1.0]  # the threshold line
    # the legend says which norm is which: before clipping for both runs, after clipping never above the threshold,
    # drawn over the threshold's line (it lies on it wherever clipping fired)
    assert [tr.name.startswith("‖g‖ before clipping") for tr in fig.data[:2]] == [True, True]
    after = fig.data[-2]
    assert "after clipping" in after.name and np.nanmax(np.asarray(after.y, dtype=float)) <= 1.0 + 1e-6
    assert fig.data[-1].zorder < (after.zorder or 0)
    losses = clipping.clip_losses(plain, clipped, threshold=1.0, lang="ko")
    assert len(losses.data) == 2
    # each panel on its own log axis with tick labels: the clipped run is not squashed under the other's scale
    assert losses.layout.yaxis2.matches is None and losses.layout.yaxis2.type == "log"
    assert losses.layout.yaxis2.showticklabels is not False and losses.data[1].yaxis == "y2"
    run = experiment.run(experiment.RunConfig(epochs=40))
    eigs = [spectrum.layer_spectrum(s["recurrent.weight_hh_l0"], "rnn", "tanh")[0].eigenvalues
            for _, s in run.history.snapshots]
    tl = timeline.eigen_timeline(eigs, index=1, lang="en")
    assert np.allclose(tl.data[2].x, eigs[1].real)
    lm = timeline.loss_with_marker(run.history, index=1, lang="ko")
    assert lm.data[1].x[0] == run.history.snapshots[1][0] - 1
    assert lm.data[1].y[0] == pytest.approx(run.history.loss[run.history.snapshots[1][0] - 1])
    ref = timeline.loss_with_marker(run.history, index=1, lang="en", reference=[(0, 2.3), (100, 0.11)])
    assert list(ref.data[1].x) == [0, 100] and list(ref.data[1].y) == [2.3, 0.11]
    sens = compare.sensitivity_curves({"rnn": run.trace()}, lang="en")
    assert sens.data[0].name == "RNN"


def test_the_timeline_figures_carry_every_snapshot_and_place_like_a_build_at_it():
    """The timeline's figures carry every snapshot (the browser's snapshot control moves them, viz_app/web/controls.js):
    built at snapshot 0 and placed at i on the server (figures.common.place, what viz_app/web/controls.js does), each
    equals the figure built at i; the gradient panel's curves are Run.snapshot_gradient_norms, on one y range for
    all."""
    import json

    import plotly.io as pio

    from viz_app.figures.common import place

    run = experiment.run(experiment.RunConfig(epochs=40))
    snaps = run.history.snapshots
    eigs = run.snapshot_eigenvalues()
    norms = run.snapshot_gradient_norms()
    updates = [u for u, _ in snaps]
    assert norms.shape == (len(snaps), 2, run.eval_data.x.shape[0]) and len(snaps) >= 4
    builders = [lambda i: timeline.eigen_timeline(eigs, index=i, lang="en"),
                lambda i: timeline.loss_with_marker(run.history, index=i, lang="ko"),
                lambda i: timeline.gradients_at_snapshots(norms, updates, index=i, lang="en")]
    for build in builders:
        at_zero = build(0).to_dict()
        for i in range(len(snaps)):
            placed = json.loads(pio.to_json(place(at_zero, i, "snapshot"), validate=False))
            assert placed == json.loads(pio.to_json(build(i), validate=False)), i
    grads = timeline.gradients_at_snapshots(norms, updates, index=2, lang="en")
    assert np.allclose(grads.data[0].y, norms[2, 0]) and np.allclose(grads.data[1].y, norms[2, 1])
    assert str(updates[2]) in grads.layout.title.text
    lo, hi = grads.layout.yaxis.range  # every snapshot's curve inside the one range
    assert lo < np.log10(norms[norms > 0].min()) and np.log10(norms.max()) < hi


def test_the_figure_cache_does_not_keep_a_trace_alive():
    """Figures are cached by the data they were built from, through a weak reference: a Trace nobody else holds
    is freed (the cache held 512 of them before, beyond the trace cache's own bound)."""
    import gc
    import weakref

    from engine import experiment
    from viz_app.figures import gradients
    from viz_app.figures.common import figure
    trace = experiment.run(experiment.RunConfig(epochs=2)).trace()
    first = figure(gradients.term_bars, trace, lang="en")
    assert figure(gradients.term_bars, trace, lang="en").to_dict() == first.to_dict()  # reused
    ref = weakref.ref(trace)
    del trace
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("case", ["unrolled", "unrolled-window", "step-through", "jacobian", "pca"])
def test_a_figure_built_once_and_placed_at_a_step_equals_one_built_at_that_step(hello, lstm_trace, case):
    """figure(..., step=s) builds a figure once (at step 0) and moves its declared step markers to s (the server's
    what viz_app/web/controls.js does in the browser); the result must be the figure built at s, for every s."""
    from viz_app.figures.common import figure, place
    run, tr = hello
    vocab = run.eval_data.vocab
    field = "phase" if case == "step-through" else "step"
    builder, data, options = {
        "unrolled": (unrolled.unrolled_network, tr, {"lang": "en", "vocab": vocab, "window": 3}),
        "unrolled-window": (unrolled.unrolled_network, tr, {"lang": "ko", "vocab": vocab, "window": 2}),
        "step-through": (unrolled.unrolled_network, tr, {"lang": "en", "vocab": vocab, "window": 2, "through": True}),
        "jacobian": (gradients.jacobian_map, lstm_trace, {"lang": "en", "cell_state": True}),
        "pca": (activity.pca_trajectory, lstm_trace, {"lang": "en"}),
    }[case]
    at_zero = builder(data, **{field: 0}, **options).to_dict()
    for s in range(data.hidden.shape[1] * (2 if field == "phase" else 1)):
        want = builder(data, **{field: s}, **options).to_plotly_json()
        assert place(at_zero, s, field) == want, s
        assert figure(builder, data, step=s, field=field, **options).to_plotly_json() == want, s
    assert builder(data, **{field: 0}, **options).to_dict() == at_zero  # the stored dict was not changed


def test_the_cliff_is_a_map_with_both_paths_and_a_slice_across_the_wall():
    """Pascanu's cliff in 2-D: the map's colours are E at its (w, b) (the engine's forward-mode loss, checked against
    autograd elsewhere); the unclipped path leaves the map in one step and is drawn to the map's edge with its
    landing point written; the clipped path stays; the slice at the start's w jumps at the basin boundary."""
    surface, plain, clipped = cliff_demo()
    fig = clipping.cliff_figure(surface, {"plain": plain, "clipped": clipped}, lang="en")
    heat = fig.data[0]
    assert heat.type == "heatmap"
    j, i = 37, 101
    assert heat.z[j][i] == pytest.approx(float(cliff_loss(heat.x[i], heat.y[j])[0]), abs=1e-4)
    paths = {tr.name: tr for tr in fig.data if tr.name in ("plain", "clipped")}
    w_range, b_range = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert len(paths["plain"].x) == 2 and not (b_range[0] <= plain["b"][1] <= b_range[1])  # thrown off the map
    edge = (paths["plain"].x[-1], paths["plain"].y[-1])
    assert edge[1] == pytest.approx(b_range[0]) or edge[0] == pytest.approx(w_range[0])
    (note,) = [a for a in fig.layout.annotations if "lands at" in a.text]
    assert f"{plain['w'][1]:.3g}" in note.text and f"{plain['b'][1]:.3g}" in note.text
    assert len(paths["clipped"].x) == len(clipped["w"])  # every clipped iterate stays on the map
    line = next(tr for tr in fig.data if (tr.name or "").startswith("E at w"))
    b, e = np.asarray(line.x), np.asarray(line.y)
    k = int(np.argmax(np.abs(np.diff(e))))
    assert abs(e[k + 1] - e[k]) > 0.3 and b[k] <= basin_boundary(plain["w"][0]) <= b[k + 1]
    assert heat.colorbar.x < fig.layout.xaxis2.domain[0]  # the colour bar stays between the two panels


@pytest.mark.parametrize("cell, nl, name, line", [("rnn", "relu", None, "ReLU′ ∈ {0, 1}"),
                                                  ("rnn", "tanh", None, "tanh′ ≤ 1"),
                                                  ("lstm", "tanh", "f", "σ′ ≤ 1/4"), ("lstm", "tanh", "g", "tanh′ ≤ 1"),
                                                  ("gru", "tanh", "n", "tanh′ ≤ 1")])
def test_the_derivatives_chart_draws_the_bound_of_its_own_activation(cell, nl, name, line):
    """f'(a_t) of a ReLU network is 0 or 1: no "tanh' <= 1" or "sigma' <= 1/4" beside it (the IRNN scenario drew
    both); each chart draws the one bound of the activation its boxes belong to, and every box respects it."""
    torch.manual_seed(0)
    net = engine.RecurrentNet(cell, 2, 5, 1, nonlinearity=nl)
    tr = engine.record(net, torch.randn(7, 3, 2), torch.randn(7, 3, 1), "mse")
    fig = gradients.derivative_distribution(tr, lang="ko", name=name)
    assert [a.text for a in fig.layout.annotations] == [line]
    assert np.max(fig.data[0].y) <= fig.layout.shapes[0].y0 + 1e-6
