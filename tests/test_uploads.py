"""Bring your own model and data: real torch modules load and give torch's numbers; every bad file gets a
StateDictError / DataError sentence."""
import re
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import engine
from engine import experiment, tasks
from engine.io import MAX_BYTES, MAX_CSV_ROWS, from_csv, inspect, load_model, parse_csv

ROOT = Path(__file__).resolve().parents[1]


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.mark.parametrize("module,cell", [(nn.RNN(3, 5, 2, nonlinearity="relu"), "rnn"), (nn.LSTM(3, 5, 2), "lstm"),
                                         (nn.GRU(3, 5), "gru"), (nn.LSTM(3, 5, 2, bidirectional=True), "lstm"),
                                         (nn.GRU(3, 5, bidirectional=True), "gru")])
def test_torch_modules_load_and_agree(module, cell):
    net, info = load_model(_saved(module.state_dict()), nonlinearity="relu" if cell == "rnn" else "tanh")
    assert (info.cell, info.input_size, info.hidden_size, info.num_layers) == (cell, 3, 5, module.num_layers)
    x = torch.randn(6, 2, 3)
    ref, _ = module(x)
    tr = engine.record(net, x, torch.zeros(6, 2, 3), loss="mse")
    assert np.abs(tr.hidden[-1] - ref.detach().numpy()).max() < 1e-5


@pytest.mark.parametrize("module", [nn.LSTM(3, 5, 2, bidirectional=True), nn.RNN(3, 4, bidirectional=True)])
def test_a_bidirectional_upload_is_shown_as_the_apps_own_bidirectional_nets(module):
    """A bidirectional nn.LSTM/RNN state_dict was refused by the sidebar although the app shows its own
    bidirectional nets. It opens as the sidebar sets it (the default page's task, bidirectional=1): recorded in both
    directions, equal to torch's module, and probed with a zero target, never the next input (which its backward
    direction reads)."""
    from viz_app.state.fields import AppState
    raw = _saved(module.state_dict())
    info = engine.io.model_info(raw)
    state = AppState().with_(model_id="m", cell=info.cell, hidden_size=info.hidden_size, num_layers=info.num_layers,
                             bidirectional=int(info.bidirectional))
    run = experiment.run(state.run_config(), model=engine.io.ModelFile(raw, info))
    tr = run.trace()
    d = run.eval_data
    assert info.bidirectional and tr.directions == 2 and not d.y.any()
    ref, _ = module(d.x)
    assert np.abs(tr.hidden[-1] - ref.detach().numpy()).max() < 1e-5


def test_whole_recurrent_net_and_bundled_models():
    net, info = load_model((ROOT / "assets" / "models" / "hello_gru_net.pt").read_bytes())
    assert info.whole_net and info.output_size == 4
    d = tasks.char_lm("hello")
    assert "".join(d.vocab[int(i)] for i in net(d.x).argmax(-1)[:, 0]) == "ello"
    core, info = load_model((ROOT / "assets" / "models" / "hello_lstm_core.pt").read_bytes())
    run = experiment.run(experiment.RunConfig(text="hello", model_id="m"), model=core)
    assert run.history.updates == 0 and run.trace().hidden.shape == (1, 4, 1, 16)


class Evil:
    def __reduce__(self):
        return (print, ("this would run code",))


BAD = {
    "empty": b"",
    "not torch": b"hello, this is a text file",
    "truncated": _saved(nn.GRU(3, 5).state_dict())[:200],
    "pickle with code": pickle.dumps({"weight_hh_l0": Evil()}),
    "torch file with code": _saved({"x": torch.zeros(1), "y": Evil()}),
    "a tensor, not a dict": _saved(torch.zeros(3)),
    "wrong keys": _saved({"fc.weight": torch.zeros(2, 2)}),
    "wrong shape": _saved({**nn.GRU(3, 5).state_dict(), "weight_hh_l0": torch.zeros(15, 4)}),
    "five gates": _saved({"weight_ih_l0": torch.zeros(25, 3), "weight_hh_l0": torch.zeros(25, 5),
                          "bias_ih_l0": torch.zeros(25), "bias_hh_l0": torch.zeros(25)}),
    "no biases": _saved(nn.LSTM(3, 5, bias=False).state_dict()),
    "half a bidirectional": _saved({k: v for k, v in nn.GRU(3, 5, bidirectional=True).state_dict().items()
                                    if k != "weight_hh_l0_reverse"}),
    "missing layer": _saved({k: v for k, v in nn.RNN(3, 5, 2).state_dict().items() if not k.endswith("l0")}),
    "nan weights": _saved({k: v * float("nan") for k, v in nn.RNN(3, 5).state_dict().items()}),
    "huge": b"\0" * (MAX_BYTES + 1),
    # tensors that hold no numbers to read (a traceback from deep inside torch before)
    "sparse weights": _saved({**nn.RNN(3, 4).state_dict(), "weight_hh_l0": torch.eye(4).to_sparse()}),
    "meta weights": _saved({**nn.RNN(3, 4).state_dict(), "weight_hh_l0": torch.empty(4, 4, device="meta")}),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_get_one_clear_sentence(name, capsys):
    with pytest.raises(engine.StateDictError) as e:
        load_model(BAD[name])
    msg = str(e.value)
    assert msg and "\n" not in msg and len(msg) < 200
    assert "this would run code" not in capsys.readouterr().out  # nothing was executed
    _worded_in_both_languages(e.value, "The uploaded model cannot be used: ")


def _worded_in_both_languages(error, english: str):
    """Every refusal of an upload has its own sentence in the page's language, and it survives the pickle from the
    worker that read the file: a Korean page has no English words in it but code, names quoted from the file and
    the cells' names (it said '올린 모델을 쓸 수 없습니다: weight_hh_l0 has shape [15, 4], not [G*H, H]')."""
    from viz_app.text.errors import error_message
    assert error.reason, str(error)
    again = pickle.loads(pickle.dumps(error))
    assert (again.reason, again.values, str(again)) == (error.reason, error.values, str(error))
    ko = error_message(again, "ko")
    plain = re.sub(r"`[^`]*`|“[^”]*”|(?<![A-Za-z])(RNN|LSTM|GRU|CSV|UTF|NaN|MB)(?![A-Za-z])", "", ko)
    assert not re.search(r"[A-Za-z]{3,}", plain), ko
    assert error_message(again, "en").startswith(english)


def test_inspect_reports_architecture():
    info = inspect(nn.LSTM(7, 9, 3).state_dict())
    assert (info.cell, info.input_size, info.hidden_size, info.num_layers) == ("lstm", 7, 9, 3)


CSV_BAD = {
    "empty": b"",
    "header only": b"a,b\n",
    "not numbers": b"a,b\n1,2\nx,3\n1,2\n",
    "ragged": b"a,b\n1,2\n3\n4,5\n",
    "nan": b"a,b\n1,nan\n2,3\n4,5\n",
    "duplicate names": b"a,a\n1,2\n3,4\n5,6\n",
    "not utf-8": "a,b\n1,2\n3,4\n".encode("utf-16"),
    "too long": b"a\n" + b"1\n" * (MAX_CSV_ROWS + 1),
}


@pytest.mark.parametrize("name", sorted(CSV_BAD))
def test_bad_csv_gets_a_data_error(name):
    with pytest.raises(engine.DataError) as e:
        from_csv(CSV_BAD[name])
    _worded_in_both_languages(e.value, "The uploaded data cannot be used: ")


def test_csv_tasks():
    raw = (ROOT / "assets" / "data" / "sensor.csv").read_bytes()
    nxt = from_csv(raw)
    assert nxt.x.shape == (299, 1, 3) and torch.allclose(nxt.x[1:], nxt.y[:-1])
    cls = from_csv(raw, target="fault", kind="classification")
    assert cls.x.shape == (300, 1, 2) and cls.loss == "cross_entropy" and int(cls.y.sum()) == 18
    reg = from_csv(raw, target="temperature")
    assert reg.y.shape == (300, 1, 1) and abs(float(reg.x.mean())) < 1e-5
    with pytest.raises(engine.DataError):
        from_csv(raw, target="nope")
    with pytest.raises(engine.DataError):
        from_csv(b"a,b\n0.5,1\n2,3\n", target="a", kind="classification")
    run = experiment.run(experiment.RunConfig(task="csv", data_id="x", epochs=60, hidden_size=8), data=cls)
    assert run.history.loss[-1] < run.history.loss[0] / 2
    with pytest.raises(engine.ConfigError):
        experiment.run(experiment.RunConfig(task="csv", data_id="x"))


def test_a_class_column_of_text_labels_becomes_classes_and_is_said_so():
    """A CSV whose class column says "up"/"down" was refused ("row 2 has a value that is not a number", in English
    on a Korean page). Text labels are coded in sorted order and named by their texts; a text column as an input is
    refused in the page's language, naming what to do; a typo in a column of numbers is still said with its line."""
    rows = "\n".join(f"{np.sin(i / 3):.3f},{i % 5},{'up' if np.sin((i + 1) / 3) > np.sin(i / 3) else 'down'}"
                      for i in range(60))
    raw = ("x,k,move\n" + rows + "\n").encode()
    header, values, labels = parse_csv(raw)
    assert labels == {"move": ("down", "up")} and set(values[:, 2]) == {0.0, 1.0}
    data = from_csv(raw, target="move")  # classes whatever the kind asked: a text target is classes
    assert data.loss == "cross_entropy" and data.labels == ("down", "up") and data.output_size == 2
    assert [data.labels[int(c)] for c in data.y[:5, 0]] == [r.split(",")[2] for r in raw.decode().splitlines()[1:6]]
    run = experiment.run(experiment.RunConfig(task="csv", data_id="x", epochs=80, hidden_size=8,
                                              target="move", data_kind="classification"), data=data)
    assert run.history.loss[-1] < run.history.loss[0]
    with pytest.raises(engine.DataError) as e:  # the labels as an input column
        from_csv(raw, target="x")
    assert e.value.reason == "text_column" and e.value.values["column"] == "move"
    _worded_in_both_languages(e.value, "The uploaded data cannot be used: ")
    with pytest.raises(engine.DataError) as e:  # a typo among numbers: its line, not a column of labels
        from_csv(b"a,b\n1,2\n3,x\n5,6\n")
    assert e.value.reason == "not_number" and e.value.values == {"row": 3}
    many = "\n".join(f"{i},w{i}" for i in range(25))
    with pytest.raises(engine.DataError) as e:
        parse_csv(("a,b\n" + many).encode())
    assert e.value.reason == "labels"
    _worded_in_both_languages(e.value, "The uploaded data cannot be used: ")


@pytest.mark.parametrize("column,classes", [([0, 1, 1, 0], True), ([0, 2, 5, 19], True), ([0.5, 1, 2], False),
                                            ([1, 1, 1], False), ([-1, 0, 1], False), (list(range(25)), False)])
def test_a_column_of_a_few_whole_numbers_is_proposed_as_classes(column, classes):
    """The sidebar proposes classification for a target of a few class ids (0/1 defaulted to regression)."""
    from engine.io import few_classes
    assert few_classes(np.array(column, dtype=float)) == classes


def test_uploads_may_not_size_the_model_beyond_what_a_link_may():
    """The issue's 1.9 kB state_dict of expanded tensors describing an LSTM with H = 1024 and 8 layers, and a CSV of
    3 rows x 1,000,000 columns: both refused with one sentence, from the shapes / header alone."""
    from engine.serving import limits
    h = 1024
    big = {}
    for k in range(8):
        big |= {f"weight_ih_l{k}": torch.zeros(1).expand(4 * h, 3 if k == 0 else h),
                f"weight_hh_l{k}": torch.zeros(1).expand(4 * h, h), f"bias_ih_l{k}": torch.zeros(1).expand(4 * h),
                f"bias_hh_l{k}": torch.zeros(1).expand(4 * h)}
    raw = _saved(big)
    assert len(raw) < 20_000
    with pytest.raises(engine.StateDictError, match=f"at most H = {limits.MAX_HIDDEN}") as e:
        load_model(raw)
    _worded_in_both_languages(e.value, "The uploaded model cannot be used: ")
    wide = (",".join(f"c{i}" for i in range(1_000_000)) + "\n").encode() + b"1,2\n3,4\n"
    with pytest.raises(engine.DataError, match="1000000 columns") as e:
        parse_csv(wide)
    _worded_in_both_languages(e.value, "The uploaded data cannot be used: ")
    ok = ",".join(f"c{i}" for i in range(limits.MAX_CSV_COLUMNS)) + "\n" + "\n".join(
        ",".join("1" for _ in range(limits.MAX_CSV_COLUMNS)) for _ in range(3))
    header, values, labels = parse_csv(ok.encode())
    assert values.shape == (3, limits.MAX_CSV_COLUMNS) and not labels


def test_a_small_file_declaring_a_huge_tensor_is_refused_before_torch_reads_it(monkeypatch):
    """A valid torch.save zip of a tiny RNN whose weight_ih_l0 is a [4, 3] view of a 40 MB storage of zeros, its
    entries deflated: a 40 KB file. torch.load inflated the whole storage in the server's process before any check
    (about 1 MB of file per GB). It is refused from the zip's directory, with torch.load never called."""
    sd = nn.RNN(3, 4).state_dict()
    sd["weight_ih_l0"] = torch.zeros(10_000_000)[:12].view(4, 3)  # the whole storage is saved
    plain = _saved(sd)
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            dst.writestr(entry.filename, src.read(entry.filename))
    data = packed.getvalue()
    assert len(data) < 200_000 < MAX_BYTES < 40_000_000
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    with pytest.raises(engine.StateDictError, match="would take 38 MB once read") as e:
        load_model(data)
    _worded_in_both_languages(e.value, "The uploaded model cannot be used: ")
    # a file as torch.save writes it (stored, not deflated) still loads
    monkeypatch.undo()
    net, info = load_model(_saved(nn.RNN(3, 4).state_dict()))
    assert info.hidden_size == 4


def test_the_sidebar_reads_an_uploaded_model_once_per_file(monkeypatch):
    """The uploader hands the same file to every run of the sidebar (each click, each view change): it was loaded
    again every time, in the server's process. Now once per file and session; another file is read anew."""
    from viz_app import sidebar

    class Session(dict):
        __getattr__, __setattr__ = dict.get, dict.__setitem__

    calls = []
    monkeypatch.setattr(sidebar.st, "session_state", Session())
    monkeypatch.setattr(sidebar.runs, "model_info", lambda raw, lang: calls.append(raw) or load_model(raw)[1])
    good, bad = _saved(nn.GRU(3, 5).state_dict()), b"not a model"
    for raw in (good, good, good, bad, bad, good):
        info, error = sidebar._inspected(raw)
        assert (info is None) == (raw == bad) and (error is None) == (raw == good)
    assert calls == [good, bad, good] and sidebar._inspected(good)[0].cell == "gru"


def test_an_uploaded_model_is_loaded_in_a_worker_never_in_the_server(monkeypatch):
    """torch.load of an uploaded file ran in the server's process (the sidebar's look at the file, and again for every
    run shown): a crafted file's cost, with the GIL held, was every page's. Now the look is a job in a worker (once per
    file content; a bad file's error arrives typed) and a run carries the file's bytes to its worker, which loads it
    there. Here the upload reader fails in this process, and everything still works."""
    from engine import experiment
    from viz_app.compute import runs

    sd = nn.GRU(3, 5).state_dict()
    good = _saved(sd)
    # (torch.load itself also reads the tensors of every result a worker sends back: the reader of uploads fails)
    monkeypatch.setattr(engine.io, "_read", lambda *a, **k: pytest.fail("an upload read in the server's process"))
    monkeypatch.setattr(runs, "session_id", lambda: "uploader")
    info = runs.model_info(good)
    assert (info.cell, info.input_size, info.hidden_size, info.whole_net) == ("gru", 3, 5, False)
    with pytest.raises(engine.StateDictError):
        runs.model_info(b"not a model")
    key = runs.register_upload("model", good)
    run = runs.train(experiment.RunConfig(cell="gru", hidden_size=5, model_id=key), "en")
    assert torch.equal(run.net.recurrent.weight_hh_l0, sd["weight_hh_l0"]) and run.history.updates == 0


def _with_code() -> bytes:
    buffer = io.BytesIO()
    torch.save({"weight_hh_l0": torch.zeros(2), "f": print}, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("raw,reason", [(b"", "empty"), (b"not a torch file", "not_torch"),
                                        (b"PK\x03\x04broken zip", "not_torch"), (_with_code(), "objects"),
                                        (_saved(torch.zeros(3)), "no_state_dict")])
def test_a_file_that_is_no_model_at_all_is_said_in_the_readers_language(raw, reason):
    """The common ways a file is not a model are worded on the page in the reader's language (a Korean page said
    '올린 모델을 쓸 수 없습니다: this is not a file written by torch.save ...'); the reason survives the trip from the
    worker that reads the file."""
    from viz_app.compute import runs
    from viz_app.text.errors import error_message

    with pytest.raises(engine.StateDictError) as got:
        runs.model_info(raw)
    assert got.value.reason == reason
    ko = error_message(got.value, "ko")
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"`[^`]*`", "", ko)), ko  # code aside
    assert error_message(got.value, "en").startswith("The uploaded model cannot be used: ")
