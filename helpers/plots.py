"""Figures that every notebook shares: image grids, curves, spectra, audio, meshes, widgets.

The `show_*` / `plot_*` functions display their figure themselves and return
None, so a call as the last line of a cell does not show the figure twice.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch


def to_numpy(a) -> np.ndarray:
    """Tensor (any device) or array -> float numpy array."""
    return a.detach().float().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)


def show_images(images, titles=None, ncols: int | None = None, size: float = 3.2, cmap="gray",
                vmin=None, vmax=None, colorbar: bool = False, suptitle: str | None = None):
    """Images (H, W) or (H, W, 3) side by side, each with its title (put PSNR there).

    RGB images are clipped to [0, 1]; gray images use vmin/vmax (default: [0, 1]
    when the values lie in it, else their own range, shown with a colorbar).
    """
    images = [to_numpy(im).squeeze() for im in images]
    titles = list(titles) if titles is not None else [""] * len(images)
    ncols = ncols or len(images)
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax, im, title in zip(axes.flat, images, titles):
        if im.ndim == 3:
            h = ax.imshow(np.clip(im, 0, 1))
        else:
            lo, hi = vmin, vmax
            if lo is None and hi is None and im.min() >= 0 and im.max() <= 1:
                lo, hi = 0.0, 1.0
            h = ax.imshow(im, cmap=cmap, vmin=lo, vmax=hi)
            if colorbar:
                fig.colorbar(h, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    for ax in list(axes.flat)[len(images):]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    plt.show()


def plot_histories(histories: dict, metric: str = "psnr", x: str = "step", ax=None, title: str | None = None):
    """Curves of `metric` ('psnr' or 'loss' or a loss term) over 'step' or 'time' for several fits."""
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, h in histories.items():
        ys = h.psnr if metric == "psnr" else (h.loss if metric == "loss" else h.terms[metric])
        xs = h.step if x == "step" else h.time
        ax.plot(xs, ys, label=name)
    ax.set_xlabel("step" if x == "step" else "wall time [s]")
    if metric == "psnr":
        rng = next(iter(histories.values())).data_range
        ax.set_ylabel(f"PSNR [dB], data range {rng:g}")
    else:
        ax.set_ylabel(metric)
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    if own:
        fig.tight_layout()
        plt.show()
        return None
    return ax


def spectrum(signal) -> np.ndarray:
    """log10(1 + |FFT|) of a 1D signal (rfft) or a 2D gray image (centred fft2)."""
    s = to_numpy(signal).squeeze()
    if s.ndim == 1:
        return np.log10(1e-8 + np.abs(np.fft.rfft(s)))
    if s.ndim == 3:
        s = s.mean(-1)
    return np.log10(1 + np.abs(np.fft.fftshift(np.fft.fft2(s - s.mean()))))


def plot_spectra(signals: dict, rate: float | None = None, size: float = 3.2):
    """Fourier spectra side by side: images as log-magnitude maps, 1D signals as curves."""
    items = list(signals.items())
    first = to_numpy(items[0][1]).squeeze()
    if first.ndim == 1:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for name, s in items:
            spec = spectrum(s)
            f = np.fft.rfftfreq(len(to_numpy(s).squeeze()), d=1 / rate if rate else 1.0)
            ax.plot(f, spec, label=name, lw=0.8, alpha=0.8)
        ax.set_xlabel("frequency [Hz]" if rate else "frequency [cycles/sample]")
        ax.set_ylabel("log10 |FFT|")
        ax.legend()
        ax.set_title("Spectra")
    else:
        specs = [spectrum(s) for _, s in items]
        vmax = max(sp.max() for sp in specs)
        fig, axes = plt.subplots(1, len(items), figsize=(size * len(items), size), squeeze=False)
        for ax, (name, _), sp in zip(axes[0], items, specs):
            ax.imshow(sp, cmap="magma", vmin=0, vmax=vmax)
            ax.set_title(f"{name}: log(1+|F|)", fontsize=10)
            ax.axis("off")
    fig.tight_layout()
    plt.show()


def show_audio(signals: dict, rate: int, players: bool = True, max_points: int = 20000):
    """Waveforms one above the other (same axes), with an audio player for each."""
    fig, axes = plt.subplots(len(signals), 1, figsize=(9, 1.6 * len(signals)), sharex=True, squeeze=False)
    for ax, (name, s) in zip(axes[:, 0], signals.items()):
        s = to_numpy(s).squeeze()
        step = max(1, len(s) // max_points)
        t = np.arange(len(s))[::step] / rate
        ax.plot(t, s[::step], lw=0.5)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(name, rotation=0, ha="right")
    axes[-1, 0].set_xlabel("time [s]")
    fig.tight_layout()
    plt.show()
    if players:
        from IPython.display import Audio, display

        for name, s in signals.items():
            print(name)
            display(Audio(np.clip(to_numpy(s).squeeze(), -1, 1), rate=rate, normalize=False))


def plot_mesh(ax, vertices, faces, color=(0.65, 0.72, 0.85), elev: float = 20, azim: float = -60,
              title: str | None = None, light=(0.4, 0.3, 1.0)):
    """Shade a triangle mesh on a 3D matplotlib axis (Lambert shading from `light`)."""
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    from .surfaces import face_normals

    v, f = np.asarray(vertices), np.asarray(faces)
    n = face_normals(v, f)
    l = np.asarray(light, dtype=np.float32)
    shade = 0.3 + 0.7 * np.abs(n @ (l / np.linalg.norm(l)))  # two-sided: orientation-agnostic
    colors = np.clip(np.asarray(color)[None, :] * shade[:, None], 0, 1)
    ax.add_collection3d(Poly3DCollection(v[f], facecolors=colors, edgecolor="none"))
    lo, hi = v.min(0), v.max(0)
    c, r = (lo + hi) / 2, (hi - lo).max() / 2
    for setlim, ci in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), c):
        setlim(ci - r, ci + r)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=elev, azim=azim)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)


def show_meshes(meshes: dict, views=((20, -60),), size: float = 3.5, up: str = "y"):
    """Meshes side by side (columns), one row per (elev, azim) view. `up` axis: 'y' or 'z'."""
    fig = plt.figure(figsize=(size * len(meshes), size * len(views)))
    for r, (elev, azim) in enumerate(views):
        for c, (name, (v, f)) in enumerate(meshes.items()):
            ax = fig.add_subplot(len(views), len(meshes), r * len(meshes) + c + 1, projection="3d")
            v = np.asarray(v)
            if up == "y":  # matplotlib's 3D up axis is z
                v = v[:, [0, 2, 1]] * np.array([1, -1, 1])
            plot_mesh(ax, v, f, elev=elev, azim=azim, title=name if r == 0 else None)
    fig.tight_layout()
    plt.show()


def show_points(points, ax=None, title=None, s: float = 2.0, up: str = "y", elev=20, azim=-60):
    """A 3D point cloud scatter."""
    p = to_numpy(points)
    if up == "y":
        p = p[:, [0, 2, 1]] * np.array([1, -1, 1])
    own = ax is None
    if own:
        fig = plt.figure(figsize=(3.5, 3.5))
        ax = fig.add_subplot(projection="3d")
    ax.scatter(*p.T, s=s, c=p[:, 2], cmap="viridis")
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=elev, azim=azim)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    if own:
        plt.show()
        return None
    return ax


def explore(draw, static: dict | None = None, **sliders):
    """A widget to explore a parameter, that degrades to a static figure.

    draw(**values) makes a figure. The static figure(s) are drawn first with
    each dict in `static` (or the sliders' defaults), so the notebook shows
    the idea even where widgets don't render (CI, static HTML); then an
    ipywidgets `interact` is shown for live exploration.
    sliders: name=ipywidgets widget, e.g. omega_0=widgets.FloatLogSlider(...).
    """
    import ipywidgets as widgets
    from IPython.display import display

    defaults = {k: w.value for k, w in sliders.items()}
    draw(**(static or defaults))
    ui = widgets.interactive(draw, {"manual": True, "manual_name": "redraw"}, **sliders)
    display(ui)
