"""Jacobian-norm maps against torch.autograd.functional.jacobian and closed forms."""
import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian

import engine
from engine.record import layer_weights
from conftest import CASES, torch_cells


def _chain(cell_mod, x, hs, k, t, lstm):
    """s_t as a function of s_k through the torch cell, for batch element 0."""
    def f(s):
        h = s[: hs.shape[-1]].unsqueeze(0)
        state = (h, s[hs.shape[-1]:].unsqueeze(0)) if lstm else h
        for j in range(k + 1, t + 1):
            state = cell_mod(x[j, :1], state)
        return torch.cat([state[0][0], state[1][0]]) if lstm else state[0]
    return f


@pytest.mark.parametrize("cell,nl", CASES)
def test_map_equals_autograd_jacobian(cell, nl):
    net = engine.RecurrentNet(cell, 3, 5, 2, nonlinearity=nl).double()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 2, (6, 2)))
    (cell_mod,) = torch_cells(net)
    states, state = [], None
    for t in range(6):
        state = cell_mod(x[t, :1], state)
        states.append(torch.cat([state[0][0], state[1][0]]) if cell == "lstm" else state[0])
    for t in range(6):
        for k in range(t + 1):
            jac = jacobian(_chain(cell_mod, x, torch.zeros(5), k, t, cell == "lstm"), states[k].detach())
            hh = jac[:5, :5]
            assert tr.jacobians.spectral[t, k] == pytest.approx(torch.linalg.matrix_norm(hh, 2).item(), rel=1e-10)
            assert tr.jacobians.frobenius[t, k] == pytest.approx(torch.linalg.matrix_norm(hh).item(), rel=1e-10)
            if cell == "lstm":
                cc = jac[5:, 5:]
                assert tr.jacobians.cell_spectral[t, k] == pytest.approx(torch.linalg.matrix_norm(cc, 2).item(),
                                                                     rel=1e-10)
    assert np.isnan(tr.jacobians.spectral[np.triu_indices(6, 1)]).all()


def test_relu_linear_regime_diagonal_closed_form():
    """h_t = W_xh x_t + diag(lambda) h_{t-1} + b with everything positive: dh_t/dh_k = diag(lambda)^(t-k)."""
    lam = torch.tensor([0.5, 0.9, 1.1, 0.3], dtype=torch.float64)
    net = engine.RecurrentNet("rnn", 2, 4, 1, nonlinearity="relu").double()
    with torch.no_grad():
        net.recurrent.weight_hh_l0.copy_(torch.diag(lam))
        net.recurrent.weight_ih_l0.uniform_(0.1, 1.0)
        net.recurrent.bias_ih_l0.fill_(0.5)
        net.recurrent.bias_hh_l0.fill_(0.0)
    steps = 30
    x = torch.rand(steps, 1, 2, dtype=torch.float64)
    tr = engine.record(net, x, torch.zeros(steps, 1, 1, dtype=torch.float64), loss="mse")
    assert (tr.preactivations["a_pre"] > 0).all()
    t, k = np.tril_indices(steps)
    expected = 1.1 ** (t - k).astype(float)
    assert np.allclose(tr.jacobians.spectral[t, k], expected, rtol=1e-12)
    fro = np.sqrt(((lam.numpy()[None, :] ** (t - k)[:, None].astype(float)) ** 2).sum(1))
    assert np.allclose(tr.jacobians.frobenius[t, k], fro, rtol=1e-12)


def test_map_survives_extreme_scales():
    """A contracting chain falls to 1e-200 and below float32's range without underflowing to 0 too early."""
    net = engine.RecurrentNet("rnn", 1, 3, 1, nonlinearity="relu")
    with torch.no_grad():
        net.recurrent.weight_hh_l0.copy_(torch.diag(torch.tensor([1e-3, 1e-4, 1e-5])))
        net.recurrent.weight_ih_l0.fill_(1.0)
        net.recurrent.bias_ih_l0.fill_(1.0)
        net.recurrent.bias_hh_l0.fill_(0.0)
    tr = engine.record(net, torch.ones(60, 1, 1), torch.zeros(60, 1, 1), loss="mse")
    assert tr.jacobians.spectral[59, 0] == pytest.approx(1e-3 ** 59, rel=1e-4)  # 1e-177: far below float32


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_input_sensitivity_equals_autograd(cell):
    net = engine.RecurrentNet(cell, 3, 4, 2, num_layers=2).double()
    x = torch.randn(7, 1, 3, dtype=torch.float64)
    tr = engine.record(net, x, torch.randint(0, 2, (7, 1)))

    def top(x0):
        xx = torch.cat([x0.view(1, 1, 3), x[1:]])
        return net.recurrent(xx)[0][:, 0]  # (T, H)

    jac = jacobian(top, x[0, 0])  # (T, H, I)
    ref = torch.linalg.matrix_norm(jac, 2).numpy()
    assert np.allclose(tr.jacobians.input_sensitivity, ref, rtol=1e-10, atol=1e-14)


def test_a_relu_chain_switched_off_is_zero_not_nan():
    """float32, as the app records: at step 3 every ReLU unit is off, so dh_t/dh_k = 0 exactly for k < 3 <= t
    (autograd agrees); the map says 0 there, and NaN only above the diagonal."""
    torch.manual_seed(0)
    net = engine.RecurrentNet("rnn", 1, 4, 1, nonlinearity="relu")
    with torch.no_grad():
        net.recurrent.weight_ih_l0.fill_(1.0)
        net.recurrent.bias_ih_l0.zero_()
    x = torch.rand(8, 1, 1)
    x[3] = -1e3  # pre-activations far below 0 at step 3
    tr = engine.record(net, x, torch.randn(8, 1, 1), "mse")
    (cell_mod,) = torch_cells(net)
    states, state = [], None
    for t in range(8):
        state = cell_mod(x[t], state)
        states.append(state[0])
    for t in range(8):
        for k in range(t + 1):
            want = torch.linalg.matrix_norm(jacobian(_chain(cell_mod, x, torch.zeros(4), k, t, False),
                                                     states[k].detach()), 2).item()
            assert tr.jacobians.spectral[t, k] == pytest.approx(want, rel=1e-5, abs=0)
            if k < 3 <= t:
                assert tr.jacobians.spectral[t, k] == 0.0
    assert np.isfinite(tr.jacobians.spectral[np.tril_indices(8)]).all()


# --- the certified spectral norms (engine.certify.TopEigen) ------------------------------------------------------
def _random_js(cell, nl, init, steps, hidden, seed):
    """Step Jacobians of one sequence through a float32 net, as the recording takes them."""
    torch.manual_seed(seed)
    net = engine.RecurrentNet(cell, 4, hidden, 3, nonlinearity=nl, unitary=init == "unitary")
    for name, p in net.recurrent.named_parameters():
        if "weight_hh" in name and init in ("orthogonal", "identity"):
            with torch.no_grad():
                p.copy_(torch.eye(hidden)) if init == "identity" else torch.nn.init.orthogonal_(p)
    x = torch.randn(steps, 1, 4)
    tr = engine.record(net, x, torch.randint(0, 3, (steps, 1)), jacobians=False)
    w_ih, w_hh, b_ih, b_hh = layer_weights(net, 0)
    with torch.no_grad():
        zero = torch.zeros(1, hidden)
        h_prev = torch.cat([zero, torch.from_numpy(tr.hidden[0, :-1, 0])])
        c_prev = torch.cat([zero, torch.from_numpy(tr.cell_state[0, :-1, 0])]) if cell == "lstm" else None
        return engine.jacobian.step_jacobians(cell, nl, w_hh.detach(), b_hh.detach(), x[:, 0] @ w_ih.T + b_ih,
                                              h_prev, c_prev)[0]


def _svd_map(js, hidden, block):
    """||(J_t ... J_{k+1})[block, block]||_2 by float64 products and SVD, pair by pair: the independent reference."""
    jd, steps = js.double(), js.shape[0]
    out = np.full((steps, steps), np.nan)
    for k in range(steps):
        chain = torch.eye(js.shape[1], dtype=torch.float64)
        for t in range(k + 1, steps):
            chain = jd[t] @ chain
            out[t, k] = torch.linalg.matrix_norm(chain[block, block], 2).item()
    return out


MAP_CASES = [("rnn", "tanh", "default"), ("rnn", "tanh", "orthogonal"), ("rnn", "relu", "unitary"),
             ("rnn", "relu", "identity"), ("gru", "tanh", "default"), ("lstm", "tanh", "default")]


def _map_against_svd(cell, nl, init):
    """A 40-step map (H=32) within 2e-6 of float64 products and SVD on every pair, each pair settled once; its stats."""
    js = _random_js(cell, nl, init, 40, 32, seed=1)
    stats = {}
    got = engine.jacobian.chain_norms(js, 32, cell == "lstm", stats)
    assert sum(stats.values()) == 39 * 40 // 2 * (2 if cell == "lstm" else 1), (cell, init, stats)
    blocks = {"spectral": slice(0, 32)} | ({"cell_spectral": slice(32, 64)} if cell == "lstm" else {})
    for name, block in blocks.items():
        want = _svd_map(js, 32, block)
        low = np.tril_indices(40, -1)
        err = np.abs(got[name][low] / want[low] - 1)
        assert err.max() < 2e-6, (cell, nl, init, name, err.max(), stats)
    return stats


def test_certified_spectral_norms_equal_float64_svd_and_use_every_method():
    """Each spectral norm the power iteration settles is proved within 1e-6 (lambda) of the float32 Gram's top
    eigenvalue; against float64 products and SVD the map must be as close as eigvalsh on every pair was (5e-7 here;
    float32 products). Across these runs every method settles some pairs, so each certificate is tested."""
    used = {}
    for cell, nl, init in MAP_CASES:
        for method, n in _map_against_svd(cell, nl, init).items():
            used[method] = used.get(method, 0) + n
    assert {m for m, n in used.items() if n} == {"power", "inertia", "eigvalsh", "diagonal"}, used


@pytest.mark.slow
def test_power_on_the_blocks_themselves_is_certified_against_svd(monkeypatch):
    """Long rows go to the pool as the blocks U themselves: power steps on U (no Gram matrix), kept only with the proof
    from the residual and tr U^T U (``_chain_bound``), the Gram path for the rest. Tried here on every row (CHAIN_FROM
    lowered, no rest), so every case runs through it: every pair within 2e-6 of float64 SVD, every pair settled once;
    in the runs whose chains forget it settles over half of the tanh RNN's pairs and a quarter of the LSTM's. Then
    with its rests, where the caller sends Gram matrices again meanwhile: the same checks."""
    monkeypatch.setattr(engine.jacobian, "CHAIN_FROM", {False: 1, True: 1})
    for rest in (0, engine.certify.TopEigen.CHAIN_REST):
        monkeypatch.setattr(engine.certify.TopEigen, "CHAIN_REST", rest)  # 0: never rests, tried on every row
        for cell, nl, init in MAP_CASES:
            stats = _map_against_svd(cell, nl, init)
            if rest == 0 and init == "default" and cell != "gru":  # this GRU's 40 steps keep many directions
                assert stats.get("power on U", 0) > sum(stats.values()) / (2 if cell == "rnn" else 4), (cell, stats)


def test_a_long_map_uses_the_power_on_the_blocks_and_is_the_same_every_run():
    """At the default threshold a 150-step map tries the blocks first on its long rows; against float64 SVD, and bit
    for bit the same in a second run (the pool's jobs run in order, their choices depend on the numbers only)."""
    js = _random_js("rnn", "tanh", "default", 150, 16, seed=2)
    stats = {}
    got = engine.jacobian.chain_norms(js, 16, False, stats)
    assert stats.get("power on U", 0) > 0 and sum(stats.values()) == 149 * 150 // 2, stats
    want = _svd_map(js, 16, slice(0, 16))
    low = np.tril_indices(150, -1)
    assert np.abs(got["spectral"][low] / want[low] - 1).max() < 2e-6
    again = engine.jacobian.chain_norms(js, 16, False)
    assert all(np.array_equal(got[k], again[k], equal_nan=True) for k in got)


@pytest.mark.parametrize("spectrum", ["flat", "double top", "one big", "dominant", "rank one"])
def test_the_bound_from_the_blocks_is_never_below_the_largest_eigenvalue(spectrum):
    """Soundness of the Gram-free certificate: for U with singular values sqrt(lambda) and any unit vector, the bound
    from ||U^T U v - rho v|| and tr U^T U is >= lambda_max (it may be inf: it needs lambda_max over half the trace);
    tight at the top vector when it is; the next iterate is U^T U v normalised."""
    n = 16
    lam = {"flat": [1 + 0.01 * i for i in range(n)], "double top": [1.0, 1.0] + [0.01] * (n - 2),
           "one big": [10.0] + [1.0] * (n - 1), "dominant": [10.0] + [0.3 * 0.8 ** i for i in range(n - 1)],
           "rank one": [1.0] + [0.0] * (n - 1)}[spectrum]
    g, q = _psd(lam, seed=len(spectrum))
    p, _ = torch.linalg.qr(torch.randn(n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(9)))
    u = p @ torch.diag(torch.tensor(lam, dtype=torch.float64).sqrt()) @ q.T  # U^T U = g
    top = max(lam)
    for v in _probes(q, lam):
        rho, upper, after = engine.certify._chain_bound(u[None], v[None])
        assert rho.item() <= top * (1 + 1e-12)
        assert upper.item() >= top * (1 - 1e-12), (spectrum, rho.item(), upper.item())
        if torch.linalg.vector_norm(g @ v) > 1e-6:  # (G v = 0, rank one's second vector: any direction)
            assert torch.allclose(after[0], torch.nn.functional.normalize(g @ v, dim=0), atol=1e-12)
    if spectrum in ("dominant", "rank one"):
        rho, upper, _ = engine.certify._chain_bound(u[None], q[:, int(np.argmax(lam))][None])
        assert upper.item() <= top * (1 + 1e-9)


def _psd(eigenvalues, seed):
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(len(eigenvalues), len(eigenvalues), dtype=torch.float64, generator=g))
    return q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T, q


def _probes(q, lam):
    """Unit vectors near the top eigenvector, near the second one, and random, at noise 1e-1 .. 0."""
    gen, n = torch.Generator().manual_seed(0), len(lam)
    first, second = q[:, int(np.argmax(lam))], q[:, int(np.argsort(lam)[-2])]
    for noise in (1e-1, 1e-3, 1e-6, 0.0):
        for base in (first, second, torch.randn(n, dtype=torch.float64, generator=gen)):
            noisy = base + noise * torch.randn(n, dtype=torch.float64, generator=gen)
            yield torch.nn.functional.normalize(noisy, dim=0)


@pytest.mark.parametrize("spectrum", ["decaying", "flat", "double top", "one big", "rank one"])
def test_the_upper_bound_is_never_below_the_largest_eigenvalue(spectrum):
    """Soundness of the certificate: for any unit vector (random, near the top eigenvector, or near the second one),
    upper_bound >= lambda_max; and it is tight (within 1e-9) at the top eigenvector when the top stands apart."""
    n = 16
    lam = {"decaying": [0.7 ** i for i in range(n)], "flat": [1 + 0.01 * i for i in range(n)],
           "double top": [1.0, 1.0] + [0.5] * (n - 2), "one big": [10.0] + [1.0] * (n - 1),
           "rank one": [1.0] + [0.0] * (n - 1)}[spectrum]
    g, q = _psd(lam, seed=len(spectrum))
    top = max(lam)
    for v in _probes(q, lam):
        rho, upper, _ = engine.certify._gram_bound(g[None], v[None])
        assert rho.item() <= top * (1 + 1e-12)
        assert upper.item() >= top * (1 - 1e-12), (spectrum, rho.item(), upper.item())
    if spectrum in ("decaying", "one big", "rank one"):
        rho, upper, _ = engine.certify._gram_bound(g[None], q[:, int(np.argmax(lam))][None])
        assert upper.item() <= top * (1 + 1e-9)


def test_a_wrong_vector_is_not_certified():
    """The power iteration started exactly on the second eigenvector stays there (rho = lambda_2, zero residual):
    no certificate may accept it, and the pair must end at lambda_1."""
    g, q = _psd([2.0, 1.0] + [0.1] * 6, seed=3)
    top = engine.certify.TopEigen({})
    v = q[:, 1][None].clone()
    values, _, idx, left = top._solve(g[None], v)
    settled = ~torch.isnan(values)
    if settled.all():
        assert values.item() == pytest.approx(2.0, rel=1e-12)
    else:  # handed to eigvalsh
        assert list(idx) == [0] and torch.linalg.eigvalsh(left)[0, -1].item() == pytest.approx(2.0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("spread", [0.0, 1e-12, 1e-8, 1e-6, 1e-4])
def test_the_bound_holds_for_nearly_flat_spectra_in_floating_point(dtype, spread):
    """The Wolkowicz-Styan term computes the eigenvalues' variance by cancellation: for a nearly flat spectrum it
    rounded to 0 and the "proof" fell to the mean, under lambda_max (eigenvalues 1 and 1 - 1e-8 gave 1 - 5e-9, and
    near-orthogonal chains were off by up to 8.5e-4 in float32). With every term's rounding allowed for, the bound
    is never below the largest eigenvalue of the matrix as stored, for probes near the top eigenvector, near the
    second one and random, at sizes 2 to 64."""
    for n in (2, 7, 64):
        lam = [1.0 - spread * i / max(1, n - 1) for i in range(n)]
        g64, q = _psd(lam, seed=n)
        g = g64.to(dtype)
        # the stored matrix's own, in float64 (eigvalsh's own error, ~ n eps64, allowed)
        top = torch.linalg.eigvalsh(g.double())[-1].item() * (1 - 64 * torch.finfo(torch.float64).eps)
        for v in _probes(q, lam):
            rho, upper, _ = engine.certify._gram_bound(g[None], v.to(dtype)[None])
            assert upper.item() >= top, (n, spread, dtype, upper.item() - top)


@pytest.mark.parametrize("size", [8, 32, 64])
def test_the_certificate_is_sound_for_float32_matrices_rounding_included(size):
    """A float32 G (or U) with a top eigenvalue well apart, probed at its top eigenvector and the next power iterates:
    the Rayleigh quotient is never above lambda_max of the matrix as stored, and the bound never under it (both to
    float64's rounding). Computed in float32 the quotient's own rounding put it up to 3.5e-7 above lambda_max and the
    Kato-Temple bound 3e-7 under it: not a proof."""
    eps = 64 * torch.finfo(torch.float64).eps
    for seed in range(40):
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(size, size, dtype=torch.float64, generator=gen))
        scale = float(torch.rand(1, generator=gen)) * 100 + 1e-3
        lam = scale * torch.tensor([10.0] + [0.9 ** i for i in range(size - 1)], dtype=torch.float64)
        u = (torch.diag(lam.sqrt()) @ q.T).float()  # U^T U = q diag(lam) q^T, up to float32 rounding
        g = (q @ torch.diag(lam) @ q.T).float()
        for matrix, bound in ((g, engine.certify._gram_bound), (u, engine.certify._chain_bound)):
            stored = matrix.double() if matrix is g else matrix.double().mT @ matrix.double()
            top = torch.linalg.eigvalsh(stored)[-1].item()
            v = q[:, 0].float()[None]
            for _ in range(3):
                rho, upper, _ = bound(matrix[None], v)
                assert rho.item() <= top * (1 + eps), (seed, rho.item() / top - 1)
                assert upper.item() >= top * (1 - eps), (seed, upper.item() / top - 1)
                v = torch.nn.functional.normalize(engine.certify._times(v, stored[None].float()), dim=-1)
