"""Procedural 3D shapes with exact occupancy: the Occupancy Network's training data.

A shape is 1-4 primitives (sphere, rotated box, capped cylinder, torus) folded
left to right by union (min of SDFs) or difference (max(f, -g)), then scaled
and centred so its bounding box spans [-0.9, 0.9] along its longest side (the
same frame as the course's Stanford Bunny; the query box [-1, 1]³ leaves a
padding of 0.1). Union and difference keep the *sign* of the SDF exact, so the
occupancy o(p) = [sdf(p) < 0] is exact at any point; the value away from the
surface is only a bound on the distance, which occupancy never needs.

Everything is deterministic: shape i of `make_shapes(n, seed)` depends only on
(seed, i), so the held-out test set is simply another seed.

    train = shapes.make_shapes(1024, seed=0)        # a ShapeSet
    test = shapes.make_shapes(32, seed=1)           # held out: other seeds
    occ = train.occupancy(points, idx)              # exact, (B, K) bool
    x = train.observe(idx, n=300, noise=0.005)      # noisy surface point clouds (B, 300, 3)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .checks import check_finite, check_last_dim

PRIMITIVES = ("sphere", "box", "cylinder", "torus")
UNION, DIFFERENCE, INACTIVE = 1, 2, 0
MAX_PRIMITIVES = 4
EXTENT = 0.9          # shapes span [-EXTENT, EXTENT] along their longest side
BOX = (-1.0, 1.0)     # query box: [-1, 1]³, i.e. padding 0.1 around the shapes


# ------------------------------------------------------------------ primitive SDFs (local frame)
def sdf_sphere(q: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """|q| - r."""
    return q.norm(dim=-1) - r


def sdf_box(q: torch.Tensor, half: torch.Tensor) -> torch.Tensor:
    """Exact SDF of an axis-aligned box with half sizes `half` (..., 3)."""
    d = q.abs() - half
    return d.clamp(min=0).norm(dim=-1) + d.max(dim=-1).values.clamp(max=0)


def sdf_cylinder(q: torch.Tensor, r: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Exact SDF of a capped cylinder of radius r and half height h along z."""
    d = torch.stack([q[..., :2].norm(dim=-1) - r, q[..., 2].abs() - h], dim=-1)
    return d.clamp(min=0).norm(dim=-1) + d.max(dim=-1).values.clamp(max=0)


def sdf_torus(q: torch.Tensor, big_r: torch.Tensor, small_r: torch.Tensor) -> torch.Tensor:
    """Exact SDF of a torus around z: ring radius R, tube radius r."""
    return torch.stack([q[..., :2].norm(dim=-1) - big_r, q[..., 2]], dim=-1).norm(dim=-1) - small_r


def primitive_sdf(q: torch.Tensor, kind: torch.Tensor, dims: torch.Tensor) -> torch.Tensor:
    """SDF of primitives of any kind in their local frame.

    q (..., 3) local coordinates, kind (...) index into PRIMITIVES, dims (..., 3):
    sphere (r, -, -), box (half sizes), cylinder (r, h, -), torus (R, r, -).
    """
    out = sdf_sphere(q, dims[..., 0])
    out = torch.where(kind == 1, sdf_box(q, dims), out)
    out = torch.where(kind == 2, sdf_cylinder(q, dims[..., 0], dims[..., 1]), out)
    return torch.where(kind == 3, sdf_torus(q, dims[..., 0], dims[..., 1]), out)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _random_primitive(rng: np.random.Generator, first: bool):
    kind = int(rng.integers(len(PRIMITIVES)))
    if kind == 0:
        dims = [rng.uniform(0.2, 0.45), 0, 0]
    elif kind == 1:
        dims = list(rng.uniform(0.08, 0.4, size=3))
    elif kind == 2:
        dims = [rng.uniform(0.1, 0.3), rng.uniform(0.15, 0.45), 0]
    else:
        dims = [rng.uniform(0.22, 0.38), rng.uniform(0.06, 0.13), 0]
    center = rng.normal(0, 0.03, size=3) if first else rng.uniform(-0.4, 0.4, size=3)
    return kind, np.asarray(dims, float), center, _random_rotation(rng)


@dataclass
class ShapeSet:
    """A batch of procedural shapes, all parameters as tensors on one device.

    kind (N, P) primitive index, op (N, P) 1 union / 2 difference / 0 unused,
    center (N, P, 3), rot (N, P, 3, 3) local-to-world rotations, dims (N, P, 3);
    surface (N, S, 3) exact surface samples (area-uniform up to the mesh they
    were drawn from), normals (N, S, 3) their unit outward normals.
    """

    kind: torch.Tensor
    op: torch.Tensor
    center: torch.Tensor
    rot: torch.Tensor
    dims: torch.Tensor
    surface: torch.Tensor
    normals: torch.Tensor
    seed: int = 0

    def __len__(self) -> int:
        return self.kind.shape[0]

    @property
    def device(self):
        return self.kind.device

    def to(self, device) -> "ShapeSet":
        f = {k: (getattr(self, k).to(device) if torch.is_tensor(getattr(self, k)) else getattr(self, k))
             for k in self.__dataclass_fields__}
        return ShapeSet(**f)

    def subset(self, idx) -> "ShapeSet":
        idx = torch.as_tensor(idx, device=self.device).reshape(-1)
        return ShapeSet(self.kind[idx], self.op[idx], self.center[idx], self.rot[idx], self.dims[idx],
                        self.surface[idx], self.normals[idx], self.seed)

    def describe(self, i: int) -> str:
        parts = []
        for k, o in zip(self.kind[i].tolist(), self.op[i].tolist()):
            if o != INACTIVE:
                parts.append(("" if not parts else (" ∪ " if o == UNION else " − ")) + PRIMITIVES[k])
        return "".join(parts)

    # ------------------------------------------------------------ fields
    def sdf(self, points: torch.Tensor, idx=None) -> torch.Tensor:
        """Signed distance bound (negative inside) of shapes `idx` at points.

        points (B, K, 3) with idx of length B (default: all shapes), or (K, 3)
        with a single shape index. The sign is exact; returns (B, K) or (K,).
        """
        check_last_dim(points, 3, "points")
        single = points.ndim == 2
        if idx is None:
            idx = torch.arange(len(self), device=self.device)
        idx = torch.as_tensor(idx, device=self.device).reshape(-1)
        p = points[None] if single else points
        if p.shape[0] != idx.numel():
            raise ValueError(f"points has {p.shape[0]} shapes' rows but {idx.numel()} shape indices were given")
        p = p.to(self.center.dtype)
        kind, op, c, rot, dims = (t[idx] for t in (self.kind, self.op, self.center, self.rot, self.dims))
        # local coordinates q = Rᵀ (p - c): (B, P, K, 3)
        q = ((p[:, None] - c[:, :, None])[..., :, None] * rot[:, :, None]).sum(-2)
        d = primitive_sdf(q, kind[:, :, None], dims[:, :, None])  # (B, P, K)
        f = d[:, 0]
        for j in range(1, kind.shape[1]):
            o = op[:, j, None]
            f = torch.where(o == UNION, torch.minimum(f, d[:, j]),
                            torch.where(o == DIFFERENCE, torch.maximum(f, -d[:, j]), f))
        return f[0] if single else f

    def occupancy(self, points: torch.Tensor, idx=None) -> torch.Tensor:
        """Exact occupancy o(p) = [sdf(p) < 0] (bool), same shapes as `sdf`."""
        return self.sdf(points, idx) < 0

    # ------------------------------------------------------------ samples
    def observe(self, idx=None, n: int = 300, noise: float = 0.005, generator=None) -> torch.Tensor:
        """The observation x: n surface points per shape plus N(0, noise²) noise, (B, n, 3)."""
        if idx is None:
            idx = torch.arange(len(self), device=self.device)
        idx = torch.as_tensor(idx, device=self.device).reshape(-1)
        bank = self.surface[idx]
        if n > bank.shape[1]:
            raise ValueError(f"asked for {n} points but each shape stores {bank.shape[1]} surface samples")
        pick = torch.rand(bank.shape[:2], device=self.device, generator=generator).argsort(dim=1)[:, :n]
        pts = torch.gather(bank, 1, pick[..., None].expand(-1, -1, 3))
        return pts + noise * torch.randn(pts.shape, device=self.device, generator=generator)

    def query(self, idx=None, k: int = 512, near_fraction: float = 0.0, near_sigma: float = 0.05,
              generator=None):
        """K query points per shape and their exact occupancy: ((B, K, 3), (B, K) float).

        A fraction `near_fraction` of them are surface samples plus N(0, near_sigma²)
        noise; the rest are uniform in the padded box [-1, 1]³.
        """
        if idx is None:
            idx = torch.arange(len(self), device=self.device)
        idx = torch.as_tensor(idx, device=self.device).reshape(-1)
        b = idx.numel()
        n_near = int(round(k * near_fraction))
        lo, hi = BOX
        pts = lo + (hi - lo) * torch.rand(b, k - n_near, 3, device=self.device, generator=generator)
        if n_near:
            near = self.observe(idx, n_near, near_sigma, generator)
            pts = torch.cat([pts, near.clamp(lo, hi)], dim=1)
        return pts, self.occupancy(pts, idx).float()

    def handles(self, i: int, resolution: int = 64):
        """Holes through shape i (its genus) as a mesh on a resolution³ grid shows them; None if the grid decides.

        Where two parts barely touch or a wall is thinner than a cell, moving the grid by part of a cell opens or
        closes a handle; so the exact shape is meshed on the grid shifted by 0, 1/4 and 1/2 cell (padded, closed)
        and the count is returned only if all three agree.
        """
        from .mise import padded_mesh
        from .surfaces import count_handles, evaluate_grid

        h = 2 / (resolution - 1)                                          # the grid's cell size
        counts = {count_handles(*padded_mesh(-evaluate_grid(lambda p: self.sdf(p, [i]), resolution,
                                                            bounds=(s * h - 1, s * h + 1), device=self.device), 0.0))
                  for s in (0, 0.25, 0.5)}
        return counts.pop() if len(counts) == 1 else None

    def mesh(self, i: int, resolution: int = 128):
        """Ground-truth mesh of shape i: marching cubes of its exact SDF on a resolution³ grid over the box."""
        from .surfaces import extract_mesh

        return extract_mesh(lambda p: self.sdf(p, [i]), resolution, 0.0, BOX, device=self.device)


# ------------------------------------------------------------------ construction
def _stack_params(prims):
    kind = torch.zeros(MAX_PRIMITIVES, dtype=torch.long)
    op = torch.zeros(MAX_PRIMITIVES, dtype=torch.long)
    center = torch.zeros(MAX_PRIMITIVES, 3, dtype=torch.float64)
    rot = torch.eye(3, dtype=torch.float64).repeat(MAX_PRIMITIVES, 1, 1)
    dims = torch.full((MAX_PRIMITIVES, 3), 0.1, dtype=torch.float64)
    for j, (k, o, d, c, r) in enumerate(prims):
        kind[j], op[j] = k, o
        dims[j], center[j], rot[j] = torch.as_tensor(d), torch.as_tensor(c), torch.as_tensor(r)
    return kind, op, center, rot, dims


def _single(kind, op, center, rot, dims, surface=None, normals=None):
    s = torch.zeros(1, 1, 3, dtype=torch.float64) if surface is None else surface
    return ShapeSet(kind[None], op[None], center[None], rot[None], dims[None], s,
                    s if normals is None else normals)


def project_to_surface(shape: ShapeSet, i: int, points: torch.Tensor, iters: int = 6):
    """Newton steps p ← p - f(p) ∇f / |∇f|² onto the zero set of shape i; returns (points, unit normals, |f|)."""
    p = points.detach().clone()
    for _ in range(iters):
        p.requires_grad_(True)
        f = shape.sdf(p, [i])
        (g,) = torch.autograd.grad(f.sum(), p)
        p = (p - (f / g.pow(2).sum(-1).clamp(min=1e-12))[:, None] * g).detach()
    p.requires_grad_(True)
    f = shape.sdf(p, [i])
    (g,) = torch.autograd.grad(f.sum(), p)
    return p.detach(), torch.nn.functional.normalize(g, dim=-1).detach(), f.detach().abs()


def _build_one(seed: int, index: int, n_surface: int, resolution: int):
    """Shape `index` of family `seed`: draw primitives, normalize, sample exact surface points."""
    from .surfaces import extract_mesh, sample_surface

    rng = np.random.default_rng([int(seed), int(index)])
    for _attempt in range(50):
        n_prim = int(rng.integers(1, MAX_PRIMITIVES + 1))
        prims = []
        for j in range(n_prim):
            k, d, c, r = _random_primitive(rng, first=(j == 0))
            o = DIFFERENCE if (j > 0 and rng.random() < 0.25) else UNION
            prims.append((k, o, d, c, r))
        kind, op, center, rot, dims = _stack_params(prims)
        raw = _single(kind, op, center, rot, dims)
        lim = 1.6
        try:
            v, f = extract_mesh(lambda p, raw=raw: raw.sdf(p.double(), [0]).float(), resolution, 0.0, (-lim, lim))
        except ValueError:  # nothing left (a difference removed it all)
            continue
        lo, hi = v.min(0).astype(np.float64), v.max(0).astype(np.float64)
        if (hi - lo).max() < 0.2 or lo.min() < -lim + 0.05 or hi.max() > lim - 0.05:
            continue
        # normalize: centre the bounding box, longest side -> [-EXTENT, EXTENT]
        t = (lo + hi) / 2
        s = 2 * EXTENT / (hi - lo).max()
        center = (center - torch.as_tensor(t)) * s
        dims = dims * s
        shape = _single(kind, op, center, rot, dims)
        v = (v - t) * s
        pts, _ = sample_surface(v, f, n_surface + n_surface // 4 + 16, seed=int(rng.integers(2 ** 31)))
        p, nrm, err = project_to_surface(shape, 0, torch.as_tensor(pts, dtype=torch.float64))
        good = err < 1e-5
        if good.sum() < n_surface:
            continue
        keep = torch.nonzero(good).squeeze(1)[:n_surface]
        # a thin sliver or disconnected dust is a poor shape: require a reasonable volume
        vol = shape.occupancy(torch.as_tensor(rng.uniform(-1, 1, (4096, 3))), [0]).double().mean().item()
        if vol < 0.01:
            continue
        return kind, op, center, rot, dims, p[keep], nrm[keep]
    raise RuntimeError(f"could not build shape {index} of seed {seed} in 50 attempts")


def make_shapes(n: int, seed: int = 0, n_surface: int = 1024, device=None, resolution: int = 32,
                start: int = 0) -> ShapeSet:
    """Shapes start … start+n-1 of family `seed` (deterministic), with n_surface exact surface points each.

    Costs ~0.1 s per shape on one CPU core (a coarse marching cubes per shape to
    normalize it and seed the surface samples, then Newton projection).
    Use different seeds for training and held-out test shapes.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if n_surface < 1:
        raise ValueError(f"n_surface must be at least 1, got {n_surface}")
    parts = [_build_one(seed, i, n_surface, resolution) for i in range(start, start + n)]
    cols = [torch.stack([p[c] for p in parts]) for c in range(7)]
    kind, op, center, rot, dims, surface, normals = cols
    f32 = lambda t: t.float().to(device)  # noqa: E731
    return ShapeSet(kind.to(device), op.to(device), f32(center), f32(rot), f32(dims), f32(surface),
                    f32(normals), seed)


def concat(*sets: ShapeSet) -> ShapeSet:
    """Concatenate ShapeSets (same device)."""
    keys = ("kind", "op", "center", "rot", "dims", "surface", "normals")
    return ShapeSet(*[torch.cat([getattr(s, k) for s in sets]) for k in keys], seed=sets[0].seed)


def check_points(points, name: str = "points") -> torch.Tensor:
    """A (..., 3) finite float tensor, or a clear error."""
    t = torch.as_tensor(points) if not torch.is_tensor(points) else points
    check_last_dim(t, 3, name)
    check_finite(t, name)
    return t.float()


__all__ = ["PRIMITIVES", "ShapeSet", "make_shapes", "concat", "project_to_surface", "primitive_sdf",
           "sdf_sphere", "sdf_box", "sdf_cylinder", "sdf_torus", "BOX", "EXTENT", "check_points"]
