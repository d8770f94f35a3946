"""Uploads. Bring your own model: a state_dict saved from torch.nn.RNN / LSTM / GRU (or a whole RecurrentNet), loaded
safely; or your own data: a CSV table of numbers (parse_csv, from_csv) made into a task.

Files are read with ``torch.load(..., weights_only=True)``: a pickle that carries code is refused, never run. The cell
kind and sizes are inferred from the keys and shapes (torch's layout: weight_hh_l{k} is [G*H, H] with G = 1 for an
RNN, 3 for a GRU, 4 for an LSTM), every layer is checked, and anything else gets one StateDictError sentence.
"""
from __future__ import annotations

import io
import pickle
import re
import zipfile
from typing import NamedTuple
from dataclasses import dataclass

import numpy as np
import torch

from engine import cells
from engine.serving import limits
from engine.errors import DataError, StateDictError
from engine.model import RecurrentNet
from engine.tasks import TaskData

MAX_BYTES = 20 * 1024 * 1024
# what a file's entries may hold once read: torch.save stores its tensors uncompressed, so a file of at most MAX_BYTES
# holds at most that much; a deflated entry may declare more (a 1 MB file declared a 1 GB storage of zeros, which
# torch.load inflated before any check)
MAX_READ_BYTES = MAX_BYTES
CORE_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


@dataclass(frozen=True)
class ModelInfo:
    cell: str
    input_size: int
    hidden_size: int
    num_layers: int
    output_size: int | None  # None: the upload had no readout
    whole_net: bool
    bidirectional: bool = False  # torch's bidirectional=True: every layer also has *_reverse parameters


def _read(data: bytes) -> dict:
    if not data:
        raise StateDictError("the file is empty", "empty")
    if len(data) > MAX_BYTES:
        raise StateDictError(f"the file has {len(data) / 2**20:.1f} MB; at most {MAX_BYTES // 2**20} MB are accepted",
                             "file_size", {"mb": len(data) / 2**20, "max": MAX_BYTES // 2**20})
    _check_declared_sizes(data)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "global" not in str(e):  # not a class or function it refused: bytes that are no pickle of ours
            raise StateDictError("this is not a file written by torch.save (it may be truncated or of another "
                                 "kind)", "not_torch") from e
        raise StateDictError("the file contains Python objects other than tensors (code is never run); save the "
                             "model with torch.save(module.state_dict(), path)", "objects") from e
    except Exception as e:  # truncated zip, not a torch file at all, ...
        raise StateDictError("this is not a file written by torch.save (it may be truncated or of another kind)",
                             "not_torch") from e
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise StateDictError("the file holds no state_dict (a dict of tensors); save module.state_dict()",
                             "no_state_dict")
    for name, value in obj.items():  # numbers to read: a sparse, meta or quantised tensor raised deep inside torch
        if value.layout != torch.strided or value.device.type != "cpu" or value.is_quantized:
            raise StateDictError(f"{str(name)[:80]} is a {value.layout} tensor on {value.device.type}"
                                 f"{' (quantised)' if value.is_quantized else ''}: save the model's ordinary dense "
                                 "weights (module.state_dict() of a float model)", "not_dense", {"name": str(name)})
    return obj


def _check_declared_sizes(data: bytes) -> None:
    """Before torch reads anything: the sizes the file's zip directory declares for its entries once decompressed
    (torch's reader allocates what an entry declares, and reads no more). The legacy format (not a zip) holds its
    tensors as they are, no larger than the file."""
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        return
    try:
        with zipfile.ZipFile(buffer) as archive:
            total = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise StateDictError("this is not a file written by torch.save (it may be truncated or of another kind)",
                             "not_torch") from e
    if total > MAX_READ_BYTES:
        raise StateDictError(f"the file's tensors would take {total / 2**20:.0f} MB once read; at most "
                             f"{MAX_READ_BYTES // 2**20} MB are accepted (save the model's state_dict with torch.save, "
                             "without compressing it further)", "read_size",
                             {"mb": total / 2**20, "max": MAX_READ_BYTES // 2**20})


def inspect(sd: dict) -> ModelInfo:
    """Infer and check the architecture of a state_dict (core keys bare, or under recurrent./readout.)."""
    whole = any(k.startswith("recurrent.") for k in sd)
    core = {k.removeprefix("recurrent."): v for k, v in sd.items() if not whole or k.startswith("recurrent.")}
    if any(k.startswith("weight_hr") for k in core):
        raise StateDictError("LSTMs with proj_size are not supported", "proj_size")
    unknown = [k for k in core if not CORE_KEY.match(k)]
    if unknown:
        raise StateDictError(f"unexpected keys for torch.nn.RNN/LSTM/GRU: {', '.join(unknown[:5])}",
                             "unexpected_keys", {"keys": ", ".join(str(k) for k in unknown[:5])})
    layers = sorted({int(CORE_KEY.match(k).group(2)) for k in core})
    if not layers or layers != list(range(len(layers))):
        raise StateDictError("the layers are not numbered l0, l1, ... without gaps", "layer_gaps")
    bidirectional = any(k.endswith("_reverse") for k in core)
    suffixes = cells.DIRECTIONS if bidirectional else cells.DIRECTIONS[:1]
    for k in layers:
        for name in cells.WEIGHTS:
            for suffix in suffixes:
                if f"{name}_l{k}{suffix}" not in core:
                    raise StateDictError(f"missing {name}_l{k}{suffix} (models without biases are not supported)",
                                         "missing", {"name": f"{name}_l{k}{suffix}"})
    w_hh = core["weight_hh_l0"]
    if w_hh.dim() != 2 or w_hh.shape[0] % w_hh.shape[1]:
        raise StateDictError(f"weight_hh_l0 has shape {list(w_hh.shape)}, not [G*H, H]", "w_hh_shape",
                             {"shape": str(list(w_hh.shape))})
    hidden, gates = w_hh.shape[1], w_hh.shape[0] // w_hh.shape[1]
    kind = cells.of_torch_module(gates)
    if kind is None:
        raise StateDictError(f"weight_hh_l0 has {gates} gate blocks; an RNN has 1, a GRU 3, an LSTM 4", "gates",
                             {"gates": gates})
    g = gates * hidden
    input_size = core["weight_ih_l0"].shape[1] if core["weight_ih_l0"].dim() == 2 else -1
    _check_served_size(hidden, len(layers), input_size, sd)
    width = hidden * len(suffixes)  # what a layer passes up: [forward; backward] for a bidirectional model
    for k in layers:
        want = {"weight_ih": (g, input_size if k == 0 else width), "weight_hh": (g, hidden), "bias_ih": (g,),
                "bias_hh": (g,)}
        for name, shape in want.items():
            for suffix in suffixes:
                got = tuple(core[f"{name}_l{k}{suffix}"].shape)
                if got != shape:
                    raise StateDictError(f"{name}_l{k}{suffix} has shape {list(got)}, expected {list(shape)}",
                                         "shape", {"name": f"{name}_l{k}{suffix}", "got": str(list(got)),
                                                   "want": str(list(shape))})
    for k, v in sd.items():
        if not v.is_floating_point() or not torch.isfinite(v).all():
            raise StateDictError(f"{k} has non-finite or non-float values", "not_finite", {"name": str(k)})
    out = None
    if whole:
        w = sd.get("readout.weight")
        if w is None or "readout.bias" not in sd or w.dim() != 2 or w.shape[1] != width:
            raise StateDictError(f"a RecurrentNet state_dict needs readout.weight [O, {width}] and readout.bias [O]",
                                 "readout", {"width": width})
        out = w.shape[0]
    return ModelInfo(kind.kind, input_size, hidden, len(layers), out, whole, bidirectional)


def _check_served_size(hidden: int, layers: int, input_size: int, sd: dict) -> None:
    """An upload may not describe a bigger network than a link may ask for (engine.serving.limits): checked from the
    shapes alone, before any tensor is read in full (a 2 kB file of expanded tensors can describe H = 1024 x 8
    layers)."""
    if hidden > limits.MAX_HIDDEN or layers > limits.MAX_LAYERS:
        raise StateDictError(f"the model has hidden size {hidden} and {layers} layer(s); this server accepts at most "
                             f"H = {limits.MAX_HIDDEN} and {limits.MAX_LAYERS} layers", "too_wide",
                             {"hidden": hidden, "layers": layers, "max_hidden": limits.MAX_HIDDEN,
                              "max_layers": limits.MAX_LAYERS})
    if input_size > limits.MAX_INPUTS:
        raise StateDictError(f"the model has {input_size} inputs; this server accepts at most {limits.MAX_INPUTS}",
                             "inputs", {"n": input_size, "max": limits.MAX_INPUTS})
    out = sd.get("readout.weight")
    if out is not None and out.dim() == 2 and out.shape[0] > limits.MAX_INPUTS:
        raise StateDictError(f"the model has {out.shape[0]} outputs; this server accepts at most {limits.MAX_INPUTS}",
                             "outputs", {"n": out.shape[0], "max": limits.MAX_INPUTS})
    params = sum(v.numel() for v in sd.values())
    if params > limits.MAX_UPLOAD_PARAMETERS:
        raise StateDictError(f"the model has {params:,} parameters; this server accepts at most "
                             f"{limits.MAX_UPLOAD_PARAMETERS:,}", "parameters",
                             {"n": params, "max": limits.MAX_UPLOAD_PARAMETERS})


def load_model(data: bytes, *, nonlinearity: str = "tanh", seed: int = 0) -> tuple[RecurrentNet, ModelInfo]:
    """A RecurrentNet carrying the uploaded weights. A bare core gets a fixed random readout predicting the next
    input (output size = input size), so every gradient view has a loss to flow from."""
    sd = _read(data)
    info = inspect(sd)
    if any(k.startswith("embedding.") for k in sd):
        raise StateDictError("models with an nn.Embedding input are not supported for upload; use one-hot inputs",
                             "embedding")
    torch.manual_seed(seed)
    net = RecurrentNet(info.cell, info.input_size, info.hidden_size, info.output_size or info.input_size,
                       info.num_layers, nonlinearity, bidirectional=info.bidirectional)
    state = {k: v.float() for k, v in sd.items()}
    if info.whole_net:
        net.load_state_dict(state)
    else:
        net.recurrent.load_state_dict(state)
    net.eval()
    return net, info


def model_info(data: bytes) -> ModelInfo:
    """What an uploaded model file holds, once it has loaded as ``load_model`` loads it (StateDictError if not)."""
    return load_model(data)[1]


@dataclass(frozen=True, eq=False)
class ModelFile:
    """An uploaded model file, loaded only where it is used (a worker process, never the server's): its bytes and
    what ``model_info`` found in them; sizes as a RecurrentNet names them, for the budget."""

    data: bytes
    info: ModelInfo

    cell = property(lambda self: self.info.cell)
    input_size = property(lambda self: self.info.input_size)
    hidden_size = property(lambda self: self.info.hidden_size)
    num_layers = property(lambda self: self.info.num_layers)
    output_size = property(lambda self: self.info.output_size or self.info.input_size)
    directions = property(lambda self: 2 if self.info.bidirectional else 1)

    def load(self, nonlinearity: str = "tanh") -> RecurrentNet:
        return load_model(self.data, nonlinearity=nonlinearity)[0]


# CSV data ------------------------------------------------------------------------------------------------------------
MAX_CSV_ROWS = 2000
MAX_CLASSES = 20


class Table(NamedTuple):
    """A parsed CSV: column names, the values (rows x columns, float64) and, for each column of text labels, its
    labels in sorted order (the column's values are their codes 0..K-1)."""

    header: list[str]
    values: np.ndarray
    labels: dict[str, tuple[str, ...]]


def parse_csv(data: bytes) -> Table:
    """A CSV of numbers, with a header row. A column in which no cell is a number holds labels (at most MAX_CLASSES
    different texts, "up"/"down"): coded 0..K-1 in sorted order, for use as a class column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError("the file is not UTF-8 text; save it as CSV (UTF-8)", "not_utf8") from e
    first = text.split("\n", 1)[0]
    if first.count(",") + 1 > limits.MAX_CSV_COLUMNS:  # before anything else is parsed
        raise DataError(f"the CSV has {first.count(',') + 1} columns; at most {limits.MAX_CSV_COLUMNS} are supported",
                        "columns", {"n": first.count(",") + 1, "max": limits.MAX_CSV_COLUMNS})
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 3:
        raise DataError("the CSV needs a header row and at least two rows of numbers", "too_short")
    if len(lines) - 1 > MAX_CSV_ROWS:
        raise DataError(f"the CSV has {len(lines) - 1} rows; at most {MAX_CSV_ROWS} are supported", "rows",
                        {"n": len(lines) - 1, "max": MAX_CSV_ROWS})
    header = [h.strip() for h in lines[0].split(",")]
    if len(set(header)) != len(header) or not all(header):
        raise DataError("the header row needs a distinct, non-empty name for every column", "header")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(header):
            raise DataError(f"row {n} has {len(cells)} values, the header has {len(header)}", "ragged",
                            {"row": n, "n": len(cells), "want": len(header)})
        rows.append(cells)
    values = np.empty((len(rows), len(header)), dtype=np.float64)
    labels = {}
    for j, name in enumerate(header):
        column = [r[j] for r in rows]
        numbers = [_number(c) for c in column]
        if all(v is None for v in numbers) and all(column):  # no number at all: a column of labels
            texts = tuple(sorted(set(column)))
            if len(texts) > MAX_CLASSES:
                raise DataError(f"column {name!r} holds {len(texts)} different texts; a class column may have at most "
                                f"{MAX_CLASSES}", "labels", {"column": name, "n": len(texts), "max": MAX_CLASSES})
            labels[name] = texts
            values[:, j] = [texts.index(c) for c in column]
            continue
        for n, v in enumerate(numbers, start=2):
            if v is None:
                raise DataError(f"row {n} has a value that is not a number ({column[n - 2][:20]!r})", "not_number",
                                {"row": n})
        values[:, j] = numbers
    if not np.isfinite(values).all():
        raise DataError("the CSV contains NaN or infinite values", "not_finite")
    return Table(header, values, labels)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def class_ids(values: np.ndarray) -> bool:
    """Whether a column can be class ids: whole numbers 0..MAX_CLASSES-1."""
    return bool(np.all(values == np.round(values)) and values.min() >= 0 and values.max() < MAX_CLASSES)


def few_classes(values: np.ndarray) -> bool:
    """Whether a numeric column looks like class ids (``class_ids``), at least two different ones."""
    return class_ids(values) and len(np.unique(values)) >= 2


def from_csv(data: bytes, *, target: str | None = None, kind: str = "regression", dtype=torch.float32) -> TaskData:
    """A task from a CSV of numeric series (a column per feature, a row per time step).

    Without ``target``: predict every column's next value (many-to-many, MSE). With ``target``: the other columns
    are the inputs and the target column is predicted at every step, as a number (``kind="regression"``, MSE) or as
    a class id 0..K-1 (``kind="classification"``, cross-entropy; a target of text labels is always classes, named
    by its labels). Inputs are standardised per column; a column of text may only be the target.
    """
    header, values, labels = parse_csv(data)
    texts = [name for name in labels if name != target]
    if texts:
        raise DataError(f"column {texts[0]!r} holds text ({', '.join(labels[texts[0]][:3])}, ...): only the target "
                        "column may, as classes", "text_column",
                        {"column": texts[0], "examples": ", ".join(labels[texts[0]][:3])})
    if target:
        if target not in header:
            raise DataError(f"no column named {target!r}; the columns are {', '.join(header)}", "no_target",
                            {"target": target, "columns": ", ".join(header)})
        if target in labels:  # text labels: classes, whatever was asked
            kind = "classification"
        j = header.index(target)
        feats = np.delete(values, j, axis=1)
        if feats.shape[1] == 0:
            raise DataError("with a target column there must be at least one other column as input", "no_inputs")
        goal = values[:, j]
    else:
        feats, goal = values[:-1], values[1:]
    mean, std = feats.mean(0), feats.std(0)
    x = torch.tensor((feats - mean) / np.where(std > 0, std, 1.0), dtype=dtype).unsqueeze(1)  # (T, 1, F)
    if not target:
        y = torch.tensor((goal - mean) / np.where(std > 0, std, 1.0), dtype=dtype).unsqueeze(1)  # (T, 1, F)
        return TaskData("csv", x, y, "mse", "many_to_many", y.shape[-1])
    if kind == "classification":
        if not class_ids(goal):
            raise DataError(f"a class column needs whole numbers 0 .. {MAX_CLASSES - 1}", "classes",
                            {"max": MAX_CLASSES - 1})
        classes = int(goal.max()) + 1
        y = torch.tensor(goal, dtype=torch.long).unsqueeze(1)  # (T, 1)
        names = labels.get(target) or tuple(str(c) for c in range(classes))
        return TaskData("csv", x, y, "cross_entropy", "many_to_many", max(classes, 2),
                        labels=names + tuple(str(c) for c in range(len(names), 2)))
    y = torch.tensor(goal, dtype=dtype).view(-1, 1, 1)  # (T, 1, 1)
    return TaskData("csv", x, y, "mse", "many_to_many", 1)
