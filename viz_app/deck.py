"""Every figure of every view for one state, without Streamlit: what the batch exporter writes to a deck."""
from __future__ import annotations

import functools

from engine import experiment, spectrum
from engine.cliff import demo as cliff_demo

from . import claims, scenarios
from .figures import clipping, compare, gradients, states, timeline, unrolled
from .figures import spectrum as spectrum_fig
from .i18n import t


def all_figures(state) -> list[tuple[str, str, object]]:
    """(view, figure name, plotly Figure) for every view, in the app's order."""
    lang, cfg = state.lang, state.run_config()
    run = _run(cfg)
    steps = run.eval_data.x.shape[0]
    trace = run.trace(tbptt_window=cfg.tbptt or None)  # the BPTT view's default: the run's own window
    vocab = run.eval_data.vocab
    step = state.step if 0 <= state.step < steps else steps - 1
    out = [("unroll", "network", unrolled.unrolled_network(trace, lang=lang, vocab=vocab,
                                                           start=max(0, min(step - 4, steps - 8)), step=step))]
    out.append(("states", "hidden", states.state_heatmap(trace, name="h", lang=lang, vocab=vocab)))
    if trace.cell is not None:
        out.append(("states", "cell", states.state_heatmap(trace, name="c", lang=lang, vocab=vocab)))
    if vocab is not None:
        unit = min(state.unit, trace.hidden.shape[-1] - 1)
        out.append(("states", "text", states.text_activation(trace, vocab=vocab, unit=unit, lang=lang)))
    out.append(("states", "pca", states.pca_trajectory(trace, lang=lang, vocab=vocab)))
    if trace.gates:
        out.append(("states", "saturation", states.saturation_bars(trace, lang=lang)))
    out += [("bptt", "grad-norms", gradients.grad_norms_over_time(trace, lang=lang, scale=state.scale)),
            ("bptt", "jacobian-map", gradients.jacobian_map(trace, lang=lang))]
    if trace.cell_jacobian_norms is not None:
        out.append(("bptt", "cell-jacobian-map", gradients.jacobian_map(trace, lang=lang, cell_state=True)))
    out += [("bptt", "terms", gradients.term_bars(trace, lang=lang)),
            ("bptt", "derivatives", gradients.derivative_distribution(trace, lang=lang))]
    main = trace.main_spectrum
    norms, blk = run.rescaled_decay(state.rho_view)
    reg = spectrum.regime(trace.cell_kind, blk)
    out += [("eigen", "eigenvalues", spectrum_fig.eigenvalue_plane(
                main.eigenvalues, gamma=main.gamma, lang=lang, label=claims.block_label(trace.cell_kind),
                rescaled=blk.eigenvalues if state.rho_view > 0 else None)),
            ("eigen", "decay", spectrum_fig.decay_curve(norms, **spectrum_fig.reference_lines(blk, reg), lang=lang,
                                                        scale=state.scale))]
    plain = _run(cfg.with_(clip="none")).history
    clipped = _run(cfg.with_(clip="norm", clip_threshold=state.clip_threshold)).history
    surface, path_plain, path_clip = cliff_demo()
    out += [("clipping", "grad-norms", clipping.clip_norms(plain, clipped, threshold=state.clip_threshold,
                                                           lang=lang)),
            ("clipping", "losses", clipping.clip_losses(plain, clipped, threshold=state.clip_threshold, lang=lang)),
            ("clipping", "cliff", clipping.cliff_figure(surface, {t("leg.no_clip", lang): path_plain,
                                                                  t("leg.with_clip", lang, thr=1.0): path_clip},
                                                        lang=lang))]
    runs = {c: _run(cfg.with_(cell=c, nonlinearity="tanh")) for c in ("rnn", "lstm", "gru")}
    out += [("compare", "sensitivity", compare.sensitivity_curves({c: r.trace() for c, r in runs.items()},
                                                                   lang=lang)),
            ("compare", "losses", compare.loss_curves({c: r.history for c, r in runs.items()}, lang=lang))]
    eigs = run.snapshot_eigenvalues()
    index = state.snapshot if 0 <= state.snapshot < len(eigs) else len(eigs) - 1
    out += [("timeline", "eigenvalues", timeline.eigen_timeline(eigs, index=index, lang=lang)),
            ("timeline", "loss", timeline.loss_with_marker(
                run.history, update=run.history.snapshots[index][0], lang=lang,
                reference=scenarios.reference_losses(state.scenario)))]
    return out


def trained_rho(state) -> float:
    """Spectral radius of the top layer's main W_hh block of the run the deck draws (after training)."""
    return _run(state.run_config()).main_spectrum().spectral_radius


@functools.lru_cache(maxsize=8)
def _run(cfg: experiment.RunConfig) -> experiment.Run:
    """A config's run, trained once per exporter process (the deck and its captions read the same one)."""
    return experiment.run(cfg)
