"""The wording of the engine's errors: one clear sentence in the reader's language for each typed error
(engine/errors.py), quoting the user's own input as text."""
from __future__ import annotations

from engine import (ArchitectureError, DataError, EngineError, ResourceError, StateDictError, TextError,
                    VocabularyError, tasks)
from engine.serving import budget, limits

from viz_app.text import escape
from viz_app.text.i18n import t


def error_message(e: EngineError, lang: str) -> str:
    """One clear sentence in the user's language for an engine error; what it quotes of the user's input (texts,
    CSV headers, state_dict keys) is shown as text, not Markdown."""
    if isinstance(e, budget.BudgetError):
        est = e.estimate
        fits = t("msg.or", lang).join(t("msg.and", lang).join(t(f"msg.fit_{k}", lang, v=v) for k, v in alt.items())
                                      for alt in e.suggestions)
        return t("msg.budget", lang, seconds=est.seconds, mb=est.mb, max_s=limits.MAX_RUN_SECONDS,
                 max_mb=limits.MAX_RUN_MB) + (" " + t("msg.budget_fits", lang, fits=fits) if fits else "")
    if isinstance(e, ResourceError):
        return t({"memory": "msg.limit_memory", "time": "msg.limit_time"}.get(e.kind, "msg.crashed"), lang,
                 limit=e.limit)
    if isinstance(e, VocabularyError):
        return t("msg.vocab", lang, chars=escape.md(" ".join(e.unknown[:10])))
    if isinstance(e, TextError):
        return t("msg.text", lang, max=tasks.MAX_TEXT)
    if isinstance(e, ArchitectureError):
        return t(f"msg.arch_{e.reason}", lang)
    if isinstance(e, (StateDictError, DataError)):
        kind = "model" if isinstance(e, StateDictError) else "data"
        values = {k: escape.md(v, 2 * escape.QUOTE_LIMIT) if isinstance(v, str) else v for k, v in e.values.items()}
        reason = t(f"reason.{kind}_{e.reason}", lang, **values) if e.reason else escape.md(e, 300)
        return t(f"msg.bad_{kind}", lang, reason=reason)
    reason = escape.md(e, 300)
    return t("msg.bad_config", lang, reason=reason)
