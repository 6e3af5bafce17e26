"""Surfaces as level sets: evaluate a field on a 3D grid in bounded memory, mesh it, sample it.

The surface of an implicit shape is a level set of Φ (0 for an SDF, τ for an
occupancy probability); marching cubes turns a sampled grid into triangles.
"""
from __future__ import annotations

import numpy as np
import torch


@torch.no_grad()
def evaluate_grid(fn, resolution: int, bounds=(-1.0, 1.0), chunk_size: int = 262144, device=None) -> np.ndarray:
    """Sample fn: (N, 3) tensor -> (N,) or (N, 1) on a resolution³ grid over bounds³.

    Coordinates are generated slab by slab, so memory is O(chunk_size), not
    O(resolution³): a 256³ grid needs the 64 MB result array and little else.
    Returns a float32 array indexed [i, j, k] <-> (x_i, y_j, z_k).
    """
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    lo, hi = bounds
    axis = torch.linspace(lo, hi, resolution, device=device)
    yz = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1).reshape(-1, 2)  # (R², 2)
    out = np.empty((resolution,) * 3, dtype=np.float32)
    slabs = max(1, chunk_size // yz.shape[0])  # x-slices per chunk
    for i0 in range(0, resolution, slabs):
        xs = axis[i0:i0 + slabs]
        pts = torch.cat([xs.repeat_interleave(yz.shape[0])[:, None], yz.repeat(len(xs), 1)], dim=1)
        vals = fn(pts).reshape(len(xs), resolution, resolution)
        out[i0:i0 + len(xs)] = vals.float().cpu().numpy()
    return out


def grid_to_mesh(volume: np.ndarray, level: float = 0.0, bounds=(-1.0, 1.0)):
    """Marching cubes on a grid sampled over bounds³; vertices mapped back to world coordinates.

    Returns (vertices (V, 3) float32, faces (F, 3) int64). Index i maps to
    lo + i·(hi - lo)/(R - 1), matching `evaluate_grid`'s sample positions.
    """
    from skimage.measure import marching_cubes

    volume = np.asarray(volume, dtype=np.float32)
    if volume.ndim != 3:
        raise ValueError(f"marching cubes needs a 3D grid, got shape {volume.shape}")
    vmin, vmax = float(np.nanmin(volume)), float(np.nanmax(volume))
    if not (vmin < level < vmax):
        raise ValueError(f"level {level} is outside the grid's value range [{vmin:.3g}, {vmax:.3g}]: "
                         "the field has no surface there (untrained network, or wrong level?)")
    lo, hi = bounds
    spacing = tuple((hi - lo) / (n - 1) for n in volume.shape)
    verts, faces, _, _ = marching_cubes(volume, level=level, spacing=spacing)
    return (verts + lo).astype(np.float32), faces.astype(np.int64)


def extract_mesh(fn, resolution: int = 128, level: float = 0.0, bounds=(-1.0, 1.0), chunk_size: int = 262144,
                 device=None):
    """Mesh of the level set {x : fn(x) = level}: evaluate_grid then grid_to_mesh."""
    return grid_to_mesh(evaluate_grid(fn, resolution, bounds, chunk_size, device), level, bounds)


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit normals of each triangle (right-hand rule), shape (F, 3)."""
    v = np.asarray(vertices, dtype=np.float64)[faces]
    n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    return (n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def sample_surface(vertices: np.ndarray, faces: np.ndarray, n: int, seed: int = 0):
    """n points uniform by area on a triangle mesh, with their faces' unit normals."""
    rng = np.random.default_rng(seed)
    v = np.asarray(vertices, dtype=np.float64)[faces]
    area = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)
    if len(faces) == 0 or area.sum() <= 0:
        raise ValueError("cannot sample an empty mesh")
    f = rng.choice(len(faces), size=n, p=area / area.sum())
    r1, r2 = rng.random((2, n, 1))
    s = np.sqrt(r1)  # uniform barycentric coordinates
    pts = (1 - s) * v[f, 0] + s * (1 - r2) * v[f, 1] + s * r2 * v[f, 2]
    return pts.astype(np.float32), face_normals(vertices, faces)[f]
