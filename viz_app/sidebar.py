"""Sidebar controls built from the state table: model and training settings in a form (applied by "Train"),
and the language. View-only controls live on each view and never retrain."""
from __future__ import annotations

import streamlit as st

from engine import EngineError
from engine.io import load_model, parse_csv

from viz_app.lecture import ui as lecture_ui
from viz_app.compute import runs
from viz_app.state import scenarios
from viz_app.state import fields as S
from viz_app.text.errors import error_message
from viz_app.text.i18n import option, t
from viz_app.state import url

LR_STEPS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


FORM = (("ctl.model", ("cell", "hidden_size", "num_layers", "bidirectional", "residual", "init", "rho")),
        ("ctl.task", ("task", "text", "alphabet", "loss", "reduce", "length")),
        ("ctl.training", ("optimizer", "lr", "epochs", "clip", "clip_threshold", "tbptt", "seed")))


def setting(name: str, state, lang: str):
    """The sidebar widget of one run setting, drawn from its Field (kind, choices, bounds, step, widget); returns
    its value, typed."""
    f, value, label = S.BY_NAME[name], getattr(state, name), t(f"ctl.{name}", lang)
    if name == "cell":  # one choice for cell and nonlinearity
        choices = tuple(S.cell_choices())
        return st.selectbox(label, choices, index=choices.index(S.cell_choice(state.cell, state.nonlinearity)),
                            format_func=lambda v: option(v, lang))
    if name == "task":  # "csv" once data was uploaded; the group's heading names it
        names = tuple(c for c in f.choices if c != "csv" or state.data_id or state.task == "csv")
        return st.selectbox(label, names, index=names.index(value), format_func=lambda v: option(v, lang),
                            label_visibility="collapsed")
    if f.choices is not None:
        return st.selectbox(label, f.choices, index=f.choices.index(value), format_func=lambda v: option(v, lang))
    if f.widget == "toggle":
        return int(st.toggle(label, value=bool(value)))
    if f.widget in ("text", "area"):
        box = st.text_area if f.widget == "area" else st.text_input
        return box(label, value=value, max_chars=f.max_chars, **({"height": 80} if f.widget == "area" else {}))
    if f.log:
        near = min(LR_STEPS, key=lambda v: abs(v - value)) if value not in LR_STEPS else value
        return float(st.select_slider(label, options=sorted(set(LR_STEPS) | {near}), value=near))
    lo, hi = f.kind(f.lo), f.kind(f.hi)
    widget = st.number_input if f.widget == "number" else st.slider
    step = None if f.step is None else f.kind(f.step)
    return f.kind(widget(label, lo, hi, value=f.kind(value), step=step))


def sidebar(state) -> tuple[object, bool]:
    """Draw the sidebar; returns (state with the form's values, whether Train was pressed)."""
    lang = state.lang
    with st.sidebar:
        lang = st.radio(t("app.lang", lang), S.LANGS, index=S.LANGS.index(state.lang), horizontal=True,
                        format_func=lambda v: {"ko": "한국어", "en": "English"}[v], key="w_lang")
        names = S.BY_NAME["scenario"].choices
        choice = st.selectbox(t("ctl.scenario", lang), names, index=names.index(state.scenario), key="w_scenario",
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
    return new, pressed


def export_settings(state, lang: str) -> dict:
    """Slide theme, lecture mode, PNG scale and caption: view-only, applied at once."""
    with st.expander(t("ctl.export", lang)):
        bg = st.radio(t("ctl.slide", lang), ("light", "dark"), index=("light", "dark").index(state.slide),
                      format_func=lambda v: option(v, lang), horizontal=True, key="w_slide")
        scale = st.select_slider(t("ctl.png_scale", lang), options=(1, 2, 3, 4), value=state.png_scale,
                                 key="w_png_scale", format_func=lambda v: f"{v}×")
        cap = st.toggle(t("ctl.caption", lang), value=bool(state.caption), key="w_caption")
        lecture = st.toggle(t("ctl.lecture", lang), value=bool(state.lecture), key="w_lecture")
        predict = st.toggle(t("ctl.predict", lang), value=bool(state.predict), key="w_predict",
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
                header, _ = parse_csv(raw)
            except EngineError as e:
                st.error(error_message(e, lang))
            else:
                target = st.selectbox(t("ctl.target", lang), ["", *header], key="w_target",
                                      format_func=lambda v: v or t("ctl.no_target", lang))
                kind = st.radio(t("ctl.task", lang), ("regression", "classification"), key="w_kind",
                                format_func=lambda v: option(v, lang), disabled=not target)
                if st.button(t("ctl.use_data", lang), key="w_use_data"):
                    key = runs.register_upload("csv", raw)
                    _apply(state.with_(task="csv", data_id=key, target=target, data_kind=kind, scenario=""))
        model = st.file_uploader(t("ctl.model_file", lang), type=["pt", "pth", "bin"], key="w_model")
        if model is not None:
            raw = model.getvalue()
            try:
                _, info = load_model(raw)
            except EngineError as e:
                st.error(error_message(e, lang))
            else:
                shown = not info.bidirectional  # the engine records one; the views do not draw two directions yet
                if not shown:
                    st.error(t("msg.upload_bidirectional", lang))
                else:
                    st.caption(t("msg.model_info", lang, cell=info.cell.upper(), i=info.input_size,
                                 h=info.hidden_size, layers=info.num_layers,
                                 readout=t("msg.model_readout", lang) if info.whole_net else ""))
                if shown and st.button(t("ctl.use_model", lang), key="w_use_model"):
                    key = runs.register_upload("model", raw)
                    _apply(state.with_(model_id=key, cell=info.cell, hidden_size=info.hidden_size,
                                       num_layers=info.num_layers, scenario=""))
        if state.model_id and st.button(t("ctl.drop_model", lang), key="w_drop_model"):
            _apply(state.with_(model_id=""))
    return state


def _apply(state) -> None:
    """Store new settings and run again, so every widget is drawn from them."""
    url.keep(state)
    st.rerun()
