"""Video as a function Φ(t, y, x) -> RGB: frame coordinates, frame-by-frame rendering, per-frame PSNR, animation.

The coordinate order follows `helpers.flatten` on a (T, H, W, 3) clip: time,
rows, columns, each spanning [-1, 1]. Frame k of a clip with T frames sits
at t = -1 + 2k / (T - 1), so a network can also be queried *between* frames
(any t in [-1, 1]) or at a finer spatial grid.
"""
from __future__ import annotations

import numpy as np
import torch

from .coords import grid
from .fitting import evaluate
from .metrics import psnr
from .models import count_parameters, make_model
from .plots import to_numpy


def frame_times(n_frames: int, device=None) -> torch.Tensor:
    """The time coordinates t_k of `n_frames` frames spread over [-1, 1] (as `helpers.flatten` puts them)."""
    n = int(n_frames)
    if n < 1:
        raise ValueError(f"n_frames must be at least 1, got {n_frames}")
    return torch.linspace(-1.0, 1.0, n, device=device) if n > 1 else torch.zeros(1, device=device)


def frame_coords(t: float, height: int, width: int, device=None) -> torch.Tensor:
    """Coordinates (H, W, 3) = (t, y, x) of one frame at time t (any value, also between frames)."""
    if height < 1 or width < 1:
        raise ValueError(f"frame size must be positive, got {height}x{width}")
    yx = grid((height, width), device=device)
    tt = torch.full((height, width, 1), float(t), device=device)
    return torch.cat([tt, yx], dim=-1)


def render_frames(model: torch.nn.Module, times, height: int, width: int, chunk_size: int = 65536,
                  clip: bool = True) -> torch.Tensor:
    """Φ evaluated on whole frames at the given times: (len(times), H, W, C), no gradients.

    One frame at a time, each in chunks of `chunk_size` points (helpers.evaluate),
    so memory stays bounded however long the clip. `times` is a 1D sequence or
    tensor of t values in [-1, 1]; values are clipped to [0, 1] when `clip`.
    """
    device = next(model.parameters()).device
    ts = torch.as_tensor(times, dtype=torch.float32).flatten()
    if ts.numel() == 0:
        raise ValueError("times is empty: pass at least one t value")
    if not torch.isfinite(ts).all():
        raise ValueError(f"times must be finite, got {ts.tolist()}")
    frames = [evaluate(model, frame_coords(float(t), height, width, device), chunk_size) for t in ts]
    out = torch.stack(frames)
    return out.clamp(0, 1) if clip else out


def frame_psnr(pred, target, data_range: float = 1.0) -> np.ndarray:
    """PSNR of each frame in dB, shape (T,), for clips (T, H, W, C) with values spanning `data_range`."""
    p, t = to_numpy(pred), to_numpy(target)
    if p.shape != t.shape:
        raise ValueError(f"prediction {p.shape} and target {t.shape} must have the same shape (T, H, W, C)")
    if p.ndim < 3:
        raise ValueError(f"expected clips shaped (T, H, W[, C]), got shape {p.shape}")
    if not (np.isfinite(p).all() and np.isfinite(t).all()):
        raise ValueError("prediction or target contains NaN or inf")
    return np.array([psnr(a, b, data_range=data_range) for a, b in zip(p, t)])


class AxisScale(torch.nn.Module):
    """Φ(s ⊙ x): a model that sees its coordinates scaled per axis by `scale`.

    A SIREN's first layer starts with frequencies up to ω₀ along *every* axis;
    scaling an axis by s < 1 gives that axis the bandwidth ω₀·s instead, e.g.
    a slower clock along t for a clip with few frames. Parameters are the
    wrapped model's (the scale is a fixed buffer).
    """

    def __init__(self, model: torch.nn.Module, scale):
        super().__init__()
        s = torch.as_tensor(scale, dtype=torch.float32).flatten()
        if s.numel() == 0 or not torch.isfinite(s).all() or (s <= 0).any():
            raise ValueError(f"scale must be positive finite numbers, one per axis, got {scale}")
        self.model = model
        self.register_buffer("scale", s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.scale.numel():
            raise ValueError(f"coords must be shaped (..., {self.scale.numel()}) to match scale, got {tuple(x.shape)}")
        return self.model(x * self.scale)


def width_for_params(kind: str, in_features: int, out_features: int, target_params: int,
                     hidden_layers: int = 3, max_width: int = 4096, **kwargs) -> int:
    """The hidden width at which `make_model(kind, ...)` has the parameter count closest to `target_params`.

    Use it to compare architectures at equal capacity, e.g. a ReLU network with
    positional encoding (wider input layer) against a SIREN.
    """
    if target_params < 1:
        raise ValueError(f"target_params must be positive, got {target_params}")

    def count(w):
        return count_parameters(make_model(kind, in_features, out_features, hidden_features=w,
                                           hidden_layers=hidden_layers, **kwargs))

    lo, hi = 1, max_width  # the count grows with the width: bisect for the first width >= target
    if count(hi) < target_params:
        raise ValueError(f"even width {max_width} has fewer than {target_params} parameters")
    while lo < hi:
        mid = (lo + hi) // 2
        if count(mid) < target_params:
            lo = mid + 1
        else:
            hi = mid
    best = min({max(1, lo - 1), lo}, key=lambda w: abs(count(w) - target_params))
    return best


def animate(clips: dict, titles: dict | None = None, fps: float = 6.0, size: float = 3.5, dpi: int = 72):
    """An inline animation (HTML with play / step buttons) of clips (T, H, W, 3) side by side.

    `titles` maps a clip's name to a per-frame list of titles (e.g. with PSNR);
    by default the name and the frame number. Returns an IPython HTML object:
    display it, or let it be the cell's last expression. Every frame is embedded
    as a PNG of `dpi` dots per inch, so keep clips short and small.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib import animation

    arrays = {k: np.clip(to_numpy(v), 0, 1) for k, v in clips.items()}
    if not arrays:
        raise ValueError("clips is empty: pass at least one {name: (T, H, W, 3) clip}")
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"all clips need the same number of frames, got {sorted(lengths)}")
    n = lengths.pop()
    h, w = next(iter(arrays.values())).shape[1:3]
    fig, axes = plt.subplots(1, len(arrays), figsize=(size * len(arrays), size * h / w + 0.6), squeeze=False,
                             dpi=dpi)
    ims, heads = [], []
    for ax, (name, a) in zip(axes[0], arrays.items()):
        ims.append(ax.imshow(a[0]))
        heads.append(ax.set_title(name, fontsize=10))
        ax.axis("off")
    fig.tight_layout()

    def frame(k):
        for im, head, (name, a) in zip(ims, heads, arrays.items()):
            im.set_data(a[k])
            head.set_text(titles[name][k] if titles and name in titles else f"{name} — frame {k}")
        return ims + heads

    anim = animation.FuncAnimation(fig, frame, frames=n, interval=1000.0 / fps, blit=False)
    html = HTML(anim.to_jshtml(default_mode="loop"))
    plt.close(fig)
    return html
