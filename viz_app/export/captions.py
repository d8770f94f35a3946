"""What a figure says about itself when it leaves the app: its caption (model, settings, seed, in the state's
language), its permalink and the file name shared by the download buttons and the exporter."""
from __future__ import annotations

import hashlib
import os
from urllib.parse import quote

from viz_app import views
from viz_app.state.fields import FIELDS, LINK_FIELDS, cell_choice, to_params
from viz_app.text import escape
from viz_app.text.i18n import option, t


PUBLIC_URL = "RNN_VIZ_PUBLIC_URL"  # the app's public address (e.g. https://rnn.example.edu/): captions' permalinks


def public_base(request_url: str = "") -> str:
    """The address a caption's permalink starts with: the RNN_VIZ_PUBLIC_URL setting, else the request's own address
    (the page the lecturer has open), else Streamlit's browser.serverAddress / serverPort (the exporter's guess)."""
    base = os.environ.get(PUBLIC_URL, "").strip() or request_url.split("?")[0].split("#")[0]
    if not base:
        from streamlit import config
        base = f"http://{config.get_option('browser.serverAddress')}:{config.get_option('browser.serverPort')}/"
    return base if base.endswith("/") else base + "/"


def permalink(state, base: str) -> str:
    """The absolute address that reproduces ``state``'s figure, in its language (a link without one opens in the
    reader's browser language: a Korean slide's link would open in English for some students)."""
    # a lecture deck in the page's link is the lecture's, not this figure's
    params = {k: v for k, v in to_params(state).items() if k not in LINK_FIELDS}
    query = "&".join(f"{k}={quote(v)}" for k, v in {"lang": state.lang, **params}.items())
    return f"{base}?{query}" if query else base


def caption(state, permalink: str, *, trained_rho: float | None = None, figure: str = "") -> str:
    """What the figure drawn is (model or models, settings, seed; in the state's language) and the URL that
    reproduces it. ``trained_rho``: the spectral radius of the W_hh drawn (after training), quoted beside the
    radius it was set to at initialisation; ``figure``: the figure's name. A view whose figures are not the page's
    run says what they are itself (its record's ``caption``)."""
    view = views.get(state.view)
    what = describe(state, trained_rho) if view.caption is None else view.caption(state, figure, trained_rho)
    return what + "<br>" + escape.plot(permalink)


def cell_label(cell: str, nonlinearity: str, lang: str) -> str:
    """A cell's name as the sidebar offers it (a vanilla RNN with its nonlinearity)."""
    return option(cell_choice(cell, nonlinearity), lang)


def describe(state, trained_rho: float | None = None, *, cell: str | None = None, init: str | None = None,
             clip: str | None = None) -> str:
    """The page's run as a caption's line: the model, initialisation (``trained_rho``: W_hh's radius after
    training), task, loss, training, clipping, BPTT and seed. ``cell``, ``init``, ``clip``: a view's own words for
    those parts (the comparison's three cells, clipping's pair of runs)."""
    lang = state.lang
    cell = cell_label(state.cell, state.nonlinearity, lang) if cell is None else cell
    text = escape.plot(escape.shorten(state.text, 40))  # the user's text: no live link or tag in a slide
    task = option(state.task, lang) + (f" “{text}”" if state.task == "char_lm" else f" T={state.length}")
    rho = f" ρ₀={state.rho:g}" if state.rho else ""
    if trained_rho is not None:
        rho += f" → ρ={trained_rho:.3g}" if state.epochs else f" ρ={trained_rho:.3g}"
    if clip is None:
        clip = t("cap.no_clip", lang) if state.clip == "none" else \
            t("cap.clip", lang, mode=option(state.clip, lang), thr=state.clip_threshold)
    shape = [t("cap.bidirectional", lang)] if state.bidirectional else []
    shape += [t("cap.residual", lang)] if state.residual else []
    parts = [f"{cell} H={state.hidden_size} " + t("cap.layers", lang, n=state.num_layers) + "".join(
                 f" {s}" for s in shape),
             t("cap.init", lang, init=option(state.init, lang) if init is None else init) + rho,
             t("cap.task", lang, task=task)]
    if (state.loss, state.reduce) != ("cross_entropy", "mean"):
        parts.append(t("cap.loss", lang, loss=option(state.loss, lang), reduce=option(state.reduce, lang)))
    paused = state.paused_at >= 0  # watching it learn: the training stopped there (every run of the figure)
    parts += [t("cap.paused" if paused else "cap.training", lang, opt=option(state.optimizer, lang), lr=state.lr,
                n=state.epochs, at=state.paused_at), clip,
              t("cap.tbptt", lang, k=state.tbptt) if state.tbptt else t("cap.full_bptt", lang),
              t("cap.seed", lang, seed=state.seed)]
    return " · ".join(parts)


# what a figure's file name does not depend on: how the page is shown, not what it draws
_NOT_DRAWN = tuple(f.name for f in FIELDS if not f.drawn)


def file_name(state, name: str, fmt: str) -> str:
    """One name per figure and setting, shared by the download buttons and the exporter: the scenario (or
    "custom"), the view, the figure and a digest of every setting it is drawn from, so two scenarios, or two
    settings of one, exported into one folder never overwrite each other."""
    params = {k: v for k, v in to_params(state).items() if k not in _NOT_DRAWN}
    params["view"] = state.view
    digest = hashlib.sha1("&".join(f"{k}={v}" for k, v in sorted(params.items())).encode()).hexdigest()[:8]
    return f"{state.scenario or 'custom'}-{state.view}-{name}-{digest}.{fmt}"
