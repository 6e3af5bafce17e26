"""Tests for helpers.zoo: FINER, WIRE, Gaussian MLP, hash grid, dense grid, the budget helper."""
import math

import pytest
import torch

import helpers as H
from helpers import zoo

TINY = {  # small enough for fast tests, large enough to fit a 16x16 image
    "siren": dict(hidden_features=32, hidden_layers=1),
    "finer": dict(hidden_features=32, hidden_layers=1),
    "wire": dict(hidden_features=23, hidden_layers=1),
    "gauss": dict(hidden_features=32, hidden_layers=1),
    "relu_ff": dict(hidden_features=32, hidden_layers=1, ff_sigma=2.0),
    "hashgrid": dict(levels=4, min_resolution=2, max_resolution=16, log2_table_size=8, hidden_features=16),
    "grid": dict(resolution=16),
}


@pytest.fixture(scope="module")
def camera16():
    return H.flatten(H.load_image("camera", size=16))


# ---------------------------------------------------------------- every kind
@pytest.mark.parametrize("kind", zoo.ZOO_KINDS)
def test_shapes_for_one_two_and_three_coordinates(kind):
    for d in (1, 2, 3):
        m = zoo.make_zoo_model(kind, d, 2, seed=0, **TINY[kind])
        for lead in ((7,), (4, 5)):
            y = m(torch.rand(*lead, d) * 2 - 1)
            assert y.shape == (*lead, 2) and y.dtype == torch.float32 and torch.isfinite(y).all(), (kind, d)
        with pytest.raises(ValueError, match=rf"\(\.\.\., {d}\)"):
            m(torch.rand(3, d + 1))
    assert kind in zoo.ZOO_LABELS and zoo.ZOO_LR[kind] > 0


@pytest.mark.parametrize("kind", zoo.ZOO_KINDS)
def test_every_kind_fits_a_tiny_image(kind, camera16):
    """200 Adam steps at the paper's learning rate at least halve the MSE (measured: SIREN 0.24, the rest < 0.12)."""
    coords, values = camera16
    m = zoo.make_zoo_model(kind, 2, 1, seed=0, **TINY[kind])
    hist = H.fit(m, coords, values, steps=200, lr=zoo.ZOO_LR[kind], progress=False, data_range=1.0)
    assert hist.loss[-1] < 0.5 * hist.loss[0], (kind, hist.loss[0], hist.loss[-1])


@pytest.mark.parametrize("kind", zoo.ZOO_KINDS)
def test_budget_gives_counts_within_three_percent(kind):
    for d, c, target in ((2, 1, 20000), (3, 1, 30000)):
        size = zoo.size_for_budget(kind, d, c, target)
        assert list(size) == [zoo.BUDGET_KEYS[kind]]
        m = zoo.make_zoo_model(kind, d, c, params=target)
        n = H.count_parameters(m)
        assert abs(n - target) <= 0.03 * target, (kind, d, size, n)
        assert getattr(m, "resolution", None) == size.get("resolution", None)
    a = zoo.make_zoo_model(kind, 2, 1, params=10000, seed=1)
    b = zoo.make_zoo_model(kind, 2, 1, params=10000, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_equal_budget_gives_wire_about_one_over_sqrt2_of_the_width():
    """Complex layers count twice: WIRE's own code divides its width by sqrt(2) for the same reason."""
    w_siren = zoo.size_for_budget("siren", 2, 1, 200_000)["hidden_features"]
    w_wire = zoo.size_for_budget("wire", 2, 1, 200_000)["hidden_features"]
    assert abs(w_wire / w_siren - 1 / math.sqrt(2)) < 0.02


# ---------------------------------------------------------------- FINER
def test_finer_initialization_matches_the_published_code():
    torch.manual_seed(0)
    n_in, width, omega = 2, 512, 30.0
    m = zoo.Finer(n_in, 1, hidden_features=width, hidden_layers=2)
    first, hidden, last = m.net[0].linear, m.net[1].linear, m.net[-1]
    assert 0.95 / n_in < first.weight.abs().max() <= 1 / n_in                # SIREN's first layer
    k = 1 / math.sqrt(n_in)                                                   # FINER's default: PyTorch's bias range
    assert m.net[0].first_bias_scale == k and 0.95 * k < first.bias.abs().max() <= k
    bound = math.sqrt(6 / width) / omega                                      # SIREN's hidden and last layers
    assert 0.99 * bound < hidden.weight.abs().max() <= bound
    assert abs(hidden.weight.std().item() - bound / math.sqrt(3)) < 0.02 * bound
    assert last.weight.abs().max() <= bound and isinstance(last, torch.nn.Linear)
    assert hidden.bias.abs().max() <= 1 / math.sqrt(width)                    # other biases: PyTorch's default
    big = zoo.Finer(n_in, 1, hidden_features=width, hidden_layers=1, first_bias_scale=20.0)
    assert 19 < big.net[0].linear.bias.abs().max() <= 20
    siren = H.Siren(n_in, 1, hidden_features=width, hidden_layers=2)         # same shapes and count as SIREN
    assert H.count_parameters(m) == H.count_parameters(siren)


def test_finer_activation_and_its_gradient():
    torch.manual_seed(0)
    layer = zoo.FinerLayer(1, 64, omega_0=30.0, is_first=True, first_bias_scale=2.0)
    x = (torch.rand(50, 1, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    layer = layer.double()
    z = layer.linear(x)
    y = layer(x)
    assert torch.allclose(y, torch.sin(30.0 * (z.abs() + 1) * z), atol=1e-12)
    assert not torch.allclose(y, torch.sin(30.0 * z), atol=0.1)               # not a plain SIREN layer
    w = layer.linear.weight[:, 0]
    g = H.jacobian(y, x)[..., 0]                                              # dφ/dx, (50, 64)
    d_sin = torch.cos(30.0 * (z.abs() + 1) * z)
    assert torch.allclose(g, d_sin * 30.0 * (2 * z.abs() + 1) * w, atol=1e-9)  # d/dz (|z|+1)z = 2|z|+1
    layer.detach_scale = True                                                 # FINER's code: |z|+1 as a constant
    y2 = layer(x)
    assert torch.equal(y2, y)
    g2 = H.jacobian(y2, x)[..., 0]
    assert torch.allclose(g2, d_sin * 30.0 * (z.abs() + 1) * w, atol=1e-9)


# ---------------------------------------------------------------- WIRE
def test_wire_gabor_activation_and_real_output():
    torch.manual_seed(0)
    m = zoo.Wire(2, 3, hidden_features=16, hidden_layers=1)
    first, hidden, last = m.net
    assert isinstance(first.linear, torch.nn.Linear) and isinstance(hidden.linear, zoo.ComplexLinear)
    assert first.omega_0 == 20 and first.s_0 == 30
    x = torch.rand(40, 2) * 2 - 1
    z = first.linear(x)                                                       # real in the first layer
    h1 = first(x)
    expected = torch.complex(torch.cos(20 * z), torch.sin(20 * z)) * torch.exp(-(30 * z) ** 2)
    assert h1.is_complex() and torch.allclose(h1, expected, atol=1e-6)
    zc = hidden.linear(h1)                                                    # complex after it
    wc = torch.complex(hidden.linear.weight[..., 0], hidden.linear.weight[..., 1])
    bc = torch.complex(hidden.linear.bias[..., 0], hidden.linear.bias[..., 1])
    assert torch.allclose(zc, h1 @ wc.T + bc, atol=1e-5)
    h2 = hidden(h1)
    assert torch.allclose(h2, torch.exp(1j * 20 * zc) * torch.exp(-(30 * zc).abs() ** 2), atol=1e-5)
    out = m(x)
    wl = torch.complex(last.weight[..., 0], last.weight[..., 1])
    bl = torch.complex(last.bias[..., 0], last.bias[..., 1])
    assert not out.is_complex() and torch.allclose(out, (h2 @ wl.T + bl).real, atol=1e-6)


def test_wire_initialization_and_count():
    torch.manual_seed(0)
    layer = zoo.ComplexLinear(256, 512)               # as PyTorch initializes a complex nn.Linear
    bound = 1 / 16
    for part in (layer.weight[..., 0], layer.weight[..., 1]):
        assert 0.99 * bound < part.abs().max() <= bound
        assert abs(part.std().item() - bound / math.sqrt(3)) < 0.02 * bound
    w, h, d, c = 20, 2, 2, 3
    m = zoo.Wire(d, c, hidden_features=w, hidden_layers=h)
    assert H.count_parameters(m) == (d * w + w) + h * 2 * (w * w + w) + 2 * (w * c + c)  # complex counts twice


# ---------------------------------------------------------------- Gaussian
def test_gaussian_activation_formula():
    torch.manual_seed(0)
    layer = zoo.GaussianLayer(3, 8, sigma=0.5)
    x = torch.rand(20, 3)
    z = layer.linear(x)
    assert torch.allclose(layer(x), torch.exp(-z ** 2 / (2 * 0.25)), atol=1e-7)
    with torch.no_grad():
        layer.linear.weight.zero_()
        layer.linear.bias.fill_(0.5)                  # z = σ gives exp(-1/2)
    assert torch.allclose(layer(x), torch.full((20, 8), math.exp(-0.5)))
    net = zoo.GaussianNet(2, 1)
    assert all(layer.sigma == 0.09 for layer in net.net[:-1]) and isinstance(net.net[-1], torch.nn.Linear)


# ---------------------------------------------------------------- hash grid
def test_hashgrid_resolutions_hashing_choice_and_init():
    torch.manual_seed(0)
    g = zoo.HashGrid(2, levels=8, features_per_level=2, log2_table_size=10, min_resolution=4, max_resolution=128)
    b = (128 / 4) ** (1 / 7)
    res = [math.floor(4 * b ** level + 1e-9) for level in range(8)]
    assert g.resolutions.tolist() == res and res[0] == 4 and res[-1] == 128
    dense = [(r + 1) ** 2 for r in res]
    assert g.hashed.tolist() == [n > 1024 for n in dense]                     # 1:1 while (N+1)^d <= T
    assert 0 < sum(g.hashed.tolist()) < 8
    assert g.level_sizes.tolist() == [min(1024, n) for n in dense]
    assert g.table.shape == (sum(min(1024, n) for n in dense), 2) and g.out_features == 16
    assert 0.99e-4 < g.table.abs().max() <= 1e-4                              # U(-1e-4, 1e-4)
    assert abs(g.table.mean().item()) < 1e-5


def test_hashgrid_is_exact_at_the_vertices():
    torch.manual_seed(0)
    g = zoo.HashGrid(2, levels=2, features_per_level=1, log2_table_size=8, min_resolution=4, max_resolution=32)
    assert g.hashed.tolist() == [False, True]                                 # 5² = 25 <= 256 < 33²
    i, j = torch.meshgrid(torch.arange(5), torch.arange(5), indexing="ij")
    rows = (i + 5 * j).flatten()                                               # level 0 is 1:1: row i + (N+1)j

    def set_level0(values):
        with torch.no_grad():
            g.table[rows, 0] = values.flatten().float()

    set_level0(torch.sin(i.double()) + j.double() ** 2)                        # any function of the vertex
    x = torch.stack([i, j], -1).float() / 4 * 2 - 1                            # vertex (i, j) of level 0
    assert torch.allclose(g(x)[..., 0], (torch.sin(i.double()) + j.double() ** 2).float(), atol=1e-5)
    set_level0(0.3 + 2.0 * i - 1.5 * j)                                        # a linear function, anywhere
    x = torch.rand(200, 2) * 2 - 1
    u = (x + 1) / 2 * 4
    assert torch.allclose(g(x)[:, 0], 0.3 + 2.0 * u[:, 0] - 1.5 * u[:, 1], atol=1e-4)
    # the hashed level, against the paper's hash written with Python integers
    v = torch.randint(0, 33, (100, 2))
    x = v.float() / 32 * 2 - 1
    rows = [int(g.level_offsets[1]) + ((a * 1) ^ (b * 2654435761)) % 256 for a, b in v.tolist()]
    assert torch.allclose(g(x)[:, 1], g.table[rows, 0], atol=1e-9)


def test_hashgrid_indices_in_range_and_dense_level_one_to_one():
    g = zoo.HashGrid(3, levels=4, log2_table_size=9, min_resolution=2, max_resolution=16)
    assert g.hashed.tolist() == [(r + 1) ** 3 > 512 for r in g.resolutions.tolist()]
    idx, w = g.lookup(torch.rand(1000, 3) * 2 - 1)
    assert idx.shape == (1000, 4, 8) and (idx >= 0).all() and (idx < g.level_sizes[:, None]).all()
    assert torch.allclose(w.sum(-1), torch.ones(1000, 4))
    v = torch.stack(torch.meshgrid(*[torch.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3)
    idx, w = g.lookup(v.float() / 2 * 2 - 1)                                  # every vertex of level 0 (N = 2)
    on_vertex = idx[:, 0].gather(1, w[:, 0].argmax(1, keepdim=True))[:, 0]
    assert sorted(on_vertex.tolist()) == list(range(27))                      # 1:1


def test_hashgrid_gradient_exists_and_laplacian_is_zero():
    """d-linear interpolation is linear along each axis: ΔΦ = 0, while ∂²Φ/∂x∂y is not (it is bilinear)."""
    torch.manual_seed(0)
    m = zoo.HashGridNet(2, 1, levels=4, min_resolution=2, max_resolution=16, log2_table_size=6,
                        hidden_features=16).double()
    with torch.no_grad():
        m.encoding.table.uniform_(-1, 1)                                     # trained-looking features
    x = (torch.rand(64, 2, dtype=torch.float64) * 2 - 1).requires_grad_(True)
    y = m(x)
    grad = H.gradient(y, x)
    assert torch.isfinite(grad).all() and grad.abs().max() > 1e-3
    e = 1e-7                                                                   # piecewise linear: exact differences
    for i in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[i] = e
        fd = ((m(x + step) - m(x - step)) / (2 * e)).detach()[:, 0]
        assert torch.allclose(grad[:, i], fd, atol=1e-5)
    assert H.laplacian(y, x).abs().max() < 1e-12
    mixed = H.gradient(grad[:, :1], x)[:, 1]
    assert mixed.abs().max() > 1e-3


# ---------------------------------------------------------------- dense grid
def test_dense_grid_nodes_and_linear_functions():
    torch.manual_seed(0)
    for d, r in ((1, 6), (2, 5), (3, 4)):
        g = zoo.DenseGrid(d, 2, resolution=r)
        assert (g.values == 0).all() and H.count_parameters(g) == r ** d * 2
        with torch.no_grad():
            g.values.normal_()
        nodes = H.grid((r,) * d)                                               # R samples, both ends included
        assert torch.allclose(g(nodes), g.values, atol=1e-6)
        a = torch.tensor([0.7, -2.0, 1.5][:d])
        with torch.no_grad():
            g.values[..., 0] = 0.25 + (nodes * a).sum(-1)
        x = torch.rand(300, d) * 2 - 1
        assert torch.allclose(g(x)[:, 0], 0.25 + (x * a).sum(-1), atol=1e-5)  # d-linear reproduces linear
    x = torch.rand(10, 3, requires_grad=True)
    assert torch.allclose(H.gradient(g(x)[:, :1], x), a.expand(10, 3), atol=1e-4)


# ---------------------------------------------------------------- misuse
def test_bad_arguments_give_clear_messages():
    with pytest.raises(ValueError, match="unknown model kind 'mlp'.*siren, finer, wire"):
        zoo.make_zoo_model("mlp", 2, 1)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['sigma'\].*s_0"):
        zoo.make_zoo_model("wire", 2, 1, sigma=0.1)
    with pytest.raises(ValueError, match="hidden_features must be at least 1"):
        zoo.make_zoo_model("finer", 2, 1, hidden_features=0)
    with pytest.raises(ValueError, match="first_bias_scale must be a positive"):
        zoo.Finer(2, 1, first_bias_scale=-1.0)
    with pytest.raises(ValueError, match="sigma must be a positive"):
        zoo.GaussianNet(2, 1, sigma=0)
    with pytest.raises(ValueError, match="in_features must be at most 3.*primes"):
        zoo.HashGrid(4)
    with pytest.raises(TypeError, match="levels must be a whole number"):
        zoo.HashGrid(2, levels=True)
    with pytest.raises(ValueError, match="max_resolution must be at least 64"):
        zoo.HashGrid(2, min_resolution=64, max_resolution=32)
    with pytest.raises(ValueError, match="resolution must be at least 2"):
        zoo.DenseGrid(2, 1, resolution=1)
    with pytest.raises(ValueError, match="params must be a whole number"):
        zoo.make_zoo_model("siren", 2, 1, params=2.5)
    with pytest.raises(ValueError, match="smallest siren model"):
        zoo.make_zoo_model("siren", 2, 1, params=5)
    with pytest.raises(ValueError, match="cannot reach"):
        zoo.make_zoo_model("hashgrid", 2, 1, params=10 ** 7, levels=2, max_resolution=32)
    with pytest.raises(ValueError, match="params .* or resolution, not both"):
        zoo.make_zoo_model("grid", 2, 1, params=100, resolution=8)
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    with pytest.raises(TypeError):
        zoo.make_zoo_model("gauss", 2, 1, seed=5, omega_0=30)  # a typo does not consume the seed
    assert torch.equal(torch.rand(1), before)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    for kind in ("finer", "wire", "hashgrid", "grid"):
        m = zoo.make_zoo_model(kind, 3, 2, seed=0, **TINY[kind])
        with torch.no_grad():
            for p in m.parameters():
                p.add_(0.1 * torch.randn_like(p))
        x = torch.rand(500, 3) * 2 - 1
        y_cpu = m(x)
        y_cpu.square().sum().backward()
        g_cpu = [p.grad.clone() for p in m.parameters()]
        m.zero_grad()
        m = m.cuda()
        y = m(x.cuda())
        y.square().sum().backward()
        assert torch.allclose(y.cpu(), y_cpu, atol=1e-4), kind
        assert all(torch.allclose(p.grad.cpu(), g, atol=1e-3, rtol=1e-3) for p, g in zip(m.parameters(), g_cpu)), kind


# ---------------------------------------------------------------- pixel split and fit_zoo (notebook 11)
def test_pixel_split_is_a_checkerboard_with_held_out_pixels_between_training_pixels():
    h, w = 6, 7
    s = zoo.pixel_split((h, w))
    masks = {k: v.reshape(h, w) for k, v in s.items()}
    total = masks["train"].int() + masks["val"].int() + masks["test"].int()
    assert (total == 1).all()                                               # a partition of the pixels
    assert int(masks["train"].sum()) == (h * w + 1) // 2
    for i in range(h):
        for j in range(w):
            assert bool(masks["train"][i, j]) == ((i + j) % 2 == 0)
            if not masks["train"][i, j]:
                assert bool(masks["val"][i, j]) == (i % 2 == 0)
                for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):  # every neighbour is a training pixel
                    if 0 <= a < h and 0 <= b < w:
                        assert masks["train"][a, b]
    with pytest.raises(ValueError, match=r"image shape \(H, W\)"):
        zoo.pixel_split((4,))
    with pytest.raises(ValueError, match="at least 2"):
        zoo.pixel_split((1, 5))


def test_fit_zoo_scores_each_part_and_a_grid_on_the_pixels_memorizes(camera16):
    img = H.load_image("camera", size=16)
    split = zoo.pixel_split(img.shape)
    coords, values = camera16
    # one node per pixel: the held-out pixels' own nodes get (almost) no gradient, so the grid fits the training
    # pixels and leaves the held-out ones near their start, 0 (measured: 94 dB train, 6.9 / 6.7 dB held out)
    r = zoo.fit_zoo(img, "grid", split, steps=200, lr=5e-2, params=256)
    assert r.model.resolution == 16 and r.params == 256 and r.label == "Dense grid" and r.ms_per_step > 0
    assert r.image.shape == (16, 16) and r.psnr["train"] > 60 and max(r.psnr["val"], r.psnr["test"]) < 12
    out = r.image.reshape(-1, 1)
    for part, mask in split.items():                                         # the PSNRs are those of r.image
        assert abs(r.psnr[part] - H.psnr(out[mask], values[mask], data_range=1.0)) < 1e-6
    s = zoo.fit_zoo(img, "siren", split, steps=100, lr=1e-3, hidden_features=16, hidden_layers=1, seed=3)
    assert s.params == H.count_parameters(zoo.Siren(2, 1, 16, 1)) and len(s.history.psnr) > 0
    with pytest.raises(ValueError, match="boolean masks over the H·W pixels of this \\(16, 16\\) image"):
        zoo.fit_zoo(img, "grid", zoo.pixel_split((8, 8)), steps=1, lr=1e-2, resolution=4)
    every = torch.ones(256, dtype=torch.bool)
    with pytest.raises(ValueError, match="'train' among them"):
        zoo.fit_zoo(img, "grid", {"all": every}, steps=1, lr=1e-2, resolution=4)
    with pytest.raises(ValueError, match="boolean masks"):                   # an index tensor is not a mask
        zoo.fit_zoo(img, "grid", {"train": every.long()}, steps=1, lr=1e-2, resolution=4)
    with pytest.raises(ValueError, match=r"\['none'\] select no pixel"):      # refused before the fit, not after
        zoo.fit_zoo(img, "grid", {"train": every, "none": ~every}, steps=1, lr=1e-2, resolution=4)
    # any masks with 'train': every pixel trained, scored on the left half alone
    left = (torch.arange(256) % 16 < 8)
    g = zoo.fit_zoo(img, "grid", {"train": every, "left": left}, steps=200, lr=5e-2, params=256)
    assert g.psnr["train"] > 60
    assert abs(g.psnr["left"] - H.psnr(g.image.reshape(-1, 1)[left], values[left], data_range=1.0)) < 1e-6
