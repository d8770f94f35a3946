"""Watching a model learn: the app's play / pause over a training paused and resumed in steps (viz_app/teach/watch.py).

The engine's side (a paused training goes on bit for bit as never paused) is tests/test_train.py's; here the page:
a link with paused_at opens exactly that model and says so, the buttons go on from it, and watching a training to
its end leaves the same page as opening the trained link."""
import pytest
from engine import experiment
from viz_app.teach import watch
from viz_app.state import fields as S
from viz_app.text.i18n import t

from tests.test_app import _app, _specs

SMALL = {"lang": "en", "epochs": "40", "hidden_size": "12"}


def _buttons(at):
    return {b.label: b for b in at.button}


def test_a_paused_link_opens_that_model_and_says_where_training_stands():
    at = _app({**SMALL, "view": "eigen", "paused_at": "16"})
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    run = experiment.run(S.from_params({**SMALL, "paused_at": "16"})[0].run_config())
    said = t("msg.paused", "en", epoch=16, epochs=40, updates=run.history.updates, loss=float(run.history.loss[-1]))
    assert run.history.updates == 16 and said in [c.value for c in at.caption]
    assert not [c.value for c in at.caption if c.value.startswith("Trained:")]  # it is not the trained model
    assert at.query_params["paused_at"] in ("16", ["16"])
    assert set(_buttons(at)) >= {t("ctl.live_resume", "en"), t("ctl.live_finish", "en")}
    # to the end: the page of the trained link, figure for figure (the training went on from the pause)
    at = _buttons(at)[t("ctl.live_finish", "en")].click().run()
    assert not at.exception and "paused_at" not in at.query_params
    assert _specs(at) == _specs(_app({**SMALL, "view": "eigen"}))
    assert t("ctl.watch", "en") in _buttons(at)


@pytest.mark.slow
def test_watching_it_learn_plays_every_step_and_ends_on_the_trained_page():
    """Watch from the initialisation: every step (2 epochs here) is drawn, and the last is the page of the trained
    link; the run's steps are the training paused at 0, 2, 4, ... epochs."""
    at = _app({**SMALL, "view": "states"})
    at = _buttons(at)[t("ctl.watch", "en")].click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert "paused_at" not in at.query_params and watch.KEY not in at.session_state
    assert [c.value for c in at.caption if c.value.startswith("Trained: 40 updates")]
    assert _specs(at) == _specs(_app({**SMALL, "view": "states"}))
    steps = [watch.next_pause(S.AppState(epochs=40, paused_at=p)) for p in (-1, 0, 36, 38)]
    assert watch.step_epochs(40) == 2 and steps == [0, 2, 38, -1]


def test_a_pause_outside_the_training_is_a_notice():
    at = _app({**SMALL, "paused_at": "40"})
    assert not at.exception and "paused_at" not in at.query_params
    assert [w.value for w in at.warning if "paused_at" in w.value]
