"""Signed distance functions from oriented point clouds: the SIREN SDF loss, its sampler, 2D outlines.

The SIREN paper (Sitzmann et al. 2020, Sec. 4.2) fits Φ: R^d -> R to a signed
distance function (negative inside) using only points x on the surface Ω₀ with
their unit outward normals n(x), plus points of the whole domain Ω:

  L_sdf = ∫_Ω ‖|∇ₓΦ| − 1‖ + ∫_Ω₀ ‖Φ‖ + (1 − ⟨∇ₓΦ, n⟩) + ∫_{Ω∖Ω₀} ψ(Φ),   ψ(Φ) = exp(−α|Φ|).

The slide writes the normal term as 1 − ⟨∇ₓΦ, n⟩; like the authors' code, `sdf_terms` uses the
cosine 1 − cos∠(∇ₓΦ, n) by default (equal when |∇ₓΦ| = 1; `normal='dot'` gives the slide's form).

Batches (what `surface_sampler` returns and `sdf_loss` takes, the `H.fit` way):
  coords (N, d)      on-surface points first, then off-surface points uniform in bounds^d
  target (N, d + 1)  columns 0..d-1: the unit normal n (zeros off the surface),
                     column d: 1 for an on-surface point, 0 for an off-surface one.

Each integral is estimated by the mean over the points of its own domain
(Ω: all points, Ω₀: on-surface, Ω∖Ω₀: off-surface). The SIREN authors' code
averages the masked terms over the whole batch instead (zeros elsewhere); with
as many off- as on-surface points that halves their effective weights, which
changes nothing qualitative.

Evaluation: `eikonal_residual`, `residual_by_distance` (is Φ a distance, and how far from the
surface?), `offset_surfaces` (the level sets Φ = c against the true offsets d = c), `count_pieces`.

2D outlines (for a first picture): `text_outline` (a letter's contours),
`sample_outline` (boundary points + outward normals), `polygon_sdf` (the exact
signed distance, to compare with a fit).
"""
from __future__ import annotations

import numpy as np
import torch

from .checks import check_finite, check_nonempty
from .coords import sample_uniform
from .diffops import derivatives, value_and_derivatives

#: The loss weights of the SIREN authors' code (function `sdf` in their loss_functions.py), with α = 100 in ψ.
AUTHORS_WEIGHTS = {"eikonal": 5e1, "surface": 3e3, "normal": 1e2, "psi": 1e2}
AUTHORS_ALPHA = 100.0
TERMS = ("eikonal", "surface", "normal", "psi")
#: Plot titles of the terms in matplotlib mathtext (rendered, not shown as source); the normal term is the
#: cosine that `sdf_terms` uses by default, not the slide's inner product.
TERM_LABELS = {"eikonal": r"eikonal: $\int_{\Omega}\ \left|\,|\nabla\Phi| - 1\,\right|$",
               "surface": r"surface: $\int_{\Omega_0} |\Phi|$",
               "normal": r"normals: $\int_{\Omega_0} 1 - \cos\angle(\nabla\Phi, \mathbf{n})$",
               "psi": r"off-surface: $\int_{\Omega \setminus \Omega_0} \exp(-\alpha|\Phi|)$"}


# ----------------------------------------------------------------------------- input checks
def check_oriented_points(points, normals, tol: float = 1e-3):
    """Validate an oriented point cloud and return it as float32 tensors (N, d), (N, d).

    Raises ValueError for empty or non-finite input, mismatched shapes, or normals
    that are not unit length (within `tol`).
    """
    p = torch.as_tensor(np.asarray(points) if not torch.is_tensor(points) else points).float()
    n = torch.as_tensor(np.asarray(normals) if not torch.is_tensor(normals) else normals).float()
    for t, name in ((p, "points"), (n, "normals")):
        if t.ndim != 2 or t.shape[1] not in (2, 3):
            raise ValueError(f"{name} must be shaped (N, 2) or (N, 3), got {tuple(t.shape)}")
        check_nonempty(t, name)
        check_finite(t, name)
    if p.shape != n.shape:
        raise ValueError(f"points {tuple(p.shape)} and normals {tuple(n.shape)} must have the same shape: "
                         "one unit normal per point")
    err = (n.norm(dim=1) - 1).abs().max().item()
    if err > tol:
        raise ValueError(f"normals must have unit length (largest | |n| - 1 | is {err:.3g}); "
                         "normalize them, e.g. n / n.norm(dim=1, keepdim=True)")
    return p, n


# ----------------------------------------------------------------------------- sampler
def surface_sampler(points, normals, n_surface: int, n_off: int | None = None, bounds=(-1.0, 1.0),
                    seed: int = 0, device=None):
    """A `sampler(step) -> (coords, target)` for `H.fit`: on-surface plus uniform off-surface points.

    Each call draws `n_surface` random rows of the oriented point cloud and
    `n_off` (default: as many) points uniform in bounds^d, stacked as
    coords (n_surface + n_off, d) and target (n_surface + n_off, d + 1) (see the module docstring).
    """
    p, n = check_oriented_points(points, normals)
    if n_surface < 1:
        raise ValueError(f"n_surface must be at least 1, got {n_surface}")
    n_off = n_surface if n_off is None else int(n_off)
    if n_off < 0:
        raise ValueError(f"n_off must be non-negative, got {n_off}")
    device = torch.device(device) if device is not None else torch.device("cpu")
    p, n = p.to(device), n.to(device)
    d, lo, hi = p.shape[1], float(bounds[0]), float(bounds[1])
    gen = torch.Generator(device=device).manual_seed(seed)
    flags = torch.cat([torch.ones(n_surface, 1, device=device), torch.zeros(n_off, 1, device=device)])
    zeros = torch.zeros(n_off, d, device=device)

    def sampler(step=None):
        idx = torch.randint(0, p.shape[0], (n_surface,), device=device, generator=gen)
        off = sample_uniform(n_off, d, device=device, generator=gen, bounds=(lo, hi))
        coords = torch.cat([p[idx], off])
        target = torch.cat([torch.cat([n[idx], zeros]), flags], dim=1)
        return coords, target

    return sampler


# ----------------------------------------------------------------------------- loss
def sdf_terms(phi: torch.Tensor, grad: torch.Tensor, target: torch.Tensor, alpha: float = AUTHORS_ALPHA,
              normal: str = "cosine") -> dict:
    """The four unweighted terms of L_sdf from Φ (N, 1), ∇ₓΦ (N, d) and the batch target (N, d + 1).

    normal: 'cosine' uses the cosine 1 − ⟨∇Φ/|∇Φ|, n⟩ as the authors' code does;
    'dot' the slide's literal 1 − ⟨∇Φ, n⟩, which can be lowered without bound
    by growing |∇Φ| along n (only the eikonal term holds it back).
    """
    d = grad.shape[-1]
    if target.ndim != 2 or target.shape[1] != d + 1 or target.shape[0] != phi.shape[0]:
        raise ValueError(f"target must be shaped (N, d + 1) = ({phi.shape[0]}, {d + 1}): normals then an "
                         f"on-surface flag, as surface_sampler returns; got {tuple(target.shape)}")
    on = target[:, d] > 0.5
    off = ~on
    phi = phi.reshape(-1)
    nrm = target[:, :d]
    zero = phi.sum() * 0.0  # keeps the graph when a domain is empty
    eik = ((grad.norm(dim=-1) - 1.0).abs()).mean()
    if on.any():
        surf = phi[on].abs().mean()
        if normal == "cosine":
            cos = torch.nn.functional.cosine_similarity(grad[on], nrm[on], dim=-1)
        elif normal == "dot":
            cos = (grad[on] * nrm[on]).sum(-1)
        else:
            raise ValueError(f"normal must be 'cosine' or 'dot', got {normal!r}")
        norm_term = (1.0 - cos).mean()
    else:
        surf = norm_term = zero
    psi = torch.exp(-alpha * phi[off].abs()).mean() if off.any() else zero
    return {"eikonal": eik, "surface": surf, "normal": norm_term, "psi": psi}


def sdf_loss(model, coords: torch.Tensor, target: torch.Tensor, weights: dict | None = None,
             alpha: float = AUTHORS_ALPHA, normal: str = "cosine"):
    """L_sdf for `H.fit(loss_fn=...)`: returns (weighted sum, {term: weighted contribution, detached}).

    weights: {'eikonal', 'surface', 'normal', 'psi'} -> factor; default AUTHORS_WEIGHTS.
    """
    w = dict(AUTHORS_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(TERMS)
    if unknown:
        raise ValueError(f"unknown loss term(s) {sorted(unknown)}; the terms are {TERMS}")
    if not torch.is_tensor(coords) or coords.ndim != 2 or coords.shape[1] not in (2, 3):
        raise ValueError(f"coords must be shaped (N, 2) or (N, 3), got {tuple(getattr(coords, 'shape', ()))}")
    d = coords.shape[1]
    if not torch.is_tensor(target) or target.shape != (coords.shape[0], d + 1):
        raise ValueError(f"target must be shaped (N, d + 1) = ({coords.shape[0]}, {d + 1}): normals then an "
                         f"on-surface flag, as surface_sampler returns; got {tuple(getattr(target, 'shape', ()))}")
    # Φ and ∇ₓΦ by autograd (for ∇ₓΦ alone its double backward beats the closed form)
    phi, grad, _ = value_and_derivatives(model, coords, laplacian=False)
    terms = sdf_terms(phi, grad, target, alpha=alpha, normal=normal)
    contrib = {k: w.get(k, 0.0) * v for k, v in terms.items()}
    loss = sum(contrib.values())
    return loss, {k: v.detach() for k, v in contrib.items()}


def make_sdf_loss(weights: dict | None = None, alpha: float = AUTHORS_ALPHA, normal: str = "cosine"):
    """`sdf_loss` with fixed weights, α and normal mode: loss_fn(model, coords, target)."""
    def loss_fn(model, coords, target):
        return sdf_loss(model, coords, target, weights=weights, alpha=alpha, normal=normal)

    return loss_fn


# ----------------------------------------------------------------------------- evaluation
def eikonal_residual(model, coords: torch.Tensor, chunk_size: int = 16384) -> torch.Tensor:
    """| |∇ₓΦ| − 1 | at each point, shape (N,): 0 wherever Φ is a distance function."""
    check_nonempty(coords, "coords")
    check_finite(coords, "coords")
    _, g, _ = derivatives(model, coords, laplacian=False, chunk_size=chunk_size)
    return (g.norm(dim=-1) - 1.0).abs()


def residual_by_distance(model, points, distances, edges=(0.0, 0.02, 0.05, 0.1, 0.2, 0.4, np.inf),
                         chunk_size: int = 16384) -> dict:
    """How close Φ is to a distance function, by true distance from the surface.

    points (N, d) with their true signed distances (N,); edges: bin edges of |distance|.
    Returns numpy arrays of length len(edges) - 1: 'lo', 'hi' (the bins), 'count', and the medians
    per bin of 'grad_norm' (|∇ₓΦ|), 'residual' (| |∇ₓΦ| − 1 |) and 'error' (|Φ − distance|).
    """
    pts = torch.as_tensor(np.asarray(points) if not torch.is_tensor(points) else points).float()
    check_nonempty(pts, "points")
    check_finite(pts, "points")
    signed = np.asarray(distances.detach().cpu() if torch.is_tensor(distances) else distances, dtype=np.float64)
    if signed.shape != (pts.shape[0],):
        raise ValueError(f"distances must be shaped ({pts.shape[0]},), one per point, got {signed.shape}")
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges must be at least two increasing values, got {edges.tolist()}")
    device = next(model.parameters()).device
    phi, grad, _ = derivatives(model, pts.to(device), laplacian=False, chunk_size=chunk_size)
    phi = phi.reshape(-1).cpu().numpy()
    gnorm = grad.norm(dim=-1).reshape(-1).cpu().numpy()
    per_point = {"grad_norm": gnorm, "residual": np.abs(gnorm - 1.0), "error": np.abs(phi - signed)}
    dist = np.abs(signed)
    out = {k: [] for k in ("lo", "hi", "count", *per_point)}
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (dist >= lo) & (dist < hi)
        out["lo"].append(lo)
        out["hi"].append(hi)
        out["count"].append(int(sel.sum()))
        for key, values in per_point.items():
            out[key].append(float(np.median(values[sel])) if sel.any() else float("nan"))
    return {k: np.array(v) for k, v in out.items()}


def offset_surfaces(phi, distances, levels) -> dict:
    """Level sets Φ = c against the true offset surfaces d = c, on the same sample points.

    phi, distances: Φ and the true signed distance at the same (N,) points (uniform in the box,
    so that a fraction of points is a fraction of the box's volume). For each c in `levels`:
    'inside' = share of points with Φ < c, 'true_inside' = share with d < c, 'iou' of the two sets.
    Returns numpy arrays of length len(levels), plus 'level'.
    """
    p = np.asarray(phi.detach().cpu() if torch.is_tensor(phi) else phi, dtype=np.float64).reshape(-1)
    d = np.asarray(distances.detach().cpu() if torch.is_tensor(distances) else distances, dtype=np.float64).reshape(-1)
    if p.shape != d.shape or p.size == 0:
        raise ValueError(f"phi and distances must be the same non-empty length, got {p.shape} and {d.shape}")
    if not (np.isfinite(p).all() and np.isfinite(d).all()):
        raise ValueError("phi and distances must be finite (no NaN or inf)")
    out = {k: [] for k in ("level", "inside", "true_inside", "iou")}
    for c in levels:
        a, b = p < c, d < c
        union = (a | b).sum()
        out["level"].append(float(c))
        out["inside"].append(float(a.mean()))
        out["true_inside"].append(float(b.mean()))
        out["iou"].append(float((a & b).sum() / union) if union else 1.0)
    return {k: np.array(v) for k, v in out.items()}


def count_pieces(volume, level: float = 0.0) -> int:
    """Number of connected pieces (6-connected voxels) of {Φ < level} in a sampled volume (R, R, R)."""
    from skimage.measure import label

    v = np.asarray(volume.detach().cpu() if torch.is_tensor(volume) else volume)
    if v.ndim != 3 or v.size == 0:
        raise ValueError(f"volume must be a 3D grid of Φ values, got shape {v.shape}")
    return int(label(v < level, connectivity=1).max())


# ----------------------------------------------------------------------------- 2D outlines
def text_outline(text: str = "R", extent: float = 0.8, samples_per_curve: int = 24, family: str = "DejaVu Sans",
                 weight: str = "bold") -> list:
    """Closed polygons (each (K, 2), not repeating the first point) of `text`'s glyph contours.

    The text is centred and scaled so its longest side spans [-extent, extent];
    Bézier curves are flattened into `samples_per_curve` segments. Holes (as in
    'R', 'B', 'a') are separate polygons; inside/outside follows the even-odd rule.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath

    if not text or not text.strip():
        raise ValueError("text_outline needs at least one visible character")
    path = TextPath((0, 0), text, size=1.0, prop=FontProperties(family=family, weight=weight))
    polys, cur = [], []
    t = np.linspace(0, 1, samples_per_curve + 1)[1:]
    for seg, code in path.iter_bezier():
        if code == Path.MOVETO:
            if len(cur) > 2:
                polys.append(np.array(cur))
            cur = [seg.control_points[0]]
        elif code in (Path.LINETO, Path.CLOSEPOLY):
            cur.append(seg.control_points[-1])
        else:  # CURVE3 / CURVE4
            cur.extend(seg(t))
    if len(cur) > 2:
        polys.append(np.array(cur))
    out = []
    for q in polys:
        q = np.asarray(q, dtype=np.float64)
        keep = np.r_[True, np.linalg.norm(np.diff(q, axis=0), axis=1) > 1e-9]
        q = q[keep]
        if np.linalg.norm(q[0] - q[-1]) < 1e-9:
            q = q[:-1]
        if len(q) >= 3:
            out.append(q)
    allp = np.concatenate(out)
    lo, hi = allp.min(0), allp.max(0)
    scale = 2 * extent / (hi - lo).max()
    return [((q - (lo + hi) / 2) * scale).astype(np.float32) for q in out]


def _segments(polygons):
    if isinstance(polygons, np.ndarray) and polygons.ndim == 2:
        polygons = [polygons]
    a, b = [], []
    for q in polygons:
        q = np.asarray(q, dtype=np.float64)
        if q.ndim != 2 or q.shape[1] != 2 or len(q) < 3:
            raise ValueError(f"each polygon must be shaped (K >= 3, 2), got {q.shape}")
        if not np.isfinite(q).all():
            raise ValueError("polygon vertices must be finite")
        a.append(q)
        b.append(np.roll(q, -1, axis=0))
    return np.concatenate(a), np.concatenate(b)


def polygon_sdf(points, polygons, chunk_size: int = 4096) -> np.ndarray:
    """Exact signed distance (negative inside, even-odd rule) from points (M, 2) to closed polygons."""
    x = np.asarray(points.detach().cpu() if torch.is_tensor(points) else points, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"points must be shaped (M, 2), got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("points contain non-finite values (NaN or inf)")
    a, b = _segments(polygons)
    ab = b - a
    ab2 = np.maximum((ab ** 2).sum(1), 1e-18)
    out = np.empty(len(x))
    for i in range(0, len(x), chunk_size):
        p = x[i:i + chunk_size, None, :]                      # (m, 1, 2)
        ap = p - a[None]                                       # (m, S, 2)
        t = np.clip((ap * ab[None]).sum(-1) / ab2, 0.0, 1.0)   # projection onto each segment
        dist = np.sqrt(((ap - t[..., None] * ab[None]) ** 2).sum(-1)).min(1)
        py, px = p[..., 1], p[..., 0]
        crosses = (a[None, :, 1] > py) != (b[None, :, 1] > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = a[None, :, 0] + (py - a[None, :, 1]) * ab[None, :, 0] / ab[None, :, 1]
        inside = (crosses & (px < xc)).sum(1) % 2 == 1
        out[i:i + chunk_size] = np.where(inside, -dist, dist)
    return out.astype(np.float32)


def sample_outline(polygons, n: int, seed: int = 0):
    """n points uniform by length on the polygons' edges with unit outward normals: (n, 2), (n, 2) float32."""
    a, b = _segments(polygons)
    ab = b - a
    length = np.linalg.norm(ab, axis=1)
    rng = np.random.default_rng(seed)
    k = rng.choice(len(a), size=n, p=length / length.sum())
    pts = a[k] + rng.random((n, 1)) * ab[k]
    nrm = np.stack([ab[k, 1], -ab[k, 0]], axis=1) / np.maximum(length[k, None], 1e-12)
    # orient outward: a small step along n must leave the shape (SDF increases)
    h = 1e-4 * (np.abs(a).max() + 1.0)
    flip = polygon_sdf(pts + h * nrm, polygons) < polygon_sdf(pts - h * nrm, polygons)
    nrm[flip] *= -1
    return pts.astype(np.float32), nrm.astype(np.float32)


def start_outside(model: torch.nn.Module, value: float = 0.3) -> torch.nn.Module:
    """Set the bias of the model's last linear layer to `value` (> 0: Φ starts 'outside' everywhere).

    A freshly initialized network has random zero crossings all over the domain;
    with a short training budget some survive as spurious surfaces ("floaters").
    Starting from Φ ≈ +value leaves a single surface for the loss to create.
    """
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if not last:
        raise ValueError("start_outside needs a model with at least one torch.nn.Linear layer")
    with torch.no_grad():
        last[-1].bias.fill_(float(value))
    return model
