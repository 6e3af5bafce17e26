"""Unit tests for helpers: runtime, coords, models, diffops, fitting, metrics, surfaces."""
import math

import numpy as np
import pytest
import torch

import helpers


# ---------------------------------------------------------------- runtime
@pytest.fixture
def clean_env(monkeypatch):
    for k in ("INR_PROFILE", "CI", "INR_NBVAL", "INR_DEVICE"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_profile_order(clean_env):
    assert helpers.select_profile()[0] == "standard"
    assert helpers.select_profile(device=torch.device("cuda"))[0] == "full"
    clean_env.setenv("CI", "true")
    assert helpers.select_profile(device=torch.device("cuda"))[0] == "quick"
    clean_env.delenv("CI")
    clean_env.setenv("INR_NBVAL", "1")
    assert helpers.select_profile()[0] == "quick"
    clean_env.setenv("INR_PROFILE", "Full")  # the environment variable wins over CI/nbval
    assert helpers.select_profile()[0] == "full"
    assert helpers.select_profile("standard")[0] == "standard"  # an explicit name wins over all


def test_unknown_profile_lists_valid_ones(clean_env):
    clean_env.setenv("INR_PROFILE", "fast")
    with pytest.raises(ValueError, match="quick, standard, full"):
        helpers.select_profile()
    with pytest.raises(ValueError, match="valid profiles"):
        helpers.by_profile({"quick": 1, "standard": 2, "full": 3}, "turbo")
    with pytest.raises(KeyError, match="full"):
        helpers.by_profile({"quick": 1, "standard": 2}, "quick")


def test_device_fallback_to_cpu(clean_env):
    clean_env.setattr(torch.cuda, "is_available", lambda: False)
    clean_env.setattr(torch.backends.mps, "is_available", lambda: False)
    dev, why = helpers.get_device()
    assert dev.type == "cpu" and "no CUDA" in why
    with pytest.raises(RuntimeError, match="not available"):
        helpers.get_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        helpers.get_device("tpu")


def test_device_prefers_cuda_then_mps(clean_env):
    clean_env.setattr(torch.cuda, "is_available", lambda: False)
    clean_env.setattr(torch.backends.mps, "is_available", lambda: True)
    assert helpers.get_device()[0].type == "mps"


def test_setup_prints_and_seeds(clean_env, capsys):
    rt = helpers.setup(seed=3, profile="quick")
    out = capsys.readouterr().out
    assert "device" in out and "profile: quick" in out and "seed   : 3" in out
    a = torch.rand(3)
    helpers.seed_everything(3)
    assert torch.equal(a, torch.rand(3))
    assert rt.pick({"quick": 1, "standard": 2, "full": 3}) == 1


# ---------------------------------------------------------------- coords
def test_grid_and_flatten_roundtrip():
    img = torch.rand(5, 7, 3)
    coords, values = helpers.flatten(img)
    assert coords.shape == (35, 2) and values.shape == (35, 3)
    assert coords.min() == -1 and coords.max() == 1
    assert torch.equal(helpers.to_grid(values, (5, 7)), img)
    # row-major: the second coordinate varies fastest, like the pixels
    assert torch.allclose(coords[1], torch.tensor([-1.0, -1 + 2 / 6]))
    audio = np.linspace(-1, 1, 11)
    c, v = helpers.flatten(audio)
    assert c.shape == (11, 1) and v.shape == (11, 1)
    vol = helpers.grid((4, 5, 6))
    assert vol.shape == (4, 5, 6, 3)


def test_flatten_rejects_bad_signals():
    with pytest.raises(ValueError, match="non-finite"):
        helpers.flatten(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="empty"):
        helpers.flatten(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="cannot reshape"):
        helpers.to_grid(torch.zeros(10, 1), (3, 3))


# ---------------------------------------------------------------- models
def test_siren_initialization_matches_paper():
    torch.manual_seed(0)
    n_in, width, omega = 2, 512, 30.0
    m = helpers.Siren(n_in, 1, hidden_features=width, hidden_layers=3, first_omega_0=omega, hidden_omega_0=omega)
    first, hidden, last = m.net[0].linear.weight, m.net[1].linear.weight, m.net[-1].weight
    assert first.abs().max() <= 1 / n_in and first.abs().max() > 0.95 / n_in
    bound = math.sqrt(6 / width) / omega
    assert hidden.abs().max() <= bound and hidden.abs().max() > 0.99 * bound
    # U(-a, a) has std a/sqrt(3)
    assert abs(hidden.std().item() - bound / math.sqrt(3)) < 0.02 * bound
    assert last.abs().max() <= bound
    assert isinstance(m.net[-1], torch.nn.Linear)  # linear last layer
    assert m.net[0].omega_0 == omega and m.net[1].omega_0 == omega


def test_siren_activations_stay_stable_with_depth():
    """The paper's claim: with this init, activations keep an arcsine-like spread at any depth."""
    torch.manual_seed(0)
    m = helpers.Siren(1, 1, hidden_features=1024, hidden_layers=9)
    h = torch.rand(4096, 1) * 2 - 1
    stds = []
    for layer in m.net[:-1]:
        h = layer(h)
        stds.append(h.std().item())
    # arcsine distribution on [-1, 1] has std 1/sqrt(2)
    assert all(0.6 < s < 0.8 for s in stds[1:]), stds


def test_separate_first_and_hidden_omega():
    m = helpers.Siren(1, 1, hidden_features=8, hidden_layers=2, first_omega_0=3000, hidden_omega_0=30)
    assert m.net[0].omega_0 == 3000 and all(layer.omega_0 == 30 for layer in m.net[1:-1])
    assert math.isclose(m.net[1].linear.weight.abs().max().item(), math.sqrt(6 / 8) / 30, rel_tol=0.5)


@pytest.mark.parametrize("kind", helpers.MODEL_KINDS)
def test_models_shapes_and_bad_dims(kind):
    m = helpers.make_model(kind, 2, 3, hidden_features=16, hidden_layers=1, seed=0)
    assert m(torch.rand(4, 5, 2)).shape == (4, 5, 3)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        m(torch.rand(10, 3))


def test_unknown_model_kind():
    with pytest.raises(ValueError, match="siren"):
        helpers.make_model("rbf-magic", 2, 1)


def test_equal_depth_across_kinds():
    def lin(m):
        return sum(isinstance(x, torch.nn.Linear) for x in m.modules())

    counts = {k: lin(helpers.make_model(k, 2, 1, 32, 3)) for k in helpers.MODEL_KINDS}
    assert len(set(counts.values())) == 1, counts


def test_positional_encoding_values():
    pe = helpers.PositionalEncoding(1, 2)
    x = torch.tensor([[0.25]])
    expected = [0.25, math.sin(math.pi / 4), math.sin(math.pi / 2), math.cos(math.pi / 4), math.cos(math.pi / 2)]
    assert torch.allclose(pe(x)[0], torch.tensor(expected), atol=1e-6)
    assert pe.out_features == 5


# ---------------------------------------------------------------- diffops
def test_derivatives_match_analytic():
    x = (torch.rand(500, 2, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    a, b = 3.0, 2.0
    y = (torch.sin(a * x[:, :1]) * torch.cos(b * x[:, 1:]))
    sx, cx = torch.sin(a * x[:, :1]), torch.cos(a * x[:, :1])
    sy, cy = torch.sin(b * x[:, 1:]), torch.cos(b * x[:, 1:])
    grad = helpers.gradient(y, x)
    assert torch.allclose(grad, torch.cat([a * cx * cy, -b * sx * sy], 1), atol=1e-10)
    lap = helpers.laplacian(y, x)
    assert torch.allclose(lap, -(a ** 2 + b ** 2) * y, atol=1e-10)
    v = torch.cat([x[:, :1] ** 2, x[:, :1] * x[:, 1:]], 1)  # div = 2x + x = 3x
    assert torch.allclose(helpers.divergence(v, x), 3 * x[:, :1], atol=1e-10)
    J = helpers.jacobian(v, x)
    assert J.shape == (500, 2, 2)
    assert torch.allclose(J[:, 1, 1], x[:, 0], atol=1e-10)


def test_derivatives_of_siren_match_finite_differences():
    torch.manual_seed(0)
    m = helpers.Siren(2, 1, hidden_features=32, hidden_layers=2, first_omega_0=5, hidden_omega_0=5).double()
    x = (torch.rand(64, 2, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    lap = helpers.laplacian(m(x), x).detach()
    h = 1e-4
    fd = 0
    for i in range(2):
        e = torch.zeros(2, dtype=torch.float64)
        e[i] = h
        fd = fd + (m(x + e) - 2 * m(x) + m(x - e)).detach() / h ** 2
    assert torch.allclose(lap, fd, rtol=1e-4, atol=1e-4 * lap.abs().max().item())


def test_relu_laplacian_is_zero():
    m = helpers.make_model("relu", 2, 1, 32, 2, seed=0)
    x = torch.rand(100, 2).requires_grad_(True)
    assert helpers.laplacian(m(x), x).abs().max() == 0


def test_diffops_clear_errors():
    x = torch.rand(4, 2)
    with pytest.raises(ValueError, match="requires_grad"):
        helpers.gradient(x.sum(-1, keepdim=True), x)
    x.requires_grad_(True)
    with pytest.raises(ValueError, match="jacobian"):
        helpers.gradient(x * 2, x)


# ---------------------------------------------------------------- fitting
def test_fit_learns_and_records_history():
    torch.manual_seed(0)
    img = torch.linspace(0, 1, 16)[:, None] * torch.linspace(0, 1, 16)[None, :]
    coords, values = helpers.flatten(img)
    m = helpers.Siren(2, 1, hidden_features=32, hidden_layers=1)
    h = helpers.fit(m, coords, values, steps=150, lr=1e-3, data_range=1.0, progress=False)
    assert h.final_psnr > 35, h.final_psnr
    assert h.step[-1] == 150 and len(h.loss) == len(h.time) == len(h.psnr)
    assert h.steps_to(30) is not None
    pred = helpers.evaluate(m, coords, chunk_size=7)
    assert abs(helpers.psnr(pred, values, data_range=1.0) - h.final_psnr) < 3


def test_fit_batches_terms_and_eval():
    torch.manual_seed(0)
    coords, values = helpers.flatten(torch.rand(32, 32))
    m = helpers.make_model("relu", 2, 1, 16, 1)

    def loss_fn(model, x, y):
        err = ((model(x) - y) ** 2).mean()
        return err, {"mse": err.detach()}

    h = helpers.fit(m, coords, values, steps=20, batch_size=100, loss_fn=loss_fn, progress=False, log_every=5,
                    eval_fn=lambda mm: {"full_mse": helpers.mse(helpers.evaluate(mm, coords), values)}, eval_every=10)
    assert h.terms["mse"] and len(h.metrics["full_mse"]) == 2


def test_fit_stops_on_nan_with_message():
    coords, values = helpers.flatten(torch.rand(8, 8))
    m = helpers.make_model("relu", 2, 1, 8, 1)
    with pytest.raises(helpers.TrainingDiverged, match="learning rate"):
        helpers.fit(m, coords, values, steps=5, loss_fn=lambda *_: torch.tensor(float("nan"), requires_grad=True),
                    progress=False, log_every=1)


def test_fit_rejects_bad_targets():
    coords, values = helpers.flatten(torch.rand(8, 8))
    m = helpers.make_model("relu", 2, 1, 8, 1)
    bad = values.clone()
    bad[3] = float("inf")
    with pytest.raises(ValueError, match="non-finite"):
        helpers.fit(m, coords, bad, steps=1, progress=False)
    with pytest.raises(ValueError, match="rows"):
        helpers.fit(m, coords, values[:5], steps=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        helpers.fit(m, coords[:0], values[:0], steps=1, progress=False)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        helpers.fit(m, torch.rand(64, 3), values, steps=1, progress=False)


def test_map_chunks_gradient():
    m = helpers.Siren(2, 1, 16, 1)
    coords = helpers.grid((10, 10))

    def grad_fn(x):
        x = x.clone().requires_grad_(True)
        return helpers.gradient(m(x), x)

    g = helpers.map_chunks(grad_fn, coords, chunk_size=7)
    x = coords.reshape(-1, 2).clone().requires_grad_(True)
    assert g.shape == (10, 10, 2)
    assert torch.allclose(g.reshape(-1, 2), helpers.gradient(m(x), x), atol=1e-6)


# ---------------------------------------------------------------- metrics
def test_psnr_values_and_range():
    t = torch.zeros(100)
    p = torch.full((100,), 0.1)  # MSE 0.01
    assert math.isclose(helpers.psnr(p, t, data_range=1.0), 20.0, abs_tol=1e-4)
    assert math.isclose(helpers.psnr(p, t, data_range=2.0), 20 + 20 * math.log10(2), abs_tol=1e-4)  # the 6 dB
    assert helpers.psnr(t, t, data_range=1.0) == math.inf
    with pytest.raises(TypeError):
        helpers.psnr(p, t)  # the range is required
    with pytest.raises(ValueError, match="same shape"):
        helpers.psnr(p, t[:5], data_range=1.0)
    with pytest.raises(ValueError, match="positive"):
        helpers.psnr(p, t, data_range=0)


def test_ssim_iou_chamfer_normals():
    img = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    assert math.isclose(helpers.ssim(img, img, data_range=1.0), 1.0)
    a = np.array([1, 1, 0, 0], bool)
    b = np.array([1, 0, 1, 0], bool)
    assert math.isclose(helpers.iou(a, b), 1 / 3)
    p = torch.rand(200, 3)
    assert helpers.chamfer_distance(p, p) == 0
    assert math.isclose(helpers.chamfer_distance(p, p + torch.tensor([0.0, 0.0, 0.1])), 0.1, rel_tol=0.35)
    n = torch.nn.functional.normalize(torch.randn(200, 3), dim=-1)
    assert math.isclose(helpers.normal_consistency(p, n, p, -n), 1.0, rel_tol=1e-5)
    with pytest.raises(ValueError, match="non-empty"):
        helpers.chamfer_distance(p[:0], p)


# ---------------------------------------------------------------- surfaces
def test_sphere_mesh_and_metrics():
    def sdf(x):
        return x.norm(dim=-1) - 0.5

    v, f = helpers.extract_mesh(sdf, resolution=48, level=0.0, chunk_size=1000)
    r = np.linalg.norm(v, axis=1)
    assert np.abs(r - 0.5).max() < 0.01  # vertices land on the sphere: mapping back to the box is right
    pts, nrm = helpers.sample_surface(v, f, 2000)
    assert np.abs(np.linalg.norm(pts, axis=1) - 0.5).max() < 0.01
    assert np.abs(np.abs((nrm * pts / np.linalg.norm(pts, axis=1, keepdims=True)).sum(1))).mean() > 0.99
    with pytest.raises(ValueError, match="no surface"):
        helpers.extract_mesh(sdf, resolution=8, level=5.0)


def test_evaluate_grid_orientation():
    vol = helpers.evaluate_grid(lambda x: x[:, 0] + 10 * x[:, 1] + 100 * x[:, 2], 5, chunk_size=7)
    ref = helpers.grid((5, 5, 5))
    assert np.allclose(vol, (ref[..., 0] + 10 * ref[..., 1] + 100 * ref[..., 2]).numpy(), atol=1e-4)


# ---------------------------------------------------------------- closed-form SIREN derivatives
def test_siren_closed_form_matches_autograd():
    torch.manual_seed(0)
    m = helpers.Siren(2, 1, hidden_features=64, hidden_layers=3, first_omega_0=30, hidden_omega_0=30).double()
    x = torch.rand(300, 2, dtype=torch.float64) * 2 - 1
    y, g, lap = helpers.siren_derivatives(m, x)
    xr = x.clone().requires_grad_(True)
    yr = m(xr)
    gr = helpers.gradient(yr, xr)
    assert torch.allclose(y, yr, atol=1e-12)
    assert torch.allclose(g, gr, rtol=1e-9, atol=1e-9 * gr.abs().max().item())
    assert torch.allclose(lap, helpers.divergence(gr, xr), rtol=1e-9, atol=1e-9 * lap.abs().max().item())


def test_siren_closed_form_float32_within_1e_4_relative():
    torch.manual_seed(1)
    m = helpers.Siren(2, 1, hidden_features=256, hidden_layers=3)
    x = helpers.grid((32, 32)).reshape(-1, 2)
    y, g, lap = helpers.siren_derivatives(m, x)
    xr = x.clone().requires_grad_(True)
    gr = helpers.gradient(m(xr), xr)
    lr = helpers.divergence(gr, xr)
    assert ((g - gr).abs().max() / gr.abs().max()) < 1e-4
    assert ((lap - lr).abs().max() / lr.abs().max()) < 1e-4


def test_closed_form_is_trainable_and_multichannel():
    torch.manual_seed(0)
    m = helpers.Siren(3, 2, hidden_features=16, hidden_layers=1).double()
    x = torch.rand(20, 3, dtype=torch.float64)
    y, J, lap = helpers.siren_derivatives(m, x)
    xr = x.clone().requires_grad_(True)
    assert J.shape == (20, 2, 3) and lap.shape == (20, 2)
    assert torch.allclose(J, helpers.jacobian(m(xr), xr), atol=1e-12)
    # a loss on the gradient back-propagates to the weights with one plain backward
    (J ** 2).sum().backward()
    assert m.net[0].linear.weight.grad is not None and torch.isfinite(m.net[0].linear.weight.grad).all()


def test_value_and_derivatives_of_a_tanh_network_match_the_analytic_ones():
    """A non-SIREN takes the autograd route; its values must be the closed-form ones of a tanh layer."""
    torch.manual_seed(0)
    tanh_net = helpers.make_model("tanh", 2, 1, 16, 0).double()  # Φ(x) = w₂·tanh(W₁x + b₁) + b₂
    lin1, lin2 = tanh_net.net[0], tanh_net.net[2]
    x = torch.rand(10, 2, dtype=torch.float64) * 2 - 1
    with torch.no_grad():
        t = torch.tanh(x @ lin1.weight.T + lin1.bias)                     # (10, 16)
        s = 1 - t ** 2                                                    # tanh' = 1 - tanh²
        w2 = lin2.weight[0]
        phi = t @ w2 + lin2.bias                                          # (10,)
        grad = (s * w2) @ lin1.weight                                     # Σⱼ w₂ⱼ tanh'ⱼ W₁ⱼ: (10, 2)
        lap = (-2 * t * s * w2) @ (lin1.weight ** 2).sum(1)               # tanh'' = -2 tanh tanh'
    for create_graph in (True, False):
        y, g, lp = helpers.value_and_derivatives(tanh_net, x, create_graph=create_graph)
        assert y.shape == (10, 1) and g.shape == (10, 2) and lp.shape == (10, 1)
        assert torch.allclose(y[:, 0], phi, atol=1e-12)
        assert torch.allclose(g, grad, atol=1e-12)
        assert torch.allclose(lp[:, 0], lap, atol=1e-12)
        assert lap.abs().max() > 1e-3  # not a trivially zero Laplacian
    with pytest.raises(TypeError, match="Siren"):
        helpers.siren_derivatives(tanh_net, x)


def test_value_and_derivatives_of_a_deep_tanh_network_match_torch_hessian():
    """Deeper: ∇Φ and ΔΦ (the trace of the Hessian) against torch.autograd.functional, point by point."""
    torch.manual_seed(1)
    net = helpers.make_model("tanh", 3, 1, 8, 2).double()
    x = torch.rand(6, 3, dtype=torch.float64) * 2 - 1
    _, g, lap = helpers.value_and_derivatives(net, x, create_graph=False)
    for i in range(len(x)):
        f = lambda p: net(p[None])[0, 0]  # noqa: E731
        assert torch.allclose(g[i], torch.autograd.functional.jacobian(f, x[i]), atol=1e-12)
        assert torch.allclose(lap[i, 0], torch.autograd.functional.hessian(f, x[i]).trace(), atol=1e-12)


def test_fit_stops_at_psnr_target():
    torch.manual_seed(0)
    coords, values = helpers.flatten(torch.linspace(0, 1, 16)[:, None] * torch.ones(16)[None, :])
    m = helpers.Siren(2, 1, hidden_features=32, hidden_layers=1)
    h = helpers.fit(m, coords, values, steps=500, data_range=1.0, stop_at_psnr=25, log_every=1, progress=False)
    assert h.final_psnr >= 25 and h.step[-1] < 500
    with pytest.raises(ValueError, match="data_range"):
        helpers.fit(m, coords, values, steps=5, stop_at_psnr=25, progress=False)


class _RowCounter(torch.nn.Module):
    """A tiny model that records how many rows each training forward pass sees."""

    def __init__(self):
        super().__init__()
        self.lin, self.rows = torch.nn.Linear(2, 1), []

    def forward(self, x):
        if self.training:
            self.rows.append(x.shape[0])
        return self.lin(x)


def test_fit_auto_batch_policy(monkeypatch):
    assert helpers.auto_batch_size(2 ** 15, "cpu") is None            # up to 2·2^14 rows: full batch
    assert helpers.auto_batch_size(2 ** 15 + 1, "cpu") == 2 ** 14
    assert helpers.auto_batch_size(256 * 256, "cuda") is None         # a GPU step costs about the same
    assert helpers.auto_batch_size(2 ** 20, "cuda") == 2 ** 18
    monkeypatch.setitem(helpers.fitting.AUTO_BATCH, "cpu", 16)
    coords, values = helpers.flatten(torch.rand(8, 8))                # 64 rows > 2·16
    m = _RowCounter()
    helpers.fit(m, coords, values, steps=3, progress=False)
    assert m.rows == [16, 16, 16]
    m = _RowCounter()  # a custom loss may need all rows together: full batch
    helpers.fit(m, coords, values, steps=2, progress=False, loss_fn=lambda mm, x, y: ((mm(x) - y) ** 2).mean())
    assert m.rows == [64, 64]
    m = _RowCounter()
    helpers.fit(m, coords, values, steps=2, progress=False, batch_size=None)
    assert m.rows == [64, 64]
    for bad in ("all", 0, -5):
        with pytest.raises(ValueError, match="batch_size must be"):
            helpers.fit(m, coords, values, steps=2, progress=False, batch_size=bad)


def test_fit_stop_at_psnr_with_batches_checks_all_rows(monkeypatch):
    """With random batches a lucky batch must not end training: the whole data decides."""
    coords, values = helpers.flatten(torch.linspace(0, 1, 16)[:, None] * torch.ones(16)[None, :])
    monkeypatch.setitem(helpers.fitting.AUTO_BATCH, "cpu", 64)  # 256 rows -> batches of 64
    torch.manual_seed(0)
    m = helpers.Siren(2, 1, hidden_features=32, hidden_layers=1)
    h = helpers.fit(m, coords, values, steps=500, data_range=1.0, stop_at_psnr=25, log_every=1, progress=False)
    assert h.step[-1] < 500 and helpers.psnr(helpers.evaluate(m, coords), values, data_range=1.0) >= 25
    calls = []
    monkeypatch.setattr(helpers.fitting, "_psnr_all", lambda *a: calls.append(1) or 0.0)  # "the whole is far off"
    torch.manual_seed(0)
    m = helpers.Siren(2, 1, hidden_features=32, hidden_layers=1)
    h = helpers.fit(m, coords, values, steps=200, data_range=1.0, stop_at_psnr=25, log_every=1, progress=False)
    assert calls and max(h.psnr) >= 25 and h.step[-1] == 200


def test_sine_layer_folds_omega_exactly():
    """(ω₀W)x + ω₀b inside the sine is the authors' sin(ω₀(Wx + b)): same values, same gradients."""
    from helpers import bench

    torch.manual_seed(0)
    m = helpers.Siren(2, 1, hidden_features=32, hidden_layers=2).double()
    x = torch.rand(50, 2, dtype=torch.float64) * 2 - 1
    assert torch.allclose(m(x), bench.paper_forward(m, x), rtol=0, atol=1e-12)
    g1 = torch.autograd.grad(m(x).sum(), list(m.parameters()))
    g2 = torch.autograd.grad(bench.paper_forward(m, x).sum(), list(m.parameters()))
    assert all(torch.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(g1, g2, strict=True))


def test_fit_returns_to_train_mode_after_eval_fn():
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 1))
    coords, values = helpers.flatten(torch.rand(8, 8))
    modes = []

    def loss_fn(model, x, y):
        modes.append(model.training)
        return ((model(x) - y) ** 2).mean()

    def eval_fn(model):
        model.eval()
        return {}

    helpers.fit(net, coords, values, steps=6, loss_fn=loss_fn, eval_fn=eval_fn, eval_every=2, progress=False)
    assert all(modes), modes


def test_derivatives_without_graph_in_2d():
    """create_graph=False (evaluation) works for several input dimensions and output channels."""
    m = helpers.Siren(2, 2, 16, 1).double()
    x = torch.rand(30, 2, dtype=torch.float64).requires_grad_(True)
    y = m(x)
    J = helpers.jacobian(y, x, create_graph=False)
    s = m(x)[:, :1]
    lap = helpers.laplacian(s, x, create_graph=False)
    _, _, lap_cf = helpers.siren_derivatives(m, x.detach())
    assert J.shape == (30, 2, 2) and not lap.requires_grad
    assert torch.allclose(lap, lap_cf[:, :1], atol=1e-9)


def test_closed_form_no_grad_path_matches_graph_path():
    torch.manual_seed(0)
    m = helpers.Siren(3, 2, hidden_features=32, hidden_layers=2).double()
    x = torch.rand(5000, 3, dtype=torch.float64) * 2 - 1  # > one chunk
    with_graph = helpers.siren_derivatives(m, x)
    with torch.no_grad():
        in_place = helpers.siren_derivatives(m, x, chunk_size=777)
    for a, b in zip(with_graph, in_place, strict=True):
        assert torch.allclose(a.detach(), b, rtol=1e-10, atol=1e-10)


def test_correlation():
    a = torch.randn(50)
    assert helpers.correlation(a, 3 * a + 1) == pytest.approx(1.0, abs=1e-6)
    assert helpers.correlation(a, -a) == pytest.approx(-1.0, abs=1e-6)
    assert helpers.correlation(a, torch.zeros(50)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        helpers.correlation(a, a[:10])
    with pytest.raises(ValueError, match="NaN"):
        helpers.correlation(a, torch.full((50,), float("nan")))


def test_width_for_params_matches_counts():
    target = helpers.count_parameters(helpers.make_model("siren", 3, 3, hidden_features=64))
    w = helpers.width_for_params("relu_pe", 3, 3, target, num_frequencies=6)
    n = helpers.count_parameters(helpers.make_model("relu_pe", 3, 3, hidden_features=w, num_frequencies=6))
    n_other = [helpers.count_parameters(helpers.make_model("relu_pe", 3, 3, hidden_features=w + d, num_frequencies=6))
               for d in (-1, 1)]
    assert all(abs(n - target) <= abs(m - target) for m in n_other)
    assert abs(n - target) / target < 0.03
    with pytest.raises(ValueError):
        helpers.width_for_params("siren", 3, 3, 0)
