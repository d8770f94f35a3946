"""View 7: scrub through training snapshots (in the browser: every figure carries all of them)."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.experiment import Run

from viz_app.web import controls
from viz_app.state import scenarios
from viz_app.figures import timeline as figs
from viz_app.text.i18n import t
from viz_app.state.fields import RUN_FIELDS, AppState, hidden
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views import View
from viz_app.teach import predict
from viz_app.state import url

PLAY_MS = 400  # the replay of training: one snapshot every PLAY_MS


def snapshot_of(state, run) -> int:
    last = len(run.history.snapshots) - 1
    return state.snapshot if 0 <= state.snapshot <= last else last


def figures(state: AppState, src: Source) -> list[Chart]:
    """W_hh's eigenvalues at the state's snapshot (and the earlier ones), the loss with the snapshot marked, and
    ||dL/dh_t|| of the model as it was then; each carries every snapshot for the browser's snapshot control."""
    lang, run = state.lang, src.run
    index = snapshot_of(state, run)
    updates = [u for u, _ in run.history.snapshots]
    return [Chart("eigenvalues", figs.eigen_timeline(src.snapshot_eigenvalues(), index=index, lang=lang)),
            Chart("loss", figs.loss_with_marker(run.history, index=index, lang=lang,
                                                reference=scenarios.reference_losses(state.scenario))),
            Chart("gradients", figs.gradients_at_snapshots(src.snapshot_gradient_norms(), updates, index=index,
                                                           lang=lang))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
    snaps = run.history.snapshots
    index = snapshot_of(state, run)
    with areas.stage:
        if len(snaps) > 1 and not hidden(state, "snapshot"):
            index = controls.index_control(
                "snapshot", len(snaps), index, label=t("ctl.snapshot", lang, form="html"), lang=lang,
                values=[f"{t('axis.update', lang)} {u}" for u, _ in snaps], play_ms=PLAY_MS,
                play=t("ctl.replay", lang),  # the saved snapshots, nothing trained (watching it learn trains)
                large=bool(state.present))
        state = state.with_(snapshot=int(index))
        eigenvalues, loss, grads = figures(state, AppSource(state, run, trace))
        left, right = st.columns(2)
        with left:
            chart(eigenvalues, state, areas, main=True)
        with right:
            chart(loss, state, areas, main=True)
        time_machine(state, run, index, areas.stage)
    chart(grads, state, areas)
    return state


def pause_for(updates: int, run: Run) -> int:
    """The ``paused_at`` (epochs) whose model is the one after ``updates`` updates of ``run`` (the first epoch
    boundary at or after it: every update when the batch is the whole data); -1 at the training's end."""
    done = -(-updates // max(1, run.history.per_epoch))
    return -1 if done >= run.config.epochs else done


def time_machine(state, run: Run, index: int, where) -> None:
    """The snapshot on screen (chosen with the control, or a click on the loss curve) opened in every view: the
    training paused there (``paused_at``), a real run, the same bit for bit as the snapshot's parameters."""
    snaps = run.history.snapshots
    if len(snaps) < 2 or index >= len(snaps) - 1 or hidden(state, "snapshot"):
        return
    travel(state, run, snaps[index][0], where)


def destination(state, run: Run, updates: int) -> tuple[AppState, int] | None:
    """(the page's state that shows ``run`` after ``updates`` updates in every view: its settings, paused at the
    epoch boundary at or after that update; the update it opens), or None when that is the model on screen."""
    pause = pause_for(updates, run)
    settings = {f: getattr(run.config, f) for f in RUN_FIELDS}
    target = state.with_(**{**settings, "paused_at": pause}, snapshot=-1)
    if target.run_config() == state.run_config():
        return None
    if run.config.with_(paused_at=state.paused_at) != state.run_config():  # another run: no longer the scenario's
        target = target.with_(scenario="")
    shown = run.history.updates if pause < 0 else min(pause * max(1, run.history.per_epoch), run.history.updates)
    return target, shown


def travel(state, run: Run, updates: int, where, *, name: str = "", key: str = "w_time_machine") -> None:
    """A button that opens ``run`` (the page's, or another one a view trained: ``name``) as it was after
    ``updates`` updates in every view (``destination``). Nothing when that is the model on screen already."""
    found = destination(state, run, updates)
    if found is None:
        return
    target, shown = found
    lang = state.lang
    with where:
        st.caption(t("msg.time_machine" if not name else "msg.time_machine_curve", lang))
        label = (t("ctl.time_machine", lang, updates=shown) if not name
                 else t("ctl.time_machine_run", lang, updates=shown, name=name))
        # a callback: it runs whether or not the next run draws the button again (a click on a curve that offered it
        # is gone once the chart is redrawn, and a button read in the script's body then did nothing)
        st.button(label, key=key, on_click=url.keep, args=(target,))


def picked_update(event, fig) -> tuple[str, int] | None:
    """(the run's key, the update) of the point clicked on a curve whose trace declares meta.run (a chart drawn with
    ``pick``), or None."""
    for p in controls.selected_points(event):
        n, x = p.get("curve_number"), p.get("x")
        if not isinstance(n, int) or not 0 <= n < len(fig.data) or not isinstance(x, int | float) or x < 0:
            continue
        meta = fig.data[n].meta
        if isinstance(meta, dict) and meta.get("run") is not None:
            return meta["run"], int(round(x))
    return None


def offer(state, event, c: Chart, runs: dict, names: dict) -> None:
    """Under a chart drawn with ``pick`` whose curves name their run (meta.run: a key of ``runs``): the button that
    opens the clicked run after the clicked update in every view (``travel``)."""
    picked = picked_update(event, c.fig)
    if picked is not None and picked[0] in runs:
        key, updates = picked
        run = runs[key]
        travel(state, run, min(updates, run.history.updates), st.container(), name=names[key],
               key=f"w_travel_{c.name}")


VIEW = View("timeline", figures, render, question=predict.FINAL_LOSS)
