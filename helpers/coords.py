"""Coordinates: grids in [-1, 1]^d for images, video, audio and volumes.

A signal sampled on a grid of shape (*S, C) becomes pairs (x_i, f(x_i)):
coordinates of shape (N, d) with d = len(S) and values of shape (N, C).
The grid's axis order follows the array's (rows then columns, i.e. y then x
for images; t, y, x for video), so `to_grid` undoes `flatten` exactly.
"""
from __future__ import annotations

import numpy as np
import torch

from .checks import check_finite, check_nonempty


def grid(shape, device=None, dtype=torch.float32, bounds=(-1.0, 1.0)) -> torch.Tensor:
    """A regular grid with `shape` points per axis spanning `bounds`, ends included.

    Returns a tensor of shape (*shape, len(shape)).
    """
    shape = tuple(int(s) for s in ([shape] if np.isscalar(shape) else shape))
    if not shape or min(shape) < 1:
        raise ValueError(f"grid shape must be a non-empty tuple of positive sizes, got {shape}")
    lo, hi = bounds
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
    t = torch.as_tensor(np.asarray(signal) if not torch.is_tensor(signal) else signal)
    t = t.to(device=device, dtype=dtype)
    check_nonempty(t, "signal")
    check_finite(t, "signal")
    if spatial_dims is None:
        spatial_dims = t.ndim - 1 if (t.ndim >= 3 and t.shape[-1] in (1, 2, 3, 4)) else t.ndim
    if spatial_dims < 1 or spatial_dims > t.ndim:
        raise ValueError(f"spatial_dims={spatial_dims} does not fit a signal of shape {tuple(t.shape)}")
    spatial = t.shape[:spatial_dims]
    values = t.reshape(*spatial, -1).reshape(-1, int(np.prod(t.shape[spatial_dims:], dtype=int)))
    coords = grid(spatial, device=device, dtype=dtype).reshape(-1, spatial_dims)
    return coords, values


def to_grid(values: torch.Tensor, shape) -> torch.Tensor:
    """Reshape flat values (N, C) back to (*shape, C), or (*shape) when C == 1."""
    shape = tuple(shape)
    n = int(np.prod(shape))
    if values.shape[0] != n:
        raise ValueError(f"cannot reshape {values.shape[0]} values onto a grid of shape {shape} ({n} points)")
    out = values.reshape(*shape, -1)
    return out.squeeze(-1) if out.shape[-1] == 1 else out


def sample_uniform(n: int, d: int, device=None, generator=None, bounds=(-1.0, 1.0)) -> torch.Tensor:
    """n points uniform in [lo, hi]^d, shape (n, d)."""
    lo, hi = bounds
    return lo + (hi - lo) * torch.rand(n, d, device=device, generator=generator)


def sample_batch(coords: torch.Tensor, values: torch.Tensor, batch_size: int, generator=None):
    """A random subset (without replacement) of matching coordinate/value rows."""
    n = coords.shape[0]
    idx = torch.randperm(n, device=coords.device, generator=generator)[:batch_size]
    return coords[idx], values[idx]
