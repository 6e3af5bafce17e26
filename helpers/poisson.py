"""Poisson image reconstruction and editing: fit Φ to an image's derivatives, not to its values.

With f a gray image and Φ a coordinate network (coordinates from `helpers.flatten`):

  gradient_loss(model, coords, target)   mean ‖∇ₓΦ(x) − ∇ₓf(x)‖²   target (N, 2)
  laplacian_loss(model, coords, target)  mean (ΔΦ(x) − Δf(x))²      target (N, 1)

Both plug into `helpers.fit` as `loss_fn`. The targets come from
`helpers.signals.image_gradient` / `image_laplacian` (coordinate units, same
axis order as the coordinates). We minimize the mean *squared* norm, as the
SIREN authors' code does; the slide's ∫‖∇ₓΦ − ∇ₓf‖ has the same minimizer.

Derivatives do not see everything: a gradient determines Φ only up to a
constant, a Laplacian only up to a harmonic function (a + b·x + c·y, and more).
`align` removes that by least squares before a PSNR is computed (`aligned_psnr`).

Poisson image editing (Pérez et al. 2003, "seamless cloning"): a guidance
field takes ∇ₓ of a source image inside a mask and ∇ₓ of the destination
outside (`blend_gradients`); a Φ fitted to that field, aligned to the
destination outside the mask, blends the pasted region without a seam.
`paste` is the naive cut-and-paste to compare with.
"""
from __future__ import annotations

import numpy as np
import torch

from .checks import check_finite
from .coords import grid
from .diffops import value_and_derivatives
from .metrics import psnr

ALIGN_MODES = ("constant", "linear")


def _rows_match(coords: torch.Tensor, target: torch.Tensor, width: int, what: str) -> None:
    if target.ndim != 2 or target.shape[0] != coords.shape[0] or target.shape[1] != width:
        raise ValueError(f"the {what} target must be shaped ({coords.shape[0]}, {width}) to match coords "
                         f"{tuple(coords.shape)}, got {tuple(target.shape)}; flatten an image-shaped target "
                         f"with .reshape(-1, {width})")


def gradient_loss(model, coords: torch.Tensor, target: torch.Tensor):
    """mean ‖∇ₓΦ(x) − ∇ₓf(x)‖² over the batch; target ∇ₓf shaped like coords (N, d).

    Returns (loss, {"grad_mse": loss}) for `helpers.fit(..., loss_fn=gradient_loss)`.
    """
    _rows_match(coords, target, coords.shape[-1], "gradient")
    _, grad_phi, _ = value_and_derivatives(model, coords, laplacian=False)  # (N, d)
    loss = ((grad_phi - target) ** 2).sum(-1).mean()
    return loss, {"grad_mse": loss.detach()}


def laplacian_loss(model, coords: torch.Tensor, target: torch.Tensor):
    """mean (ΔΦ(x) − Δf(x))² over the batch; target Δf shaped (N, 1).

    Returns (loss, {"laplacian_mse": loss}) for `helpers.fit(..., loss_fn=laplacian_loss)`.
    """
    _rows_match(coords, target, 1, "Laplacian")
    _, _, lap_phi = value_and_derivatives(model, coords)  # (N, 1); closed form for a SIREN
    loss = ((lap_phi - target) ** 2).mean()
    return loss, {"laplacian_mse": loss.detach()}


def _image(a, name: str) -> torch.Tensor:
    t = a.detach().float() if torch.is_tensor(a) else torch.as_tensor(np.asarray(a), dtype=torch.float32)
    if t.ndim not in (2, 3):
        raise ValueError(f"{name} must be an image (H, W) or (H, W, C), got shape {tuple(t.shape)}")
    check_finite(t, name)
    return t


def align(pred, target, mode: str = "constant", mask=None, return_coefficients: bool = False):
    """pred plus the least-squares best a (mode 'constant') or a + b·y + c·x ('linear') towards target.

    pred, target : images (H, W) or (H, W, C) of the same shape (array or tensor); channels are fitted
                   separately. y, x are the course coordinates (rows, columns in [-1, 1]).
    mask         : optional (H, W) boolean: fit only where it is True (e.g. outside a pasted region).
    Returns the aligned pred as a float tensor on pred's device (and the coefficients (C, k) if asked).
    """
    if mode not in ALIGN_MODES:
        raise ValueError(f"unknown align mode {mode!r}; use one of {', '.join(ALIGN_MODES)}")
    p, t = _image(pred, "pred"), _image(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred {tuple(p.shape)} and target {tuple(t.shape)} must have the same shape")
    t = t.to(p.device)
    h, w = p.shape[:2]
    p3 = p.reshape(h, w, -1).double()
    r = (t.reshape(h, w, -1).double() - p3).reshape(h * w, -1)  # residual (N, C) to explain
    basis = [torch.ones(h * w, 1, dtype=torch.float64, device=p.device)]
    if mode == "linear":
        basis.append(grid((h, w), device=p.device, dtype=torch.float64).reshape(-1, 2))
    A = torch.cat(basis, dim=1)  # (N, k)
    sel = slice(None)
    if mask is not None:
        m = torch.as_tensor(np.asarray(mask.detach().cpu() if torch.is_tensor(mask) else mask))
        if tuple(m.shape) != (h, w):
            raise ValueError(f"mask must be shaped (H, W) = {(h, w)}, got {tuple(m.shape)}")
        sel = m.reshape(-1).to(torch.bool).to(p.device)
        if int(sel.sum()) < A.shape[1]:
            raise ValueError(f"mask selects {int(sel.sum())} pixel(s); align mode {mode!r} needs at least {A.shape[1]}")
    coef = torch.linalg.lstsq(A[sel], r[sel]).solution  # (k, C)
    out = (p3.reshape(h * w, -1) + A @ coef).reshape(p.shape).float()
    return (out, coef.T.float()) if return_coefficients else out


def aligned_psnr(pred, target, *, data_range: float, mode: str = "constant", mask=None) -> float:
    """PSNR of `align(pred, target, mode, mask)` against target, over the whole image, in dB."""
    aligned = align(pred, target, mode=mode, mask=mask)
    return psnr(aligned, _image(target, "target").to(aligned.device), data_range=data_range)


def _mask(mask, shape, name="mask") -> torch.Tensor:
    m = mask.detach().cpu() if torch.is_tensor(mask) else torch.as_tensor(np.asarray(mask))
    if tuple(m.shape) != tuple(shape):
        raise ValueError(f"{name} must be shaped (H, W) = {tuple(shape)}, got {tuple(m.shape)}")
    return m.to(torch.bool)


def blend_gradients(grad_dst, grad_src, mask, mode: str = "replace") -> torch.Tensor:
    """The guidance field of Poisson image editing, shaped (H, W, 2).

    Outside `mask` (H, W) it is ∇dst. Inside it is ∇src ('replace': seamless cloning)
    or, per pixel, whichever of ∇src and ∇dst is longer ('mixed': keeps the
    destination's texture through smooth parts of the source).
    """
    gd, gs = _image(grad_dst, "grad_dst"), _image(grad_src, "grad_src").to(_image(grad_dst, "grad_dst").device)
    if gd.ndim != 3 or gd.shape[-1] != 2:
        raise ValueError(f"grad_dst must be a gradient field (H, W, 2), got {tuple(gd.shape)}")
    if gs.shape != gd.shape:
        raise ValueError(f"grad_src {tuple(gs.shape)} and grad_dst {tuple(gd.shape)} must have the same shape")
    m = _mask(mask, gd.shape[:2]).to(gd.device)[..., None]
    if mode == "replace":
        inside = gs
    elif mode == "mixed":
        inside = torch.where(gs.norm(dim=-1, keepdim=True) > gd.norm(dim=-1, keepdim=True), gs, gd)
    else:
        raise ValueError(f"unknown blend mode {mode!r}; use 'replace' or 'mixed'")
    return torch.where(m, inside, gd)


def paste(dst, src, mask) -> torch.Tensor:
    """Naive cut-and-paste: src inside `mask` (H, W), dst outside; images of the same shape."""
    d, s = _image(dst, "dst"), _image(src, "src")
    if d.shape != s.shape:
        raise ValueError(f"src {tuple(s.shape)} and dst {tuple(d.shape)} must have the same shape")
    m = _mask(mask, d.shape[:2])
    m = m[..., None] if d.ndim == 3 else m
    return torch.where(m.to(d.device), s.to(d.device), d)


def disk_mask(shape, center, radius: float) -> torch.Tensor:
    """A boolean (H, W) mask of the pixels within `radius` pixels of `center` (row, col)."""
    h, w = shape
    rr, cc = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    return (rr - center[0]) ** 2 + (cc - center[1]) ** 2 <= radius ** 2
