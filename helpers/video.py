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


def _png_data_uri(frame: np.ndarray) -> str:
    """An RGB frame in [0, 1] as a PNG data URI (lossless, so what is shown is what was measured)."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(np.clip(frame, 0, 1) * 255).astype(np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _js(value) -> str:
    """A Python value as a JavaScript literal that is safe inside a <script> element."""
    import json

    return json.dumps(value).replace("</", "<\\/")


def animation_html(clips: dict, titles: dict | None = None, fps: float = 4.0, ncols: int = 2,
                   panel_px: int = 480, frame_labels=None) -> str:
    """A self-contained HTML player for clips (T, H, W, 3) in [0, 1], shown side by side in a grid.

    Every frame is embedded as a lossless PNG and shown `panel_px` pixels wide
    (pixels drawn as squares, not smoothed). The first frame is an ordinary
    <img> with its size set, so it is visible before any click and even where
    scripts do not run; a few lines of plain JavaScript (no library, nothing
    fetched from outside the page) switch the frames: first, previous,
    play/pause, next, last and a frame slider. `titles` maps a clip's name to
    one title per frame (e.g. with its PSNR), by default the name;
    `frame_labels` gives the text beside the slider, one per frame.
    """
    import html
    import uuid

    arrays = {str(k): np.clip(to_numpy(v), 0, 1) for k, v in clips.items()}
    if not arrays:
        raise ValueError("clips is empty: pass at least one {name: (T, H, W, 3) clip}")
    for name, a in arrays.items():
        if a.ndim != 4 or a.shape[-1] != 3 or 0 in a.shape:
            raise ValueError(f"clip {name!r} must be shaped (T, H, W, 3) with T, H, W > 0, got {a.shape}")
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"all clips need the same number of frames, got {sorted(lengths)}")
    n = lengths.pop()
    if not (fps > 0 and ncols >= 1 and panel_px >= 16):
        raise ValueError(f"need fps > 0, ncols >= 1 and panel_px >= 16, got {fps}, {ncols}, {panel_px}")
    titles = titles or {}
    heads = {name: [str(t) for t in titles.get(name, [name] * n)] for name in arrays}
    if any(len(h) != n for h in heads.values()):
        raise ValueError(f"titles need one entry per frame ({n})")
    labels = [str(x) for x in frame_labels] if frame_labels is not None else [f"frame {k}" for k in range(n)]
    if len(labels) != n:
        raise ValueError(f"frame_labels needs one entry per frame ({n}), got {len(labels)}")

    uid = "inr-anim-" + uuid.uuid4().hex[:12]
    frames = {name: [_png_data_uri(f) for f in a] for name, a in arrays.items()}
    cells = []
    for name, a in arrays.items():
        h, w = a.shape[1:3]
        height = max(1, round(panel_px * h / w))
        cells.append(
            f'<figure style="margin:0">'
            f'<figcaption data-role="title" style="text-align:center;margin:0 0 4px 0">{html.escape(heads[name][0])}'
            f'</figcaption><img data-role="frame" src="{frames[name][0]}" width="{panel_px}" height="{height}" '
            f'alt="{html.escape(name)}, first frame" style="display:block;width:{panel_px}px;height:{height}px;'
            f'image-rendering:pixelated"></figure>')
    cols = min(ncols, len(arrays))
    button = 'type="button" style="min-width:2.6em;padding:2px 6px;font-size:14px"'
    return f"""<div id="{uid}" style="font-family:sans-serif;font-size:14px;line-height:1.3">
<div style="display:grid;grid-template-columns:repeat({cols},{panel_px}px);gap:8px 12px">{"".join(cells)}</div>
<div style="display:flex;align-items:center;gap:6px;margin-top:8px">
<button {button} data-act="first" title="first frame">|&#9664;</button>
<button {button} data-act="prev" title="previous frame">&#9664;</button>
<button {button} data-act="play" title="play / pause">play</button>
<button {button} data-act="next" title="next frame">&#9654;</button>
<button {button} data-act="last" title="last frame">&#9654;|</button>
<input type="range" data-role="slider" min="0" max="{n - 1}" step="1" value="0" \
style="width:{max(160, 24 * n)}px;max-width:420px">
<span data-role="label">{html.escape(labels[0])}</span>
</div></div>
<script>
(function () {{
  var root = document.getElementById({_js(uid)});
  if (!root) return;
  var frames = {_js(list(frames.values()))}, heads = {_js(list(heads.values()))}, labels = {_js(labels)};
  var imgs = root.querySelectorAll('[data-role="frame"]'), caps = root.querySelectorAll('[data-role="title"]');
  var slider = root.querySelector('[data-role="slider"]'), label = root.querySelector('[data-role="label"]');
  var play = root.querySelector('[data-act="play"]'), n = {n}, k = 0, timer = null;
  function show(i) {{
    k = ((i % n) + n) % n;
    for (var c = 0; c < imgs.length; c++) {{ imgs[c].src = frames[c][k]; caps[c].textContent = heads[c][k]; }}
    slider.value = k; label.textContent = labels[k];
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; }} play.textContent = "play"; }}
  function toggle() {{
    if (timer) {{ stop(); return; }}
    timer = setInterval(function () {{ show(k + 1); }}, {1000.0 / fps:.1f}); play.textContent = "pause";
  }}
  root.querySelector('[data-act="first"]').onclick = function () {{ stop(); show(0); }};
  root.querySelector('[data-act="prev"]').onclick = function () {{ stop(); show(k - 1); }};
  root.querySelector('[data-act="next"]').onclick = function () {{ stop(); show(k + 1); }};
  root.querySelector('[data-act="last"]').onclick = function () {{ stop(); show(n - 1); }};
  play.onclick = toggle;
  slider.oninput = function () {{ stop(); show(parseInt(slider.value, 10)); }};
}})();
</script>"""


def animate(clips: dict, titles: dict | None = None, fps: float = 4.0, ncols: int = 2, panel_px: int = 480,
            frame_labels=None) -> None:
    """Show clips (T, H, W, 3) side by side as an inline player (see `animation_html`); returns None.

    Works in JupyterLab, the classic notebook and a static HTML export; needs
    nothing from the network. Every frame is embedded, so keep clips short.
    """
    from IPython.display import HTML, display

    display(HTML(animation_html(clips, titles=titles, fps=fps, ncols=ncols, panel_px=panel_px,
                                frame_labels=frame_labels)))
