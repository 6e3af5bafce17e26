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


def gradient(y: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """∇ₓy for a scalar field y of shape (..., 1) or (...); returns (..., d)."""
    _check(y, x)
    if y.ndim == x.ndim and y.shape[-1] != 1:
        raise ValueError(f"gradient needs a scalar output (..., 1), got {tuple(y.shape)}; use jacobian()")
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=create_graph)
    return g


def jacobian(y: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """∂yᵢ/∂xⱼ for y (..., c); returns (..., c, d), one backward pass per output channel."""
    _check(y, x)
    rows = [gradient(y[..., i:i + 1], x, create_graph=create_graph) for i in range(y.shape[-1])]
    return torch.stack(rows, dim=-2)


def divergence(v: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """∇ₓ·v for a vector field v (..., d) of x (..., d); returns (..., 1)."""
    _check(v, x)
    if v.shape[-1] != x.shape[-1]:
        raise ValueError(f"divergence needs v with as many components as x has dimensions: "
                         f"v {tuple(v.shape)}, x {tuple(x.shape)}")
    div = 0.0
    for i in range(x.shape[-1]):
        div = div + gradient(v[..., i:i + 1], x, create_graph=create_graph)[..., i:i + 1]
    return div


def laplacian(y: torch.Tensor, x: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """ΔΦ = ∇ₓ·∇ₓy for a scalar field y; returns (..., 1)."""
    return divergence(gradient(y, x, create_graph=True), x, create_graph=create_graph)
