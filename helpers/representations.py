"""Explicit representations next to implicit ones: voxels, pixel upsampling, storage.

The explicit side of the lecture's opening slides, in a few small functions:
  voxelize_mesh   occupancy of a closed triangle mesh on a resolution³ grid (ray parity)
  voxel_mesh      the visible faces of occupied voxels as triangles (blocky, for plotting)
  downsample      low-pass then keep every f-th sample (a coarser camera)
  resample        nearest / bilinear / bicubic interpolation of pixels at any coordinates (flatten's frame)
  upsample        the same on a grid refined by an integer factor
  voxel_bytes     bytes of a dense voxel grid (float32 field or 1-bit occupancy)
  parameter_bytes bytes of a network's parameters
  show_square_cases  the 16 cases of marching squares (`helpers.surfaces.marching_squares`), drawn

Grids follow `helpers.grid` / `helpers.evaluate_grid`: N samples span [lo, hi]
with both ends included, so a grid of (N - 1)·f + 1 samples holds every f-th
sample of the fine grid exactly on the coarse one (no half-pixel shifts).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .checks import as_float_tensor, check_int
from .coords import grid

UPSAMPLING_METHODS = ("nearest", "bilinear", "bicubic")


def voxelize_mesh(vertices, faces, resolution: int, bounds=(-1.0, 1.0)) -> np.ndarray:
    """Inside/outside of a closed (watertight) triangle mesh at the points of a resolution³ grid.

    Returns a bool array indexed [i, j, k] <-> (x_i, y_j, z_k), the same
    points and order as `helpers.evaluate_grid(fn, resolution, bounds)`.
    Method: a ray along +z through every (x_i, y_j) column; each crossing of a
    triangle toggles inside/outside (parity), so cost ~ number of faces, not R³·F.
    """
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces)
    if v.ndim != 2 or v.shape[1] != 3:
        raise ValueError(f"vertices must be shaped (V, 3), got {v.shape}")
    if f.ndim != 2 or f.shape[1] != 3 or f.shape[0] == 0:
        raise ValueError(f"faces must be a non-empty (F, 3) array of vertex indices, got {f.shape}")
    if not np.isfinite(v).all():
        raise ValueError("vertices contain NaN or inf")
    if f.min() < 0 or f.max() >= len(v):
        raise ValueError(f"faces index vertices 0..{len(v) - 1} but hold indices {f.min()}..{f.max()}")
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    lo, hi = (float(b) for b in bounds)
    h = (hi - lo) / (resolution - 1)
    axis = lo + h * np.arange(resolution)
    # Shift rays by a tiny irrational fraction of a cell, so no ray passes exactly through a
    # shared edge or vertex (which would count one crossing twice).
    eps = h * np.array([1.2345e-4 * np.sqrt(2), 1.2345e-4 * np.sqrt(3)])

    tri = v[f]  # (F, 3 corners, 3 coords)
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    # Columns (i, j) whose ray may hit each triangle: its xy bounding box in grid indices.
    i0 = np.ceil((tri[:, :, 0].min(1) - eps[0] - lo) / h).astype(np.int64).clip(0, resolution)
    i1 = np.floor((tri[:, :, 0].max(1) - eps[0] - lo) / h).astype(np.int64).clip(-1, resolution - 1)
    j0 = np.ceil((tri[:, :, 1].min(1) - eps[1] - lo) / h).astype(np.int64).clip(0, resolution)
    j1 = np.floor((tri[:, :, 1].max(1) - eps[1] - lo) / h).astype(np.int64).clip(-1, resolution - 1)
    ni, nj = np.maximum(i1 - i0 + 1, 0), np.maximum(j1 - j0 + 1, 0)
    counts = ni * nj
    # All candidate (triangle, column) pairs, without a Python loop over triangles.
    t = np.repeat(np.arange(len(f)), counts)
    r = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)  # rank within triangle
    ci = i0[t] + r // np.maximum(nj[t], 1)
    cj = j0[t] + r % np.maximum(nj[t], 1)
    px, py = axis[ci] + eps[0], axis[cj] + eps[1]
    # 2D barycentric coordinates of (px, py) in the triangle's xy projection.
    ax_, ay = a[t, 0], a[t, 1]
    e1x, e1y = b[t, 0] - ax_, b[t, 1] - ay
    e2x, e2y = c[t, 0] - ax_, c[t, 1] - ay
    det = e1x * e2y - e2x * e1y
    ok = np.abs(det) > 1e-300  # triangles seen edge-on from the ray are never crossed
    safe = np.where(ok, det, 1.0)
    u = ((px - ax_) * e2y - e2x * (py - ay)) / safe
    w = (e1x * (py - ay) - (px - ax_) * e1y) / safe
    hit = ok & (u >= 0) & (w >= 0) & (u + w <= 1)
    t, ci, cj, u, w = t[hit], ci[hit], cj[hit], u[hit], w[hit]
    zc = a[t, 2] + u * (b[t, 2] - a[t, 2]) + w * (c[t, 2] - a[t, 2])  # crossing height
    # Each crossing toggles the state of every sample above it: mark the first one, then cumsum.
    k0 = np.searchsorted(axis, zc, side="right")
    toggles = np.zeros((resolution, resolution, resolution + 1), dtype=np.int32)
    np.add.at(toggles, (ci, cj, k0), 1)
    return (np.cumsum(toggles, axis=2)[:, :, :resolution] % 2).astype(bool)


def voxel_mesh(occupancy, bounds=(-1.0, 1.0)):
    """The exposed faces of the occupied voxels, as a triangle mesh (2 triangles per square).

    occupancy: bool (R, R, R) indexed like `voxelize_mesh`; voxel (i, j, k) is the
    cube of side h = (hi - lo) / (R - 1) centred on grid point (x_i, y_j, z_k).
    Returns (vertices (4·Q, 3) float32, faces (2·Q, 3) int64) for Q visible squares:
    ready for `helpers.show_meshes` / `plot_mesh`, which shade every face.
    """
    occ = np.asarray(occupancy)
    if occ.ndim != 3 or occ.dtype != bool:
        raise ValueError(f"occupancy must be a bool array (R, R, R), got {occ.dtype} {occ.shape}")
    lo, hi = (float(b) for b in bounds)
    h = (hi - lo) / (max(occ.shape) - 1)
    pad = np.pad(occ, 1)
    quads = []
    corner = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64) - 0.5  # square in its plane
    for axis in range(3):
        u, v = [a for a in range(3) if a != axis]
        for side in (-1, 1):
            neighbour = np.roll(pad, -side, axis=axis)[1:-1, 1:-1, 1:-1]
            idx = np.argwhere(occ & ~neighbour).astype(np.float64)  # (Q, 3) voxels showing this face
            if len(idx) == 0:
                continue
            q = np.repeat(idx[:, None, :], 4, axis=1)  # (Q, 4, 3)
            q[:, :, axis] += 0.5 * side
            q[:, :, u] += corner[:, 0]
            q[:, :, v] += corner[:, 1]
            quads.append(q)
    if not quads:
        raise ValueError("no occupied voxels: nothing to draw")
    q = np.concatenate(quads)
    verts = (lo + h * q.reshape(-1, 3)).astype(np.float32)
    base = 4 * np.arange(len(q))[:, None]
    faces = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]]).astype(np.int64)
    return verts, faces


def _as_samples(samples) -> torch.Tensor:
    x = as_float_tensor(samples, "samples", device="cpu")
    if x.ndim not in (2, 3) or min(x.shape[:2]) < 2:
        raise ValueError(f"expected an image (H, W) or (H, W, C) with H, W >= 2, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("samples contain NaN or inf; clean or mask them first")
    return x


def resample(samples, coords: torch.Tensor, method: str = "bicubic") -> torch.Tensor:
    """Classical interpolation of pixels `samples` (H, W) or (H, W, C) at any `coords` (..., 2).

    The samples sit where `helpers.flatten` puts them: pixel (i, j) of an H x W image at
    (-1 + 2i/(H-1), -1 + 2j/(W-1)), so the same coordinates query a network fitted on
    `flatten(samples)` and this baseline. Returns (...) for gray, (..., C) for colour.
    method: 'nearest' (the closest sample; exact midpoints go to the lower index),
    'bilinear', or 'bicubic' (torch's kernel, a = -0.75; may overshoot the data range).
    Outside [-1, 1] the border samples are repeated.
    """
    if method not in UPSAMPLING_METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(UPSAMPLING_METHODS)}")
    x = _as_samples(samples)
    if not torch.is_tensor(coords) or coords.ndim == 0 or coords.shape[-1] != 2:
        raise ValueError(f"coords must be a tensor shaped (..., 2), got {getattr(coords, 'shape', type(coords))}")
    c = coords.detach().float().cpu()
    gray = x.ndim == 2
    if method == "nearest":
        size = torch.tensor(x.shape[:2], dtype=torch.float32)
        pos = (c + 1) / 2 * (size - 1)                                     # fractional pixel index
        # a midpoint (up to float error, 1e-4 of a pixel) goes to the lower index, on every grid alike
        idx = torch.minimum(torch.maximum(torch.ceil(pos - 0.5 - 1e-4), torch.zeros(2)), size - 1).long()
        return x[idx[..., 0], idx[..., 1]]
    chw = (x[None] if gray else x.permute(2, 0, 1)).unsqueeze(0)               # (1, C, H, W)
    g = c.reshape(1, -1, 1, 2).flip(-1)                                        # grid_sample wants (x, y)
    out = F.grid_sample(chw, g, mode=method, padding_mode="border", align_corners=True)
    out = out[0, :, :, 0].T.reshape(*c.shape[:-1], chw.shape[1])               # (..., C)
    return out.squeeze(-1) if gray else out


def upsample(samples, factor: int, method: str = "bilinear") -> torch.Tensor:
    """Upsample an image sampled on a corner-aligned grid by an integer `factor`.

    samples: (H, W) or (H, W, C) array or tensor. Returns a float tensor of shape
    ((H - 1)·factor + 1, (W - 1)·factor + 1[, C]) whose every factor-th sample is
    exactly the input: `resample` on the grid of `helpers.grid((H, W))` refined `factor` times.
    """
    factor = check_int(factor, "factor", 1, hint=" (the integer refinement of the grid)")
    x = _as_samples(samples)
    fine = grid(((x.shape[0] - 1) * factor + 1, (x.shape[1] - 1) * factor + 1))
    return resample(x, fine, method)


def voxel_bytes(resolution: int, bits_per_voxel: int = 32) -> int:
    """Bytes of a dense resolution³ grid with `bits_per_voxel` (32: float32 field, 1: packed occupancy)."""
    if resolution < 1 or bits_per_voxel < 1:
        raise ValueError(f"resolution and bits_per_voxel must be positive, got {resolution}, {bits_per_voxel}")
    return -(-int(resolution) ** 3 * int(bits_per_voxel) // 8)  # ceil division


def parameter_bytes(model: torch.nn.Module, bits_per_parameter: int = 32) -> int:
    """Bytes of a network's trainable parameters (float32 by default)."""
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return -(-n * int(bits_per_parameter) // 8)


def downsample(image, factor: int, sigma: float | None = None) -> torch.Tensor:
    """Every `factor`-th sample of an image (H, W) or (H, W, C), after an optional Gaussian low-pass.

    `sigma` (in fine samples; default factor / 2) blurs first, as a camera's
    optics and pixel area would, so the coarse samples do not alias. Returns a
    float tensor ((H - 1) // factor + 1, (W - 1) // factor + 1[, C]) lying exactly on
    the fine grid's points 0, factor, 2·factor, ... (`upsample` maps it back).
    """
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor}")
    factor = int(factor)
    x = image.detach().float() if torch.is_tensor(image) else torch.as_tensor(np.asarray(image), dtype=torch.float32)
    if x.ndim not in (2, 3) or min(x.shape[:2]) < 2:
        raise ValueError(f"expected an image (H, W) or (H, W, C) with H, W >= 2, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("image contains NaN or inf")
    h, w = x.shape[:2]
    if (h - 1) % factor or (w - 1) % factor:
        raise ValueError(f"a ({h}, {w}) grid has no coarse grid at factor {factor}: "
                         f"sizes must be k·{factor} + 1 (e.g. {factor * ((h - 1) // factor) + 1})")
    sigma = factor / 2 if sigma is None else float(sigma)
    if sigma > 0:
        r = int(np.ceil(3 * sigma))
        k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=torch.float32) / sigma) ** 2)
        k = k / k.sum()
        img = (x[None, None] if x.ndim == 2 else x.permute(2, 0, 1)[:, None])  # (C, 1, H, W)
        img = F.conv2d(F.pad(img, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
        img = F.conv2d(F.pad(img, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1))
        x = img[0, 0] if x.ndim == 2 else img[:, 0].permute(1, 2, 0)
    return x[::factor, ::factor].contiguous()


def show_square_cases(size: float = 1.3):
    """Draw the 16 cases of marching squares (2 rows of 8 cells): corners inside (filled) or outside (open),
    and the segments of `helpers.surfaces.SQUARE_CASES` between the midpoints of the crossed edges.
    For the two saddles the other choice (the inside corners joined) is dashed. Shows the figure, returns None.
    """
    import matplotlib.pyplot as plt

    from .surfaces import _SADDLE_JOINED, SQUARE_CASES, SQUARE_CORNERS, SQUARE_EDGES

    corner = np.array(SQUARE_CORNERS, dtype=float)[:, ::-1]          # (column, row) = (x, y) on the page
    mid = np.array([(corner[a] + corner[b]) / 2 for a, b in SQUARE_EDGES])
    fig, axes = plt.subplots(2, 8, figsize=(8 * size, 2 * size + 0.6))
    for case, ax in enumerate(axes.flat):
        inside = np.array([case >> k & 1 for k in range(4)], dtype=bool)
        ax.plot(*np.vstack([corner, corner[:1]]).T, color="0.75", lw=1)
        ax.scatter(*corner[inside].T, s=45, color="k", zorder=3)
        ax.scatter(*corner[~inside].T, s=45, facecolor="white", edgecolor="k", zorder=3)
        for e0, e1 in SQUARE_CASES[case]:
            ax.plot(*mid[[e0, e1]].T, color="C3", lw=2.2)
        for e0, e1 in _SADDLE_JOINED.get(case, ()):
            ax.plot(*mid[[e0, e1]].T, color="C3", lw=1.2, ls="--")
        ax.set_title(f"case {case}", fontsize=10)
        ax.set_xlim(-0.25, 1.25), ax.set_ylim(-0.25, 1.25)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle("marching squares: 16 inside (●) / outside (○) patterns and their segments "
                 "(dashed: the saddle's other choice)", fontsize=11)
    fig.tight_layout()
    plt.show()
