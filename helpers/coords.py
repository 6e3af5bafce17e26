"""Coordinates: grids in [-1, 1]^d for images, video, audio and volumes.

A signal sampled on a grid of shape (*S, C) becomes pairs (x_i, f(x_i)):
coordinates of shape (N, d) with d = len(S) and values of shape (N, C).
The grid's axis order follows the array's (rows then columns, i.e. y then x
for images; t, y, x for video), so `to_grid` undoes `flatten` exactly.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .checks import as_float_tensor, check_finite, check_int, check_nonempty


def _float_dtype(dtype) -> torch.dtype:
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch dtype such as torch.float32, got {dtype!r}; "
                        "coordinates in [-1, 1] need fractions")
    return dtype


def _bounds(bounds) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise TypeError(f"bounds must be a pair (lo, hi) of numbers, got {bounds!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"bounds must be finite with lo < hi, got {bounds!r}; the course uses (-1.0, 1.0)")
    return lo, hi


def _shape(shape, name: str = "shape") -> tuple[int, ...]:
    """A grid shape: one size or a sequence of sizes, each a whole number >= 1."""
    if isinstance(shape, torch.Size) or isinstance(shape, (tuple, list)):
        sizes = tuple(shape)
    elif isinstance(shape, np.ndarray) and shape.ndim <= 1:
        sizes = tuple(shape.reshape(-1).tolist())
    else:
        sizes = (shape,)
    if not sizes:
        raise ValueError(f"{name} must name at least one size, e.g. (64, 64), got {shape!r}")
    return tuple(check_int(s, f"{name} entry", 1) for s in sizes)


def grid(shape, device=None, dtype=torch.float32, bounds=(-1.0, 1.0)) -> torch.Tensor:
    """A regular grid with `shape` points per axis spanning `bounds`, ends included.

    Returns a tensor of shape (*shape, len(shape)).
    """
    shape = _shape(shape)
    dtype = _float_dtype(dtype)
    lo, hi = _bounds(bounds)
    axes = [torch.linspace(lo, hi, s, device=device, dtype=dtype) for s in shape]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1)


def flatten(signal, device=None, dtype=torch.float32, spatial_dims: int | None = None):
    """Turn a sampled signal into (coords (N, d), values (N, C)).

    `signal` is an array or tensor shaped (*S,) or (*S, C). By default a
    trailing axis of size 1-4 on a signal of rank >= 3 is read as channels
    (RGB image, RGB video); pass `spatial_dims` to say it explicitly, e.g.
    `spatial_dims=1` for a stereo clip (N, 2). Values keep their range;
    non-finite values are an error.
    """
    t = as_float_tensor(signal, "signal", device=device, dtype=_float_dtype(dtype))
    check_nonempty(t, "signal")
    check_finite(t, "signal")
    if t.ndim == 0:
        raise ValueError("signal is a single number; flatten needs samples on a grid, e.g. an (H, W) image")
    if spatial_dims is None:
        spatial_dims = t.ndim - 1 if (t.ndim >= 3 and t.shape[-1] in (1, 2, 3, 4)) else t.ndim
    spatial_dims = check_int(spatial_dims, "spatial_dims", 1)
    if spatial_dims > t.ndim:
        raise ValueError(f"spatial_dims={spatial_dims} does not fit a signal of shape {tuple(t.shape)} "
                         f"(it has {t.ndim} axes)")
    spatial = t.shape[:spatial_dims]
    values = t.reshape(*spatial, -1).reshape(-1, int(np.prod(t.shape[spatial_dims:], dtype=int)))
    coords = grid(spatial, device=device, dtype=dtype).reshape(-1, spatial_dims)
    return coords, values


def to_grid(values: torch.Tensor, shape) -> torch.Tensor:
    """Reshape flat values (N, C) back to (*shape, C), or (*shape) when C == 1."""
    shape = _shape(shape)
    if not hasattr(values, "shape") or len(values.shape) == 0:
        raise TypeError(f"values must be a tensor or array shaped (N, C) or (N,), got {type(values).__name__}")
    n = int(np.prod(shape))
    if values.shape[0] != n:
        raise ValueError(f"cannot reshape {values.shape[0]} values onto a grid of shape {shape} ({n} points)")
    out = values.reshape(*shape, -1)
    return out.squeeze(-1) if out.shape[-1] == 1 else out


def sample_uniform(n: int, d: int, device=None, generator=None, bounds=(-1.0, 1.0)) -> torch.Tensor:
    """n points uniform in [lo, hi]^d, shape (n, d)."""
    n, d = check_int(n, "n", 0), check_int(d, "d", 1)
    lo, hi = _bounds(bounds)
    return lo + (hi - lo) * torch.rand(n, d, device=device, generator=generator)
