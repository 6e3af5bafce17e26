"""Fitting one image with several coordinate networks, and comparing their derivatives.

Used by notebook 05 (slide "Experiments: Image Representation"):
  fit_models       fit each kind of `make_model` (same width and depth) to one image
  fine_grid        pixel centres of the same picture f times finer (resolution agnosticism)
  results_table    final PSNR / SSIM / parameters / seconds of fit_models as text
  show_maps        derivative maps side by side, each panel on its own colour scale (said in its title)
The classical baseline (bicubic between the pixels) is `helpers.representations.resample`,
the correlation of two maps `helpers.metrics.correlation`.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch

from .checks import as_float_tensor
from .coords import flatten, to_grid
from .fitting import History, evaluate, fit
from .metrics import psnr, ssim
from .models import MODEL_LABELS, count_parameters, make_model
from .plots import MAX_WIDTH


@dataclass
class FitResult:
    """One fitted network and how it did on the image it was fitted to."""

    kind: str
    model: torch.nn.Module
    history: History
    image: torch.Tensor   # Φ on the pixel grid, (H, W) or (H, W, C), on the CPU
    psnr: float           # dB over the whole image
    ssim: float
    params: int
    seconds: float        # wall time of the training steps (History.seconds), without set-up

    @property
    def label(self) -> str:
        return MODEL_LABELS.get(self.kind, self.kind)


def _as_image(image) -> torch.Tensor:
    t = as_float_tensor(image, "image", device="cpu")
    if t.ndim not in (2, 3) or (t.ndim == 3 and t.shape[-1] not in (1, 3, 4)) or min(t.shape[:2]) < 2:
        raise ValueError(f"expected an image shaped (H, W) or (H, W, C) with C in 1, 3, 4, got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError("the image contains NaN or inf values")
    return t


def fit_models(image, kinds, *, hidden_features: int, hidden_layers: int, steps: int, lr=1e-3,
               data_range: float = 1.0, device=None, seed: int = 0, model_kwargs: dict | None = None,
               **fit_kwargs) -> dict:
    """Fit one network of each kind in `kinds` to `image` and return {kind: FitResult}.

    Every network has the same width and depth and starts from `seed`. `lr` is
    one learning rate for all or a dict {kind: lr}; `model_kwargs` are passed
    to `make_model` (e.g. first_omega_0), `fit_kwargs` to `helpers.fit`.
    PSNR and SSIM are measured on the whole pixel grid after the fit.
    """
    img = _as_image(image)
    kinds = list(kinds)
    if not kinds:
        raise ValueError("kinds is empty: name at least one model kind, e.g. ['siren', 'relu']")
    shape = img.shape[:2]
    coords, values = flatten(img, device=device, spatial_dims=2)
    fit_kwargs.setdefault("batch_size", None)  # all pixels every step on any device: comparisons are per step
    results = {}
    for kind in kinds:
        rate = lr[kind] if isinstance(lr, dict) else lr
        model = make_model(kind, 2, values.shape[1], hidden_features, hidden_layers, seed=seed,
                           **(model_kwargs or {})).to(device)
        hist = fit(model, coords, values, steps=steps, lr=rate, data_range=data_range,
                   desc=MODEL_LABELS.get(kind, kind), **fit_kwargs)
        seconds = hist.seconds  # the training steps on the history's clock, as the PSNR-vs-time curves count them
        out = to_grid(evaluate(model, coords), shape).cpu()
        ref = img.squeeze(-1) if img.ndim == 3 and img.shape[-1] == 1 else img
        results[kind] = FitResult(kind, model, hist, out, psnr(out, ref, data_range=data_range),
                                  ssim(out, ref, data_range=data_range), count_parameters(model), seconds)
    return results


def results_table(results: dict, data_range: float = 1.0) -> str:
    """A text table: model, final PSNR, SSIM, parameters, fit seconds and seconds per step."""
    lines = [f"{'model':22s} {'PSNR [dB]':>10s} {'SSIM':>6s} {'params':>8s} {'fit [s]':>8s} {'ms/step':>8s}",
             f"(PSNR and SSIM over the whole image, data range [0, {data_range:g}])"]
    for r in results.values():
        steps = r.history.step[-1] if r.history.step else 1
        lines.append(f"{r.label:22s} {r.psnr:10.2f} {r.ssim:6.3f} {r.params:8d} {r.seconds:8.1f} "
                     f"{1000 * r.seconds / steps:8.1f}")
    return "\n".join(lines)


def fine_grid(shape, factor: int, device=None) -> torch.Tensor:
    """Coordinates (H·f, W·f, 2) of the pixel centres of the same picture sampled `factor` times finer.

    The frame is `helpers.flatten`'s for the coarse (H, W) image: coarse pixel i
    sits at -1 + 2i/(H-1). A resize to (H·f, W·f) (e.g. `load_image(size=...)`)
    puts fine pixel j at the picture position (j + ½)/(H·f), i.e. coarse index
    (j + ½)/f - ½; so a network fitted on the coarse grid and queried here can be
    compared pixel by pixel with the finer image. The outermost fine pixels lie
    slightly outside [-1, 1].
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 2:
        raise ValueError(f"shape must be (H, W) with H, W >= 2, got {shape}")
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor}")
    factor = int(factor)
    axes = []
    for n in shape:
        i = (torch.arange(n * factor, dtype=torch.float32, device=device) + 0.5) / factor - 0.5
        axes.append(-1.0 + 2.0 * i / (n - 1))
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1)


def show_maps(maps, titles, *, signed: bool = True, ncols: int | None = None, size: float = 2.6,
              quantile: float = 0.99, suptitle: str | None = None) -> None:
    """Maps (H, W) side by side, each on its own colour scale; shows the figure, returns None.

    A shared scale saturates a panel whose values are far larger than the others' (the Laplacian
    of a positional encoding next to the image's) to one colour and shows nothing. Here each
    panel is scaled to its own `quantile` of |value|: ±q on a diverging map when `signed`
    (0 stays white), [0, q] on viridis otherwise; the range is appended to the panel's title.
    """
    maps = [m.detach().float().cpu().numpy() if torch.is_tensor(m) else np.asarray(m, dtype=np.float32)
            for m in maps]
    titles = list(titles)
    if not maps or len(titles) != len(maps):
        raise ValueError(f"show_maps needs one title per map, got {len(maps)} maps and {len(titles)} titles")
    if any(m.ndim != 2 for m in maps):
        raise ValueError(f"show_maps draws 2D maps (H, W), got shapes {[m.shape for m in maps]}")
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must lie in (0, 1], got {quantile}")
    ncols = min(ncols or len(maps), len(maps))
    nrows = -(-len(maps) // ncols)
    width = min(size, MAX_WIDTH / ncols)                 # fit the notebook column
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, nrows * (0.8 * width + 0.55)
                                                    + (0.35 if suptitle else 0)), squeeze=False)
    for ax, m, title in zip(axes.flat, maps, titles):
        finite = np.abs(m[np.isfinite(m)])
        q = float(np.quantile(finite, quantile)) if finite.size else 0.0
        q = q if q > 0 else 1.0                           # an all-zero map: any range shows it as zero
        if signed:
            h = ax.imshow(m, cmap="RdBu_r", vmin=-q, vmax=q)
            scale = f"own scale ±{q:.3g}"
        else:
            h = ax.imshow(m, cmap="viridis", vmin=0, vmax=q)
            scale = f"own scale 0 to {q:.3g}"
        ax.set_title(f"{title}\n{scale}" if title else scale, fontsize=10)
        fig.colorbar(h, ax=ax, fraction=0.046, pad=0.04)
        ax.axis("off")
    for ax in list(axes.flat)[len(maps):]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    plt.show()
