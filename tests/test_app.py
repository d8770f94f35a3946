"""The Streamlit app through AppTest: every view with default settings, and a table of what users really type."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from viz_app import views
from viz_app.export import figures as export_figures
from viz_app.state import fields as S
from viz_app.text.i18n import t

MAIN = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")
QUICK = {"epochs": "30"}  # keep each case's training short


def _app(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _specs(at):
    return [c.proto.spec for c in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def default_app():
    """One default page that several tests move through in turn; a test that reads the page as it opens makes its
    own (the suite's processes run a file's tests in any order: tests/conftest.py)."""
    return _app({})


def test_default_opens_trained_with_a_chart():
    at = _app({})
    assert not at.exception and not at.error
    assert len(_specs(at)) == 1
    assert any("300" in c.value for c in at.caption)  # "Trained: 300 updates ..."


@pytest.mark.parametrize("view", views.names())
def test_every_view(default_app, view):
    at = default_app
    at.segmented_control(key="w_view").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    specs = _specs(at)
    # as many charts as the view's record declares for the same run (the exporter's figures)
    drawn = export_figures.all_figures(at.session_state["app_state"].with_(view=view), (view,))
    assert len(specs) == len(drawn) > 0, [name for _, name, _ in drawn]
    in_url = at.query_params.get("view", ["unroll"])
    assert in_url in ([view], view)  # the default view is left out of the URL


def test_view_only_change_does_not_retrain(default_app, monkeypatch):
    from engine import experiment
    calls = []
    monkeypatch.setattr(experiment, "run", lambda *a, **k: calls.append(a) or pytest.fail("retrained"))
    at = default_app
    at.segmented_control(key="w_view").set_value("states").run()
    at.selectbox(key="w_gate").set_value("h").run()
    at.number_input(key="w_unit").set_value(3).run()
    assert not at.exception and calls == []


def _controls(at, field="step"):
    """The page's browser-side controls (viz_app/web/controls.py) of ``field``."""
    return [e for e in at.get("bidi_component") if e.proto.component_name == "rnn_viz.index"
            and json.loads(e.proto.json)["field"] == field]


def test_the_step_moves_in_the_browser_and_reaches_the_server():
    """The time step is a control in the page (viz_app/web/controls.js) that moves every chart's step marker with no
    script run; the charts declare the markers it moves, and the step it reports when it rests reaches the state."""
    at = _app({})
    at.segmented_control(key="w_view").set_value("bptt").run()
    (control,) = _controls(at)
    steps = json.loads(control.proto.json)["count"]
    assert at.session_state["w_step"]["index"] == 0  # opened on the unrolled network: a sentence from its start
    specs = [json.loads(s) for s in _specs(at)]
    marked = [[item.get("name") for part in ("shapes", "images") for item in f["layout"].get(part, ())]
              for f in specs]
    assert ["step-x" in m or "step-y" in m for m in marked] == [True, True, False, True]  # derivatives: no step
    assert specs[0]["layout"]["meta"]["step_click"] and specs[3]["layout"]["meta"]["step_click"]
    at.session_state["w_step"] = {"index": 5}  # what the browser reports once the step rests
    at.run()
    band = [im for im in json.loads(_specs(at)[0])["layout"]["images"] if im["name"] == "step-x"]
    assert band[0]["x"] == 4.5  # the server's figure agrees
    at.segmented_control(key="w_view").set_value("unroll").run()
    assert json.loads(_controls(at)[0].proto.json)["index"] == 5  # and it follows the user to another view
    assert at.query_params["step"] in (["5"], "5")
    net = json.loads(_specs(at)[0])
    assert len(net["layout"]["meta"]["step_ranges"]) == steps  # the network pans to any step in the browser
    band = [im for im in net["layout"]["images"] if im.get("name") == "step-x"]
    assert band[0]["x"] == 4.5 and net["layout"]["xaxis"]["range"] == net["layout"]["meta"]["step_ranges"][5]
    inputs = next(tr for tr in net["data"] if tr.get("name") == "x")
    shown = {x for x, y in zip(inputs["x"], inputs["y"]) if y is not None}
    assert shown == set(range(2, 10))  # 8 columns, step 5 at least 2 from either edge


def test_the_step_through_moves_in_the_browser_and_reaches_the_server(default_app):
    """The unrolled view's step-through is a browser-side control over 2T phases (forward t = 0..T-1, then BPTT back
    from T-1 to 0); the phase it reports when it rests reaches the figure the server draws and the URL's step."""
    at = default_app
    at.segmented_control(key="w_view").set_value("unroll").run()
    at.toggle(key="w_through").set_value(True).run()
    assert not at.exception and _controls(at) == []  # the phase control replaces the step's
    (control,) = _controls(at, "phase")
    data = json.loads(control.proto.json)
    steps = data["count"] // 2
    assert data["play_ms"] > 0 and data["url"] == [str(i) for i in range(steps)] + [str(i) for i in range(steps)][::-1]
    lang = at.session_state["app_state"].lang
    assert data["values"][1] == t("ctl.phase_fwd", lang, t=1) and data["values"][-1] == t("ctl.phase_bwd", lang, t=0)
    at.session_state["w_phase"] = {"index": steps + 3}  # BPTT, 4 steps back from the end
    at.run()
    net = json.loads(_specs(at)[0])
    assert net["layout"]["title"]["text"] == t("fig.unrolled_bptt", lang, t=steps - 4)
    assert at.query_params["step"] in ([str(steps - 4)], str(steps - 4))
    at.toggle(key="w_through").set_value(False).run()
    assert json.loads(_controls(at)[0].proto.json)["index"] == steps - 4  # the step control takes over there


def test_the_training_snapshot_moves_in_the_browser_and_reaches_the_server():
    """The timeline's snapshot is a browser-side control too: its three charts carry every snapshot (points,
    marker, curve, title), so moving it makes no script run; the index it reports when it rests reaches the state,
    the URL and the figures the server draws."""
    at = _app({})
    at.segmented_control(key="w_view").set_value("timeline").run()
    (control,) = _controls(at, "snapshot")
    data = json.loads(control.proto.json)
    assert data["index"] == data["count"] - 1 and len(data["values"]) == data["count"] > 2
    eig, loss, grads = (json.loads(s) for s in _specs(at))
    assert len(eig["data"][-1]["meta"]["snapshot_points"]) == data["count"]
    assert len(loss["data"][-1]["meta"]["snapshot_xy"]) == data["count"]
    assert len(grads["layout"]["meta"]["snapshot_titles"]) == data["count"]
    assert all(len(tr["meta"]["snapshot_y"]) == data["count"] for tr in grads["data"])
    at.session_state["w_snapshot"] = {"index": 2}  # what the browser reports once the control rests
    at.run()
    assert not at.exception
    eig, loss, grads = (json.loads(s) for s in _specs(at))
    assert loss["data"][-1]["x"] == [loss["data"][-1]["meta"]["snapshot_xy"][2][0]]
    assert grads["layout"]["title"]["text"] == grads["layout"]["meta"]["snapshot_titles"][2]
    assert at.query_params["snapshot"] in (["2"], "2")
    at.segmented_control(key="w_view").set_value("unroll").run()


def test_language_switch(default_app):
    at = default_app
    at.radio(key="w_lang").set_value("ko").run()
    assert at.title[0].value == "순환 신경망 들여다보기"
    at.radio(key="w_lang").set_value("en").run()
    assert at.title[0].value == "Inside recurrent neural networks"


# What users really type or click: each gets a working result or one clear message, never a traceback.
CASES = [
    ({}, "charts"),
    ({"hidden_size": "1"}, "charts"),
    ({"hidden_size": "128", "epochs": "5"}, "charts"),
    ({"num_layers": "3", "cell": "lstm"}, "charts"),
    ({"rho": "10", "cell": "rnn", "nonlinearity": "relu"}, "charts"),
    ({"rho": "0"}, "charts"),
    ({"lr": "10", "optimizer": "sgd", "rho": "3"}, "charts"),  # explodes: a warning and the finite part
    ({"epochs": "0"}, "charts"),
    ({"text": ""}, "error"),
    ({"text": "a"}, "error"),
    ({"text": "😀🙂😀🙂 안녕 hello"}, "charts"),
    ({"text": "x" * 10000}, "notice"),
    ({"task": "copy", "length": "1"}, "error"),
    ({"task": "copy", "length": "12", "cell": "gru"}, "charts"),
    ({"task": "adding", "length": "1"}, "error"),
    ({"task": "temporal_order", "length": "8", "init": "orthogonal"}, "charts"),
    ({"task": "sine", "init": "identity", "nonlinearity": "relu"}, "charts"),
    ({"task": "spike", "init": "np_rnn", "tbptt": "5"}, "charts"),
    ({"clip": "value", "clip_threshold": "0.01"}, "charts"),
    ({"lr": "abc", "hidden_size": "-4", "view": "nope"}, "notice"),
    ({"seed": "2147483647"}, "charts"),
    # pairs of fields that are each valid alone
    ({"task": "csv"}, "notice"),  # no upload: a notice and the default task
    ({"task": "csv", "data_id": "0123456789abcdef"}, "error"),  # an upload of another session / evicted
    ({"model_id": "0123456789abcdef"}, "error"),
    ({"task": "copy", "loss": "mse"}, "error"),  # the loss choice is the char-LM's
    ({"task": "adding", "alphabet": "abc"}, "error"),
    ({"text": "hello", "alphabet": "abc"}, "error"),  # characters outside the alphabet
    ({"cell": "lstm", "nonlinearity": "relu"}, "charts"),  # the nonlinearity is the vanilla RNN's
    ({"tbptt": "200", "task": "copy", "length": "12"}, "charts"),  # a window longer than the sequence
    ({"scenario": "exploding", "cell": "gru"}, "charts"),
    # bidirectional and residual networks: what they cannot do is one sentence, not a traceback
    ({"bidirectional": "1", "task": "temporal_order", "length": "8"}, "charts"),
    ({"bidirectional": "1", "num_layers": "2", "residual": "1", "cell": "lstm", "task": "copy", "length": "10"},
     "charts"),
    ({"bidirectional": "1"}, "error"),  # the char-LM predicts the next character: the backward direction reads it
    ({"bidirectional": "1", "task": "spike", "tbptt": "5"}, "error"),
    ({"residual": "1"}, "error"),  # one layer: nothing to join
    ({"bidirectional": "2"}, "notice"),
    ({"init": "unitary", "nonlinearity": "relu", "task": "copy", "length": "12"}, "charts"),  # uRNN
    ({"init": "unitary", "cell": "gru"}, "error"),  # a unitary W_hh is the RNN's
    ({"init": "unitary", "rho": "2"}, "error"),
]


@pytest.mark.parametrize("params,expect", CASES, ids=[str(i) for i in range(len(CASES))])
@pytest.mark.parametrize("view", ["unroll", pytest.param("bptt", marks=pytest.mark.slow)])
def test_bad_and_extreme_input(params, expect, view):
    at = _app({**QUICK, **params, "view": params.get("view", view)})
    assert not at.exception, [e.value for e in at.exception]
    if expect == "error":
        assert len(at.error) == 1 and not _specs(at)
    elif expect == "notice":
        assert at.warning and _specs(at)
    else:
        assert _specs(at), [e.value for e in at.error]


def test_presentation_mode_hides_what_the_link_lists():
    at = _app({**QUICK, "present": "1", "hide": "title,view,step,explain,downloads", "view": "bptt"})
    assert not at.exception and _specs(at)
    assert not at.title and not at.get("button_group")
    from viz_app.text.i18n import t
    assert all(c.value != t("exp.bptt", "ko") for c in at.caption)
    assert not _controls(at)
    assert not at.get("popover")
    bad = _app({**QUICK, "hide": "title,everything"})
    assert bad.warning and bad.title  # an unknown part: a notice, and nothing hidden


EXPLODING = {"cell": "rnn", "nonlinearity": "relu", "rho": "3", "lr": "10", "optimizer": "sgd", "epochs": "30",
             "lang": "en"}


@pytest.fixture(scope="module")
def exploding_app():
    return _app(EXPLODING)


@pytest.mark.slow
@pytest.mark.parametrize("view", views.names())
def test_an_exploding_run_is_shown_not_crashed(exploding_app, view):
    at = exploding_app
    at.segmented_control(key="w_view").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _specs(at)
    from viz_app.text.i18n import t
    said = " ".join(w.value for w in at.warning)
    if views.get(view).own_models:  # it draws its own models: nothing said about the page's
        assert t("msg.diverged", "en", update=1)[:27] not in said
    else:
        assert t("msg.diverged", "en", update=1)[:27] in said  # and says why


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_clipping_view_says_each_run_s_divergence_once_and_names_it(lang):
    """The exploding scenario at rho = 3: both runs diverge at update 0. The page's own run (no clipping) is said once
    by the training line, the clipped run once by the view, by its name; no sentence twice."""
    from viz_app.text.i18n import t
    at = _app({"scenario": "exploding", "rho": "3", "lang": lang})
    assert not at.exception
    said = [w.value for w in at.warning[1:]]  # after the banner
    assert said == [t("msg.diverged", lang, update=0), t("msg.diverged_run", lang, update=0,
                                                         name=t("leg.with_clip", lang, thr=1.0).capitalize())]


def test_a_clipped_run_that_diverges_is_not_told_to_try_clipping():
    """The exploding scenario at rho = 3 with the page's own run clipped (clip=norm): its training line says it
    diverged even with clipping, and does not advise clipping."""
    from viz_app.text.i18n import t
    at = _app({"scenario": "exploding", "rho": "3", "clip": "norm", "lang": "en"})
    said = " ".join(w.value for w in at.warning)
    assert not at.exception and t("msg.diverged_clipped", "en", update=0, thr=1.0) in said
    assert "Try clipping" not in said


def test_an_untrained_exploding_link_says_so_and_counts_no_clipping():
    """?scenario=exploding&epochs=0: the banner says the run has not been trained; no 'clipping fired on 0 of 0
    updates' under it."""
    from viz_app.text.i18n import t
    at = _app({"scenario": "exploding", "epochs": "0", "lang": "en"})
    assert not at.exception
    assert t("claim.untrained", "en") in " ".join(w.value for w in at.warning)
    assert not [c.value for c in at.caption if "of 0 updates" in c.value]


def test_concurrent_sessions_train_a_run_once(monkeypatch):
    """Students opening the same link together: one worker process trains, the others wait for its result."""
    import threading

    from engine import experiment
    from viz_app.compute import runs, worker
    cfg = experiment.RunConfig(hidden_size=5, epochs=40, seed=123)
    calls, real = [], worker.Pool._child_run
    monkeypatch.setattr(worker.Pool, "_child_run", lambda self, job: calls.append(job.key) or real(self, job))
    results = []
    threads = [threading.Thread(target=lambda: results.append(runs.train(cfg, "en"))) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1 and len(results) == 6 and len({id(r) for r in results}) == 1
    assert results[0].history.updates == 40


def _banner(at, name):
    from viz_app.state import scenarios
    title = scenarios.title(name, "en")  # as the banner sets it (Markdown + KaTeX)
    return [e.value for e in (*at.info, *at.warning) if title in e.value]


@pytest.mark.slow
@pytest.mark.parametrize("name", S.scenarios.names())
def test_a_scenario_link_opens_the_same_run_as_its_full_settings(name):
    """`?scenario=NAME` and the link spelling out every setting of the scenario: same run, same banner numbers,
    same figures; the banner states the effect (no warning) with the run's own numbers."""
    bare = _app({"scenario": name, "lang": "en"})
    full = _app({**S.scenarios.params(name), "scenario": name, "lang": "en"})
    for at in (bare, full):
        assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert _banner(bare, name) == _banner(full, name) and len(_banner(bare, name)) == 1
    assert "⚠" not in _banner(bare, name)[0] and not bare.warning
    assert _specs(bare) == _specs(full) and _specs(bare)
    assert bare.query_params.get("scenario") in ([name], name)


@pytest.mark.parametrize("params", [{"scenario": "truncated", "tbptt": "0"}, {"scenario": "irnn", "task": "char_lm"},
                                    {"scenario": "lstm_copy", "task": "char_lm", "epochs": "20"},
                                    {"scenario": "hello", "task": "sine", "epochs": "20"},
                                    {"scenario": "remember", "task": "copy"}])
def test_a_link_that_overrides_a_scenario_says_so_and_never_crashes(params):
    at = _app({**params, "lang": "en"})
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(e.value for e in (*at.info, *at.warning, *at.error))
    assert "This link changes the scenario's" in said or at.error


@pytest.mark.parametrize("lang,said", [("en", "settings: Cell RNN (tanh) → GRU; Epochs 20 → 5."),
                                       ("ko", "설정을 바꿉니다: 셀 RNN (tanh) → GRU; 에폭 수 20 → 5.")])
def test_the_banner_names_each_changed_setting_with_both_values(lang, said):
    """The scenario's setup sentence names its own values (rho = 1.02, a tanh RNN); a link that changes them said
    only which settings it changed, so the page read 'rho = 1.02' under a run with rho = 3."""
    at = _app({"scenario": "vanishing", "cell": "gru", "epochs": "5", "lang": lang})
    assert not at.exception
    assert said in " ".join(e.value for e in (*at.info, *at.warning))


def test_link_notices_are_worded_in_the_readers_language():
    at = _app({**QUICK, "lang": "ko", "task": "csv", "hidden_size": "abc", "rho": "99"})
    said = " ".join(w.value for w in at.warning)
    assert "정수가 아닙니다" in said and "범위 밖" in said and "올린 CSV가 필요합니다" in said
    assert "not a" not in said and "outside" not in said and "needed" not in said
    # a bound written in e-notation is plain text in the (escaped) notice, not a formula's raw TeX with its $ signs
    at = _app({**QUICK, "lang": "en", "lr": "100"})
    shown = " ".join(w.value for w in at.warning).replace("\\", "")  # as read: Markdown's escapes gone
    assert "lr=100" in shown and "[1e-05, 10]" in shown and "$" not in shown and "times" not in shown


def test_a_charts_exports_carry_the_state_of_the_page_they_are_on(monkeypatch):
    """The state a chart's export caption (permalink) and presentation fonts read is the page's state of this very
    run: after moving the rho slider, the decay chart's exports link to the new rho, not to the previous run's."""
    from viz_app.views import common
    seen = {}
    monkeypatch.setattr(common, "downloads", lambda fig, key, state: seen.__setitem__(key, state))
    at = _app({"view": "eigen", "lang": "en"})
    assert seen["decay"].rho_view == 0.0
    _move_rho(at, 1.5)
    assert not at.exception and seen["decay"].rho_view == 1.5 and seen["eigenvalues"].rho_view == 1.5


@pytest.mark.slow
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_every_view_is_on_the_page_and_in_the_deck_with_the_same_figures(cell, monkeypatch):
    """The registry (viz_app/views) is the one list of views: the deck exports every one, and each view's page draws
    the figures the deck exports for the same settings, by name."""
    from viz_app.export import figures as export_figures
    from viz_app.views import common
    params = {"lang": "en", "cell": cell, "epochs": "30"}
    exported: dict = {}
    for view, name, _ in export_figures.all_figures(S.baseline("").with_(lang="en", cell=cell, epochs=30)):
        exported.setdefault(view, []).append(name)
    assert list(exported) == list(views.names())
    drawn: list = []
    monkeypatch.setattr(common, "downloads", lambda fig, name, state: drawn.append(name))
    # the views' own computations (the embeddings view's models: runs.computed) are made once, by the deck's code,
    # and the page draws from them: the page's worker calls the same function with the same arguments, and which
    # figures a view draws is what is checked here
    from viz_app.compute import runs
    monkeypatch.setattr(runs, "computed", lambda kind, key, fn, *args, **limits: export_figures._computed(fn, *args))
    for view in views.names():
        drawn.clear()
        at = _app({**params, "view": view})
        assert not at.exception and len(at.get("plotly_chart")) == len(drawn)
        assert drawn == exported[view], view


def _rho_control(at) -> dict:
    (control,) = _controls(at, "rho")
    return json.loads(control.proto.json)


def _move_rho(at, rho: float):
    """What the browser's rho control reports once it rests at ``rho``."""
    at.session_state["w_rho"] = {"index": _rho_control(at)["values"].index(f"ρ = {rho:.3g}")}
    return at.run()


def test_a_link_does_not_stretch_the_rho_slider():
    """The eigen view's slider range comes from the run (0.05 to max(3, trained rho)); a link's rho beyond it is
    shown at the end of the range, and the page says so."""
    from viz_app.text.i18n import t
    at = _app({**QUICK, "lang": "en", "view": "eigen", "rho_view": "5"})
    data = _rho_control(at)
    assert (data["values"][0], data["values"][-1], data["values"][data["index"]]) == ("ρ = 0.05", "ρ = 3", "ρ = 3")
    assert t("msg.rho_view_range", "en", asked=5.0, lo=0.05, hi=3.0, shown=3.0) in [c.value for c in at.caption]
    inside = _app({**QUICK, "lang": "en", "view": "eigen", "rho_view": "1.5"})
    data = _rho_control(inside)
    assert data["values"][data["index"]] == "ρ = 1.5" and not [c for c in inside.caption if "outside" in c.value]

@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_links_rho_between_positions_is_shown_at_the_nearest_and_adds_no_recording(lang):
    """A link's rho_view between the slider's positions is shown at the nearest one, and the page says so: every
    such link reads the run's one grid recording (each decimal a student typed was a new recording, kept on disk)."""
    import numpy as np
    from viz_app.views import eigen
    at = _app({**QUICK, "lang": lang, "view": "eigen", "rho_view": "0.9731"})
    data = _rho_control(at)
    assert data["values"][data["index"]] == "ρ = 0.95" and not at.exception
    assert t("msg.rho_view_nearest", lang, asked=0.9731, shown=0.95) in [c.value for c in at.caption]
    state, _ = S.from_params({**QUICK, "view": "eigen"})
    trace = export_figures.DeckSource(state.run_config()).trace
    rng = np.random.default_rng(0)
    grids = {eigen.grid(state.with_(rho_view=round(float(r), 4)), trace) for r in rng.uniform(0.05, 3, 50)}
    assert len(grids) == 1 and eigen.grid(state, trace) in grids


def test_the_rho_slider_moves_in_the_browser_and_every_position_says_what_is_true():
    """The rho control answers in the browser: the figures carry every position (eigenvalues, curves, frames), and
    the sentence under the control at each position is the regime of W_hh rescaled to that rho, with the decay
    measured on that curve (engine.spectrum.regime of the rescaled matrix, the claims' wording). At rest the
    server's figures show the position chosen, equal to the run rescaled by the engine directly."""
    import numpy as np

    from engine import experiment, spectrum
    from viz_app.text import claims
    at = _app({"lang": "en", "view": "eigen"})
    data = _rho_control(at)
    values = [float(v.split("= ")[1]) for v in data["values"]]
    plane, decay = (json.loads(s) for s in _specs(at))
    assert len(plane["data"][-1]["meta"]["rho_points"]) == len(values) == len(decay["data"][0]["meta"]["rho_y"])
    run = experiment.run(S.baseline("").run_config())
    for rho in (0.5, 1.0, 2.5):
        i = values.index(rho)
        norms, blk = run.rescaled_decay(rho)
        reg = spectrum.regime(run.net.cell, blk)
        kind, sentence = data["notes"][i]
        assert sentence.startswith(claims.regime_text(reg, "tanh", "en", "html"))  # the control's box: HTML
        assert kind == ("success" if reg.guaranteed else "warning")
        assert claims.measured_ratio_text(norms, "en", "html") in sentence
        drawn = decay["data"][0]["meta"]["rho_y"][i]  # by lag: norms[k] has lag T-1-k
        assert [v is None for v in drawn] == [not v > 0 for v in norms[::-1]]
        assert np.allclose([v for v in drawn if v is not None], [v for v in norms[::-1] if v > 0], rtol=1e-12)
    assert data["notes"][values.index(0.5)][0] == "success" and data["notes"][values.index(2.5)][0] == "warning"
    _move_rho(at, 2.5)
    plane, decay = (json.loads(s) for s in _specs(at))
    assert decay["data"][0]["y"] == decay["data"][0]["meta"]["rho_y"][values.index(2.5)]
    assert at.query_params["rho_view"] in (["2.5"], "2.5")


@pytest.mark.parametrize("params,expect,absent", [
    ({"view": "unroll"}, [r"\tanh\!\left(W_{xh}", r"\operatorname{softmax}"], [r"c_t"]),
    ({"view": "unroll", "cell": "lstm"}, [r"c_t &= f_t \odot c_{t-1}", r"\operatorname{softmax}"], []),
    ({"view": "states", "cell": "gru"}, [r"h_t &= (1 - z_t) \odot"], [r"\operatorname{softmax}"]),
    ({"view": "unroll", "task": "sine"}, [r"\hat y_t = W_{hy}\, h_t + b_y"], [r"\operatorname{softmax}"]),
    ({"view": "eigen", "cell": "rnn", "nonlinearity": "relu"}, [r"\sigma_{\max}(W_{hh})"], [r"\text{RNN:}"]),
    ({"view": "eigen", "cell": "lstm"}, [r"\sigma_{\max}(W_{hh})", r"\text{RNN:}"], []),  # Pascanu: a vanilla RNN's
])
def test_each_view_typesets_the_equations_of_the_cell_on_the_page(params, expect, absent):
    """The equations above a view are the cell's own (RNN, LSTM or GRU), with the softmax only where the loss is a
    cross-entropy; they are KaTeX elements (st.latex), not raw text."""
    at = _app({**QUICK, "lang": "en", **params})
    assert not at.exception
    tex = " ".join(e.body for e in at.latex)
    for piece in expect:
        assert piece in tex, (piece, tex)
    for piece in absent:
        assert piece not in tex, (piece, tex)


@pytest.mark.parametrize("view", ["nnlm", "embed", "shapes"])
def test_a_view_with_its_own_models_does_not_state_the_scenarios_result(view):
    """The scenario's sentence is measured on the scenario's run, which these views do not draw."""
    at = _app({"scenario": "vanishing", "view": view, "lang": "en"})
    assert not at.exception and _specs(at)
    banner = " ".join(i.value for i in at.info)
    assert t("msg.own_models", "en") in banner
    plain = _app({"scenario": "vanishing", "lang": "en"})  # on its own view the result is said
    assert t("msg.own_models", "en") not in " ".join(i.value for i in [*plain.info, *plain.warning])


def test_a_click_on_a_cell_is_read_once_and_only_in_range(monkeypatch):
    """controls.clicked_cell: the browser's click ({unit, layer, n}) is adopted once (the same report again is not a new
    click; the same unit clicked again is, by its count); a unit or layer outside the page's run, or not a whole
    number, is no click (the layer alone is dropped)."""
    from viz_app.web import controls
    session = {}
    monkeypatch.setattr(controls.st, "session_state", session)
    assert controls.clicked_cell("step", 35, 1) is None  # nothing reported
    session["w_step"] = {"index": 7, "cell": {"unit": 12, "n": 1}}
    assert controls.clicked_cell("step", 35, 1) == (12, None)
    assert controls.clicked_cell("step", 35, 1) is None  # the same report, seen
    session["w_step"] = {"index": 7, "cell": {"unit": 12, "n": 2, "layer": 1}}
    assert controls.clicked_cell("step", 35, 2) == (12, 1)
    session["w_step"] = {"index": 7, "cell": {"unit": 12, "n": 3, "layer": 5}}
    assert controls.clicked_cell("step", 35, 2) == (12, None)
    for bad in (35, -1, 2.5, True, "3", None):
        session["w_step"] = {"index": 7, "cell": {"unit": bad, "n": 9}}
        assert controls.clicked_cell("step", 35, 1) is None, bad


def test_the_states_view_writes_the_selected_cell_s_equations():
    """The states view's equations are its unit's (the heatmap's click or the unit control): a forward unit's step
    with its numbers, without the readout; a unit of a bidirectional layer's backward half gets the sentence that
    says so, not another unit's equations."""
    at = _app({**QUICK, "view": "states", "lang": "en", "unit": "4", "step": "6"})
    assert not at.exception
    assert [c for c in at.caption if c.value.startswith("Step 6, unit 4:")]
    assert not [e for e in at.latex if r"\operatorname{softmax}" in e.body]
    at = _app({"epochs": "5", "view": "states", "lang": "en", "bidirectional": "1", "task": "copy", "unit": "40"})
    assert not at.exception
    assert [i for i in at.info if i.value.startswith("This unit is unit 5 of the backward half")]
    assert not [c for c in at.caption if c.value.startswith("Step ")]


def _widget(kind, label: str):
    """The sidebar widget of a kind (at.slider, at.selectbox) with this label in English."""
    return next(w for w in kind if w.label == t(label, "en"))


def test_every_sidebar_change_followed_by_train_trains():
    """Four changes in a row of the hidden size, then of the cell, each followed by Train, each trained (a widget
    redrawn under another identity dropped every second change); a scenario picked afterwards fills the form with its
    settings, and a change made then leaves the scenario."""
    at = _app({"epochs": "20", "lang": "en"})
    for n in (12, 20, 8, 16):
        _widget(at.slider, "ctl.hidden_size").set_value(n)
        _widget(at.button, "ctl.train").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["app_state"].hidden_size == n and _widget(at.slider, "ctl.hidden_size").value == n
        assert at.query_params["hidden_size"] in ([str(n)], str(n))
    for cell in ("gru", "lstm", "rnn_tanh"):
        _widget(at.selectbox, "ctl.cell").set_value(cell)
        _widget(at.button, "ctl.train").click().run()
        state = at.session_state["app_state"]
        assert S.cell_choice(state.cell, state.nonlinearity) == cell
    _widget(at.selectbox, "ctl.scenario").set_value("hello").run()
    state = at.session_state["app_state"]
    assert state.scenario == "hello" and _widget(at.slider, "ctl.hidden_size").value == state.hidden_size == 8
    _widget(at.slider, "ctl.hidden_size").set_value(10)
    _widget(at.button, "ctl.train").click().run()
    state = at.session_state["app_state"]
    assert state.hidden_size == 10 and state.scenario == "" and _widget(at.selectbox, "ctl.scenario").value == ""
