"""Every string of the table that carries math ($...$) and every scenario's banner head, in both languages, formatted
with placeholder values, as the page shows it (Markdown + KaTeX), one st.markdown each in the order of ``strings()``:
tests/test_browser.py counts what KaTeX made of each."""
import string

import streamlit as st

from viz_app.state import scenarios
from viz_app.text.i18n import STRINGS, t

VALUE = 1.5e-05  # a value in scientific notation, so the text's numbers are typeset too


def strings() -> list[tuple[str, str, str]]:
    """(key, language, text shown) of every string with math."""
    out = []
    for key, pair in STRINGS.items():
        if "$" in "".join(pair):
            names = {f for _, f, _, _ in string.Formatter().parse(pair[0] + pair[1]) if f and f.isidentifier()}
            out += [(key, lang, t(key, lang, **dict.fromkeys(names, VALUE))) for lang in ("ko", "en")]
    for name in scenarios.names():  # the scenarios' titles and texts (the banner)
        out += [(f"scenario.{name}", lang, f"**{scenarios.title(name, lang)}** — {scenarios.text(name, lang)}")
                for lang in ("ko", "en")]
    return out


if __name__ == "__main__":
    for _key, _lang, text in strings():
        st.markdown(text)
