"""The lecture deck (viz_app/lecture/codec.py, ui.py, links.py, handout.py): files and typed lines are read or refused
with a reason, a deck round-trips (file -> app -> file), Next opens an entry's link, and the handout has a page per
entry."""
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from viz_app.export import render
from viz_app.lecture import links
from viz_app.lecture import handout as handouts
from viz_app.export import captions
from viz_app.lecture import codec
from viz_app.state import fields as S

MAIN = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")
LINES = """Unrolled | ?view=unroll&step=3 | the same weights at every step
Vanishing | https://rnn.example.edu/?view=eigen&rho=0.5 | rho < 1
LSTM gates | ?view=states&cell=lstm"""


def test_typed_lines_and_a_file_give_the_same_deck_and_it_round_trips():
    title, entries = codec.parse(LINES)
    assert [e.title for e in entries] == ["Unrolled", "Vanishing", "LSTM gates"]
    assert entries[1].link == "view=eigen&rho=0.5" and entries[2].note == ""
    again = codec.parse(codec.to_json("RNN 3", entries))
    assert again == ("RNN 3", entries)
    assert codec.parse(json.dumps([{"title": "A", "link": "?view=bptt"}]))[1] == [codec.Entry("A", "view=bptt")]


@pytest.mark.parametrize("text,reason", [
    ("", "empty"), ("{not json", "json"), ('{"entries": 3}', "shape"), ('[{"title": 3, "link": "?a=1"}]', "field"),
    ('[{"title": "", "link": "?view=bptt"}]', "title"), ('[{"title": "A", "link": ""}]', "link"),
    ('[{"title": "A", "link": "?v=1", "note": "' + "x" * 700 + '"}]', "note"), ("just a title", "line"),
    ("\n".join(f"T{i} | ?view=bptt" for i in range(41)), "count"), ("x" * 300_000, "size")])
def test_a_bad_deck_is_refused_with_its_reason(text, reason):
    with pytest.raises(codec.DeckError) as err:
        codec.parse(text)
    assert err.value.reason == reason


def test_an_entry_opens_its_link_and_keeps_the_presenters_language():
    _, entries = codec.parse(LINES)
    state, notices = links.state_of(entries[1], keep=S.AppState(lang="en", present=1))
    assert (state.view, state.rho, state.lang, state.present) == ("eigen", 0.5, "en", 1) and not notices
    here = S.AppState(view="bptt", cell="gru", unit=4)
    entry = links.entry_of(here, "GRU gradients")
    assert links.state_of(entry)[0] == here  # the page on screen, exactly


def test_the_links_deck_field_round_trips_and_refuses_what_is_not_a_deck():
    title, entries = codec.parse(LINES)
    text = codec.encode("RNN 3", entries)
    assert codec.decode(text) == ("RNN 3", tuple(entries)) and len(text) < 400
    bomb = codec.base64.urlsafe_b64encode(codec.zlib.compress(b"[" * 5_000_000)).decode()
    for bad, reason in (("%%%", "encoding"), ("abcd", "encoding"), (bomb, "size"), ("x" * 13_000, "url")):
        with pytest.raises(codec.DeckError) as err:
            codec.decode(bad)
        assert err.value.reason == reason
    state, notices = S.from_params({"deck": "not-a-deck", "view": "bptt"})
    assert state.deck == "" and notices[0][0] == "deck"
    assert "deck" not in captions.permalink(S.AppState(deck=text, deck_at=1), "https://x.example")


def test_the_qr_code_is_an_svg_of_the_link():
    svg = handouts.qr_svg("https://rnn.example.edu/?view=bptt")
    assert svg.lstrip().startswith("<svg") and "path" in svg


def _app(params=None):
    at = AppTest.from_file(MAIN, default_timeout=180)
    for k, v in (params or {"lang": "en"}).items():
        at.query_params[k] = v
    return at.run()


def test_next_and_previous_open_the_entries_links_in_the_app_and_the_link_holds_the_deck():
    at = _app()
    at.text_area(key="w_deck_text").input(LINES)
    at = at.button(key="w_deck_load").click().run()
    assert not at.exception and at.button(key="deck_prev").disabled
    at = at.button(key="deck_next").click().run()
    assert at.session_state.app_state.view == "unroll" and at.session_state.app_state.step == 3
    at = at.button(key="deck_next").click().run()
    state = at.session_state.app_state
    assert (state.view, state.rho, state.lang, state.deck_at) == ("eigen", 0.5, "en", 1)
    assert any("data:image/svg+xml;base64," in h.proto.body for h in at.get("html"))  # the link's QR code
    link = dict(at.query_params)
    assert link["view"] == ["eigen"] or link["view"] == "eigen"
    # the page's own link reopens the lecture where it was: a new session (presentation mode, a reload, a student)
    again = _app({k: v[0] if isinstance(v, list) else v for k, v in link.items()})
    assert again.session_state.app_state.deck_at == 1 and again.session_state.app_state.view == "eigen"
    assert not again.button(key="deck_prev").disabled
    at = at.button(key="deck_prev").click().run()
    assert at.session_state.app_state.view == "unroll"
    at.text_area(key="w_deck_text").input("no bar here")
    at = at.button(key="w_deck_load").click().run()
    assert at.error and "title | link | note" in at.error[0].value


@pytest.mark.export
def test_the_handout_has_a_page_per_entry_and_an_html_section_per_entry(tmp_path):
    title, entries = codec.parse(LINES)
    page = handouts.handout(title, entries, tmp_path / "html", "html", lang="en", base_url="https://rnn.example.edu",
                          progress=lambda *a: None)
    text = page.read_text()
    assert text.count("<section>") == 3 and text.count("data:image/svg+xml;base64,") == 3
    assert all(e.title in text for e in entries) and "view=eigen&amp;rho=0.5" in text
    if render.chrome_path() is None:
        pytest.skip("no Chromium for the PDF")
    pdf = handouts.handout(title, entries, tmp_path / "pdf", "pdf", lang="en", base_url="https://rnn.example.edu",
                         progress=lambda *a: None)
    pages = PdfReader(pdf).pages
    assert len(pages) == 3
    assert "2. Vanishing" in pages[1].extract_text() and "rho < 1" in pages[1].extract_text()


def test_a_notes_milestones_link_to_the_apps_pages_and_nothing_else():
    note = "See [the chain](?view=bptt&step=5) and [this](javascript:alert(1)) or **bold** <b>x</b>"
    md = codec.note_md(note, "https://rnn.example.edu/")
    assert "[the chain](https://rnn.example.edu/?view=bptt&step=5)" in md
    assert "javascript" in md and "](javascript" not in md  # shown as text (escaped), not a link
    assert "**" not in md and "<b>" not in md  # Markdown and HTML of the note are escaped
    page = codec.note_html(note, "https://rnn.example.edu/")
    assert "<a href='https://rnn.example.edu/?view=bptt&amp;step=5'>the chain</a>" in page
    assert "&lt;b&gt;" in page and page.count("<a ") == 1
    assert codec.note_text(note).startswith("See the chain and")
    hostile = codec.note_md("[x](?a=%29%20)+y) [z](?v=1\n)", "https://h/")
    assert "](https://h/?a=%29+%29" not in hostile or ")" not in hostile.split("](https://h/?")[1].split(")")[0]


@pytest.mark.export
def test_the_apps_handout_pdf_is_made_and_a_failure_is_one_sentence(monkeypatch):
    """The sidebar's handout as PDF: its figures are made in a worker and the PDF printed by the render service
    (Chromium cannot start under a worker's address-space limit: the page was replaced by a traceback); the deck's
    buttons are there as soon as it is loaded; a printer that fails is one sentence and the page stays."""
    if render.chrome_path() is None:
        pytest.skip("no Chromium for the PDF")
    at = _app()
    at.text_area(key="w_deck_text").input(LINES)
    at = at.button(key="w_deck_load").click().run()
    assert at.button(key="w_deck_handout") is not None  # without a reload
    at.radio(key="w_deck_fmt").set_value("pdf")
    at = at.button(key="w_deck_handout").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    fmt, made = at.session_state["_handout"]
    assert fmt == "pdf" and made[:5] == b"%PDF-" and len(PdfReader(io.BytesIO(made)).pages) == 3
    assert at.get("download_button") and any(b.proto.label.endswith("PDF") for b in at.get("download_button"))

    def broken(*args, **kwargs):
        raise render.ExportError("PDF export: the browser did not answer within 60 s")
    monkeypatch.setattr(render, "to_bytes", broken)
    monkeypatch.setattr(handouts, "to_bytes", broken)
    at = at.button(key="w_deck_handout").click().run()
    assert not at.exception and len(at.error) == 1 and "did not answer" in at.error[0].value
    assert at.get("plotly_chart")  # the page is still there


def test_the_handout_is_made_one_entry_per_job(monkeypatch):
    """A handout's entries are worker jobs of their own, queued like pages: a student's deck of 40 heavy entries held
    the one heavy slot for all of them at once while the lecturer's heavy page waited. Each job is one entry (the
    fair queue gives the lecturer's pages their turn between them), and a second handout reuses what the first made."""
    from viz_app.compute import runs
    jobs = []
    real = runs._pool().submit

    def spy(key, fn, *args, **kwargs):
        if key[0] == "handout entry":
            jobs.append(json.loads(key[1][0])["entries"])
        return real(key, fn, *args, **kwargs)
    monkeypatch.setattr(runs._pool(), "submit", spy)
    at = _app()
    lines = LINES.replace("Unrolled", "Per job: unrolled").replace("Vanishing", "Per job: vanishing")\
        .replace("LSTM gates", "Per job: gates")  # entries no other test has made (they are cached)
    at.text_area(key="w_deck_text").input(lines)
    at = at.button(key="w_deck_load").click().run()
    at.radio(key="w_deck_fmt").set_value("html")
    at = at.button(key="w_deck_handout").click().run()
    assert not at.exception and not at.error
    assert [len(entries) for entries in jobs] == [1, 1, 1]
    assert [e[0]["title"] for e in jobs] == ["Per job: unrolled", "Per job: vanishing", "Per job: gates"]
    at = at.button(key="w_deck_handout").click().run()  # the same deck again: nothing made again
    assert len(jobs) == 3 and at.session_state["_handout"][1].count(b"<h2") >= 3


def test_a_deck_entry_keeps_its_scenario_and_the_lectures_language_and_its_qr_code_is_its_own_link():
    """An entry made from a scenario opens that scenario (its select box and banner, not "custom"), the address bar
    keeps lang=ko (a reload in an English browser stays Korean), and the QR code is the entry's own link in the
    lecture's language, not the presenter's screen (present=1)."""
    at = _app({"lang": "ko", "present": "0"})
    at.text_area(key="w_deck_text").input("Vanishing | ?scenario=vanishing | rho < 1\nBPTT | ?view=bptt&epochs=30")
    at = at.button(key="w_deck_load").click().run()
    at = at.button(key="deck_next").click().run()
    state = at.session_state.app_state
    assert not at.exception and (state.scenario, state.lang, state.deck_at) == ("vanishing", "ko", 0)
    assert at.selectbox(key="w_scenario").value == "vanishing"
    link = {k: v[0] if isinstance(v, list) else v for k, v in dict(at.query_params).items()}
    assert link["lang"] == "ko" and link["scenario"] == "vanishing"
    from viz_app.state import scenarios
    assert any(scenarios.title("vanishing", "ko") in e.value for e in (*at.info, *at.success, *at.warning))
    shared = links.shared_link(codec.Entry("Vanishing", "scenario=vanishing&present=1", ""), "ko", "http://localhost")
    assert shared == "http://localhost?lang=ko&scenario=vanishing"
    codes = [h.proto.body for h in at.get("html") if "alt='QR'" in h.proto.body]
    assert len(codes) == 1 and "present=" not in codes[0] and "lang=ko&amp;scenario=vanishing" in codes[0]
    assert handouts.qr_data_uri(codes[0].split("title='")[1].split("'")[0].replace("&amp;", "&")) in codes[0]
    assert int(codes[0].split("width='")[1].split("'")[0]) >= 120
    # an entry added from this page keeps the scenario and leaves the presenter's language to whoever opens it
    entry = links.entry_of(state, "again")
    assert entry.params() == {"scenario": "vanishing"}


def test_a_deck_link_nested_too_deep_is_refused_not_a_traceback():
    """A 70-character deck= link can unpack to 50,000 nested brackets: json.loads raised RecursionError, a traceback
    with the server's paths on the page. It is a deck error like any other shape."""
    import base64
    import zlib
    raw = zlib.compress(("[" * 50_000 + "]" * 50_000).encode(), 9)
    link = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert len(link) < 200
    with pytest.raises(codec.DeckError) as err:
        codec.decode(link)
    assert err.value.reason == "shape"
