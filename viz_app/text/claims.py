"""Sentences that state a measurement: the regime box and the scenarios' results, each filled from the run shown.

Every number here comes from the engine (engine.lessons.evidence, engine.spectrum); this module only picks the sentence
that is true of those numbers and formats it in the user's language.
"""
from __future__ import annotations

import math

import numpy as np

from engine.lessons import cliff, embeddings, evidence, nnlm
from engine import spectrum

from viz_app.text import escape
from viz_app.state import scenarios
from viz_app.state import fields as S
from viz_app.text.strings import STRINGS
from viz_app.text.i18n import option, t


def block_label(cell: str) -> str:
    """The W_hh block drawn on the eigenvalue page, in the notes' notation: W_hh, or the candidate W_hg / W_hn."""
    block = spectrum.main_block(cell)
    return block if block == "W_hh" else f"W_h{block}"


def regime_text(reg: spectrum.Regime, nonlinearity: str, lang: str, form: str = "md") -> str:
    """The regime box: Pascanu's statement for an RNN (strict inequalities), no guarantee for a gated cell. ``form``:
    as in ``i18n.t`` ("md" for the page, "html" for the rho control's box)."""
    if reg.kind == spectrum.UNDEFINED:
        return t("msg.regime_undefined", lang, form=form)
    if reg.kind == spectrum.GATED:
        return t("msg.regime_gated", lang, form=form, cell=reg.cell.upper(), block=block_label(reg.cell),
                 path=_gated_path(reg.cell, lang, form), sigma=reg.sigma_max)
    bound = 1 / reg.gamma
    sigma, limit = apart(reg.sigma_max, bound)  # "1.002 > 1", not "1 > 1"
    if reg.kind == spectrum.VANISHING:
        return t("msg.regime_vanishing", lang, form=form, sigma=sigma, bound=limit,
                 rate=apart(reg.bound_rate, 1.0)[0])
    if reg.kind == spectrum.BOUNDARY:
        text = t("msg.regime_boundary", lang, form=form, bound=bound)
        if reg.deviation > spectrum.BOUNDARY_TOL:  # equal up to the float32 weights' rounding: say how far
            text += " " + t("msg.regime_boundary_rounding", lang, form=form, dev=reg.deviation)
        return text
    return t("msg.regime_exploding", lang, form=form, sigma=sigma, bound=limit,
             why=t(f"msg.regime_why_{nonlinearity}", lang, form=form))


def apart(a: float, b: float, digits: int = 3) -> tuple[str, str]:
    """``a`` and ``b`` written with the fewest significant digits (at least ``digits``) that keep them apart the way
    they are: a sentence saying "sigma_max = 1.002 > 1/gamma = 1" or "(0.9996)^(t-k)", never "1 > 1" or "(1)^(t-k)"
    for numbers that differ past the third digit."""
    for d in range(digits, 18):
        fa, fb = f"{a:.{d}g}", f"{b:.{d}g}"
        if a == b or (float(fa) != float(fb) and (float(fa) < float(fb)) == (a < b)):
            return fa, fb
    return repr(float(a)), repr(float(b))


def _gated_path(cell: str, lang: str, form: str) -> str:
    """The path of a gated cell that avoids W_hh, in words for the built-in cells; for a cell kind registered outside
    the app, its gate path in general (the kind declares it has one: engine.cells.Cell.weight_bound is False)."""
    key = f"msg.regime_path_{cell}"
    return t(key if key in STRINGS else "msg.regime_path_other", lang, form=form)


def measured_ratio_text(norms, lang: str, form: str = "md") -> str | None:
    """The measured ||dh_{T-1}/dh_0|| / ||dh_{T-1}/dh_{T-2}|| of the curve drawn (steps 0..T-1), or None when it is
    undefined."""
    ratio = spectrum.decay_ratio(norms)
    if not math.isfinite(ratio):
        return None
    return t("msg.measured_ratio", lang, form=form, ratio=ratio, steps=len(norms))


class Context:
    """What a scenario's claim reads: the run shown, its trace, and how to get the other runs its view trains.

    ``train(cfg) -> Run | None`` and ``trace(cfg, tbptt) -> Trace`` are the app's cached ones (or plain
    engine calls in tests and the deck), so the claim reads the very runs the charts draw."""

    def __init__(self, state, run, trace, train, trace_of, cliff):
        self.state, self.run, self.trace = state, run, trace
        self.train, self.trace_of, self.cliff = train, trace_of, cliff


def _fmt_list(values, fmt: str, most: int = 4) -> str:
    shown = [format(v, fmt) for v in values[:most]]
    return ", ".join(shown) + (", …" if len(values) > most else "")


def _hello(ctx, lang):
    if ctx.run.eval_data.vocab is None:
        return None, ""
    ev = evidence.next_characters(ctx.run.net, ctx.run.eval_data)
    v = dict(ev.values, updates=ctx.run.history.updates,
             predicted=escape.md(ev.values["predicted"], escape.QUOTE_LIMIT),
             target=escape.md(ev.values["target"], escape.QUOTE_LIMIT))  # the user's text, shown as text
    return ev, t("claim.next_chars_ok" if ev.shown else "claim.next_chars_not", lang, **v)


def _remember(ctx, lang):
    if ctx.run.config.tbptt > 0:  # the notes' losses are per epoch of one update each; a window makes several
        return None, ""
    ref = [tuple(r) for r in scenarios.reference_losses(ctx.state.scenario)]
    ev = evidence.loss_at(ctx.run.history, ref)
    rows, missed, worst = ev.values["rows"], ev.values["missed"], ev.values["worst"]
    text = t("claim.notes_loss", lang, epochs=" / ".join(str(u) for u, _, _ in rows),
             ours=" / ".join(f"{v:.2g}" for _, _, v in rows), notes=" / ".join(f"{r:g}" for _, r, _ in rows))
    if math.isfinite(worst):
        text += " " + t("claim.notes_worst", lang, worst=worst)
    if not worst <= ev.values["factor"]:
        text = t("claim.notes_off", lang, factor=ev.values["factor"]) + " " + text
    elif rows and not missed:
        text += " " + t("claim.notes_close", lang, factor=ev.values["factor"])
    if missed:
        text = t("claim.notes_short", lang, updates=ctx.run.history.updates,
                 missed=" / ".join(str(u) for u in missed)) + " " + text
    dec = evidence.decay(ctx.trace)
    return ev, text + " " + t("claim.decay_faded" if dec.shown else "claim.decay_kept", lang, **dec.values)


def _vanishing(ctx, lang):
    """The regime after training, in the sentence that is true of its kind: guaranteed (digits that keep sigma_max and
    1/gamma apart), no longer guaranteed, nothing to say from W_hh for a gated cell, undefined; then the measured
    decay of the run."""
    ev = evidence.spectrum_change(ctx.run.history, ctx.trace)
    dec = evidence.decay(ctx.trace)
    v = ev.values | dec.values
    cell = ctx.trace.cell_kind
    if v["kind"] == spectrum.UNDEFINED:
        text = t("claim.vanishing_undefined", lang, **v)
    elif v["kind"] == spectrum.GATED:
        text = t("claim.vanishing_gated", lang, **v, cell=option(cell, lang), block=block_label(cell))
    else:
        sigma, bound = apart(v["sigma_after"], v["bound"])
        key = "claim.vanishing_ok" if v["kind"] == spectrum.VANISHING else "claim.vanishing_not"
        text = t(key, lang, **(v | {"sigma_after": sigma, "bound": bound}))
    measured = measured_ratio_text(ctx.trace.jacobians.spectral[-1], lang)
    if measured:
        text += " " + measured
    return evidence.Evidence(ev.shown and dec.shown, v), text


def _clipping_runs(ctx):
    base = ctx.run.config.with_(model_id="")
    thr = ctx.state.clip_threshold
    return ctx.train(base.with_(clip="none")), ctx.train(base.with_(clip="norm", clip_threshold=float(thr))), thr


def _exploding(ctx, lang):
    plain, clipped, thr = _clipping_runs(ctx)
    if plain is None or clipped is None:
        return None, ""
    if plain.history.updates == 0:  # a link with epochs=0: no gradient norms to speak of
        return evidence.Evidence(False, {}), t("claim.untrained", lang)
    ev = evidence.explosion(plain.history, clipped.history, thr)
    v = ev.values
    if v["diverged_at"] == 0:  # nothing grew: the first gradient was already NaN/Inf
        text = t("claim.explode_first", lang, **v)
    elif not v["orders"] >= 0.5:  # no growth to speak of among the finite norms
        text = t("claim.explode_to_nan", lang, **v) if v["diverged_at"] is not None else \
            t("claim.explode_flat", lang, **v, growth=v["g_max"] / v["g_first"] if v["g_first"] else math.inf)
    else:  # most of the growth in one update on the way up to the largest norm, or not
        one_jump = v["orders"] >= 1 and math.log10(max(v["biggest_rise"], 1.0)) >= 0.5 * v["orders"]
        text = t("claim.explode_jump" if one_jump else "claim.explode_gradual", lang, **v)
        if v["diverged_at"] is not None:
            text += " " + t("claim.explode_nan", lang, **v)
    if v["clip_diverged_at"] is not None:
        text += " " + t("claim.clip_diverged", lang, **v)
    else:
        text += " " + t("claim.clip_result", lang, **v)
    if not ev.shown:
        text = t("claim.not_shown", lang) + " " + text
    return ev, text


def _cliff(ctx, lang):
    _, paths = ctx.cliff()
    ev = evidence.cliff_steps(paths["plain"], paths["clipped"], cliff.DEMO_LR, cliff.DEMO_CLIP)
    v = ev.values
    keys = ["claim.cliff", "claim.cliff_loss_plain", "claim.cliff_loss_crossed" if v["crossed"] else
            "claim.cliff_loss_stayed", "claim.cliff_loss_better" if v["lower"] else "claim.cliff_loss_no_lower"]
    if v["crossed"] and v["rose"]:  # why: the gradient beside the wall points into it
        keys.append("claim.cliff_loss_rose")
    text = " ".join(t(key, lang, **v) for key in keys)
    return ev, text if ev.shown else t("claim.not_shown", lang) + " " + text


def _truncated(ctx, lang):
    window = ctx.state.bptt_window if ctx.state.bptt_window > 0 else ctx.run.config.tbptt
    if window <= 0 or window >= ctx.trace.steps:
        return None, ""
    ev = evidence.truncation(ctx.trace_of(ctx.run.config, window), window)
    text = t("claim.truncated", lang, window=window, edges=_fmt_list(ev.values["edges"], "d"), cut=ev.values["cut"],
             carried=ev.values["carried"])
    return ev, text if ev.shown else t("claim.not_shown", lang) + " " + text


def _irnn(ctx, lang):
    if ctx.run.eval_data.loss != "mse":
        return None, ""
    start = evidence.initial_memory(ctx.run.snapshot_net(0), ctx.run.eval_data)
    fit = evidence.mean_baseline(ctx.run.eval_data, ctx.trace)
    ev = evidence.Evidence(start.shown and fit.shown, start.values | fit.values)
    values = ev.values | {"updates": ctx.run.history.updates}
    verdict = "claim.irnn_fit" if fit.shown else "claim.irnn_worse" if values["loss"] > values["baseline"] else \
        "claim.irnn_no_fit"  # "not 3x better" of a model worse than the mean hid that it was worse
    text = _initial_memory_text(ctx, start.values, lang) + " " + t(verdict, lang, **values)
    return ev, text if ev.shown else t("claim.not_shown", lang) + " " + text


def _initial_memory_text(ctx, v: dict, lang: str) -> str:
    """||dh_{T-1}/dh_0|| of the model as initialised, with what its W_hh was (I, or its sigma_max; for a gated cell
    its name), what the number says (no decay, growth, a little decay, decay) and, where it is the only cause (ReLU
    and W_hh = I), why it decays."""
    cell, relu = ctx.run.config.cell, ctx.run.config.nonlinearity == "relu"
    top = f"recurrent.weight_hh_l{ctx.run.config.num_layers - 1}"
    w = np.asarray(ctx.run.history.snapshots[0][1][top])
    identity = cell == "rnn" and w.shape[0] == w.shape[1] and np.array_equal(w, np.eye(w.shape[0], dtype=w.dtype))
    if identity:
        text = t("claim.irnn_norm_identity", lang, **v)
    elif cell == "rnn":
        sigma = spectrum.main_spectrum(w, cell, ctx.run.config.nonlinearity).sigma_max  # as the eigen page has it
        text = t("claim.irnn_norm_sigma", lang, **v, sigma=sigma)
    else:
        text = t("claim.irnn_norm", lang, **v, cell=option(cell, lang))
    norm = v["norm"]
    verdict = ("claim.irnn_kept" if abs(norm - 1) <= 1e-3 else "claim.irnn_grows" if norm > 1 else
               "claim.irnn_little" if norm >= 0.5 else "claim.irnn_decayed")
    text += " " + t(verdict, lang)
    if verdict == "claim.irnn_decayed" and identity and relu:
        text += " " + t("claim.irnn_off", lang)
    return text


def _compare_runs(ctx, cells):
    out = {}
    for cell in cells:
        cfg = ctx.run.config.with_(cell=cell, nonlinearity="tanh", model_id="")
        run = ctx.train(cfg)
        if run is None:
            return None
        out[cell] = (run, ctx.trace_of(cfg, 0))
    return out


def _lstm_copy(ctx, lang):
    if ctx.run.config.task != "copy":
        return None, ""
    got = _compare_runs(ctx, ("lstm", "gru", "rnn"))  # the three the compare view draws
    if got is None:
        return None, ""
    ev = {c: evidence.copy_recall(r.net, r.eval_data, tr) for c, (r, tr) in got.items()}
    lstm, gru, rnn = ev["lstm"].values, ev["gru"].values, ev["rnn"].values
    shown = (ev["lstm"].shown and lstm["loss"] < rnn["loss"] and lstm["recall"] > rnn["recall"])
    text = t("claim.copy", lang, l_loss=lstm["loss"], g_loss=gru["loss"], r_loss=rnn["loss"],
             baseline=lstm["baseline"], l_recall=lstm["recall"], g_recall=gru["recall"], r_recall=rnn["recall"],
             chance=lstm["chance"])
    both = evidence.Evidence(shown, {"lstm": lstm, "gru": gru, "rnn": rnn})
    return both, text if shown else t("claim.not_shown", lang) + " " + text


def _gru_vs_lstm(ctx, lang):
    got = _compare_runs(ctx, ("gru", "lstm"))
    if got is None:
        return None, ""
    ev = evidence.similar_training({c: r.history for c, (r, _) in got.items()}, REACH)
    n = {c: evidence.parameter_count(r.net) for c, (r, _) in got.items()}
    values = ev.values | {"n_gru": n["gru"], "n_lstm": n["lstm"], "ratio": n["gru"] / n["lstm"], "thr": REACH}
    shown = ev.shown and n["gru"] * 4 == n["lstm"] * 3
    text = t("claim.gru_lstm", lang, **values)
    updates = {c: r.history.updates for c, (r, _) in got.items()}
    if not any(updates.values()):
        return evidence.Evidence(False, values), text + " " + t("claim.untrained", lang)
    reach = {f"reach_{c}": str(values[f"reach_{c}"]) if values[f"reach_{c}"] is not None
             else t("claim.reach_never", lang, updates=updates[c]) for c in updates}
    text += " " + t("claim.gru_lstm_reach", lang, **(values | reach))
    verdict = "claim.similar" if shown else "claim.not_similar" if math.isfinite(values["factor"]) else \
        "claim.not_reached"
    text += " " + t(verdict, lang, **values)
    return evidence.Evidence(shown, values), text


REACH = 0.1  # "similar": both cells bring the training loss below this within a factor 2 of updates


def _bptt_terms(ctx, lang):
    ev = evidence.term_decay(ctx.trace)
    return ev, term_text(ev, lang)


def term_text(ev, lang: str) -> str:
    """The sentence under the BPTT terms chart: how the term norms fall (or why they need not) in this run."""
    v = ev.values
    if v["mode"] != "many_to_one":
        return t("claim.terms_every_step", lang)
    norms = v["norms"][::-1]  # from the last step back
    text = t("claim.terms", lang, steps=v["steps"], seq=_fmt_list(norms[:-1], ".2g", 5), first=v["first"],
             factor=v["factor"])
    return text if ev.shown else t("claim.terms_not", lang) + " " + text


CLAIMS = {"hello": _hello, "remember": _remember, "bptt_terms": _bptt_terms, "vanishing": _vanishing,
          "exploding": _exploding, "cliff": _cliff, "truncated": _truncated, "irnn": _irnn, "lstm_copy": _lstm_copy,
          "gru_vs_lstm": _gru_vs_lstm}


def scenario_claim(ctx: Context, lang: str):
    """(Evidence or None, sentence) for the scenario of ``ctx.state``, measured on the runs its view shows.
    (None, "") when the link's own settings make the scenario's measurement meaningless (e.g. another task)."""
    return CLAIMS[ctx.state.scenario](ctx, lang)


def changed_fields(state) -> list[str]:
    """Run settings in which ``state`` differs from its scenario (a link that overrides some), seed aside."""
    base = S.baseline(state.scenario)
    return [n for n in S.RUN_FIELDS if n != "seed" and getattr(state, n) != getattr(base, n)]


def layer_gradient_text(norms: dict, lang: str) -> str:
    """What the layer chart shows, from its numbers: the share of the top layer's gradient norm that reaches layer 1,
    with the identity paths between layers and without them (the same weights)."""
    ratio = {k: v[0] / v[-1] if v[-1] > 0 else math.nan for k, v in norms.items()}
    if not all(math.isfinite(r) for r in ratio.values()):
        return t("msg.layer_gradients_undefined", lang)
    return t("msg.layer_gradients", lang, with_=ratio[True], without=ratio[False], top=len(norms[True]) - 1)


def nnlm_text(data, lang: str) -> str:
    """What the position chart shows at the repeated letter, from its numbers: whether the NNLM's window reaches the
    letter (a fact of n and the gap) and both models' loss there, beside a guess among the letters (ln 4); whether the
    recurrent model learned to look back there (nnlm.reaches_back), with a warning when it did not; and the last pair
    of bars, the next sentence's first letter, which is drawn at random (nothing can beat the letters' frequencies
    there, nnlm.letter_entropy; below them is memorising the training text)."""
    at, back = data.gap, nnlm.needed_back(data.gap)
    key = "msg.nnlm_outside" if data.window < back else "msg.nnlm_inside"
    cell = option(data.cell, lang)
    a, b = float(data.nnlm[-1]), float(data.rnn[-1])
    entropy = nnlm.letter_entropy(nnlm.long_range_text(data.gap, nnlm.SENTENCES))
    last = t("msg.nnlm_last", lang, guess=nnlm.GUESS, entropy=entropy) + " " + t(
        "msg.nnlm_last_fit" if min(a, b) < entropy - 0.005 else "msg.nnlm_last_here", lang, a=a, b=b, cell=cell)
    text = t(key, lang, d=back, n=data.window, a=float(data.nnlm[at]), b=float(data.rnn[at]), guess=nnlm.GUESS,
             cell=cell)
    if data.window < back:  # the lesson: the recurrent model sees past the window, if this run learned it
        text += " " + t("msg.nnlm_reached" if nnlm.reaches_back(float(data.rnn[at])) else "msg.nnlm_not_reached",
                        lang, b=float(data.rnn[at]), cell=cell)
    return text + " " + last


def embedding_text(data, lang: str) -> str:
    """What the vector map and the curves show, from the run: nearest neighbours of the same kind, the mean distances
    within and across the kinds after and before training, the parameter counts and final losses."""
    near, after, before = embeddings.same_kind(data.vectors), embeddings.spread(data.vectors), \
        embeddings.spread(data.initial)
    return t("msg.embed_result", lang, v=near["vowels"], nv=len(embeddings.VOWELS), c=near["consonants"],
             nc=len(embeddings.CONSONANTS), vin=after["vowels"], cin=after["consonants"], across=after["across"],
             vin0=before["vowels"], cin0=before["consonants"], across0=before["across"], d=data.dim,
             pd=data.dense_parameters, po=data.one_hot_parameters, ld=float(data.dense.loss[-1]),
             lo=float(data.one_hot.loss[-1]))
