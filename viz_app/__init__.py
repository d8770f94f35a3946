"""viz_app: the Streamlit app. Reads engine Traces and Histories; holds no maths of its own."""
import gc

_frozen = False


def freeze_imports() -> None:
    """Once per server process, after the app's imports: move every object alive now (torch's, plotly's, streamlit's
    modules: ~220k) to the garbage collector's permanent generation. Streamlit runs a full collection after each
    script run (`runner.postScriptGC`, bounding memory); without this it walks them all each time, ~0.1 s of one
    core per session and more than half of a warm session's server CPU (bench/bench_class.py). What sessions create
    later is still collected."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
