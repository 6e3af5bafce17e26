"""Metrics with explicit value ranges.

PSNR and SSIM need the signal's data range (1.0 for images in [0, 1], 2.0
for audio in [-1, 1]); it is a required argument so no plot hides a 6 dB shift.
Every metric refuses NaN or inf (a diverged model) and shapes that differ,
instead of returning nan or broadcasting (N,) against (N, 1).
"""
from __future__ import annotations

import math

import torch

from .checks import as_float_tensor, check_image, check_int, check_nonempty, check_positive


def _pair(pred, target, names=("prediction", "target")):
    """pred and target as float tensors on pred's device, same shape, finite."""
    p = as_float_tensor(pred, names[0])
    t = as_float_tensor(target, names[1], device=p.device)
    if p.shape != t.shape:
        hint = ""
        if p.numel() == t.numel():
            hint = f"; they hold the same number of values: reshape one, e.g. {names[1]}.reshape({tuple(p.shape)})"
        raise ValueError(f"{names[0]} {tuple(p.shape)} and {names[1]} {tuple(t.shape)} must have the same "
                         f"shape{hint}")
    check_nonempty(p, names[0])
    for x, name in ((p, names[0]), (t, names[1])):
        if not torch.isfinite(x).all():
            bad = int((~torch.isfinite(x)).sum())
            raise ValueError(f"{name} contains {bad} NaN or inf value(s) out of {x.numel()}, so the metric would be "
                             f"meaningless; if it is a model's output, the fit diverged (lower the learning rate)")
    return p, t


def mse(pred, target) -> float:
    """Mean squared error of two equally shaped arrays or tensors."""
    p, t = _pair(pred, target)
    return float(((p - t) ** 2).mean())


_RANGE_HINT = " (e.g. data_range=1.0 for images in [0, 1], 2.0 for audio in [-1, 1], 255 for uint8 images)"


def psnr_from_mse(mse_value: float, data_range: float) -> float:
    """10·log10(R² / MSE) in dB; inf for a perfect fit."""
    data_range = check_positive(data_range, "data_range", _RANGE_HINT)
    mse_value = float(mse_value)
    if not (mse_value >= 0 and math.isfinite(mse_value)):
        raise ValueError(f"mse_value must be a finite number >= 0, got {mse_value}; "
                         "a NaN or inf MSE comes from a diverged fit or NaN data")
    return math.inf if mse_value == 0 else 10.0 * math.log10(data_range ** 2 / mse_value)


def psnr(pred, target, *, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB for signals spanning `data_range` (max - min possible value)."""
    data_range = check_positive(data_range, "data_range", _RANGE_HINT)
    return psnr_from_mse(mse(pred, target), data_range)


def ssim(pred, target, *, data_range: float) -> float:
    """Structural similarity (scikit-image) of a gray (H, W) or color (H, W, C) image, at least 7x7."""
    from skimage.metrics import structural_similarity

    data_range = check_positive(data_range, "data_range", _RANGE_HINT)
    p, t = _pair(check_image(pred, "prediction", min_size=7), check_image(target, "target", min_size=7))
    channel_axis = -1 if p.ndim == 3 else None
    return float(structural_similarity(p.cpu().numpy(), t.cpu().numpy(), data_range=data_range,
                                       channel_axis=channel_axis))


def _occupancy(a, name: str) -> torch.Tensor:
    """Booleans as they are; 0/1 numbers as booleans; anything else (SDF values, probabilities) refused."""
    if torch.is_tensor(a) and a.dtype == torch.bool:
        return a.detach()
    t = as_float_tensor(a, name)
    if not ((t == 0) | (t == 1)).all():
        raise ValueError(f"{name} must be booleans (True = inside), got values in [{float(t.min()):.3g}, "
                         f"{float(t.max()):.3g}]; threshold them yourself: sdf < 0 for a signed distance "
                         "(negative inside), p >= 0.5 for an occupancy probability, logits > 0 for logits")
    return t.bool()


def iou(pred_inside, gt_inside) -> float:
    """Volumetric IoU |A ∩ B| / |A ∪ B| of two boolean occupancy samples (1.0 if both are empty)."""
    a, b = _occupancy(pred_inside, "pred_inside"), _occupancy(gt_inside, "gt_inside")
    b = b.to(a.device)
    if a.shape != b.shape:
        raise ValueError(f"pred_inside {tuple(a.shape)} and gt_inside {tuple(b.shape)} must have the same shape "
                         "(one value per query point)")
    check_nonempty(a, "pred_inside")
    union = (a | b).sum().item()
    return 1.0 if union == 0 else (a & b).sum().item() / union


def _points(a, name: str, d: int | None = None) -> torch.Tensor:
    t = as_float_tensor(a, name, finite=True)
    if t.ndim != 2 or (d is not None and t.shape[1] != d):
        want = f"(N, {d})" if d is not None else "(N, d)"
        raise ValueError(f"{name} must be a point set shaped {want}, got shape {tuple(t.shape)}")
    return t


def nearest(query: torch.Tensor, points: torch.Tensor, chunk_size: int = 4096):
    """Distance to and index of the nearest row of `points` for each row of `query` (chunked)."""
    q_all = _points(query, "query")
    p = _points(points, "points", q_all.shape[1]).to(q_all.device)
    check_nonempty(p, "points")
    chunk_size = check_int(chunk_size, "chunk_size", 1)
    dists, idxs = [], []
    for q in q_all.split(chunk_size):
        # exact differences, not the |a|²+|b|²-2ab shortcut: that one is off by ~1e-4
        # near zero distance, the very scale of a good Chamfer distance
        d, i = torch.cdist(q, p, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1)
        dists.append(d)
        idxs.append(i)
    return torch.cat(dists), torch.cat(idxs)


def chamfer_distance(a, b, chunk_size: int = 4096) -> float:
    """Chamfer-L1 as in Occupancy Networks: ½(mean_a min_b ‖a-b‖ + mean_b min_a ‖b-a‖).

    Same unit as the points (our shapes live in [-1, 1]³).
    """
    pa = _points(a, "a")
    pb = _points(b, "b", pa.shape[1]).to(pa.device)
    if pa.numel() == 0 or pb.numel() == 0:
        raise ValueError("chamfer_distance needs two non-empty point sets (did marching cubes find no surface?)")
    return 0.5 * (nearest(pa, pb, chunk_size)[0].mean().item() + nearest(pb, pa, chunk_size)[0].mean().item())


def normal_consistency(points_a, normals_a, points_b, normals_b, chunk_size: int = 4096) -> float:
    """Mean |⟨n_a, n_b⟩| between each point's normal and its nearest neighbour's, both ways (1 = perfect)."""
    pa = _points(points_a, "points_a")
    pb = _points(points_b, "points_b", pa.shape[1]).to(pa.device)
    na = _points(normals_a, "normals_a", pa.shape[1]).to(pa.device)
    nb = _points(normals_b, "normals_b", pa.shape[1]).to(pa.device)
    for p, n, s in ((pa, na, "a"), (pb, nb, "b")):
        if p.shape != n.shape:
            raise ValueError(f"points_{s} {tuple(p.shape)} and normals_{s} {tuple(n.shape)} must have the same "
                             "shape (one normal per point)")
        if p.shape[0] == 0:
            raise ValueError(f"points_{s} is empty; normal_consistency needs two non-empty oriented point sets")
    na = torch.nn.functional.normalize(na, dim=-1)
    nb = torch.nn.functional.normalize(nb, dim=-1)
    ia = nearest(pa, pb, chunk_size)[1]
    ib = nearest(pb, pa, chunk_size)[1]
    return 0.5 * ((na * nb[ia]).sum(-1).abs().mean().item() + (nb * na[ib]).sum(-1).abs().mean().item())


def correlation(a, b) -> float:
    """Pearson correlation of two equally shaped maps (1 = same up to scale and offset).

    A constant map (e.g. the Laplacian of a ReLU network, zero almost everywhere)
    has no direction to agree with: its correlation is reported as 0.
    """
    x, y = as_float_tensor(a, "a", device="cpu"), as_float_tensor(b, "b", device="cpu")
    if x.shape != y.shape:
        raise ValueError(f"correlation needs maps of the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.numel() < 2:
        raise ValueError("correlation needs at least two values")
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise ValueError("correlation got NaN or inf values")
    x, y = x.flatten().double(), y.flatten().double()
    x, y = x - x.mean(), y - y.mean()
    den = float(x.norm() * y.norm())
    return 0.0 if den == 0.0 else float((x @ y) / den)
