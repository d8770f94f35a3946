"""A hostile link or upload cannot deface the page: every user-controlled string reaches Markdown and Plotly as text.

A table of payloads (Markdown heading and link, image, HTML tags, script, colour directive, math, newlines, a very
long value) goes through every URL field, the text to learn, CSV headers and state_dict keys. Markdown bodies are
checked to carry no unescaped markup from the payload; Plotly texts to carry no tag. The browser test renders them.
"""
import io
import re
import string
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from engine import DataError, StateDictError
from engine.io import from_csv, load_model
from viz_app.export import render
from viz_app.export import captions
from viz_app.text import escape
from viz_app.text.errors import error_message
from viz_app.state import fields as S

MAIN = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")
PAYLOADS = {
    "heading_link": "1\n\n# CLASS CANCELLED\n\n[details](https://evil.example)",
    "image": "![x](https://evil.example/x.png)",
    "html_link": "<a href='https://evil.example'>click</a>",
    "script": "<script>alert(1)</script>",
    "directive_math": ":red[ALERT] $x^2$ https://evil.example",
    "emphasis": "**bold** _it_ `code` ~~s~~",
    "long": "[a](https://evil.example)" * 200,
}
# markup that must never appear unescaped in a Markdown body built from a payload
# (the payload's formula, not ours: the page's own sentences carry $x_t$)
MARKUP = [r"\]\(", r"!\[", r"<a\b", r"<script", r"^\s*#", r"\n\s*#", r":red\[", r"\$x(?!_)", r"\*\*", r"`"]


def _inert(body: str) -> bool:
    """No Markdown construct from the payload survives: each marker above is absent or backslash-escaped."""
    for pattern in MARKUP:
        for m in re.finditer(pattern, body, flags=re.M):
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            if start == 0 or body[start - 1] != "\\":
                return False
    return True


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_md_escapes_every_punctuation_mark_and_keeps_the_text(payload):
    out = escape.md(payload)
    assert "\n" not in out and _inert(out)
    # unescaped and without the invisible joiners, it is the payload (on one line)
    assert re.sub(r"\\(.)", r"\1", out).replace(escape.JOINER, "") == escape.shorten(payload, None)
    assert not re.search(r"(?i)https?\\?:|www\\?\.|@\w", out.replace("\\", ""))  # no autolink trigger left
    i = 0
    while i < len(out):  # every punctuation mark comes as a pair "\\" + mark
        if out[i] in string.punctuation:
            assert out[i] == "\\" and out[i + 1] in string.punctuation, out[i:i + 10]
            i += 2
        else:
            i += 1
    assert len(escape.md(payload, 60)) <= 2 * 61 + 1  # shortened before escaping


@pytest.mark.parametrize("name,payload", [(k, v) for k, v in PAYLOADS.items() if k != "long"])
def test_every_url_field_quotes_a_hostile_value_as_text(name, payload):
    """All fields of the link carry the payload at once: each gets a notice that shows it as text."""
    at = AppTest.from_file(MAIN, default_timeout=180)
    fields = [f.name for f in S.FIELDS if f.name not in ("text",)]
    params = {**{f: payload for f in fields}, "lang": "en", "epochs": "5"}
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bodies = [e.value for kind in ("warning", "error", "info", "caption", "markdown", "success")
              for e in getattr(at, kind)]
    notices = [b for b in bodies if "could not be used" in b]
    _, expected = S.from_params(params)
    assert len(notices) == len(expected) >= len(fields) - 3  # lang, epochs set; only `target` may take the text
    for body in bodies:
        assert _inert(body), body


@pytest.mark.parametrize("name,payload", [(k, v) for k, v in PAYLOADS.items() if k not in ("long",)])
def test_a_hostile_text_to_learn_is_drawn_as_text(name, payload):
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.query_params["text"] = payload
    at.query_params["epochs"] = "5"
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    for kind in ("warning", "error", "info", "caption", "markdown", "success"):
        for e in getattr(at, kind):
            assert _inert(e.value), e.value
    for chart in at.get("plotly_chart"):
        spec = chart.proto.spec
        assert "<a " not in spec and "<script" not in spec and "<img" not in spec


def test_export_caption_and_html_carry_no_live_link():
    state = S.AppState().with_(text="<a href='https://evil.example'>click</a> <b>x</b>")
    cap = captions.caption(state, "http://x/?text=%3Ca%20href%3D")
    assert "<a " not in cap and "<b>" not in cap and "&lt;a href" in cap
    import plotly.graph_objects as go
    from viz_app.web.theme import slide
    html = render.to_bytes(slide(go.Figure(), caption=cap), "html").decode()
    assert "<a href='https://evil.example'" not in html and "&lt;a href" in html


def test_upload_errors_quote_headers_and_keys_as_text():
    link = "[evil link](https://evil.example)"
    buf = io.BytesIO()
    torch.save({f"{link}": torch.zeros(2)}, buf)
    with pytest.raises(StateDictError) as e:
        load_model(buf.getvalue())
    assert link in str(e.value)  # the engine says which key; the page shows it as text
    msg = error_message(e.value, "en")
    assert _inert(_without_our_code(msg, "reason.model_unexpected_keys", "en")) and "evil link" in msg
    csv = f"{link},b\n1,2\n3,4\n".encode()
    with pytest.raises(DataError) as e:
        from_csv(csv, target="# heading")
    assert _inert(_without_our_code(error_message(e.value, "ko"), "reason.data_no_target", "ko"))


def _without_our_code(msg: str, key: str, lang: str) -> str:
    """The message without the code spans of our own sentence (`torch.nn.RNN/LSTM/GRU`): what is left of markup can
    only come from the quoted payload."""
    from viz_app.text.strings import STRINGS
    for span in re.findall(r"`[^`]*`", STRINGS[key][0 if lang == "ko" else 1]):
        msg = msg.replace(span, "")
    return msg
