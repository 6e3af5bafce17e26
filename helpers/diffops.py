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
# so value, gradient and Laplacian travel forward together, a few matrix
# products per layer, instead of a backward pass plus one double backward
# per input dimension (autograd). This wins wherever ΔΦ is needed; for ∇Φ
# alone inside a training loss autograd's double backward is as cheap or
# cheaper (measured by `python -m helpers.bench`), so losses on ∇Φ use
# autograd. The result is an ordinary differentiable function of the
# weights: a loss on ∇Φ or ΔΦ needs one plain backward.
# ---------------------------------------------------------------------------

def _siren_layers(model):
    from .models import SineLayer, Siren

    if not isinstance(model, Siren):
        return None
    layers = list(model.net)
    if not all(isinstance(l, SineLayer) for l in layers[:-1]) or not isinstance(layers[-1], torch.nn.Linear):
        return None  # outermost_linear=False: use autograd
    return layers


def siren_derivatives(model, x: torch.Tensor, laplacian: bool = True, chunk_size: int = 2048):
    """Φ(x), ∇ₓΦ(x) and (optionally) ΔΦ(x) of a `Siren` in one forward pass.

    Returns (y (..., c), grad (..., c, d) — or (..., d) when c == 1 —, lap (..., c) or None).
    Matches autograd to float rounding; needs no requires_grad on x. Points go
    through in chunks of `chunk_size`: the per-layer (points x d x width)
    intermediates then stay in cache, which on a CPU is worth ~2x.
    """
    layers = _siren_layers(model)
    if layers is None:
        raise TypeError("siren_derivatives needs a helpers.Siren with a linear last layer; use gradient()/laplacian()")
    from .checks import check_last_dim

    check_last_dim(x, model.in_features)
    lead, d = x.shape[:-1], x.shape[-1]
    parts = [_siren_forward_mode(layers, c, laplacian) for c in x.reshape(-1, d).split(chunk_size)]
    y, grad = (torch.cat(t) for t in list(zip(*parts))[:2])
    y = y.reshape(*lead, -1)
    grad = grad.reshape(*lead, grad.shape[1], d)
    if grad.shape[-2] == 1:
        grad = grad.squeeze(-2)
    lap = torch.cat([p[2] for p in parts]).reshape(*lead, -1) if laplacian else None
    return y, grad, lap


def _siren_forward_mode(layers, x: torch.Tensor, laplacian: bool):
    """h, J = ∂h/∂x (n, d, width) and L = Δh (n, width) carried through the sine layers of one chunk."""
    n, d = x.shape
    h, J, L = x, None, None
    for layer in layers[:-1]:
        Wt = layer.linear.weight.t() * layer.omega_0       # ω₀ folded in once per layer
        z = torch.addmm(layer.linear.bias * layer.omega_0, h, Wt)
        if J is None:                                      # first layer: ∂z/∂x = ω₀W, Δz = 0
            dz, lap_z = Wt.expand(n, d, Wt.shape[1]), None
        else:
            dz = (J.reshape(n * d, -1) @ Wt).reshape(n, d, -1)
            lap_z = L @ Wt if laplacian else None
        s, c = torch.sin(z), torch.cos(z)
        if not torch.is_grad_enabled():                    # evaluation: in place, half the memory traffic
            if laplacian:
                L = dz.square().sum(1).mul_(s).neg_()
                if lap_z is not None:
                    L.addcmul_(c, lap_z)
            J = dz * c[:, None, :] if J is None else dz.mul_(c[:, None, :])
        else:                                              # training through it: autograd needs the originals
            if laplacian:
                L = -s * dz.square().sum(1) + (c * lap_z if lap_z is not None else 0.0)
            J = dz * c[:, None, :]
        h = s
    W = layers[-1].weight.t()
    y = torch.addmm(layers[-1].bias, h, W)                 # (n, c)
    grad = (J.reshape(n * d, -1) @ W).reshape(n, d, -1).transpose(1, 2)  # (n, c, d)
    return y, grad, (L @ W if laplacian else None)


def value_and_derivatives(model, x: torch.Tensor, laplacian: bool = True, create_graph: bool = True):
    """(Φ, ∇ₓΦ, ΔΦ) for any coordinate network, by the fastest exact route.

    With `laplacian`, a Siren takes the closed form (5x faster than autograd's
    double backward on a CPU, see helpers.bench); everything else, and ∇ₓΦ
    alone, takes autograd (x is cloned with requires_grad). Shapes as
    `siren_derivatives`. With `create_graph` the graph is kept, so the results
    can sit in a loss; `create_graph=False` is for pictures and metrics: it
    works under torch.no_grad() too, keeps no graph and returns detached tensors.
    """
    if laplacian and _siren_layers(model) is not None:
        with torch.set_grad_enabled(create_graph and torch.is_grad_enabled()):  # no graph: the in-place path
            return siren_derivatives(model, x, laplacian)
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        y = model(x)
        keep = create_graph or laplacian  # the Laplacian differentiates ∇ₓΦ once more
        grad = jacobian(y, x, keep) if y.shape[-1] > 1 else gradient(y, x, keep)
        lap = None
        if laplacian:
            if y.shape[-1] != 1:
                raise ValueError("autograd Laplacian here supports scalar outputs only; use laplacian() per channel")
            lap = divergence(grad, x, create_graph)
    if not create_graph:
        y, grad, lap = (t.detach() if t is not None else None for t in (y, grad, lap))
    return y, grad, lap


def derivatives(model, where, laplacian: bool = True, chunk_size: int = 16384, device=None):
    """Φ, ∇ₓΦ and (optionally) ΔΦ of a fitted network, for pictures and metrics: detached, in chunks.

    where : coordinates (..., d), or a grid shape such as (H, W) (then `helpers.grid(shape)`,
            the coordinates of `helpers.flatten`, on `device`).
    Returns (y, grad, lap) over `where`'s points: for a scalar network y (...), grad (..., d), lap (...)
    (ready to plot); for c outputs y (..., c), grad (..., c, d), lap (..., c). lap is None without `laplacian`.
    Each chunk is freed before the next one, so a 512² grid fits in bounded memory; a SIREN takes the
    closed form when ΔΦ is asked for, anything else autograd.
    """
    from .coords import grid  # late: coords does not need diffops

    coords = grid(where, device=device) if not torch.is_tensor(where) else where
    lead, d = coords.shape[:-1], coords.shape[-1]
    parts = [value_and_derivatives(model, c, laplacian, create_graph=False)
             for c in coords.reshape(-1, d).split(chunk_size)]
    y = torch.cat([p[0] for p in parts]).reshape(*lead, -1)
    g = torch.cat([p[1] for p in parts])
    g = g.reshape(*lead, *g.shape[1:])
    lap = torch.cat([p[2] for p in parts]).reshape(*lead, -1) if laplacian else None
    if y.shape[-1] == 1:
        y, lap = y[..., 0], (lap[..., 0] if laplacian else None)
    return y, g, lap
