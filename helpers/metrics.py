"""Metrics with explicit value ranges.

PSNR and SSIM need the signal's data range (1.0 for images in [0, 1], 2.0
for audio in [-1, 1]); it is a required argument so no plot hides a 6 dB shift.
"""
from __future__ import annotations

import math

import numpy as np
import torch


def _tensor(a) -> torch.Tensor:
    return a.detach().float() if torch.is_tensor(a) else torch.as_tensor(np.asarray(a), dtype=torch.float32)


def _same_shape(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"prediction {tuple(pred.shape)} and target {tuple(target.shape)} must have the same shape")


def mse(pred, target) -> float:
    """Mean squared error."""
    p, t = _tensor(pred), _tensor(target).to(_tensor(pred).device)
    _same_shape(p, t)
    return float(((p - t) ** 2).mean())


def psnr_from_mse(mse_value: float, data_range: float) -> float:
    """10·log10(R² / MSE) in dB; inf for a perfect fit."""
    if data_range <= 0:
        raise ValueError(f"data_range must be positive (e.g. 1.0 for [0, 1] images), got {data_range}")
    return math.inf if mse_value == 0 else 10.0 * math.log10(data_range ** 2 / mse_value)


def psnr(pred, target, *, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB for signals spanning `data_range` (max - min possible value)."""
    return psnr_from_mse(mse(pred, target), data_range)


def ssim(pred, target, *, data_range: float) -> float:
    """Structural similarity (scikit-image) of a gray (H, W) or color (H, W, C) image."""
    from skimage.metrics import structural_similarity

    p, t = _tensor(pred).cpu().numpy(), _tensor(target).cpu().numpy()
    _same_shape(torch.from_numpy(p), torch.from_numpy(t))
    channel_axis = -1 if p.ndim == 3 else None
    return float(structural_similarity(p, t, data_range=data_range, channel_axis=channel_axis))


def iou(pred_inside, gt_inside) -> float:
    """Volumetric IoU |A ∩ B| / |A ∪ B| of two boolean occupancy samples."""
    a, b = _tensor(pred_inside) > 0.5, _tensor(gt_inside) > 0.5
    _same_shape(a, b)
    union = (a | b).sum().item()
    return 1.0 if union == 0 else (a & b).sum().item() / union


def nearest(query: torch.Tensor, points: torch.Tensor, chunk_size: int = 4096):
    """Distance to and index of the nearest row of `points` for each row of `query` (chunked)."""
    dists, idxs = [], []
    for q in query.split(chunk_size):
        # exact differences, not the |a|²+|b|²-2ab shortcut: that one is off by ~1e-4
        # near zero distance, the very scale of a good Chamfer distance
        d, i = torch.cdist(q, points, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1)
        dists.append(d)
        idxs.append(i)
    return torch.cat(dists), torch.cat(idxs)


def chamfer_distance(a, b, chunk_size: int = 4096) -> float:
    """Chamfer-L1 as in Occupancy Networks: ½(mean_a min_b ‖a-b‖ + mean_b min_a ‖b-a‖).

    Same unit as the points (our shapes live in [-1, 1]³).
    """
    pa, pb = _tensor(a), _tensor(b)
    if pa.numel() == 0 or pb.numel() == 0:
        raise ValueError("chamfer_distance needs two non-empty point sets (did marching cubes find no surface?)")
    pb = pb.to(pa.device)
    return 0.5 * (nearest(pa, pb, chunk_size)[0].mean().item() + nearest(pb, pa, chunk_size)[0].mean().item())


def normal_consistency(points_a, normals_a, points_b, normals_b, chunk_size: int = 4096) -> float:
    """Mean |⟨n_a, n_b⟩| between each point's normal and its nearest neighbour's, both ways (1 = perfect)."""
    pa, na, pb, nb = (_tensor(t) for t in (points_a, normals_a, points_b, normals_b))
    na = torch.nn.functional.normalize(na, dim=-1)
    nb = torch.nn.functional.normalize(nb, dim=-1)
    ia = nearest(pa, pb, chunk_size)[1]
    ib = nearest(pb, pa, chunk_size)[1]
    return 0.5 * ((na * nb[ia]).sum(-1).abs().mean().item() + (nb * na[ib]).sum(-1).abs().mean().item())
