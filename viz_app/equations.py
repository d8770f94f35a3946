r"""The equations each view draws, typeset with Streamlit's KaTeX (``st.latex``: bundled, offline), for the cell on
the page in PyTorch's convention (its parameter names: W_ih / W_hh in torch are the notes' W_xh / W_hh)."""
from __future__ import annotations

# the cell's forward step
_RNN = r"h_t = {f}\!\left(W_{{xh}}\, x_t + W_{{hh}}\, h_{{t-1}} + b_h\right)"
_LSTM = (r"\begin{aligned} i_t &= \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) & f_t &= \sigma(W_{xf} x_t + W_{hf} h_{t-1}"
         r" + b_f) \\ g_t &= \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g) & o_t &= \sigma(W_{xo} x_t + W_{ho} h_{t-1}"
         r" + b_o) \\ c_t &= f_t \odot c_{t-1} + i_t \odot g_t & h_t &= o_t \odot \tanh(c_t) \end{aligned}")
_GRU = (r"\begin{aligned} r_t &= \sigma(W_{xr} x_t + W_{hr} h_{t-1} + b_r) & z_t &= \sigma(W_{xz} x_t + W_{hz} h_{t-1}"
        r" + b_z) \\ n_t &= \tanh(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) & h_t &= (1 - z_t) \odot"
        r" n_t + z_t \odot h_{t-1} \end{aligned}")
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
    """The forward step of ``cell`` ("rnn" with ``nonlinearity`` "tanh" or "relu", "lstm", "gru")."""
    if cell == "lstm":
        return _LSTM
    if cell == "gru":
        return _GRU
    return _RNN.format(f=r"\tanh" if nonlinearity == "tanh" else r"\operatorname{ReLU}")


def of_view(view: str, cell: str, nonlinearity: str = "tanh", *, classifies: bool = True) -> list[str]:
    """The equations shown above (on screen) or under (presentation mode) ``view``'s charts. ``classifies``: the
    readout is a softmax over classes (char-LM, classification), else a linear regression output. Pascanu's bound
    holds for a vanilla RNN: under a gated cell it is tagged (RNN)."""
    output = _OUTPUT if classifies else r"\hat y_t = W_{hy}\, h_t + b_y"
    return {"unroll": [cell_step(cell, nonlinearity), output], "states": [cell_step(cell, nonlinearity)],
            "bptt": [_BPTT], "eigen": [_EIGEN if cell == "rnn" else _EIGEN + r" \tag{RNN}"], "clipping": [_CLIP],
            "compare": [cell_step("lstm"), cell_step("gru")], "timeline": []}[view]
