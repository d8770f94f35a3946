"""Sidebar controls built from the state table: model and training settings in a form (applied by "Train"),
and the language. View-only controls live on each view and never retrain."""
from __future__ import annotations

import hashlib

import streamlit as st

from engine import EngineError
from engine.io import few_classes, parse_csv

from viz_app.lecture import ui as lecture_ui
from viz_app.compute import runs
from viz_app.state import scenarios
from viz_app.state import fields as S
from viz_app.text import escape
from viz_app.text.errors import error_message
from viz_app.text.i18n import option, t
from viz_app.state import url

HELD = "_sidebar_held"  # what each sidebar widget held at the end of the last run (``synced``)
LR_STEPS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


FORM = (("ctl.model", ("cell", "hidden_size", "num_layers", "bidirectional", "residual", "init", "rho")),
        ("ctl.task", ("task", "text", "alphabet", "loss", "reduce", "length")),
        ("ctl.training", ("optimizer", "lr", "epochs", "clip", "clip_threshold", "tbptt", "seed")))


def synced(key: str, value):
    """The key of a sidebar widget that shows ``value``, the page's state, unless the user has just changed it: a change
    of the state made elsewhere (a scenario, a link, a deck entry, Train with other settings) reaches the widget, and
    the user's own change (a choice, a form sent by Train) is kept. Every sidebar widget has a key and takes its value
    from here, never from a ``value=`` argument: a widget without a key whose ``value=`` changes is another widget to
    Streamlit, and the change made on the one still on screen is dropped (every second change followed by Train was
    lost that way). ``held`` records what each widget holds at the end of a run."""
    held = st.session_state.setdefault(HELD, {})
    if key not in st.session_state or (st.session_state[key] == held.get(key) and st.session_state[key] != value):
        st.session_state[key] = value
    held.setdefault(key, None)
    return key


def _hold() -> None:
    """Record what each sidebar widget holds now (``synced`` tells the user's next change from the state's)."""
    held = st.session_state.setdefault(HELD, {})
    for key in held:
        held[key] = st.session_state.get(key)


def setting(name: str, state, lang: str):
    """The sidebar widget of one run setting, drawn from its Field (kind, choices, bounds, step, widget); returns
    its value, typed."""
    f, value, label, key = S.BY_NAME[name], getattr(state, name), t(f"ctl.{name}", lang), f"set_{name}"
    if name == "cell":  # one choice for cell and nonlinearity
        choices = tuple(S.cell_choices())
        return st.selectbox(label, choices, key=synced(key, S.cell_choice(state.cell, state.nonlinearity)),
                            format_func=lambda v: option(v, lang))
    if name == "task":  # "csv" once data was uploaded; the group's heading names it
        names = tuple(c for c in f.choices if c != "csv" or state.data_id or state.task == "csv")
        return st.selectbox(label, names, key=synced(key, value), format_func=lambda v: option(v, lang),
                            label_visibility="collapsed")
    if f.choices is not None:
        return st.selectbox(label, f.choices, key=synced(key, value), format_func=lambda v: option(v, lang))
    if f.widget == "toggle":
        return int(st.toggle(label, key=synced(key, bool(value))))
    if f.widget in ("text", "area"):
        box = st.text_area if f.widget == "area" else st.text_input
        return box(label, key=synced(key, value), max_chars=f.max_chars,
                   **({"height": 80} if f.widget == "area" else {}))
    if f.log:  # the steps, and a link's own value among them
        return float(st.select_slider(label, options=sorted(set(LR_STEPS) | {value}), key=synced(key, value)))
    lo, hi = f.kind(f.lo), f.kind(f.hi)
    widget = st.number_input if f.widget == "number" else st.slider
    step = None if f.step is None else f.kind(f.step)
    return f.kind(widget(label, lo, hi, step=step, key=synced(key, f.kind(value))))


def sidebar(state):
    """Draw the sidebar; returns the state with the form's values (Train: a run that had stopped at the budget may
    train again). The sidebar is drawn again at once when it no longer shows the state: settings that are no longer
    the scenario's (its select box says so), a deck loaded (its download and handout buttons)."""
    lang = state.lang
    with st.sidebar:
        lang = st.radio(t("app.lang", lang), S.LANGS, horizontal=True, key=synced("w_lang", state.lang),
                        format_func=lambda v: {"ko": "한국어", "en": "English"}[v])
        names = S.BY_NAME["scenario"].choices
        choice = st.selectbox(t("ctl.scenario", lang), names, key=synced("w_scenario", state.scenario),
                              format_func=lambda v: scenarios.title(v, lang, "text") if v
                              else t("ctl.scenario_none", lang))
        if choice != state.scenario:  # a scenario sets everything at once; "custom" keeps the current settings
            state = S.scenario_state(choice, lang) if choice else state.with_(scenario="")
        with st.form("settings", border=False):
            values = {}
            for heading, names in FORM:
                st.subheader(t(heading, lang))
                values |= {name: setting(name, state, lang) for name in names}
            pressed = st.form_submit_button(t("ctl.train", lang), type="primary")
            st.caption(t("ctl.pending", lang))
        state = uploads(state, lang)
        exports = export_settings(state, lang)
        exports |= lecture_ui.sidebar(state, lang)
    new = state.with_(lang=lang, **exports)
    if pressed:
        values["cell"], nl = S.cell_choices()[values["cell"]]
        values["nonlinearity"] = state.nonlinearity if nl is None else nl
        changed = any(getattr(state, k) != v for k, v in values.items())  # then they are no longer the scenario's
        # Train: a new training, or this one to its end (a pause of watching it learn is over)
        new = new.with_(scenario="" if changed else state.scenario, paused_at=-1, **values)
        st.session_state.pop("halted", None)
    _hold()
    if new.scenario != choice or new.deck != state.deck:  # drawn again from the new state: the scenario's select
        _apply(new)  # box, the deck's buttons
    return new


def export_settings(state, lang: str) -> dict:
    """Slide theme, lecture mode, PNG scale and caption: view-only, applied at once."""
    with st.expander(t("ctl.export", lang)):
        bg = st.radio(t("ctl.slide", lang), ("light", "dark"), key=synced("w_slide", state.slide),
                      format_func=lambda v: option(v, lang), horizontal=True)
        scale = st.select_slider(t("ctl.png_scale", lang), options=(1, 2, 3, 4),
                                 key=synced("w_png_scale", state.png_scale), format_func=lambda v: f"{v}×")
        cap = st.toggle(t("ctl.caption", lang), key=synced("w_caption", bool(state.caption)))
        lecture = st.toggle(t("ctl.lecture", lang), key=synced("w_lecture", bool(state.lecture)))
        predict = st.toggle(t("ctl.predict", lang), key=synced("w_predict", bool(state.predict)),
                            help=t("ctl.predict_help", lang))
    return {"slide": bg, "png_scale": int(scale), "caption": int(cap), "lecture": int(lecture),
            "predict": int(predict)}


def uploads(state, lang: str):
    """CSV data and PyTorch models from the user's disk; every failure is one sentence, and the app goes on."""
    busy = state.data_id or state.model_id or st.session_state.get("w_csv") or st.session_state.get("w_model")
    with st.expander(t("ctl.uploads", lang), expanded=bool(busy)):
        csv = st.file_uploader(t("ctl.csv", lang), type=["csv"], key="w_csv")
        if csv is not None:
            raw = csv.getvalue()
            try:
                table = parse_csv(raw)
            except EngineError as e:
                st.error(error_message(e, lang))
            else:
                target = st.selectbox(t("ctl.target", lang), ["", *table.header], key="w_target",
                                      format_func=lambda v: v or t("ctl.no_target", lang),
                                      on_change=_propose_kind, args=(table,))
                texts = table.labels.get(target)
                if texts:  # text labels are classes (``_propose_kind`` chose it): said with their codes
                    st.caption(t("msg.csv_labels", lang, column=escape.md(target, escape.QUOTE_LIMIT),
                                 codes=", ".join(f"{escape.md(v, escape.QUOTE_LIMIT)} = {k}"
                                                 for k, v in enumerate(texts))))
                kind = st.radio(t("ctl.task", lang), ("regression", "classification"), key="w_kind",
                                format_func=lambda v: option(v, lang), disabled=not target or bool(texts))
                if st.button(t("ctl.use_data", lang), key="w_use_data"):
                    key = runs.register_upload("csv", raw)
                    _apply(state.with_(task="csv", data_id=key, target=target, data_kind=kind, scenario=""))
        model = st.file_uploader(t("ctl.model_file", lang), type=["pt", "pth", "bin"], key="w_model")
        if model is not None:
            raw = model.getvalue()
            info, error = _inspected(raw, lang)
            if error is not None:
                st.error(error_message(error, lang))
            else:
                st.caption(t("msg.model_info", lang, cell=info.cell.upper(), i=info.input_size,
                             h=info.hidden_size, layers=info.num_layers,
                             both=t("msg.model_bidirectional", lang) if info.bidirectional else "",
                             readout=t("msg.model_readout", lang) if info.whole_net else ""))
                if st.button(t("ctl.use_model", lang), key="w_use_model"):
                    key = runs.register_upload("model", raw)
                    _apply(state.with_(model_id=key, cell=info.cell, hidden_size=info.hidden_size,
                                       num_layers=info.num_layers, bidirectional=int(info.bidirectional),
                                       scenario=""))
        if state.model_id and st.button(t("ctl.drop_model", lang), key="w_drop_model"):
            _apply(state.with_(model_id=""))
    return state


def _propose_kind(table) -> None:
    """A new target column: classification proposed for text labels or a few whole numbers (0/1, class ids), else
    regression; the radio stays the user's to change."""
    target = st.session_state.get("w_target")
    if target:
        classes = target in table.labels or few_classes(table.values[:, table.header.index(target)])
        st.session_state.w_kind = "classification" if classes else "regression"


def _inspected(raw: bytes, lang: str = "en"):
    """(ModelInfo, None) or (None, the EngineError) for an uploaded model file, read once per file and session: the
    uploader hands the same file to every later run of the sidebar, which loaded it again each time."""
    digest = hashlib.sha256(raw).hexdigest()
    seen = st.session_state.get("_model_upload")
    if seen is None or seen[0] != digest:
        try:
            seen = (digest, runs.model_info(raw, lang), None)  # loaded in a worker, not here
        except EngineError as e:
            seen = (digest, None, e)
        st.session_state._model_upload = seen
    return seen[1], seen[2]


def _apply(state) -> None:
    """Store new settings and run again, so every widget is drawn from them."""
    url.keep(state)
    st.rerun()
