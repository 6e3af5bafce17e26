import numpy as np
import pytest
import torch

import helpers as H
from helpers import image_fit, signals


def _smooth_image(n=17):
    c = H.grid((n, n))
    return (0.5 + 0.25 * torch.sin(2 * c[..., 0]) * torch.cos(3 * c[..., 1])).numpy()


def test_fit_models_returns_one_result_per_kind_with_metrics():
    img = _smooth_image()
    res = image_fit.fit_models(img, ["siren", "relu"], hidden_features=16, hidden_layers=1, steps=30,
                               lr={"siren": 1e-3, "relu": 1e-3}, progress=False)
    assert list(res) == ["siren", "relu"]
    for r in res.values():
        assert r.image.shape == img.shape and np.isfinite(r.psnr) and -1 <= r.ssim <= 1
        assert r.params == H.count_parameters(r.model) and r.seconds > 0 and r.history.step[-1] == 30
    assert "SIREN" in image_fit.results_table(res)


def test_fit_models_color_and_bad_input():
    rgb = np.stack([_smooth_image()] * 3, -1)
    r = image_fit.fit_models(rgb, ["siren"], hidden_features=8, hidden_layers=1, steps=5, progress=False)["siren"]
    assert r.image.shape == rgb.shape
    with pytest.raises(ValueError, match="image shaped"):
        image_fit.fit_models(np.zeros(10), ["siren"], hidden_features=8, hidden_layers=1, steps=1)
    bad = _smooth_image()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        image_fit.fit_models(bad, ["siren"], hidden_features=8, hidden_layers=1, steps=1)
    with pytest.raises(ValueError, match="kinds is empty"):
        image_fit.fit_models(_smooth_image(), [], hidden_features=8, hidden_layers=1, steps=1)


class _Analytic(torch.nn.Module):
    """Φ(y, x) = sin(2y)·cos(3x): known gradient and Laplacian (-13 Φ)."""
    in_features, out_features = 2, 1

    def forward(self, p):
        return (torch.sin(2 * p[..., :1]) * torch.cos(3 * p[..., 1:]))


def test_derivatives_on_a_grid_match_analytic_and_finite_differences():
    n = 65
    _, g, lap = H.derivatives(_Analytic(), (n, n), chunk_size=1000)  # several chunks
    c = H.grid((n, n))
    phi = torch.sin(2 * c[..., 0]) * torch.cos(3 * c[..., 1])
    assert g.shape == (n, n, 2) and lap.shape == (n, n)
    assert torch.allclose(g[..., 0], 2 * torch.cos(2 * c[..., 0]) * torch.cos(3 * c[..., 1]), atol=1e-4)
    assert torch.allclose(lap, -13 * phi, atol=1e-3)
    assert H.correlation(lap[2:-2, 2:-2], signals.image_laplacian(phi)[2:-2, 2:-2]) > 0.999
    siren = H.make_model("siren", 2, 1, 16, 1, seed=0)
    _, g2, lap2 = H.derivatives(siren, (9, 9))
    x = H.grid((9, 9)).reshape(-1, 2).requires_grad_(True)
    y = siren(x)
    assert torch.allclose(g2.reshape(-1, 2), H.gradient(y, x), atol=1e-4)
    assert torch.allclose(lap2.reshape(-1), H.laplacian(y, x).reshape(-1), rtol=1e-3, atol=1e-2)
    y3, g3, lap3 = H.derivatives(H.make_model("siren", 2, 3, 8, 1), (4, 5))  # c outputs keep their axis
    assert y3.shape == (4, 5, 3) and g3.shape == (4, 5, 3, 2) and lap3.shape == (4, 5, 3)
    with pytest.raises(ValueError, match="shape"):
        H.derivatives(siren, (4,))  # a 1D grid for a 2D network


def test_fine_grid():
    img = _smooth_image(9)
    fine = image_fit.fine_grid(img.shape, 4)
    assert fine.shape == (36, 36, 2)
    # pixel centres of the 4x image: every 4 fine pixels average to one coarse pixel centre
    assert torch.allclose(fine.reshape(9, 4, 9, 4, 2).mean((1, 3)), H.grid((9, 9)), atol=1e-6)
    assert torch.allclose(image_fit.fine_grid((5, 5), 1), H.grid((5, 5)), atol=1e-6)
    with pytest.raises(ValueError, match="factor"):
        image_fit.fine_grid((4, 4), 0)


def test_show_maps_scales_each_panel_on_its_own(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []

    def show(*args, **kwargs):
        for num in plt.get_fignums():
            fig = plt.figure(num)
            shown.append((fig.get_size_inches().copy(), [(ax.get_title(), ax.images[0].get_clim())
                                                         for ax in fig.axes if ax.images]))
        plt.close("all")

    monkeypatch.setattr(plt, "show", show)
    plt.close("all")
    rng = np.random.default_rng(0)
    small, big = rng.standard_normal((20, 20)), 1000 * rng.standard_normal((20, 20))
    assert image_fit.show_maps([small, torch.as_tensor(big), np.zeros((20, 20))], ["a", "b", "zero"]) is None
    assert plt.get_fignums() == []
    (size, panels), = shown
    assert size[0] <= 11.0 + 1e-6
    (ta, (lo_a, hi_a)), (tb, (lo_b, hi_b)), (tz, clim_z) = panels
    assert hi_a == pytest.approx(np.quantile(np.abs(small), 0.99)) and lo_a == -hi_a     # signed: symmetric
    assert hi_b == pytest.approx(np.quantile(np.abs(big), 0.99)) and hi_b > 100 * hi_a  # its own scale
    assert "own scale ±" in ta and tb.startswith("b\n") and clim_z == (-1.0, 1.0)
    shown.clear()
    image_fit.show_maps([np.abs(big)] * 8, [""] * 8, signed=False, ncols=4)
    (size, panels), = shown
    assert len(panels) == 8 and panels[0][1][0] == 0 and "own scale 0 to" in panels[0][0]
    assert size[0] <= 11.0 + 1e-6
    with pytest.raises(ValueError, match="one title per map"):
        image_fit.show_maps([small], ["a", "b"])
    with pytest.raises(ValueError, match="2D maps"):
        image_fit.show_maps([np.zeros((2, 2, 2))], ["a"])
