"""A view is declared once: a toy view written here, registered with viz_app.views.register and nothing else, is in
the page's view bar, opens from a link, draws its chart and its equations, is in the deck and the exporter's figures,
is written by the export CLI, and shows in presentation mode."""
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from viz_app import views
from viz_app.export import cli
from viz_app.export import figures as export_figures
from viz_app.state import fields as S
from viz_app.views.common import AppSource, Chart, chart, explain

MAIN = str(Path(__file__).resolve().parents[1] / "viz_app" / "main.py")
TITLE = "toy: ||h_t|| over time"


def norms(state, trace) -> go.Figure:
    norm = np.linalg.norm(trace.hidden[-1, :, 0], axis=-1)  # (T,)
    return go.Figure(go.Scatter(y=norm.tolist(), name="norm"), layout={"title": {"text": TITLE}})


def toy_figures(state, src, **options) -> list[Chart]:
    return [Chart("norms", norms(state, src.trace))]


def toy_render(state, run, trace, areas):
    with areas.notes:
        explain(TOY, state, run)
    with areas.stage:
        chart(toy_figures(state, AppSource(state, run, trace))[0], state, areas, main=True)
    return state


TOY = views.View("toy", toy_figures, toy_render, equations=lambda parts: [parts.cell_step()],
                 strings={"view.toy": ("장난감", "Toy"), "view_short.toy": ("장난감", "Toy"),
                          "exp.toy": ("은닉 상태의 크기.", "The size of the hidden state.")})


@pytest.fixture
def toy():
    views.register(TOY)
    yield TOY
    views.unregister(TOY.name)


def _titles(at) -> list[str]:
    return [c.proto.spec for c in at.get("plotly_chart")]


def test_registering_twice_or_clashing_strings_is_refused(toy):
    with pytest.raises(ValueError, match="registered already"):
        views.register(TOY)
    with pytest.raises(ValueError, match="strings"):
        views.register(views.View("toy2", toy_figures, toy_render, strings={"view.unroll": ("x", "x")}))


def test_a_registered_view_is_in_the_link_the_bar_the_page_and_presentation_mode(toy):
    assert "toy" in views.names() and views.names()[-1] == "toy"  # after the catalog's, in order
    state, notices = S.from_params({"view": "toy"})
    assert notices == [] and state.view == "toy"

    at = AppTest.from_file(MAIN, default_timeout=180)
    at.query_params.update({"lang": "en", "epochs": "30"})
    at.run()
    bar = at.segmented_control(key="w_view")
    assert "toy" in bar.options or "Toy" in [str(o) for o in bar.options]
    bar.set_value("toy").run()
    assert not at.exception and any(TITLE in spec for spec in _titles(at))
    assert any("The size of the hidden state." in c.value for c in at.caption)  # its explanation
    assert [lx.value for lx in at.latex]  # and its equations (the cell's step)
    assert at.query_params.get("view") in (["toy"], "toy")  # the address bar names it

    at = AppTest.from_file(MAIN, default_timeout=180)
    at.query_params.update({"lang": "ko", "epochs": "30", "view": "toy", "present": "1"})
    at.run()
    assert not at.exception and any(TITLE in spec for spec in _titles(at))
    assert at.segmented_control(key="w_view").value == "toy"


def test_a_registered_view_is_in_the_deck_and_the_export_cli(toy, tmp_path):
    state = S.baseline("").with_(lang="en", epochs=30)
    drawn = [(view, name) for view, name, _ in export_figures.all_figures(state)]
    assert drawn[-1] == ("toy", "norms") and len({v for v, _ in drawn}) == len(views.names())
    assert cli.main(["--url", "?view=toy&epochs=30&lang=en", "--format", "html", "--out", str(tmp_path)]) == 0
    (written,) = tmp_path.glob("custom-toy-norms-*.html")
    assert TITLE in written.read_text()


def test_an_unregistered_view_is_not_a_link():
    assert "toy" not in views.names()
    state, notices = S.from_params({"view": "toy"})
    assert state.view == "unroll" and notices and notices[0][0] == "view"
