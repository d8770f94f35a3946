"""Typed exceptions raised by the engine: one class per kind of bad input."""


class EngineError(ValueError):
    """Base class: every error the engine raises on purpose is one of these."""


class ConfigError(EngineError):
    """A model, task or training setting is outside what the engine supports."""


class ArchitectureError(ConfigError):
    """What a network's architecture cannot do, with the lecture notes' reason (``reason`` is one of REASONS)."""

    REASONS = {
        "next_step": "a bidirectional model cannot predict the next step: its backward direction reads x_{t+1}, "
                     "which is the answer; choose a task whose target is not the next input (copy, adding, temporal "
                     "order, spike)",
        "generate": "a bidirectional model cannot generate: its backward direction reads the inputs after step t, "
                    "and when generating those are the outputs not yet produced",
        "tbptt": "truncated BPTT needs a model that runs forward in time; a bidirectional model's backward "
                 "direction reads the whole sequence",
        "residual_layers": "residual connections join layers: they need at least 2 layers",
        "unitary_cell": "a unitary W_hh (uRNN) is a vanilla RNN's: an LSTM's or GRU's weight_hh stacks several gate "
                        "blocks",
        "unitary_rho": "a unitary W_hh has every |eigenvalue| = 1: its spectral radius is 1 and cannot be set to "
                       "another value",
        "formula_residual": "the step's formula is written for a layer's own input; a residual layer adds the "
                            "layer below's input to it",
        "ledger_bidirectional": "the ledger follows the gradient back through one direction in time; this model "
                                "runs both ways",
        "terms_unitary": "a uRNN computes W_hh from its parametrisation: W_hh is not a parameter, so there is no "
                         "recorded gradient of W_hh to add its per-step terms up to",
        "terms_not_kept": "the per-step terms of dL/dW_hh are kept only for H <= 64 and sequences short enough",
    }

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(self.REASONS[reason])

    def __reduce__(self):
        return type(self), (self.reason,)


class VocabularyError(EngineError):
    """Text contains characters outside the model's vocabulary."""

    def __init__(self, unknown: list[str], vocab: str):
        self.unknown = unknown
        self.vocab = vocab
        shown = ", ".join(repr(c) for c in unknown[:10])
        super().__init__(f"characters not in the vocabulary: {shown} (vocabulary: {vocab!r})")

    def __reduce__(self):  # errors travel from a worker process to the server as pickles
        return type(self), (self.unknown, self.vocab)


class TextError(EngineError):
    """Text is empty, too short to form an (input, next character) pair, or too long."""


class WordedError(EngineError):
    """An error about a user's file that the page words in the reader's language: ``reason`` (one of the class's
    REASONS) names the sentence and ``values`` fill it; the message is the engine's own English sentence."""

    REASONS: tuple[str, ...] = ()

    def __init__(self, message: str, reason: str = "", values: dict | None = None):
        assert reason in ("", *self.REASONS), reason
        self.reason, self.values = reason, dict(values or {})
        super().__init__(message)

    def __reduce__(self):  # errors travel from a worker process to the server as pickles
        return type(self), (str(self), self.reason, self.values)


class StateDictError(WordedError):
    """A loaded state_dict is not one of torch.nn.RNN/LSTM/GRU or RecurrentNet."""

    REASONS = ("empty", "not_torch", "objects", "no_state_dict", "file_size", "read_size", "not_dense", "proj_size",
               "unexpected_keys", "layer_gaps", "missing", "w_hh_shape", "gates", "shape", "not_finite", "readout",
               "too_wide", "inputs", "outputs", "parameters", "embedding", "gone")



class ShapeError(EngineError):
    """Input or target tensors do not have the shapes the model expects."""


class DataError(WordedError):
    """An uploaded data file is not a table of numbers the engine can learn from."""

    REASONS = ("not_utf8", "columns", "too_short", "rows", "header", "ragged", "not_number", "not_finite",
               "no_target", "no_inputs", "classes", "gone", "labels", "text_column")



class ResourceError(EngineError):
    """A run was stopped from outside: it passed its memory limit (``kind`` "memory", ``limit`` in MB) or its time
    limit ("time", seconds), or its process ended without an answer ("crash", ``limit`` = its exit code)."""

    def __init__(self, kind: str, limit: float):
        self.kind, self.limit = kind, limit
        what = {"memory": f"its memory limit ({limit:.0f} MB)", "time": f"its time limit ({limit:.0f} s)"}
        super().__init__(f"the run passed {what[kind]} and was stopped" if kind in what
                         else f"the run's process ended without an answer (exit code {limit})")

    def __reduce__(self):
        return type(self), (self.kind, self.limit)
