"""Predict, then reveal (viz_app.teach.predict): nothing measured reaches the page before the reveal; afterwards the
prediction is on the chart beside the run's own value, and the comparison is computed from the run."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine import analysis
from viz_app.teach import predict
from viz_app.compute import runs
from viz_app.state import fields as S

MAIN = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")


def _app(params):
    at = AppTest.from_file(MAIN, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _reveal(at, view, text):
    at.text_input(key=f"w_guess_{view}").input(text)
    (button,) = [b for b in at.button if b.label in ("Reveal", "공개")]
    return button.click().run()


def _pads(at) -> list[dict]:
    """The figures on the page, which must all be sketch pads (nothing measured) before the reveal."""
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert all(f["layout"].get("meta", {}).get("sketch") for f in figs)
    return figs


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_bptt_question_hides_every_measurement_until_the_reveal(lang):
    at = _app({"view": "bptt", "lang": lang, "predict": "1"})
    assert not at.exception
    assert len(_pads(at)) == 1 and len(at.latex) == 0  # the empty pad only, no equation with numbers
    assert not [c for c in at.caption if "‖" in c.value]  # no sentence about this run's gradients
    at = _reveal(at, "bptt", "oops")
    assert len(_pads(at)) == 1 and at.warning  # a clear message, still hidden
    at = _reveal(at, "bptt", "1e-2")
    assert not at.exception
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(specs) >= 4
    first = json.loads(specs[0])
    marks = [tr for tr in first["data"] if tr.get("meta", {}) and "prediction" in tr["meta"]]
    run = runs.cached_run(S.AppState().run_config())
    total = analysis.norms_over_time(run.trace().grad_hidden[-1])  # recorded again here: the same numbers
    assert len(marks) == 1 and marks[0]["x"] == [0]
    assert marks[0]["meta"]["prediction"] == pytest.approx(1e-2 * total[-1], rel=1e-6)
    assert f"{total[0] / total[-1]:.3g}" in at.success[0].value
    assert "0.01" in at.success[0].value


def test_a_view_without_a_question_draws_as_usual_in_predict_mode():
    at = _app({"view": "unroll", "lang": "en", "predict": "1"})
    assert not at.exception and len(at.get("plotly_chart")) == 1


def test_the_timeline_answer_is_the_runs_last_loss():
    at = _app({"view": "timeline", "lang": "en", "predict": "1"})
    assert len(_pads(at)) == 1
    run = runs.cached_run(S.AppState().run_config())
    final = f"{float(run.history.loss[-1]):.4g}"
    trained = [c.value for c in at.caption if c.value.startswith("Trained:")]
    assert trained == [f"Trained: {run.history.updates} updates in {run.history.seconds:.1f} s"]  # not the answer
    assert not [c for c in at.caption if final in c.value]
    at = _reveal(at, "timeline", "0.5")
    assert [c for c in at.caption if c.value.startswith("Trained:") and final in c.value]  # revealed: with it
    assert f"{float(run.history.loss[-1]):.3g}" in at.success[0].value
    assert "high" in at.success[0].value  # 0.5 is far above the trained char-LM's loss


@pytest.mark.parametrize("text,value", [("0.01", 0.01), ("1e-3", 1e-3), ("1/1000", 1e-3), (" 2,000 ", 2000.0),
                                        ("1×10^-4", 1e-4), ("0", None), ("-1", None), ("inf", None), ("nan", None),
                                        ("1/0", None), ("abc", None), ("", None)])
def test_a_typed_prediction_is_one_positive_number(text, value):
    got = predict.parse(text)
    assert (got is None and value is None) or got == pytest.approx(value)
    assert got is None or np.isfinite(got)


def test_the_time_machine_opens_a_snapshot_in_every_view_as_a_real_model():
    """Timeline view, snapshot 5 of the default run: the button pauses the training there (paused_at), and the model
    every view then draws has exactly the snapshot's parameters (a real run trained that far, bit for bit)."""
    at = _app({"view": "timeline", "lang": "en", "snapshot": "5"})
    full = runs.cached_run(S.AppState().run_config())
    updates, params = full.history.snapshots[5]
    at = at.button(key="w_time_machine").click().run()
    assert not at.exception
    state = at.session_state.app_state
    assert state.paused_at == updates  # the char-LM trains on the whole text: one update per epoch
    paused = runs.cached_run(state.run_config())
    assert paused.history.updates == updates
    for name, value in paused.net.state_dict().items():
        assert np.array_equal(value.numpy(), params[name]), name
    at.query_params["view"] = "unroll"
    assert "paused_at" in dict(at.query_params)


def test_a_click_on_another_run_s_curve_opens_that_run_after_that_update():
    """The clipping and comparison views' curves (views.timeline.destination): a click at update u of another run
    (here the unclipped twin of a clipped page, trained with truncated BPTT: several updates per epoch) opens that
    run's settings paused at the first epoch boundary at or after u, and that model is the run's own: its training
    history is the run's first updates, bit for bit. The page's own model at its end opens nothing."""
    from engine import experiment
    from viz_app.views import timeline
    state = S.AppState(epochs=12, tbptt=10, clip="norm", scenario="")
    run = experiment.run(state.run_config().with_(clip="none"))
    per = run.history.per_epoch
    assert per == 5  # 48 characters in windows of 10
    target, shown = timeline.destination(state, run, 3 * per + 1)
    assert (target.paused_at, shown, target.clip, target.tbptt) == (4, 4 * per, "none", 10)
    paused = experiment.run(target.run_config())
    assert paused.history.updates == shown
    assert np.array_equal(paused.history.loss, run.history.loss[:shown])
    assert np.array_equal(paused.history.grad_norm, run.history.grad_norm[:shown])
    own = experiment.run(state.run_config())
    assert timeline.destination(state, own, own.history.updates) is None
    assert timeline.destination(state, own, 2)[0].paused_at == 1


def test_a_picked_point_names_its_run_and_update():
    """views.timeline.picked_update reads Streamlit's selection: a point of a curve that names its run gives (run,
    update); the threshold line (no run) or a point out of the figure gives nothing."""
    from engine import experiment
    from viz_app.figures import clipping
    from viz_app.views import timeline
    run = experiment.run(S.AppState(epochs=6).run_config())
    fig = clipping.clip_norms(run.history, run.history, threshold=1.0, lang="en")
    names = [(tr.meta or {}).get("run") for tr in fig.data]
    assert names[:2] == ["plain", "clipped"] and names[-1] is None

    def event(n, x):
        return {"selection": {"points": [{"curve_number": n, "x": x, "y": 1.0}]}}
    assert timeline.picked_update(event(0, 3), fig) == ("plain", 3)
    assert timeline.picked_update(event(1, 4.0), fig) == ("clipped", 4)
    assert timeline.picked_update(event(len(fig.data) - 1, 2), fig) is None
    assert timeline.picked_update(event(99, 2), fig) is None
    assert timeline.picked_update(None, fig) is None


@pytest.mark.parametrize("points,at,anchor,value", [
    ({}, 0, (46, 0.0), None),  # the anchor alone is no prediction
    ({0: -3.0}, 0, (46, 0.0), 1e-3),
    ({10: -2.0}, 0, (46, 0.0), 1e-2),  # before the sketch: its nearest point
    ({10: -2.0}, 28, (46, 0.0), 10 ** -1.0),  # halfway to the anchor, linear in log10
    ({0: -4.0, 20: 0.0}, 5, None, 1e-3),
    ({0: -4.0, 20: 0.0}, 40, None, 1.0),  # after the sketch: its nearest point
])
def test_a_sketch_gives_its_value_where_the_question_reads_it(points, at, anchor, value):
    got = predict.sketch_value(points, at, anchor)
    assert (got is None and value is None) or got == pytest.approx(value, rel=1e-12)


def test_the_pad_is_drawn_from_the_settings_alone():
    """Two runs of the same length but other weights and data (seed, cell) get the same empty pad, JSON for JSON:
    nothing the run measured is on it; the pad's grid reaches the question's x and both ends of its range."""
    from engine import experiment
    figs = []
    for cfg in (S.AppState(epochs=3).run_config(), S.AppState(epochs=3, seed=7, cell="gru").run_config()):
        run = experiment.run(cfg)
        trace = run.trace()
        pad = predict.GRADIENT_REACHING_START.pad(run, trace)
        assert pad.at in pad.xs() and pad.xs()[-1] == pad.n - 1 == trace.steps - 1
        assert pad.ys()[0] == pad.lo and pad.ys()[-1] == pad.hi
        figs.append(predict.sketch_pad(pad, {}, "en").to_json())
    assert figs[0] == figs[1]


def test_a_sketched_prediction_is_revealed_on_the_chart_in_its_units():
    """BPTT view: a sketch (as the pad's clicks leave it in the session) and Reveal with nothing typed: the
    prediction is the sketch's value at step 0, the star sits there, and the sketch is drawn on the chart scaled by
    the run's own ||dL/dh_T|| (recorded again here), ending at it."""
    at = _app({"view": "bptt", "lang": "en", "predict": "1"})
    state = at.session_state.app_state
    at.session_state[f"{predict._key(state)}_sketch"] = {0: -2.0, 20: -1.0}
    at = _reveal(at, "bptt", "")
    assert not at.exception
    run = runs.cached_run(S.AppState().run_config())
    total = analysis.norms_over_time(run.trace().grad_hidden[-1])
    first = json.loads(at.get("plotly_chart")[0].proto.spec)
    (star,) = [tr for tr in first["data"] if tr.get("meta") and "prediction" in tr["meta"]]
    (sketch,) = [tr for tr in first["data"] if tr.get("meta") and "sketch" in tr["meta"]]
    assert star["meta"]["prediction"] == pytest.approx(1e-2 * total[-1], rel=1e-6)
    assert sketch["x"] == [0, 20, len(total) - 1]
    assert sketch["meta"]["sketch"] == pytest.approx([1e-2 * total[-1], 1e-1 * total[-1], total[-1]], rel=1e-6)
    assert "0.01" in at.success[0].value
    (again,) = [b for b in at.button if b.label == "Predict again"]
    at = again.click().run()
    (pad,) = _pads(at)  # asked again, on a fresh pad: the anchor alone
    assert pad["data"][1]["x"] == [len(total) - 1]


def test_a_paused_training_does_not_tell_the_timeline_s_answer_before_the_reveal():
    """Paused at epoch 100 (watching it learn, or the time machine), the page's line on the training leaves out its
    loss until the reveal, since the timeline asks for it."""
    at = _app({"view": "timeline", "lang": "en", "predict": "1", "paused_at": "100"})
    assert not at.exception
    run = runs.cached_run(S.AppState(paused_at=100).run_config())
    final = f"{float(run.history.loss[-1]):.4g}"
    paused = [c.value for c in at.caption if c.value.startswith("Paused at epoch 100")]
    assert paused and not [c for c in at.caption if final in c.value]
    at = _reveal(at, "timeline", "0.5")
    assert [c for c in at.caption if c.value.startswith("Paused at epoch 100") and final in c.value]


def test_a_crafted_pad_selection_is_ignored_not_a_crash():
    """The pad's selection comes from the browser (Python's json accepts Infinity and NaN): x = Infinity raised
    OverflowError and took the session's page down. Only finite numbers on the pad's own trace count."""
    from viz_app.teach.predict import _picked
    bad = [{"curve_number": 0, "x": float("inf"), "y": 1.0}, {"curve_number": 0, "x": 2, "y": float("nan")},
           {"curve_number": 0, "x": True, "y": 1.0}, {"curve_number": 0, "x": "3", "y": 1.0}, "not a point",
           {"curve_number": 1, "x": 2, "y": 1.0}, {"curve_number": 0, "x": 2, "y": -1.0}]
    assert _picked({"selection": {"points": bad}}) is None
    assert _picked({"selection": {"points": bad + [{"curve_number": 0, "x": 2.2, "y": 100.0}]}}) == ((2, 2.0),)
