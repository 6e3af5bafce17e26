"""Differential operators of a network's output with respect to its input coordinates.

Named after the math (as in the SIREN authors' notebook): with y = Φ(x),
  gradient(y, x)   = ∇ₓΦ            shape (..., d)
  divergence(v, x) = ∇ₓ · v         shape (..., 1)
  laplacian(y, x)  = ΔΦ = ∇ₓ·∇ₓΦ    shape (..., 1)
  jacobian(y, x)   = ∂yᵢ/∂xⱼ        shape (..., c, d)
`x` must have requires_grad=True and `y` must be computed from it. Every
point's output depends only on its own coordinates, so one backward pass
with a vector of ones gives all per-point gradients at once (batched).
Results keep the graph (create_graph=True) so they can appear in a loss.
"""
from __future__ import annotations

import torch


def _check(y: torch.Tensor, x: torch.Tensor) -> None:
    if not x.requires_grad:
        raise ValueError("x must require gradients: call x.requires_grad_(True) before computing y = model(x)")
    if y.grad_fn is None:
        raise ValueError("y has no autograd graph: compute y = model(x) with x.requires_grad_(True), "
                         "outside torch.no_grad()")


def gradient(y: torch.Tensor, x: torch.Tensor, create_graph: bool = True, retain_graph: bool | None = None):
    """∇ₓy for a scalar field y of shape (..., 1) or (...); returns (..., d)."""
    _check(y, x)
    if y.ndim == x.ndim and y.shape[-1] != 1:
        raise ValueError(f"gradient needs a scalar output (..., 1), got {tuple(y.shape)}; use jacobian()")
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=create_graph, retain_graph=retain_graph)
    return g


def jacobian(y: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """∂yᵢ/∂xⱼ for y (..., c); returns (..., c, d), one backward pass per output channel."""
    _check(y, x)
    c = y.shape[-1]  # keep the graph alive until the last channel's backward pass
    rows = [gradient(y[..., i:i + 1], x, create_graph, retain_graph=create_graph or i < c - 1) for i in range(c)]
    return torch.stack(rows, dim=-2)


def divergence(v: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """∇ₓ·v for a vector field v (..., d) of x (..., d); returns (..., 1)."""
    _check(v, x)
    if v.shape[-1] != x.shape[-1]:
        raise ValueError(f"divergence needs v with as many components as x has dimensions: "
                         f"v {tuple(v.shape)}, x {tuple(x.shape)}")
    div, d = 0.0, x.shape[-1]
    for i in range(d):  # keep the graph alive until the last component's backward pass
        div = div + gradient(v[..., i:i + 1], x, create_graph, retain_graph=create_graph or i < d - 1)[..., i:i + 1]
    return div


def laplacian(y: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """ΔΦ = ∇ₓ·∇ₓy for a scalar field y; returns (..., 1)."""
    return divergence(gradient(y, x, create_graph=True), x, create_graph=create_graph)


# ---------------------------------------------------------------------------
# Closed form for SIREN: the derivative of a SIREN is a phase-shifted SIREN.
#
# With z_l = ω₀ (W_l h_{l-1} + b_l) and h_l = sin(z_l), the chain rule gives
#   ∇h_l = cos(z_l) ⊙ ω₀ W_l ∇h_{l-1}
#   Δh_l = cos(z_l) ⊙ ω₀ W_l Δh_{l-1} − sin(z_l) ⊙ Σᵢ (ω₀ W_l ∂ᵢh_{l-1})²
# so value, gradient and Laplacian travel forward together through one
# matrix product per layer, instead of a backward pass plus one double
# backward per input dimension. The result is an ordinary differentiable
# function of the weights: a loss on ∇Φ or ΔΦ needs one plain backward.
# ---------------------------------------------------------------------------

def _siren_layers(model):
    from .models import Siren, SineLayer

    if not isinstance(model, Siren):
        return None
    layers = list(model.net)
    if not all(isinstance(l, SineLayer) for l in layers[:-1]) or not isinstance(layers[-1], torch.nn.Linear):
        return None  # outermost_linear=False: use autograd
    return layers


def siren_derivatives(model, x: torch.Tensor, laplacian: bool = True):
    """Φ(x), ∇ₓΦ(x) and (optionally) ΔΦ(x) of a `Siren` in one forward pass.

    Returns (y (..., c), grad (..., c, d) — or (..., d) when c == 1 —, lap (..., c) or None).
    Matches autograd to float rounding; needs no requires_grad on x.
    """
    layers = _siren_layers(model)
    if layers is None:
        raise TypeError("siren_derivatives needs a helpers.Siren with a linear last layer; use gradient()/laplacian()")
    from .checks import check_last_dim

    check_last_dim(x, model.in_features)
    lead, d = x.shape[:-1], x.shape[-1]
    x2 = x.reshape(-1, d)
    n = x2.shape[0]
    # S stacks, per point, the rows [h, ∂h/∂x_1 … ∂h/∂x_d, Δh] (the last only with
    # `laplacian`), so each layer is ONE matrix product: (n·(d+2), width) @ Wᵀ.
    eye = torch.eye(d, dtype=x.dtype, device=x.device).expand(n, d, d)
    rows = [x2[:, None, :], eye] + ([torch.zeros_like(x2)[:, None, :]] if laplacian else [])
    S = torch.cat(rows, dim=1)
    for layer in layers[:-1]:
        W, b, w0 = layer.linear.weight, layer.linear.bias, layer.omega_0
        Z = S @ W.t()                                  # linear in h, ∂h and Δh alike
        z = w0 * (Z[:, 0] + b)                         # the bias enters the value only
        dz = w0 * Z[:, 1:d + 1]
        s, c = torch.sin(z), torch.cos(z)
        parts = [s[:, None], c[:, None] * dz]
        if laplacian:
            parts.append((c * w0 * Z[:, d + 1] - s * (dz * dz).sum(1))[:, None])
        S = torch.cat(parts, dim=1)
    last = layers[-1]
    out = S @ last.weight.t()                          # (n, rows, c)
    y = (out[:, 0] + last.bias).reshape(*lead, -1)
    grad = out[:, 1:d + 1].transpose(1, 2).reshape(*lead, out.shape[-1], d)  # (..., c, d)
    if grad.shape[-2] == 1:
        grad = grad.squeeze(-2)
    lap = out[:, d + 1].reshape(*lead, -1) if laplacian else None
    return y, grad, lap


def value_and_derivatives(model, x: torch.Tensor, laplacian: bool = True):
    """(Φ, ∇ₓΦ, ΔΦ) for any coordinate network: closed form for a Siren, autograd otherwise.

    Shapes as `siren_derivatives`. With autograd, x is cloned with requires_grad;
    the graph is kept, so the results can sit inside a training loss either way.
    """
    if _siren_layers(model) is not None:
        return siren_derivatives(model, x, laplacian)
    x = x.detach().clone().requires_grad_(True)
    y = model(x)
    grad = jacobian(y, x) if y.shape[-1] > 1 else gradient(y, x)
    lap = None
    if laplacian:
        g = grad if y.shape[-1] == 1 else None
        if g is None:
            raise ValueError("autograd Laplacian here supports scalar outputs only; use laplacian() per channel")
        lap = divergence(g, x)
    return y, grad, lap
