"""Multiresolution IsoSurface Extraction (MISE, Occupancy Networks Sec. 3.3) and padded marching cubes.

MISE evaluates the network on a coarse grid, then repeatedly subdivides only
the cells whose corners straddle the threshold (plus, optionally, their
neighbours), so a 128³ mesh costs a fraction of the 129³ dense evaluations.
Grid points that are never evaluated lie in cells entirely on one side of the
threshold; they get trilinearly upsampled values, which keep that side, so
marching cubes on the filled grid gives the dense grid's mesh wherever the
coarse grid saw the surface.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .surfaces import evaluate_grid, grid_to_mesh


@dataclass
class MiseResult:
    values: np.ndarray      # (N+1)³ field on the finest grid (evaluated or upsampled)
    evaluated: np.ndarray   # (N+1)³ bool: where the network was actually called
    resolution: int         # N cells per axis
    bounds: tuple
    per_level: list         # network evaluations at each level

    @property
    def n_evaluations(self) -> int:
        return int(self.evaluated.sum())

    @property
    def n_dense(self) -> int:
        return (self.resolution + 1) ** 3

    @property
    def fraction(self) -> float:
        """Network evaluations relative to the dense (N+1)³ grid."""
        return self.n_evaluations / self.n_dense


def _active_cells(v: torch.Tensor, level: float, dilate: int) -> torch.Tensor:
    """Cells (n³) of a (n+1)³ grid whose 8 corners are not all on one side of `level`."""
    inside = (v >= level).float()[None, None]
    any_in = F.max_pool3d(inside, 2, stride=1)
    all_in = -F.max_pool3d(-inside, 2, stride=1)
    active = (any_in > all_in).float()
    if dilate:
        active = F.max_pool3d(active, 2 * dilate + 1, stride=1, padding=dilate)
    return active[0, 0] > 0


def _cells(name: str, n) -> int:
    """A positive whole number of grid cells, or one sentence saying what was wrong."""
    whole = isinstance(n, (int, np.integer)) or (isinstance(n, float) and n.is_integer())
    if isinstance(n, bool) or not whole or n < 1:
        raise ValueError(f"{name} must be a positive whole number of grid cells per axis, got {n!r}; "
                         "e.g. mise(fn, resolution=128, initial=32, dilate=1)")
    return int(n)


@torch.no_grad()
def mise(fn, resolution: int = 128, initial: int = 32, level: float = 0.0, bounds=(-1.0, 1.0),
         dilate: int = 1, device=None, chunk_size: int = 65536) -> MiseResult:
    """Evaluate fn: (N, 3) -> (N,) at level set resolution `resolution` with MISE.

    Grid points are x_i = lo + i·(hi - lo)/resolution, i = 0 … resolution, the
    same points as `helpers.evaluate_grid(fn, resolution + 1, bounds)`.
    `resolution` must be `initial`·2^L. `dilate` also refines the neighbours of
    straddling cells, which catches surfaces that cross a coarse cell's face
    between its corners.
    """
    resolution, initial = _cells("resolution", resolution), _cells("initial", initial)
    if isinstance(dilate, bool) or not isinstance(dilate, (int, np.integer)) or dilate < 0:
        raise ValueError(f"dilate must be a whole number of cells >= 0 (0: refine only the cells that straddle "
                         f"the level, 1: also their neighbours), got {dilate!r}")
    levels = 0
    while initial * 2 ** levels < resolution:
        levels += 1
    if initial * 2 ** levels != resolution:
        raise ValueError(f"resolution {resolution} must be initial ({initial}) times a power of 2; "
                         "e.g. resolution=128 with initial=32")
    lo, hi = bounds
    n_fine = resolution + 1
    evaluated = torch.zeros((n_fine,) * 3, dtype=torch.bool)
    stride = 2 ** levels

    def world(idx):  # fine-grid integer indices (M, 3) -> coordinates
        return lo + (hi - lo) * idx.to(torch.float32) / resolution

    def run(idx):
        out = [fn(world(c).to(device)).reshape(-1).float().cpu() for c in idx.split(chunk_size)]
        return torch.cat(out) if out else torch.zeros(0)

    # level 0: the full coarse grid
    n = initial + 1
    ax = torch.arange(n) * stride
    idx = torch.stack(torch.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)
    v = run(idx).reshape(n, n, n)
    evaluated[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    per_level = [idx.shape[0]]
    for _ in range(levels):
        active = _active_cells(v, level, dilate)                       # (n-1)³ coarse cells
        stride //= 2
        n_new = 2 * (n - 1) + 1
        # upsample (trilinear, exact at the shared points), then overwrite with real evaluations
        v = F.interpolate(v[None, None], size=(n_new,) * 3, mode="trilinear", align_corners=True)[0, 0]
        cells = torch.nonzero(active)                                  # (M, 3) coarse cell indices
        off = torch.stack(torch.meshgrid(*(torch.arange(3),) * 3, indexing="ij"), -1).reshape(-1, 3)
        mark = torch.zeros((n_new,) * 3, dtype=torch.bool)             # points of active cells, new level
        for o in off:  # 27 offsets; a dense mark array is far faster than unique() on rows
            p = 2 * cells + o
            mark[p[:, 0], p[:, 1], p[:, 2]] = True
        pts = torch.nonzero(mark)                                      # indices on the new level's grid
        fine = pts * stride                                            # indices on the finest grid
        todo = ~evaluated[fine[:, 0], fine[:, 1], fine[:, 2]]
        pts, fine = pts[todo], fine[todo]
        vals = run(fine)
        evaluated[fine[:, 0], fine[:, 1], fine[:, 2]] = True
        # points evaluated at coarser levels keep their exact values through the upsampling
        v[pts[:, 0], pts[:, 1], pts[:, 2]] = vals
        per_level.append(int(fine.shape[0]))
        n = n_new
    return MiseResult(v.numpy(), evaluated.numpy(), resolution, (lo, hi), per_level)


def dense(fn, resolution: int = 128, bounds=(-1.0, 1.0), device=None) -> np.ndarray:
    """The dense (resolution+1)³ grid on the same points as `mise`."""
    return evaluate_grid(lambda p: fn(p).reshape(-1), resolution + 1, bounds, device=device)


def padded_mesh(values: np.ndarray, level: float = 0.0, bounds=(-1.0, 1.0), pad_value: float = -1e6):
    """Marching cubes on a grid padded by one cell of `pad_value` (outside), so open borders close.

    ONet pads its logit grid this way; the padded grid spans one cell more on
    each side, and `grid_to_mesh` maps vertices back to world coordinates.
    """
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 3 or min(values.shape) < 2:
        raise ValueError(f"padded_mesh needs a 3D grid, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("the grid contains NaN or inf values")
    if values.min() >= level:
        raise ValueError(f"the field is at or above the level {level:.3g} everywhere in the box (minimum "
                         f"{values.min():.3g}), so every grid point is inside and there is no surface: the padding "
                         "would return the box itself. Check the level (a logit, not a probability?) and the network")
    lo, hi = bounds
    h = (hi - lo) / (values.shape[0] - 1)
    padded = np.pad(values, 1, mode="constant", constant_values=min(pad_value, level - 1.0))
    return grid_to_mesh(padded, level, (lo - h, hi + h))


def extract(fn, resolution: int = 128, initial: int = 32, level: float = 0.0, bounds=(-1.0, 1.0), device=None):
    """(vertices, faces, MiseResult): MISE then padded marching cubes."""
    r = mise(fn, resolution, initial, level, bounds, device=device)
    v, f = padded_mesh(r.values, level, bounds)
    return v, f, r
