r"""The equations each view draws, typeset with Streamlit's KaTeX (``st.latex``: bundled, offline), for the cell on
the page in PyTorch's convention (its parameter names: W_ih / W_hh in torch are the notes' W_xh / W_hh)."""
from __future__ import annotations

from engine import cells

_BIDIRECTIONAL = (r"\overrightarrow{h}_t = \operatorname{cell}\big(x_t,\ \overrightarrow{h}_{t-1}\big), \qquad"
                  r" \overleftarrow{h}_t = \operatorname{cell}\big(x_t,\ \overleftarrow{h}_{t+1}\big), \qquad"
                  r" h_t = \big[\,\overrightarrow{h}_t\,;\ \overleftarrow{h}_t\,\big]")
_RESIDUAL = (r"x^{(2)}_t = h^{(1)}_t, \qquad x^{(l+1)}_t = h^{(l)}_t + x^{(l)}_t \quad (l \ge 2), \qquad"
             r" \hat y_t \text{ reads } x^{(L+1)}_t")
_NNLM = (r"e_t = \big[\,C x_{t-n+1};\ \dots;\ C x_t\,\big], \qquad \hat y_{t} = \operatorname{softmax}\!\big(U"
         r" \tanh(H e_t + b) + c\big)")
_EMBED = (r"W_{xh}\, \operatorname{onehot}(x_t) = W_{xh}[:,\, x_t], \qquad e_t = E^{\top} \operatorname{onehot}(x_t)"
          r" = E[x_t,\, :\,] \in \mathbb{R}^{d}, \quad E \in \mathbb{R}^{V \times d}")
_OUTPUT = r"\hat y_t = \operatorname{softmax}\!\left(W_{hy}\, h_t + b_y\right)"
_BPTT = (r"\frac{\partial L}{\partial h_t} = \frac{\partial L_t}{\partial h_t} + \Big(\frac{\partial h_{t+1}}"
         r"{\partial h_t}\Big)^{\!\top} \frac{\partial L}{\partial h_{t+1}}, \qquad \frac{\partial h_{t+1}}"
         r"{\partial h_t} = \operatorname{diag}\!\big(f'(a_{t+1})\big)\, W_{hh}, \qquad"
         r" \frac{\partial L}{\partial W_{hh}} = \sum_k \frac{\partial L}{\partial a_k}\, h_{k-1}^{\top}")
_EIGEN = (r"\Big\lVert \frac{\partial h_T}{\partial h_k} \Big\rVert \le \prod_{j=k+1}^{T} \big\lVert"
          r" \operatorname{diag}(f'(a_j)) \big\rVert\, \lVert W_{hh} \rVert \le \big(\gamma\, \sigma_{\max}(W_{hh})"
          r"\big)^{T-k}, \qquad |f'| \le \gamma")
_CLIP = (r"\lVert g \rVert > \theta \;\Rightarrow\; g \leftarrow \frac{\theta}{\lVert g \rVert}\, g, \qquad"
         r" x_t = w\, \sigma(x_{t-1}) + b,\quad E = \big(\sigma(x_{50}) - 0.7\big)^2")


def cell_step(cell: str, nonlinearity: str = "tanh") -> str:
    """The forward step of ``cell``, as its engine object writes it (a vanilla RNN's f is tanh or ReLU)."""
    return cells.get(cell).tex(nonlinearity)


def of_view(view: str, cell: str, nonlinearity: str = "tanh", *, classifies: bool = True, bidirectional: bool = False,
            residual: bool = False) -> list[str]:
    """The equations shown above (on screen) or under (presentation mode) ``view``'s charts. ``classifies``: the
    readout is a softmax over classes (char-LM, classification), else a linear regression output. Pascanu's bound
    holds for a vanilla RNN: under a gated cell it is tagged (RNN). A bidirectional net adds how its two
    directions run and join; a residual stack, what a layer passes up."""
    output = _OUTPUT if classifies else r"\hat y_t = W_{hy}\, h_t + b_y"
    step = [cell_step(cell, nonlinearity)] + ([_BIDIRECTIONAL] if bidirectional else []) + \
        ([_RESIDUAL] if residual else [])
    return {"unroll": [*step, output], "states": step,
            "bptt": [_BPTT], "eigen": [_EIGEN if cells.get(cell).weight_bound else _EIGEN + r" \tag{RNN}"],
            "clipping": [_CLIP],
            "compare": [cell_step("lstm"), cell_step("gru")], "timeline": [],
            "nnlm": [_NNLM, cell_step(cell, nonlinearity), _OUTPUT],
            "embed": [_EMBED, cell_step(cell, nonlinearity).replace("x_t", "e_t")],
            "shapes": [cell_step(cell, nonlinearity), _OUTPUT]
            }[view]
