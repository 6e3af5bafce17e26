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


def test_animation_html_is_self_contained_and_shows_the_first_frame():
    """The player the notebook shows: nothing fetched from outside, first frame visible with no click or script."""
    import re

    clip = np.random.default_rng(0).random((3, 8, 12, 3)).astype(np.float32)
    page = video.animation_html({"ground truth": clip, "SIREN": torch.from_numpy(clip), "slow": clip * 0.5},
                                titles={"SIREN": ["x", "y", "</script> z"]}, fps=2, panel_px=240,
                                frame_labels=["frame 0 (training)", "frame 1 (held out)", "frame 2 (training)"])
    assert not re.search(r"https?://", page), "the player must not link anything outside the machine"
    assert not re.search(r"<link|@import|url\(", page)
    assert page.count("</script>") == 1  # a title with </script> cannot end the script early
    imgs = re.findall(r"<img[^>]*>", page)
    assert len(imgs) == 3  # one panel per clip
    for img in imgs:
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', img))
        assert attrs["src"].startswith("data:image/png;base64,")
        assert int(attrs["width"]) == 240 and int(attrs["height"]) == 160  # 12x8 frames at 240 px: 3:2
        assert "display:none" not in attrs.get("style", "").replace(" ", "")
        assert "visibility:hidden" not in attrs.get("style", "").replace(" ", "")
    # the first frame shown is the clip's frame 0, losslessly
    import base64
    import io

    from PIL import Image

    first = np.asarray(Image.open(io.BytesIO(base64.b64decode(imgs[0].split("base64,")[1].split('"')[0]))))
    assert np.array_equal(first, np.round(clip[0] * 255).astype(np.uint8))
    assert ">x</figcaption>" in page and "frame 0 (training)" in page and 'max="2"' in page


def test_animation_html_rejects_bad_input():
    clip = np.zeros((3, 8, 12, 3), np.float32)
    with pytest.raises(ValueError, match="same number"):
        video.animation_html({"a": clip, "b": clip[:2]})
    with pytest.raises(ValueError, match="empty"):
        video.animation_html({})
    with pytest.raises(ValueError, match="T, H, W, 3"):
        video.animation_html({"a": clip[..., 0]})
    with pytest.raises(ValueError, match="one entry per frame"):
        video.animation_html({"a": clip}, titles={"a": ["only one"]})
    with pytest.raises(ValueError, match="frame_labels"):
        video.animation_html({"a": clip}, frame_labels=["0", "1"])


def test_axis_scale_scales_each_axis():
    wrapped = video.AxisScale(Affine(), [0.5, 1.0, 2.0])
    x = torch.ones(4, 3)
    assert torch.allclose(wrapped(x), torch.tensor([0.5, 1.0, 2.0]) * 0.25 + 0.5)
    assert H.count_parameters(wrapped) == 1
    with pytest.raises(ValueError, match="positive"):
        video.AxisScale(Affine(), [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="match scale"):
        wrapped(torch.ones(4, 2))
