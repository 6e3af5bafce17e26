import pytest
import torch
from torch import nn

import helpers
from helpers import poisson


class Analytic(nn.Module):
    """Φ(y, x) = sin(2y) + x², with ∇Φ = (2 cos 2y, 2x) and ΔΦ = −4 sin 2y + 2."""

    def forward(self, c):
        return torch.sin(2 * c[..., :1]) + c[..., 1:] ** 2


def _coords(n=17):
    return helpers.grid((n, n)).reshape(-1, 2)


def test_losses_are_zero_for_the_exact_function():
    c = _coords()
    y, x = c[:, :1], c[:, 1:]
    loss_g, terms = poisson.gradient_loss(Analytic(), c, torch.cat([2 * torch.cos(2 * y), 2 * x], 1))
    loss_l, _ = poisson.laplacian_loss(Analytic(), c, -4 * torch.sin(2 * y) + 2)
    assert loss_g.item() < 1e-10 and loss_l.item() < 1e-9
    assert "grad_mse" in terms
    # and positive for a wrong target
    assert poisson.gradient_loss(Analytic(), c, torch.zeros(len(c), 2))[0].item() > 0.1


def test_losses_train_a_network():
    torch.manual_seed(0)
    model = helpers.Siren(2, 1, 32, 1)
    c = _coords()
    loss, _ = poisson.gradient_loss(model, c, torch.ones(len(c), 2))
    loss.backward()
    params = list(model.parameters())
    # every weight gets a finite gradient except the output bias: ∇ₓΦ does not depend on it
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params[:-1])
    assert params[-1].grad is None


def test_loss_shape_errors():
    c = _coords()
    with pytest.raises(ValueError, match="gradient target must be shaped"):
        poisson.gradient_loss(Analytic(), c, torch.zeros(len(c), 1))
    with pytest.raises(ValueError, match="Laplacian target must be shaped"):
        poisson.laplacian_loss(Analytic(), c, torch.zeros(len(c) - 1, 1))


def test_align_is_exact_up_to_constant_and_plane():
    g = helpers.grid((20, 30))
    target = torch.rand(20, 30)
    shifted = target - 0.7
    assert torch.allclose(poisson.align(shifted, target), target, atol=1e-5)
    tilted = target + 0.3 - 0.2 * g[..., 0] + 0.5 * g[..., 1]
    out, coef = poisson.align(tilted, target, mode="linear", return_coefficients=True)
    assert torch.allclose(out, target, atol=1e-5)
    assert torch.allclose(coef, torch.tensor([[-0.3, 0.2, -0.5]]), atol=1e-5)
    # a constant alone cannot remove a tilt
    assert not torch.allclose(poisson.align(tilted, target), target, atol=1e-2)
    assert poisson.aligned_psnr(tilted, target, data_range=1.0, mode="linear") > 90


def test_align_with_mask_and_channels():
    target = torch.rand(10, 12, 3)
    pred = target + torch.tensor([0.1, -0.2, 0.3])
    mask = torch.zeros(10, 12, dtype=torch.bool)
    mask[:4] = True
    pred[~mask] += 5.0  # garbage where the mask is off is ignored by the fit
    out = poisson.align(pred, target, mask=mask)
    assert torch.allclose(out[mask], target[mask], atol=1e-5)


def test_align_errors():
    with pytest.raises(ValueError, match="same shape"):
        poisson.align(torch.zeros(4, 4), torch.zeros(4, 5))
    with pytest.raises(ValueError, match="unknown align mode"):
        poisson.align(torch.zeros(4, 4), torch.zeros(4, 4), mode="quadratic")
    with pytest.raises(ValueError, match="mask must be shaped"):
        poisson.align(torch.zeros(4, 4), torch.zeros(4, 4), mask=torch.ones(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="non-finite"):
        poisson.align(torch.full((4, 4), float("nan")), torch.zeros(4, 4))
    with pytest.raises(ValueError, match="image"):
        poisson.align(torch.zeros(4), torch.zeros(4))


def test_blend_and_paste():
    gd, gs = torch.zeros(8, 9, 2), torch.ones(8, 9, 2)
    mask = poisson.disk_mask((8, 9), (4, 4), 2.0)
    v = poisson.blend_gradients(gd, gs, mask)
    assert v.shape == (8, 9, 2)
    assert (v[mask] == 1).all() and (v[~mask] == 0).all()
    mixed = poisson.blend_gradients(gs * 2, gs, mask, mode="mixed")
    assert (mixed == 2).all()  # the destination is stronger everywhere
    out = poisson.paste(torch.zeros(8, 9, 3), torch.ones(8, 9, 3), mask)
    assert out.shape == (8, 9, 3) and (out[mask] == 1).all() and (out[~mask] == 0).all()


def test_blend_and_paste_errors():
    with pytest.raises(ValueError, match="same shape"):
        poisson.blend_gradients(torch.zeros(8, 9, 2), torch.zeros(8, 8, 2), torch.ones(8, 9, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        poisson.blend_gradients(torch.zeros(8, 9), torch.zeros(8, 9), torch.ones(8, 9, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask must be shaped"):
        poisson.blend_gradients(torch.zeros(8, 9, 2), torch.zeros(8, 9, 2), torch.ones(9, 8, dtype=torch.bool))
    with pytest.raises(ValueError, match="unknown blend mode"):
        poisson.blend_gradients(torch.zeros(8, 9, 2), torch.zeros(8, 9, 2), torch.ones(8, 9, dtype=torch.bool), "avg")
    with pytest.raises(ValueError, match="same shape"):
        poisson.paste(torch.zeros(8, 9), torch.zeros(9, 8), torch.ones(8, 9, dtype=torch.bool))


def test_derivatives_of_analytic_field():
    phi, grad, lap = helpers.derivatives(Analytic(), (9, 11))
    g = helpers.grid((9, 11))
    assert phi.shape == (9, 11) and grad.shape == (9, 11, 2) and lap.shape == (9, 11)
    assert torch.allclose(lap, -4 * torch.sin(2 * g[..., 0]) + 2, atol=1e-5)
    assert torch.allclose(grad[..., 1], 2 * g[..., 1], atol=1e-5)
