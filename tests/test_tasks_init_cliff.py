"""Tasks (shapes, seeds, vocabulary errors), W_hh initialisations, Pascanu's cliff, and the engine's imports."""
import ast
import pathlib

import numpy as np
import pytest
import torch

import engine
from engine import init, spectrum, tasks
from engine.lessons.cliff import cliff_loss, cliff_surface, descent_path, steep_start


def test_hello_pairs():
    d = tasks.char_lm("hello")
    assert d.vocab == "ehlo"
    pairs = [(d.vocab[int(a)], d.vocab[int(b)]) for a, b in zip(d.x[:, 0].argmax(-1), d.y[:, 0])]
    assert pairs == [("h", "e"), ("e", "l"), ("l", "l"), ("l", "o")]


def test_unknown_characters_and_bad_text():
    with pytest.raises(engine.VocabularyError) as e:
        tasks.encode("hex", "ehlo")
    assert e.value.unknown == ["x"]
    for bad in ["", "a", "x" * (tasks.MAX_TEXT + 1)]:
        with pytest.raises(engine.TextError):
            tasks.char_lm(bad)


@pytest.mark.parametrize("name", sorted(tasks.TASKS))
def test_tasks_are_seeded_and_shaped(name):
    a, b, c = tasks.make(name, seed=1), tasks.make(name, seed=1), tasks.make(name, seed=2)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    if name != "char_lm":
        assert not torch.equal(a.x, c.x)
    net = engine.RecurrentNet("gru", a.input_size, 4, a.output_size)
    tr = engine.record(net, a.x, a.y, loss=a.loss, mode=a.mode, jacobians=False)
    assert np.isfinite(tr.loss)


def test_task_contents():
    add = tasks.make("adding", length=10, batch=5)
    assert torch.allclose(add.y[:, 0], (add.x[..., 0] * add.x[..., 1]).sum(0))
    assert (add.x[..., 1].sum(0) == 2).all()
    cp = tasks.make("copy", length=12, batch=3)
    assert torch.equal(cp.y[-3:], cp.x[:3].argmax(-1))
    with pytest.raises(engine.ConfigError):
        tasks.make("copy", length=4)
    with pytest.raises(engine.ConfigError):
        tasks.make("nope")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_inits(cell):
    net = engine.RecurrentNet(cell, 2, 16, 1, num_layers=2)
    h = 16
    gen = torch.Generator().manual_seed(0)
    for scheme, check in [("orthogonal", lambda b: np.allclose(b.T @ b, np.eye(h), atol=1e-5)),
                          ("identity", lambda b: np.array_equal(b, np.eye(h))),
                          ("np_rnn", lambda b: np.allclose(b, b.T, atol=1e-6)
                           and abs(np.linalg.eigvalsh(b.astype(np.float64))[-1] - 1) < 1e-5
                           and np.linalg.eigvalsh(b.astype(np.float64))[0] > 0)]:
        init.init_recurrent(net.recurrent, scheme, gen)
        for k in range(2):
            w = getattr(net.recurrent, f"weight_hh_l{k}").detach().numpy()
            assert all(check(w[j * h:(j + 1) * h]) for j in range(w.shape[0] // h)), scheme
    init.scale_spectral_radius(net.recurrent, 0.7)
    w = net.recurrent.weight_hh_l1.detach().numpy()[:h]
    assert abs(np.abs(np.linalg.eigvals(w)).max() - 0.7) < 1e-5
    with pytest.raises(engine.ConfigError):
        init.scale_spectral_radius(net.recurrent, -1)
    with pytest.raises(engine.ConfigError):
        init.init_recurrent(net.recurrent, "xavier")


def test_spectrum_regime_follows_pascanu_with_strict_inequalities():
    w = np.diag([0.9, 0.5, -0.2])
    blk = spectrum.block_spectrum(w, "W_hh", "tanh")
    reg = spectrum.regime("rnn", blk)
    assert reg.kind == spectrum.VANISHING and reg.guaranteed and reg.bound_rate == pytest.approx(0.9)
    assert spectrum.regime("rnn", spectrum.block_spectrum(1.2 * w, "W_hh", "relu")).kind == spectrum.EXPLODING
    # an IRNN: sigma_max = 1/gamma exactly is neither "vanishing" nor "exploding"; the bound is 1
    irnn = spectrum.regime("rnn", spectrum.block_spectrum(np.eye(4, dtype=np.float32), "W_hh", "relu"))
    assert irnn.kind == spectrum.BOUNDARY and irnn.guaranteed and irnn.bound_rate == 1.0
    # gated cells: no statement from the candidate block, however small it is
    for cell, name in (("lstm", "g"), ("gru", "n")):
        reg = spectrum.regime(cell, spectrum.block_spectrum(0.1 * w, name, "tanh"))
        assert reg.kind == spectrum.GATED and not reg.guaranteed and reg.bound_rate is None
    nan = spectrum.block_spectrum(np.full((2, 2), np.nan), "W_hh", "tanh")
    assert spectrum.regime("rnn", nan).kind == spectrum.UNDEFINED


def test_cliff_loss_matches_autograd_and_finite_differences():
    w = torch.tensor([1.0, 5.0, 8.0, 6.2], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.3, -2.5, -4.0, -3.1], dtype=torch.float64, requires_grad=True)
    x = torch.full_like(w, 0.5)
    for _ in range(50):
        x = w * torch.sigmoid(x) + b
    e = (torch.sigmoid(x) - 0.7) ** 2
    gw, gb = torch.autograd.grad(e.sum(), [w, b])
    E, dw, db = cliff_loss(w.detach().numpy(), b.detach().numpy())
    assert np.allclose(E, e.detach().numpy(), rtol=1e-12)
    assert np.allclose(dw, gw.numpy(), rtol=1e-9) and np.allclose(db, gb.numpy(), rtol=1e-9)
    h = 1e-7
    fd = (cliff_loss(1.0 + h, 0.3)[0] - cliff_loss(1.0 - h, 0.3)[0]) / (2 * h)
    assert fd == pytest.approx(dw[0], rel=1e-5)
    assert cliff_loss(np.zeros((3, 1)), np.zeros((1, 4)))[0].shape == (3, 4)


def _steep_start(s):
    """A point just beside a located wall where the gradient is enormous."""
    start = steep_start(s, min_grad=1e4)
    assert start is not None, "no steep point beside the wall"
    return start


def test_cliff_surface_resolves_the_wall():
    s = cliff_surface(n_w=40, n_b=20)
    assert len(s.walls) > 3
    coarse_grad = np.abs(cliff_loss(s.coarse_w[None, :], np.linspace(-8, 2, 20)[:, None])[1])
    for w_star, b_star in s.walls:
        # E jumps by a finite amount within 1e-3 of a coarse cell around each wall
        narrow = 1e-3 * (s.coarse_w[1] - s.coarse_w[0])
        assert abs(cliff_loss(w_star + narrow, b_star)[0] - cliff_loss(w_star - narrow, b_star)[0]) > 0.01
    w, b = _steep_start(s)
    assert np.hypot(*cliff_loss(w, b)[1:]) > 1e4 > coarse_grad.max()  # the coarse grid never sees the wall
    assert s.w.shape[1] > len(s.coarse_w)


def test_clipped_descent_stays_bounded_where_plain_descent_jumps():
    s = cliff_surface(n_w=40, n_b=20)
    start = _steep_start(s)
    plain = descent_path(*start, lr=0.1, iters=5)
    clipped = descent_path(*start, lr=0.1, iters=5, clip=1.0)
    step_plain = np.hypot(np.diff(plain["w"]), np.diff(plain["b"])).max()
    step_clip = np.hypot(np.diff(clipped["w"]), np.diff(clipped["b"])).max()
    assert step_clip <= 0.1 + 1e-12 and step_plain > 100 * step_clip


def test_engine_imports_no_ui():
    for path in pathlib.Path(engine.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not names & {"streamlit", "plotly"}, path


def test_the_cliff_wall_stands_at_the_basin_boundary_not_at_a_bifurcation():
    """At w = 6, E jumps by 0.384 across b* = x0 - sigmoid(x0) w and is continuous at both bifurcation values
    (where w sigmoid'(x) = 1 at a fixed point x = w sigmoid(x) + b)."""
    from engine.lessons.cliff import basin_boundary
    w = 6.0
    b_star = float(basin_boundary(w))
    lo, hi = cliff_loss(w, b_star - 1e-6)[0], cliff_loss(w, b_star + 1e-6)[0]
    assert float(lo - hi) == pytest.approx(0.384, abs=1e-3)
    for s in ((1 + np.sqrt(1 - 4 / w)) / 2, (1 - np.sqrt(1 - 4 / w)) / 2):
        x = np.log(s / (1 - s))
        b = x - w * s  # the fixed point x = w s + b is a tangency: a bifurcation value
        assert abs(float(cliff_loss(w, b + 1e-6)[0] - cliff_loss(w, b - 1e-6)[0])) < 1e-3
    surface = cliff_surface(n_w=60, n_b=40)
    walls = surface.walls
    assert len(walls) and np.allclose(walls[:, 1], basin_boundary(walls[:, 0]), atol=0.2)
