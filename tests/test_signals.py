import numpy as np
import torch

import helpers
from helpers import signals


def test_image_derivatives_match_analytic_in_coordinate_units():
    n = 129
    xy = helpers.grid((n, n)).double()
    f = torch.sin(2 * xy[..., 0]) + xy[..., 1] ** 2  # rows: y, cols: x
    g = signals.image_gradient(f.float())
    inner = (slice(2, -2), slice(2, -2))
    assert torch.allclose(g[inner][..., 0], (2 * torch.cos(2 * xy[..., 0]))[inner].float(), atol=2e-3)
    assert torch.allclose(g[inner][..., 1], (2 * xy[..., 1])[inner].float(), atol=2e-3)
    lap = signals.image_laplacian(f.float())
    assert torch.allclose(lap[inner], (-4 * torch.sin(2 * xy[..., 0]) + 2)[inner].float(), atol=5e-3)


def test_network_gradient_matches_sampled_gradient():
    """A network's ∇Φ on helpers.flatten coordinates is in the same units and order as image_gradient."""
    n = 65
    c = helpers.grid((n, n))
    img = 0.5 + 0.25 * torch.sin(3 * c[..., 0]) * torch.cos(2 * c[..., 1])
    x = c.reshape(-1, 2).clone().requires_grad_(True)
    y = (0.5 + 0.25 * torch.sin(3 * x[:, :1]) * torch.cos(2 * x[:, 1:]))
    g_net = helpers.gradient(y, x).detach().reshape(n, n, 2)
    g_img = signals.image_gradient(img)
    assert torch.allclose(g_net[2:-2, 2:-2], g_img[2:-2, 2:-2], atol=5e-3)


def test_spectrogram_peak_frequency():
    rate = 8000
    t = np.arange(rate) / rate
    times, freqs, db = signals.spectrogram(np.sin(2 * np.pi * 1000 * t), rate, window=512, hop=128)
    assert abs(freqs[db.mean(1).argmax()] - 1000) < rate / 512
    assert db.shape == (len(freqs), len(times))
