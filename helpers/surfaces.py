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
    if volume.ndim != 3 or min(volume.shape) < 2:
        raise ValueError(f"marching cubes needs a 3D grid with at least 2 samples per axis, got shape {volume.shape}")
    bad = ~np.isfinite(volume)
    if bad.any():
        i, j, k = np.argwhere(bad)[0]
        raise ValueError(f"the field is NaN or inf at {int(bad.sum()):,} of {volume.size:,} grid points "
                         f"(first at index [{i}, {j}, {k}]); marching cubes would put NaN vertices there: "
                         "fix the function (a division by zero, a log of a negative, a diverged network?) "
                         "or replace those values")
    vmin, vmax = float(volume.min()), float(volume.max())
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


# ------------------------------------------------------------------ marching squares (2D marching cubes)
#: Corners of a cell in index space (row offset, column offset), counter-clockwise from (i, j).
SQUARE_CORNERS = ((0, 0), (0, 1), (1, 1), (1, 0))
#: Edge e joins corner e and corner (e + 1) % 4: 0 = (i, j)-(i, j+1), 1 = right, 2 = far side, 3 = left.
SQUARE_EDGES = tuple((e, (e + 1) % 4) for e in range(4))
#: The 16 cases of marching squares. Case c has bit k set when corner k is inside (value >= level); its entry
#: lists the segments as pairs of crossed edges. Cases 5 and 10 (two diagonal corners inside, a saddle) are
#: ambiguous: this table separates the two inside corners; `marching_squares` joins them instead when the cell's
#: mean value is inside too (rows 16 and 17 of `_SEGMENTS`).
SQUARE_CASES = (
    (), ((3, 0),), ((0, 1),), ((3, 1),), ((1, 2),), ((3, 0), (1, 2)), ((0, 2),), ((3, 2),),
    ((2, 3),), ((0, 2),), ((0, 1), (2, 3)), ((1, 2),), ((1, 3),), ((0, 1),), ((0, 3),), (),
)
_SADDLE_JOINED = {5: ((0, 1), (2, 3)), 10: ((3, 0), (1, 2))}   # saddle whose centre is inside: corners joined
_SEGMENTS = np.full((18, 2, 2), -1, dtype=np.int64)             # padded table: case -> 2 slots of (edge, edge)
for _c, _segs in enumerate(SQUARE_CASES + (_SADDLE_JOINED[5], _SADDLE_JOINED[10])):
    for _s, _pair in enumerate(_segs):
        _SEGMENTS[_c, _s] = _pair


def marching_squares(values, level: float = 0.0, bounds=(-1.0, 1.0)):
    """Line segments of the level set {values = level} of a 2D grid: marching cubes one dimension down.

    values: (H, W) samples of a scalar field, index [i, j] <-> (x_i, y_j) with x_i = lo + i·(hi - lo)/(H - 1)
    (the points of `helpers.grid` / `evaluate_grid`). For each of the (H-1)(W-1) cells: which of its 4
    corners are inside (value >= level) gives one of 16 cases (`SQUARE_CASES`), which says which edges the
    level set crosses; on each crossed edge between corners a and b the vertex sits where the linear
    interpolation of the two values meets the level, t = (level - v_a) / (v_b - v_a).
    Returns segments (S, 2, 2) in world coordinates: segment s runs from segments[s, 0] to segments[s, 1].
    All cells at once (numpy), no Python loop over cells.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or min(v.shape) < 2:
        raise ValueError(f"marching squares needs a 2D grid with at least 2x2 samples, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError(f"the grid holds {int((~np.isfinite(v)).sum())} NaN or inf value(s); "
                         "the level set is undefined there: fix or mask the field first")
    lo, hi = (float(b) for b in bounds)
    corners = np.stack([v[di:v.shape[0] - 1 + di, dj:v.shape[1] - 1 + dj] for di, dj in SQUARE_CORNERS], -1)
    inside = corners >= level                                            # (H-1, W-1, 4)
    case = (inside * (1 << np.arange(4))).sum(-1)                        # 0..15 per cell
    joined = ((case == 5) | (case == 10)) & (corners.mean(-1) >= level)  # saddle, centre inside
    case = np.where(joined & (case == 5), 16, np.where(joined & (case == 10), 17, case))
    # the crossing point on each of the 4 edges of every cell (only used where the edge is crossed)
    a, b = np.array(SQUARE_EDGES).T
    va, vb = corners[..., a], corners[..., b]                            # (H-1, W-1, 4)
    t = (level - va) / np.where(va == vb, 1.0, vb - va)
    off = np.asarray(SQUARE_CORNERS, dtype=np.float64)
    cell = np.stack(np.meshgrid(np.arange(v.shape[0] - 1), np.arange(v.shape[1] - 1), indexing="ij"), -1)
    pts = cell[..., None, :] + off[a] + t[..., None] * (off[b] - off[a])  # (H-1, W-1, 4 edges, 2) in index units
    h = (hi - lo) / (np.array(v.shape) - 1)
    segs = []
    for slot in range(2):
        e = _SEGMENTS[case, slot]                                        # (H-1, W-1, 2) edge pair or -1
        m = e[..., 0] >= 0
        p = np.take_along_axis(pts[m], e[m][..., None], axis=1)          # (S, 2 ends, 2)
        segs.append(p)
    seg = np.concatenate(segs) if segs else np.zeros((0, 2, 2))
    return (lo + seg * h).astype(np.float32)


def count_handles(vertices: np.ndarray, faces: np.ndarray) -> int:
    """The number of handles (holes through the solid) of a closed triangle mesh: its total genus.

    For each connected piece the Euler characteristic χ = V − E + F is 2 − 2g, so over C pieces the handles are
    g = (2C − χ) / 2: 0 for a sphere or a box, 1 for a torus or a mug, 2 for two tori. Needs a closed manifold
    mesh (every edge in exactly two triangles, and the triangles around each vertex forming one fan, not two
    sheets touching at a point), as marching cubes on a padded grid gives; raises ValueError otherwise.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    f = np.asarray(faces, dtype=np.int64)
    if f.ndim != 2 or f.shape[1] != 3 or len(f) == 0:
        raise ValueError(f"faces must be a non-empty (F, 3) array of vertex indices, got shape {f.shape}")
    k, n_f = np.repeat(np.arange(3), len(f)), len(f)
    j = np.tile(np.arange(n_f), 3)
    a, b = f[j, k], f[j, (k + 1) % 3]                                 # side k of triangle j runs from a to b
    edges = np.sort(np.stack([a, b], axis=1), axis=1)
    unique, inverse, count = np.unique(edges, axis=0, return_inverse=True, return_counts=True)
    if not (count == 2).all():
        raise ValueError(f"count_handles needs a closed mesh: {int((count != 2).sum())} edges are not shared by "
                         "exactly two triangles; extract the mesh from a padded grid (mise.padded_mesh) or close "
                         "it first")
    # Two sheets touching at one vertex (a pinch) leave every edge in two triangles but change χ (two spheres
    # touching at a point would give -1 handles). Join the corners (triangle, vertex) of the two triangles on each
    # edge at both its ends: on a manifold the corners around each vertex form exactly one group.
    corner_a, corner_b = 3 * j + k, 3 * j + (k + 1) % 3
    h1, h2 = np.argsort(inverse.ravel(), kind="stable").reshape(-1, 2).T  # the two sides on each edge
    same = a[h1] == a[h2]                                               # do they run the same way?
    u = np.concatenate([corner_a[h1], corner_b[h1]])
    w = np.concatenate([np.where(same, corner_a[h2], corner_b[h2]), np.where(same, corner_b[h2], corner_a[h2])])
    groups = connected_components(coo_matrix((np.ones(len(u)), (u, w)), shape=(3 * n_f, 3 * n_f)), directed=False)[0]
    used = np.unique(f)
    if groups != len(used):
        raise ValueError(f"count_handles needs a manifold mesh: at {groups - len(used)} vertex(es) separate sheets "
                         "of surface touch, so V - E + F does not give the genus")
    n = int(used.max()) + 1
    graph = coo_matrix((np.ones(len(unique)), (unique[:, 0], unique[:, 1])), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    pieces = len(np.unique(labels[used]))
    chi = len(used) - len(unique) + len(f)
    return (2 * pieces - chi) // 2
