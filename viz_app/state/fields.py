"""All shareable state in one object built from one table of fields, and links read into it and written from it.

Values arrive from the URL as strings: each is parsed and validated, and anything malformed or out of range falls
back to its default with a notice (never an exception). The seed is part of the state, so a link reproduces a run.
The views a link may name are the registered ones: a program reads links after importing viz_app.views.catalog (an
empty registry is a programming error, and says so).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from engine import cells as engine_cells
from engine import init, tasks
from engine.experiment import RunConfig
from engine.lessons import embeddings, nnlm
from engine.model import NONLINEARITIES
from engine.serving import limits
from engine.training import CLIPS, MAX_EPOCHS, OPTIMIZERS

from viz_app import views
from viz_app.lecture import codec
from viz_app.state import scenarios
from viz_app.state.choices import Live

HIDEABLE = ("title", "view", "step", "snapshot", "explain", "downloads", "notices")
MAX_TEXT_URL = 2000
MAX_ALPHABET = 256
MAX_TARGET = 100
LANGS = ("ko", "en")


ROLES = {"run": "a setting of the run (engine RunConfig): a change trains another model",
         "view": "what the page shows of the run: the scenario named, the view and its selections",
         "presenter": "the presenter's own way of showing the page, kept from one deck entry to the next",
         "link": "only in the page's link (the lecture deck it carries), not part of what an entry or figure shows"}


class BadValue(ValueError):
    """Why a link's value cannot be used: a key of the string table's "reason." entries and its values, so the
    notice is worded in the reader's language."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.reason = (key, values)


def _upload_id(value: str) -> None:
    if value and not re.fullmatch(r"[0-9a-f]{16}", value):  # a content hash of this session's upload
        raise BadValue("upload_id")


def _alphabet(value: str) -> None:
    if len(value) > MAX_ALPHABET or len(set(value)) != len(value):
        raise BadValue("alphabet", n=MAX_ALPHABET)


def _deck(value: str) -> None:
    if value:
        try:
            codec.decode(value)
        except codec.DeckError:
            raise BadValue("deck") from None


def _hide(value: str) -> None:
    if value and any(p not in HIDEABLE for p in value.split(",")):
        raise BadValue("hide", choices=", ".join(HIDEABLE))


@dataclass(frozen=True)
class Field:
    """How one AppState field is read from a link and drawn in the sidebar (its default is AppState's)."""

    name: str
    kind: type  # int, float, str
    choices: tuple | None = None
    lo: float | None = None
    hi: float | None = None
    log: bool = False  # a slider on a log scale (learning rate)
    widget: str = ""  # the sidebar's widget: "slider", "number", "text", "area", "toggle" (choices: a select box)
    step: float | None = None  # the widget's step
    max_chars: int | None = None  # longest text a link or the sidebar accepts
    check: Callable[[str], None] | None = None  # a text's own rule: raises BadValue with the reason
    role: str = "view"  # one of ROLES
    drawn: bool = True  # False: how the page is shown, not what a figure draws (left out of figures' file names)
    always: bool = False  # in every link, even at its default (the language: a link without one opens in the
    # reader's browser language, and a Korean lecture's link would turn English in an English browser)

    @property
    def default(self):
        return getattr(AppState, self.name)


FIELDS = (
    Field("scenario", str, ("", *scenarios.names())),
    Field("view", str, views.NAMES),  # the registered views (viz_app/views), in lecture order
    Field("lang", str, LANGS, role="presenter", drawn=False, always=True),
    Field("cell", str, Live(engine_cells.kinds), role="run"),  # every registered cell kind (engine/cells)
    Field("nonlinearity", str, NONLINEARITIES, role="run"),
    Field("hidden_size", int, lo=1, hi=limits.MAX_HIDDEN, widget="slider", role="run"),
    Field("num_layers", int, lo=1, hi=limits.MAX_LAYERS, widget="slider", role="run"),
    Field("bidirectional", int, lo=0, hi=1, widget="toggle", role="run"),
    Field("residual", int, lo=0, hi=1, widget="toggle", role="run"),
    Field("init", str, init.INITS, role="run"),
    Field("rho", float, lo=0.0, hi=limits.MAX_RHO, widget="slider", step=0.05, role="run"),
    Field("task", str, (*tasks.TASKS, "csv"), role="run"),
    Field("text", str, widget="area", max_chars=MAX_TEXT_URL, role="run"),
    # char-LM: a fixed vocabulary ("": the text's)
    Field("alphabet", str, widget="text", max_chars=MAX_ALPHABET, check=_alphabet, role="run"),
    Field("loss", str, ("cross_entropy", "mse"), role="run"),  # char-LM: MSE on one-hot targets
    Field("reduce", str, ("mean", "sum"), role="run"),  # per-step losses averaged or summed
    Field("length", int, lo=1, hi=limits.MAX_LENGTH, widget="slider", role="run"),
    Field("optimizer", str, tuple(OPTIMIZERS), role="run"),
    Field("lr", float, lo=1e-5, hi=10.0, log=True, role="run"),
    Field("epochs", int, lo=0, hi=min(MAX_EPOCHS, limits.MAX_EPOCHS), widget="number", step=50, role="run"),
    # watching it learn: -1 = not paused
    Field("paused_at", int, lo=-1, hi=min(MAX_EPOCHS, limits.MAX_EPOCHS) - 1, role="run"),
    Field("clip", str, CLIPS, role="run"),
    Field("clip_threshold", float, lo=0.01, hi=100.0, widget="number", role="run"),
    Field("tbptt", int, lo=0, hi=200, widget="slider", role="run"),
    Field("batch", int, lo=1, hi=limits.MAX_BATCH, role="run"),
    Field("seed", int, lo=0, hi=2 ** 31 - 1, widget="number", step=1, role="run"),
    # an uploaded CSV (content hash, valid in the uploading session)
    Field("data_id", str, check=_upload_id, role="run"),
    Field("target", str, max_chars=MAX_TARGET, role="run"),
    Field("data_kind", str, ("regression", "classification"), role="run"),
    # an uploaded model (content hash, valid in the uploading session)
    Field("model_id", str, check=_upload_id, role="run"),
    Field("step", int, lo=-1, hi=10_000),  # -1: the last step
    Field("unit", int, lo=0, hi=1023),
    Field("layer", int, lo=-1, hi=7),  # -1: the top layer
    Field("scale", str, ("log", "linear")),
    Field("rho_view", float, lo=0.0, hi=limits.MAX_RHO),  # live rescaling on the eigenvalue page; 0 = as trained
    Field("bptt_window", int, lo=-1, hi=200),  # BPTT view's truncation overlay; -1 = the run's own, 0 = none
    Field("window", int, lo=1, hi=nnlm.MAX_WINDOW),  # the NNLM view: the NNLM's window n
    Field("gap", int, lo=1, hi=nnlm.MAX_GAP),  # and its text's countdown (the letter is gap + 1 back)
    Field("embed_dim", int, lo=1, hi=embeddings.MAX_DIM),  # the embeddings view: nn.Embedding's dimension d
    Field("snapshot", int, lo=-1, hi=10_000),
    # slide theme of exports (and of the screen in lecture mode)
    Field("slide", str, ("light", "dark"), role="presenter", drawn=False),
    Field("lecture", int, lo=0, hi=1, role="presenter", drawn=False),  # lecture mode: large fonts on screen
    Field("png_scale", int, lo=1, hi=4, role="presenter", drawn=False),
    # caption with settings and permalink on exported figures
    Field("caption", int, lo=0, hi=1, role="presenter", drawn=False),
    # presentation mode: sidebar collapsed, large fonts
    Field("present", int, lo=0, hi=1, role="presenter", drawn=False),
    # predict, then reveal: a view with a question hides what it measures
    Field("predict", int, lo=0, hi=1, role="presenter"),
    # a lecture deck (viz_app/lecture/codec.py: compressed JSON), so that one link holds the lecture
    Field("deck", str, check=_deck, role="link", drawn=False),
    Field("deck_at", int, lo=-1, hi=99, role="link", drawn=False),  # the deck's entry on screen; -1 = none yet
    # comma-separated parts hidden for the room, out of HIDEABLE
    Field("hide", str, check=_hide, role="presenter", drawn=False),
)
BY_NAME = {f.name: f for f in FIELDS}
# the run's settings, in RunConfig's order (the banner names the ones a link changed in this order)
_ORDER = [f.name for f in fields(RunConfig)]
RUN_FIELDS = tuple(sorted((f.name for f in FIELDS if f.role == "run"), key=_ORDER.index))
PRESENTER_FIELDS = tuple(f.name for f in FIELDS if f.role == "presenter")
LINK_FIELDS = tuple(f.name for f in FIELDS if f.role == "link")


_RUN = RunConfig()  # the run settings' defaults are the engine's


@dataclass(frozen=True)
class AppState:
    """Everything a link holds: the run's settings (defaults from engine.experiment.RunConfig), the view and its
    selections, export and presentation settings. Field for field the table FIELDS above (tests/test_state_i18n.py
    keeps them equal); a value comes from a link only through that table's validation."""

    scenario: str = ""
    view: str = "unroll"
    lang: str = "ko"
    cell: str = _RUN.cell
    nonlinearity: str = _RUN.nonlinearity
    hidden_size: int = _RUN.hidden_size
    num_layers: int = _RUN.num_layers
    bidirectional: int = _RUN.bidirectional
    residual: int = _RUN.residual
    init: str = _RUN.init
    rho: float = _RUN.rho
    task: str = _RUN.task
    text: str = _RUN.text
    alphabet: str = _RUN.alphabet
    loss: str = _RUN.loss
    reduce: str = _RUN.reduce
    length: int = _RUN.length
    optimizer: str = _RUN.optimizer
    lr: float = _RUN.lr
    epochs: int = _RUN.epochs
    paused_at: int = _RUN.paused_at
    clip: str = _RUN.clip
    clip_threshold: float = _RUN.clip_threshold
    tbptt: int = _RUN.tbptt
    batch: int = _RUN.batch
    seed: int = _RUN.seed
    data_id: str = _RUN.data_id
    target: str = _RUN.target
    data_kind: str = _RUN.data_kind
    model_id: str = _RUN.model_id
    step: int = -1  # -1: the last step
    unit: int = 0
    layer: int = -1  # -1: the top layer
    scale: str = "log"
    rho_view: float = 0.0  # the eigenvalue page's live rescaling; 0 = as trained
    bptt_window: int = -1  # the BPTT page's truncation window; -1 = the run's own, 0 = none
    window: int = 3  # the NNLM page: the NNLM's window
    gap: int = 5  # the NNLM page: the countdown's length
    embed_dim: int = 3  # the embeddings page: the dimension of the learned character vectors
    snapshot: int = -1  # -1: the last
    slide: str = "light"
    lecture: int = 0
    png_scale: int = 2
    caption: int = 1
    present: int = 0
    predict: int = 0
    deck: str = ""
    deck_at: int = -1
    hide: str = ""

    def run_config(self) -> RunConfig:
        return RunConfig(**{n: getattr(self, n) for n in RUN_FIELDS})

    def with_(self, **changes) -> AppState:
        return replace(self, **changes)


def parse_value(f: Field, raw: str):
    """The typed value of ``raw`` for field ``f``, or raise ValueError with the reason."""
    if f.kind is int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise BadValue("whole") from None  # Python's message would repeat the raw value
    elif f.kind is float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise BadValue("number") from None
        if not math.isfinite(value):
            raise BadValue("finite")
    else:
        value = raw
        if f.check is not None:
            f.check(value)
        if f.max_chars is not None and len(value) > f.max_chars:
            raise BadValue("long", n=f.max_chars)
    if f.choices is not None and value not in f.choices:
        raise BadValue("choice", choices=", ".join(str(c) for c in f.choices if c != ""))
    if f.lo is not None and not (f.lo <= value <= f.hi):
        raise BadValue("range", lo=f.lo, hi=f.hi)
    return value


def _parse(params: dict[str, str]) -> tuple[dict, list[tuple[str, str, str]]]:
    """Typed values of the known fields in ``params``, and a notice (field, raw value, reason) per bad one."""
    values, notices = {}, []
    for name, raw in params.items():
        f = BY_NAME.get(name)
        if f is None:
            continue  # unknown parameters are ignored, as a shared link may come from a newer version
        try:
            values[name] = parse_value(f, raw if isinstance(raw, str) else str(raw))
        except (ValueError, TypeError) as e:
            notices.append((name, str(raw)[:60], e.reason if isinstance(e, BadValue) else ("number", {})))
    return values, notices


@lru_cache(maxsize=None)
def baseline(scenario: str) -> AppState:
    """The state a link naming only ``scenario`` opens: the scenario's settings, every other field at its default.
    "" is the plain default state."""
    if not scenario:
        return AppState()
    values, _ = _parse(scenarios.params(scenario))  # the scenarios file is tested to parse without a notice
    return AppState(**values, scenario=scenario)


def from_params(params: dict[str, str]) -> tuple[AppState, list[tuple[str, str, str]]]:
    """(state, notices) from query parameters; each notice is (field, raw value, (reason key, values)).

    ``scenario=NAME`` applies that scenario's settings first; every other parameter of the link overrides them, so
    ``?scenario=vanishing`` opens the scenario's model and ``?scenario=vanishing&seed=3`` the same with seed 3."""
    values, notices = _parse(params)
    if values.get("task") == "csv" and not values.get("data_id"):  # a CSV task needs this session's upload
        notices.append(("task", "csv", ("csv", {})))
        del values["task"]
    base = baseline(values.get("scenario", ""))
    state = replace(base, **values)
    if state.paused_at >= state.epochs:  # a pause inside the training, or none
        notices.append(("paused_at", str(params["paused_at"])[:60], ("range", {"lo": -1, "hi": state.epochs - 1})))
        state = state.with_(paused_at=-1)
    return state, notices


def to_params(state: AppState) -> dict[str, str]:
    """Only the values that differ from the state's baseline (its scenario, or the defaults), the scenario's name
    and the fields always written (the language): short links that ``from_params`` turns back into the same state."""
    base = baseline(state.scenario)
    out = {}
    for f in FIELDS:
        v = getattr(state, f.name)
        if v != getattr(base, f.name) or f.always or (f.name == "scenario" and v):
            out[f.name] = repr(v) if f.kind is float else str(v)
    return out


def scenario_state(name: str, lang: str):
    """The state a scenario sets (everything else at its default), in the current language."""
    return baseline(name).with_(lang=lang)


def cell_choices() -> dict[str, tuple[str, str | None]]:
    """The sidebar's one choice for two fields, cell and nonlinearity: every registered cell kind (engine/cells), a
    kind with several nonlinearities once per nonlinearity ("rnn_tanh", "rnn_relu"); each choice -> (cell, its
    nonlinearity, or None where the kind has one)."""
    out = {}
    for kind in engine_cells.kinds():
        choices = engine_cells.get(kind).nonlinearities
        out |= {f"{kind}_{nl}": (kind, nl) for nl in choices} if len(choices) > 1 else {kind: (kind, None)}
    return out


def cell_choice(cell: str, nonlinearity: str) -> str:
    """The choice (cell_choices) of a cell and nonlinearity: "rnn_relu", "lstm"."""
    return f"{cell}_{nonlinearity}" if len(engine_cells.get(cell).nonlinearities) > 1 else cell


def hidden(state, part: str) -> bool:
    """Whether the lecturer's link hides this part of the page."""
    return part in state.hide.split(",")
