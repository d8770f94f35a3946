"""What a session waiting for a job sees (viz_app/compute/runs.py starts the jobs): its place in the queue, then the
training's progress bar and its loss so far (or how long the recording has run)."""
from __future__ import annotations

import functools
import time

import plotly.graph_objects as go
import streamlit as st

from engine.serving import budget
from viz_app.compute import worker
from viz_app.figures.timeline import live_loss
from viz_app.text.i18n import t

LIVE_GROUP = 5  # the live loss curve is redrawn every 5 reports of the training job (about half a second)


@functools.lru_cache(maxsize=16)
def live_figure(curve: tuple, total: int, lang: str) -> dict:
    return live_loss(curve, total, lang=lang).to_dict()


class Waiting:
    """What a session waiting for a job sees, in one placeholder: its place in the queue, then the training's
    progress bar (or how long the recording has run). Its updates are also where Streamlit stops a page whose user
    clicked Stop, changed a setting or left: the session stops waiting, and the job goes on only for the others."""

    def __init__(self, lang: str, cost: budget.Estimate, label: str = "", training: bool = True, quiet: bool = False,
                 message: str = "msg.recording"):
        self.lang, self.cost, self.label, self.training = lang, cost, label + " " if label else "", training
        self.message = message  # what a job that is not a training is doing
        self.quiet = quiet  # one line of text, no bar or curve (a step of a training being watched)
        self.slot, self.last = st.empty(), (None, 0.0)
        self.chart, self.drawn = st.empty(), (0, 0.0)  # the loss so far, redrawn as it grows (at most twice a second)

    def __call__(self, status: worker.Status) -> None:
        lang = self.lang
        if status.queued_ahead:
            shown = ("caption", t("msg.queued", lang, ahead=status.queued_ahead, seconds=self.cost.seconds))
        elif self.training and status.progress:
            done, total, loss = status.progress
            shown = ("bar", min(1.0, done / max(total, 1)), self.label + t("msg.training", lang, done=done,
                                                                             total=total, loss=loss))
        else:
            shown = ("caption", self.label + t("msg.training_start" if self.training else self.message, lang,
                                               seconds=status.seconds))
        now = time.monotonic()
        # the curve drawn grows by whole groups of reports, so that every session waiting for the job draws the
        # same few figures, built once (live_figure)
        curve = status.curve[:len(status.curve) // LIVE_GROUP * LIVE_GROUP]
        if self.quiet and shown[0] == "bar":
            shown = ("caption", shown[2])
        if self.training and not self.quiet and status.progress and len(curve) > 1 and len(curve) != self.drawn[0] \
                and now - self.drawn[1] >= 0.5:
            self.drawn = (len(curve), now)
            self.chart.plotly_chart(go.Figure(live_figure(curve, status.progress[1], lang), _validate=False),
                                    theme=None, config={"displaylogo": False, "staticPlot": True})
        if shown == self.last[0] and now - self.last[1] < 0.5:
            return
        self.last = (shown, now)
        if shown[0] == "bar":
            self.slot.progress(shown[1], text=shown[2])
        else:
            self.slot.caption(shown[1])

    def close(self) -> None:
        self.slot.empty()
        self.chart.empty()
