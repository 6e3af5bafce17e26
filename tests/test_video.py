import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

import helpers as H
from helpers import video


class Affine(torch.nn.Module):
    """Φ(t, y, x) = (t, y, x) * 0.25 + 0.5: a known function to render."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x * 0.25 + 0.5 + self.dummy


def test_frame_times_and_coords_match_flatten():
    clip = np.random.default_rng(0).random((5, 4, 6, 3)).astype(np.float32)
    coords, _ = H.flatten(clip)
    coords = coords.reshape(5, 4, 6, 3)
    t = video.frame_times(5)
    assert torch.allclose(t, coords[:, 0, 0, 0])
    assert torch.allclose(video.frame_coords(float(t[2]), 4, 6), coords[2])
    assert video.frame_times(1).tolist() == [0.0]
    with pytest.raises(ValueError):
        video.frame_times(0)


def test_render_frames_chunks_and_clips():
    model = Affine()
    out = video.render_frames(model, [-1.0, 0.3], 4, 6, chunk_size=5, clip=False)
    assert out.shape == (2, 4, 6, 3)
    assert torch.allclose(out[1], video.frame_coords(0.3, 4, 6) * 0.25 + 0.5)
    clipped = video.render_frames(torch.nn.Sequential(Affine(), torch.nn.Identity()), [0.0], 2, 2)
    assert clipped.min() >= 0 and clipped.max() <= 1
    with pytest.raises(ValueError, match="empty"):
        video.render_frames(model, [], 4, 6)
    with pytest.raises(ValueError, match="finite"):
        video.render_frames(model, [float("nan")], 4, 6)


def test_frame_psnr_per_frame_and_errors():
    gt = np.zeros((3, 4, 4, 3), np.float32)
    pred = gt.copy()
    pred[1] += 0.1  # MSE 0.01 -> 20 dB
    p = video.frame_psnr(pred, gt, data_range=1.0)
    assert p.shape == (3,) and np.isinf(p[0]) and abs(p[1] - 20.0) < 1e-4
    with pytest.raises(ValueError, match="same shape"):
        video.frame_psnr(pred[:2], gt)
    bad = pred.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        video.frame_psnr(bad, gt)


def test_width_for_params_matches_counts():
    target = H.count_parameters(H.make_model("siren", 3, 3, hidden_features=64))
    w = video.width_for_params("relu_pe", 3, 3, target, num_frequencies=6)
    n = H.count_parameters(H.make_model("relu_pe", 3, 3, hidden_features=w, num_frequencies=6))
    n_other = [H.count_parameters(H.make_model("relu_pe", 3, 3, hidden_features=w + d, num_frequencies=6))
               for d in (-1, 1)]
    assert all(abs(n - target) <= abs(m - target) for m in n_other)
    assert abs(n - target) / target < 0.03
    with pytest.raises(ValueError):
        video.width_for_params("siren", 3, 3, 0)


def test_animate_returns_html():
    clip = np.random.default_rng(0).random((3, 8, 12, 3)).astype(np.float32)
    html = video.animate({"a": clip, "b": torch.from_numpy(clip)}, titles={"a": ["x", "y", "z"]}, fps=2)
    assert "<script" in html.data
    with pytest.raises(ValueError, match="same number"):
        video.animate({"a": clip, "b": clip[:2]})
    with pytest.raises(ValueError, match="empty"):
        video.animate({})


def test_axis_scale_scales_each_axis():
    wrapped = video.AxisScale(Affine(), [0.5, 1.0, 2.0])
    x = torch.ones(4, 3)
    assert torch.allclose(wrapped(x), torch.tensor([0.5, 1.0, 2.0]) * 0.25 + 0.5)
    assert H.count_parameters(wrapped) == 1
    with pytest.raises(ValueError, match="positive"):
        video.AxisScale(Affine(), [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="match scale"):
        wrapped(torch.ones(4, 2))
