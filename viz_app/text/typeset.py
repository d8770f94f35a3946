"""Math in our strings set for where it goes: KaTeX on the page (``tex``), <sub>/<sup> in Plotly's text
(``chart_math``), HTML in our browser components, plain text; values formatted as 5.2e-05 typeset as 5.2 × 10⁻⁵."""
from __future__ import annotations

import html
import re


def styled(text: str, form: str = "md", **values) -> str:
    """One of our strings, formatted with ``values`` and its math set for where it goes.

    Our strings write math in plain text (σ_max, ‖∂h_T/∂h_1‖, W_hh) and, in the page's sentences, between $ signs.
    ``form``: "md" (Streamlit Markdown: each formula typeset by KaTeX, as ``tex`` turns it into LaTeX, and so is a
    value formatted as 5.2e-05: 5.2 × 10⁻⁵), "html" (our browser components: escaped text, formulas with
    <sub>/<sup>; the values are trusted: numbers, or strings made in the same form), "chart" (Plotly text: math with
    <sub>/<sup>, ``chart_math``) or "text" (plain text, e.g. an aria-label or a select box's option). Values are
    formatted into each part on its own, so a value never opens or closes a formula."""
    parts = text.split("$")
    fill = (lambda p: p.format(**values)) if values else (lambda p: p)  # a text without values keeps its braces
    if form in ("chart", "text"):
        text = "".join(fill(p) for p in parts)
        return chart_math(text) if form == "chart" else text
    if form == "html":  # 5.2e-05 becomes 5.2×10<sup>−5</sup> inside and outside formulas
        parts = [fill(html.escape(p)) for p in parts]
        return "".join(chart_math(_SCIENTIFIC.sub(lambda m: _sci(m[0]), p)) if i % 2 else
                       _SCIENTIFIC.sub(lambda m: chart_math(_sci(m[0])), p) for i, p in enumerate(parts))
    parts = [fill(p) for p in parts]
    return "".join(f"${tex(p)}$" if i % 2 else scientific(p) for i, p in enumerate(parts))


def _sci(number: str) -> str:
    """5.2e-05 -> 5.2×10^(-5) (plain text math)."""
    mantissa, exponent = number.split("e")
    return f"{mantissa}×10^({int(exponent)})".replace("-", "−")


_SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[+-]\d+(?!\d)")


def scientific(text: str) -> str:
    """Text whose values formatted as 5.2e-05 are typeset as 5.2 × 10⁻⁵ (KaTeX)."""
    return _SCIENTIFIC.sub(lambda m: f"${tex(m[0])}$", text)


_SUB_BRACED = re.compile(r"([A-Za-zα-ωΑ-Ω∂])_\{([^{}]*)\}")
_SUB = re.compile(r"(?<![A-Za-z0-9])([A-Za-zα-ωΑ-Ω∂][→←]?)_([A-Za-z0-9]+)")  # h→_t: a direction's arrow
_SUP = re.compile(r"\^\(([^()]*)\)|\^\{([^{}]*)\}|\^([A-Za-z0-9−-]+)")


def chart_math(text: str) -> str:
    """Plain-text math (x_t, h_{t-1}, W_hh, σ_max, ρ^(T−k)) as Plotly's <sub> / <sup> (Kaleido's MathJax stays
    off): x<sub>t</sub>, h<sub>t-1</sub>, W<sub>hh</sub>, σ<sub>max</sub>, ρ<sup>T−k</sup>."""
    text = _SUB_BRACED.sub(r"\1<sub>\2</sub>", text)
    text = _SUB.sub(r"\1<sub>\2</sub>", text)
    return _SUP.sub(lambda m: f"<sup>{m.group(1) or m.group(2) or m.group(3)}</sup>", text)


# plain-text math in the table -> LaTeX (KaTeX): symbols, named functions, words set upright
_TEX_SYMBOLS = {
    "‖": r"\|", "⊙": r"\odot ", "σ": r"\sigma ", "λ": r"\lambda ", "ρ": r"\rho ", "γ": r"\gamma ", "η": r"\eta ",
    "θ": r"\theta ", "∂": r"\partial ", "Σ": r"\sum ", "≤": r"\le ", "≥": r"\ge ", "≈": r"\approx ",
    "←": r"\leftarrow ", "→": r"\to ", "⇒": r"\Rightarrow ", "×": r"\times ", "…": r"\dots ", "−": "-", "′": "'",
    "ŷ": r"\hat{y}", "ᵀ": r"^{\top}", "⁻¹": "^{-1}", "ᵗ": "^{t}", "²": "^{2}", "₂": "_{2}", "%": r"\%", "·": r"\cdot ",
}
_TEX_WORDS = {"tanh": r"\tanh", "ln": r"\ln", "max": r"\max", "exp": r"\exp", "diag": r"\operatorname{diag}",
              "softmax": r"\operatorname{softmax}", "ReLU": r"\operatorname{ReLU}"}
_TEX_TOKEN = re.compile(r"(?P<sub>_(?:\{(?P<sb>[^{}]*)\}|(?P<sw>[A-Za-z0-9]+)))"
                        r"|(?P<sup>\^(?:\((?P<pp>[^()]*)\)|\{(?P<pb>[^{}]*)\}|(?P<pw>[A-Za-z0-9−-]+)))"
                        r"|(?P<num>\d+(?:\.\d+)?)e(?P<exp>[+-]\d+)"
                        r"|(?P<word>[A-Za-z\uac00-\ud7a3]{2,}|[\uac00-\ud7a3])"
                        r"|(?P<sym>⁻¹|.)", re.S)


def tex(math: str, *, label: bool = False) -> str:
    r"""Plain-text math as LaTeX: ``σ_max(W_hh) < 1/γ`` -> ``\sigma _{\max}(W_{hh}) < 1/\gamma``; subscripts and
    superscripts braced (h_{t-1}, ρ^(T−k)), tanh / diag / softmax as operators, other words upright (\text{...}),
    1.2e-05 as 1.2 \times 10^{-5}. ``label``: inside a subscript, where letters name an index (W_hh)."""
    def one(m: re.Match) -> str:
        if m["sub"]:
            inner = m["sb"] if m["sb"] is not None else m["sw"]
            return "_{" + (r"\max" if inner == "max" else tex(inner, label=True)) + "}"
        if m["sup"]:
            inner = next(g for g in (m["pp"], m["pb"], m["pw"]) if g is not None)
            return "^{" + tex(inner) + "}"
        if m["num"]:
            return rf"{m['num']} \times 10^{{{int(m['exp'])}}}"
        if m["word"]:
            if label and m["word"].isascii():  # a subscript's letters name an index (W_hh, b_xn)
                return m["word"]
            return _TEX_WORDS.get(m["word"], r"\text{" + m["word"] + "}")
        return _TEX_SYMBOLS.get(m["sym"], m["sym"])
    return _TEX_TOKEN.sub(one, math).strip()  # a symbol's trailing space would keep KaTeX from closing the $
