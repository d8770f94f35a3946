"""Sidebar controls built from the state table: model and training settings in a form (applied by "Train"),
and the language. View-only controls live on each view and never retrain."""
from __future__ import annotations

import streamlit as st

from engine import EngineError, tasks
from engine.io import load_model

from . import runs, scenarios
from . import state as S
from .i18n import option, t

CELL_CHOICES = ("rnn_tanh", "rnn_relu", "lstm", "gru")
LR_STEPS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def _cell_choice(state) -> str:
    return f"rnn_{state.nonlinearity}" if state.cell == "rnn" else state.cell


def _range(name):
    f = S.BY_NAME[name]
    return int(f.lo), int(f.hi)


def sidebar(state) -> tuple[object, bool]:
    """Draw the sidebar; returns (state with the form's values, whether Train was pressed)."""
    lang = state.lang
    with st.sidebar:
        lang = st.radio(t("app.lang", lang), S.LANGS, index=S.LANGS.index(state.lang), horizontal=True,
                        format_func=lambda v: {"ko": "한국어", "en": "English"}[v], key="w_lang")
        names = S.BY_NAME["scenario"].choices
        choice = st.selectbox(t("ctl.scenario", lang), names, index=names.index(state.scenario), key="w_scenario",
                              format_func=lambda v: scenarios.title(v, lang) if v else t("ctl.scenario_none", lang))
        if choice != state.scenario:  # a scenario sets everything at once; "custom" keeps the current settings
            state = S.scenario_state(choice, lang) if choice else state.with_(scenario="")
        with st.form("settings", border=False):
            st.subheader(t("ctl.model", lang))
            cell = st.selectbox(t("ctl.cell", lang), CELL_CHOICES, index=CELL_CHOICES.index(_cell_choice(state)),
                                format_func=lambda v: option(v, lang))
            hidden = st.slider(t("ctl.hidden_size", lang), *_range("hidden_size"), value=state.hidden_size)
            layers = st.slider(t("ctl.num_layers", lang), *_range("num_layers"), value=state.num_layers)
            init = st.selectbox(t("ctl.init", lang), S.BY_NAME["init"].choices,
                                index=S.BY_NAME["init"].choices.index(state.init),
                                format_func=lambda v: option(v, lang))
            rho = st.slider(t("ctl.rho", lang), 0.0, 10.0, value=float(state.rho), step=0.05)
            st.subheader(t("ctl.task", lang))
            names = tuple(tasks.TASKS) + (("csv",) if state.data_id or state.task == "csv" else ())
            task = st.selectbox(t("ctl.task", lang), names, index=names.index(state.task),
                                format_func=lambda v: option(v, lang), label_visibility="collapsed")
            text = st.text_area(t("ctl.text", lang), value=state.text, max_chars=S.MAX_TEXT_URL, height=80)
            alphabet = st.text_input(t("ctl.alphabet", lang), value=state.alphabet, max_chars=S.MAX_ALPHABET)
            loss = st.selectbox(t("ctl.loss", lang), S.BY_NAME["loss"].choices,
                                index=S.BY_NAME["loss"].choices.index(state.loss),
                                format_func=lambda v: option(v, lang))
            reduce = st.selectbox(t("ctl.reduce", lang), S.BY_NAME["reduce"].choices,
                                  index=S.BY_NAME["reduce"].choices.index(state.reduce),
                                  format_func=lambda v: option(v, lang))
            length = st.slider(t("ctl.length", lang), *_range("length"), value=state.length)
            st.subheader(t("ctl.training", lang))
            opt = st.selectbox(t("ctl.optimizer", lang), S.BY_NAME["optimizer"].choices,
                               index=S.BY_NAME["optimizer"].choices.index(state.optimizer),
                               format_func=lambda v: option(v, lang))
            lr_value = min(LR_STEPS, key=lambda v: abs(v - state.lr)) if state.lr not in LR_STEPS else state.lr
            lr = st.select_slider(t("ctl.lr", lang), options=sorted(set(LR_STEPS) | {lr_value}), value=lr_value)
            epochs = st.number_input(t("ctl.epochs", lang), *_range("epochs"), value=state.epochs, step=50)
            clip = st.selectbox(t("ctl.clip", lang), S.BY_NAME["clip"].choices,
                                index=S.BY_NAME["clip"].choices.index(state.clip),
                                format_func=lambda v: option(v, lang))
            thr = st.number_input(t("ctl.clip_threshold", lang), 0.01, 100.0, value=float(state.clip_threshold))
            tbptt = st.slider(t("ctl.tbptt", lang), *_range("tbptt"), value=state.tbptt)
            seed = st.number_input(t("ctl.seed", lang), *_range("seed"), value=state.seed, step=1)
            pressed = st.form_submit_button(t("ctl.train", lang), type="primary")
            st.caption(t("ctl.pending", lang))
        state = uploads(state, lang)
        exports = export_settings(state, lang)
    cell_kind, nl = (cell.split("_") + ["tanh"])[:2] if cell.startswith("rnn") else (cell, "tanh")
    new = state.with_(lang=lang, **exports)
    if pressed:
        form = dict(cell=cell_kind, nonlinearity=nl if cell_kind == "rnn" else state.nonlinearity,
                    hidden_size=int(hidden), num_layers=int(layers), init=init, rho=float(rho), task=task, text=text,
                    alphabet=alphabet, loss=loss, reduce=reduce, length=int(length), optimizer=opt, lr=float(lr),
                    epochs=int(epochs), clip=clip, clip_threshold=float(thr), tbptt=int(tbptt), seed=int(seed))
        changed = any(getattr(state, k) != v for k, v in form.items())  # then they are no longer the scenario's
        new = new.with_(scenario="" if changed else state.scenario, **form)
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
    return {"slide": bg, "png_scale": int(scale), "caption": int(cap), "lecture": int(lecture)}


def uploads(state, lang: str):
    """CSV data and PyTorch models from the user's disk; every failure is one sentence, and the app goes on."""
    busy = state.data_id or state.model_id or st.session_state.get("w_csv") or st.session_state.get("w_model")
    with st.expander(t("ctl.uploads", lang), expanded=bool(busy)):
        csv = st.file_uploader(t("ctl.csv", lang), type=["csv"], key="w_csv")
        if csv is not None:
            raw = csv.getvalue()
            try:
                header, _ = tasks.parse_csv(raw)
            except EngineError as e:
                st.error(runs.error_message(e, lang))
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
                st.error(runs.error_message(e, lang))
            else:
                st.caption(t("msg.model_info", lang, cell=info.cell.upper(), i=info.input_size, h=info.hidden_size,
                             layers=info.num_layers, readout=t("msg.model_readout", lang) if info.whole_net else ""))
                if st.button(t("ctl.use_model", lang), key="w_use_model"):
                    key = runs.register_upload("model", raw)
                    _apply(state.with_(model_id=key, cell=info.cell, hidden_size=info.hidden_size,
                                       num_layers=info.num_layers, scenario=""))
        if state.model_id and st.button(t("ctl.drop_model", lang), key="w_drop_model"):
            _apply(state.with_(model_id=""))
    return state


def _apply(state) -> None:
    """Store new settings and run again, so every widget is drawn from them."""
    st.session_state.app_state = state
    st.rerun()
