"""URL state round trip, fallbacks for malformed links, and the string table's completeness."""
import random
import re
import string
from pathlib import Path

import pytest

from engine import init, tasks
from engine.training import CLIPS, OPTIMIZERS
from viz_app.lecture import codec
from viz_app.state import scenarios
from viz_app import views
from viz_app.state import fields as S
from viz_app.text.strings import STRINGS
from viz_app.text.i18n import t
from viz_app.text.typeset import tex

ROOT = Path(__file__).resolve().parents[1]


def _random_state(rng):
    values = {}
    for f in S.FIELDS:
        if f.name == "hide":
            values[f.name] = ",".join(rng.sample(S.HIDEABLE, rng.randint(0, 3)))
        elif f.name in ("data_id", "model_id"):  # content hashes
            values[f.name] = rng.choice(["", "".join(rng.choice("0123456789abcdef") for _ in range(16))])
        elif f.name == "deck":  # a lecture deck as the app writes it, or none
            deck = codec.encode(rng.choice(["", "3강"]), [codec.Entry("a", "view=bptt&cell=gru", "note")])
            values[f.name] = rng.choice(["", deck])
        elif f.name == "alphabet":  # distinct characters
            values[f.name] = "".join(rng.sample("ab c?.한글😀&=%#", rng.randint(0, 12)))
        elif f.choices:
            values[f.name] = rng.choice(f.choices)
        elif f.kind is int:
            values[f.name] = rng.randint(int(f.lo), int(f.hi))
        elif f.kind is float:
            values[f.name] = rng.uniform(f.lo, f.hi)
        else:
            values[f.name] = "".join(rng.choice("ab c?.한글😀&=%#") for _ in range(rng.randint(2, 40)))
    if values["task"] == "csv" and not values["data_id"]:  # a CSV task is always an upload's (else: a notice)
        values["data_id"] = "0123456789abcdef"
    values["paused_at"] = rng.randint(-1, values["epochs"] - 1)  # a pause inside the training (else: a notice)
    return S.AppState(**values)


def test_url_round_trip_is_identity():
    rng = random.Random(0)
    for _ in range(200):
        st = _random_state(rng)
        back, notices = S.from_params(S.to_params(st))
        assert notices == [] and back == st


@pytest.mark.parametrize("name", S.scenarios.names())
def test_a_link_naming_a_scenario_opens_its_settings_and_explicit_values_override(name):
    bare, notices = S.from_params({"scenario": name})
    full, _ = S.from_params({**S.scenarios.params(name), "scenario": name})
    assert notices == [] and bare == full == S.baseline(name)
    assert S.to_params(bare) == {"scenario": name, "lang": "ko"}  # a short link, in its language
    for key, raw in S.scenarios.params(name).items():
        assert str(getattr(bare, key)) == raw or getattr(bare, key) == S.BY_NAME[key].kind(raw)
    seeded, _ = S.from_params({"scenario": name, "seed": "3", "view": "states"})
    assert seeded == bare.with_(seed=3, view="states")
    # a field set back to its global default stays in the link, so the link still means what the page shows
    back, _ = S.from_params(S.to_params(bare.with_(view="unroll")))
    assert back.view == "unroll"


def test_defaults_give_a_query_of_the_language_alone_and_the_engine_default_run():
    """The language is in every link: without it a Korean lecture's link opens in English in an English browser."""
    assert S.to_params(S.AppState()) == {"lang": "ko"} and S.to_params(S.AppState(lang="en")) == {"lang": "en"}
    from engine.experiment import RunConfig
    assert S.AppState().run_config() == RunConfig()


@pytest.mark.parametrize("name,raw", [("lr", "abc"), ("lr", "nan"), ("lr", "inf"), ("hidden_size", "0"),
                                      ("hidden_size", "1e3"), ("cell", "transformer"), ("rho", "-1"),
                                      ("epochs", "99999999"), ("view", "<script>"), ("seed", "1.5"),
                                      ("text", "x" * 3000), ("lang", "fr")])
def test_malformed_parameter_falls_back_with_a_notice(name, raw):
    st, notices = S.from_params({name: raw, "cell": "gru"} if name != "cell" else {name: raw})
    assert getattr(st, name) == getattr(S.AppState(), name)
    assert [n[0] for n in notices] == [name]


def test_unknown_parameters_are_ignored():
    st, notices = S.from_params({"utm_source": "mail"})
    assert st == S.AppState() and notices == []


def test_every_string_in_both_languages():
    for key, (ko, en) in STRINGS.items():
        assert ko.strip() and en.strip(), key
        assert set(re.findall(r"{(\w+)", ko)) == set(re.findall(r"{(\w+)", en)), key
    hangul = re.compile("[가-힣]")
    for key, (_ko, en) in STRINGS.items():
        assert key == "app.lang" or not hangul.search(en), key  # the language switch names both on purpose


@pytest.mark.parametrize("plain,latex", [
    ("σ_max(W_hh) < 1/γ", r"\sigma _{\max}(W_{hh}) < 1/\gamma"),
    ("‖∂h_T/∂h_{T−1}‖ = 1.3e-04", r"\|\partial h_{T}/\partial h_{T-1}\| = 1.3 \times 10^{-4}"),
    ("W_hhᵗ = Q diag(λᵗ) Q⁻¹", r"W_{hh}^{t} = Q \operatorname{diag}(\lambda ^{t}) Q^{-1}"),
    ("(0.93)^(t−k)", "(0.93)^{t-k}"),
    ("c_t = f_t ⊙ c_{t-1}", r"c_{t} = f_{t} \odot  c_{t-1}"),
    ("tanh′ ≈ 0, 3 ln 4 / T", r"\tanh' \approx  0, 3 \ln 4 / T"),
    ("‖T_k‖, ŷ_t, 45%", r"\|T_{k}\|, \hat{y}_{t}, 45\%"),
])
def test_plain_math_becomes_latex(plain, latex):
    assert tex(plain) == latex


def test_math_in_the_table_is_marked_where_it_can_be_typeset():
    """Formulas ($...$) come in pairs, only in the page's Markdown strings: never in a chart's (Plotly text) or an
    export caption's; the plain and the HTML forms of every string carry no $."""
    for key, (ko, en) in STRINGS.items():
        for text in (ko, en):
            assert text.count("$") % 2 == 0, key
            assert "$" not in text or not key.startswith(("fig.", "axis.", "leg.", "cap.", "opt.", "gate.")), key
    for name in scenarios.names():
        for lang in ("ko", "en"):
            for text in (scenarios._all()[name]["title"][lang], scenarios._all()[name]["text"][lang]):
                assert text.count("$") % 2 == 0, name
            assert "$" not in scenarios.title(name, lang, "text") + scenarios.text(name, lang, "text"), name
    for key, (ko, en) in STRINGS.items():
        names = {f for _, f, _, _ in string.Formatter().parse(ko + en) if f and f.isidentifier()}
        for lang in ("ko", "en"):
            for form in ("text", "html"):
                assert "$" not in t(key, lang, form=form, **dict.fromkeys(names, 1.5)), (key, form)
    assert t("msg.regime_vanishing", "en", form="html", sigma="0.5", bound="1", rate="0.5").startswith(
        "Vanishing guaranteed: σ<sub>max</sub>(W<sub>hh</sub>) = 0.5 &lt; 1/γ = 1, so")
    assert t("msg.measured_ratio", "en", form="html", ratio=7.5e-08, steps=47).endswith(
        "= 7.5×10<sup>−8</sup> over T = 47 steps.")  # a value in a formula, in the rho control's box
    assert t("claim.truncated", "en", edges="9", cut=0.0, carried=5.2e-05).endswith(
        r"at least $5.2 \times 10^{-5}$ more there from later steps.")


def test_every_option_and_view_has_a_label():
    values = set(init.INITS) | set(tasks.TASKS) | set(OPTIMIZERS) | set(CLIPS) | {"rnn_tanh", "rnn_relu", "lstm",
                                                                                  "gru", "log", "linear"}
    for v in values:
        assert f"opt.{v}" in STRINGS, v
    for v in views.names():
        assert f"view.{v}" in STRINGS and f"view_short.{v}" in STRINGS and f"exp.{v}" in STRINGS, v


def test_every_key_used_in_code_exists():
    used = set()
    for path in (ROOT / "viz_app").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", path.read_text()))
    missing = used - set(STRINGS)
    assert not missing, missing
    assert t("msg.training", "en", done=1, total=2, loss=0.5).startswith("Training")


def test_every_string_is_used():
    """No dead strings: each key appears in the app's code as a literal, or is built from a prefix the code formats
    (f"opt.{value}", f"view.{v}" ...) and is one of that prefix's values."""
    code = "\n".join(p.read_text() for p in (ROOT / "viz_app").rglob("*.py") if p.name != "strings.py")  # not the table
    prefixes = set(re.findall(r"""f["']([a-z_]+\.[a-z_]*)\{""", code))
    unused = [k for k in STRINGS if f'"{k}"' not in code and f"'{k}'" not in code
              and not any(k.startswith(p) for p in prefixes)]
    assert not unused, unused


def test_every_link_in_the_readme_opens_what_it_says():
    """Each `?...` link in the README parses without a notice; one naming a scenario opens that scenario's run."""
    from urllib.parse import parse_qsl
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = [q for q in re.findall(r"`\?([^`\s]+)`", text) if "NAME" not in q]  # NAME: a placeholder
    assert links
    for query in links:
        params = dict(parse_qsl(query))
        st, notices = S.from_params(params)
        assert notices == [], (query, notices)
        if "scenario" in params:
            base = S.baseline(params["scenario"])
            overridden = {k for k in params if k != "scenario"}
            for f in S.FIELDS:
                if f.name not in overridden:
                    assert getattr(st, f.name) == getattr(base, f.name), (query, f.name)


EDGE = {"cell": ["lstm", "gru"], "nonlinearity": ["relu"], "hidden_size": ["1", "128"], "num_layers": ["3"],
        "init": ["identity", "np_rnn"], "rho": ["0", "10"], "task": ["csv", "copy", "adding", "spike"],
        "text": ["ab", "😀🙂"], "alphabet": ["ab", "abcdefghijklmnopqrstuvwxyz ?!.,;01😀🙂"], "loss": ["mse"],
        "reduce": ["sum"], "length": ["1", "7", "200"], "optimizer": ["sgd"], "lr": ["10", "1e-05"],
        "epochs": ["0"], "clip": ["value"], "clip_threshold": ["0.01"], "tbptt": ["1", "200"], "batch": ["1"],
        "data_id": ["0123456789abcdef"], "model_id": ["0123456789abcdef"], "target": ["x"], "scenario": ["irnn"]}


def test_every_pair_of_unusual_fields_is_valid_or_refused_with_a_typed_error():
    """Pairs of fields each valid alone: the state parses (a notice at most), and the run's settings either build
    their task and model or raise an EngineError, which the app shows as one sentence (never a traceback)."""
    import itertools

    from engine import EngineError, experiment
    items = [(k, v) for k, vs in EDGE.items() for v in vs]
    for (k1, v1), (k2, v2) in itertools.combinations(items, 2):
        if k1 == k2:
            continue
        st, _ = S.from_params({k1: v1, k2: v2, "epochs": "0"})
        cfg = st.run_config()
        try:
            cfg.check()
            if cfg.task != "csv" and not cfg.model_id:
                experiment.build_model(cfg, experiment.task_batch(cfg, -1))
        except EngineError:
            pass


def test_the_state_class_and_the_field_table_name_the_same_fields():
    """AppState is a plain typed dataclass; the table that validates links and draws the sidebar has one Field per
    AppState field, in order, of its type; the run settings' defaults are the engine's."""
    from dataclasses import fields

    from engine.experiment import RunConfig
    assert [f.name for f in fields(S.AppState)] == [f.name for f in S.FIELDS]
    assert all(f.type == S.BY_NAME[f.name].kind.__name__ for f in fields(S.AppState))
    assert S.AppState().run_config() == RunConfig()
    assert all(S.BY_NAME[n].default == getattr(RunConfig(), n) for n in S.RUN_FIELDS)
    # a field's role is a column of the table: the run's settings are exactly RunConfig's
    assert S.RUN_FIELDS == tuple(f.name for f in fields(RunConfig))
    assert all(f.role in S.ROLES for f in S.FIELDS)
    assert set(S.LINK_FIELDS) == {"deck", "deck_at"} and "lang" in S.PRESENTER_FIELDS


def test_a_fields_own_rule_is_a_column_and_says_why():
    for name, raw, reason in [("alphabet", "aab", "alphabet"), ("data_id", "x", "upload_id"), ("deck", "!!", "deck"),
                              ("hide", "title,nope", "hide"), ("text", "a" * (S.MAX_TEXT_URL + 1), "long"),
                              ("target", "t" * (S.MAX_TARGET + 1), "long")]:
        with pytest.raises(S.BadValue) as e:
            S.parse_value(S.BY_NAME[name], raw)
        assert e.value.reason[0] == reason, name
    assert S.parse_value(S.BY_NAME["alphabet"], "abc") == "abc" and S.parse_value(S.BY_NAME["hide"], "title") == "title"


@pytest.mark.parametrize("epochs,paused,ok", [(300, "150", True), (300, "0", True), (300, "-1", True),
                                              (300, "300", False), (20, "25", False), (0, "0", False)])
def test_a_link_pauses_only_inside_its_training(epochs, paused, ok):
    """paused_at names an epoch of the link's own training (0 = the initialisation); any other value is a notice and
    the training runs to its end."""
    state, notices = S.from_params({"epochs": str(epochs), "paused_at": paused})
    assert state.paused_at == (int(paused) if ok else -1) and (notices == []) == ok
    assert [n for n, *_ in notices] == ([] if ok else ["paused_at"])
    state.run_config().check()


def test_the_strings_count_steps_and_layers_from_0_as_the_page_says():
    """One indexing convention (0-based, as the code, the unrolled picture and the step control): the first input is
    x_0, the last state h_{T-1}, the first layer 0; the header says so once. A 1-based x_1, h_1 or h_T beside a
    chart whose axis starts at 0 made a student read the first step as the second."""
    import re
    from viz_app.text.strings import STRINGS
    one_based = re.compile(r"∂x_1|x_1\b|\$x_1\$|∂h_1‖|∂h_T[/‖]|∂L/∂h_T‖|h\^\{\{\(1\)\}\}")
    from viz_app.state import scenarios
    # the scenarios' titles and setups too (a title summed T_8 + ... + T_1 over the steps 0..7), and a BPTT sum that
    # ends at T_1 (its last term is T_0)
    texts = list(STRINGS.items()) + [
        (f"scenario.{n}", tuple(f(n, lang, "text") for lang in ("ko", "en") for f in (scenarios.title, scenarios.text)))
        for n in scenarios.names()]
    one_based = re.compile(one_based.pattern + r"|T_1\$|T_1\b(?! *\+ *T_0)(?=[^+]*$)")
    wrong = [(key, text) for key, pair in texts for text in pair if one_based.search(text)
             and "1부터" not in text and "from 1" not in text]  # the notes' own numbering, said to be theirs
    assert not wrong, wrong
    assert "x_0" in t("app.indexing", "en", form="text") and "T−1" in t("app.indexing", "ko", form="text")
    assert "x<sub>0</sub>" in t("fig.sensitivity", "en")


def test_chart_titles_carry_no_raw_underscore_in_any_language():
    """Plotly shows plain-text math through chart_math (x_t -> x<sub>t</sub>): a bidirectional net's titles read
    "[h→_t | h←_t]" and "‖∂h→_t/∂h→_k‖₂" with a literal underscore (the arrow stopped the subscript)."""
    from viz_app.text.typeset import chart_math
    for key, (ko, en) in STRINGS.items():
        if key.startswith(("fig.", "axis.", "leg.")):
            for text in (ko, en):
                shown = chart_math(text.replace("{", "").replace("}", ""))
                assert not re.search(r"[^\s(]_[A-Za-z0-9]", shown), (key, shown)
    assert chart_math("[h→_t | h←_t]") == "[h→<sub>t</sub> | h←<sub>t</sub>]"
