"""Figures that every notebook shares: image grids, curves, spectra, audio, meshes, widgets.

The `show_*` / `plot_*` functions display their figure themselves and return
None, so a call as the last line of a cell does not show the figure twice.
Figures are at most `MAX_WIDTH` inches wide: at the 100 dpi that `helpers.setup`
sets, that is what a notebook column shows without shrinking the text.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .signals import spectrum

#: The widest figure (inches) a notebook column shows at full size (about 1,100 px at 100 dpi).
MAX_WIDTH = 11.0


def _fit_width(size: float, ncols: int, extra: float = 0.0) -> float:
    """`size` shrunk so that `ncols` panels of it (plus `extra` inches) fit in MAX_WIDTH."""
    return min(float(size), (MAX_WIDTH - extra) / max(1, ncols))


def to_numpy(a) -> np.ndarray:
    """Tensor (any device) or array -> float numpy array."""
    return a.detach().float().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)


def show_images(images, titles=None, ncols: int | None = None, size: float = 3.2, cmap="gray",
                vmin=None, vmax=None, colorbar: bool = False, suptitle: str | None = None):
    """Images (H, W) or (H, W, 3) side by side, each with its title (put PSNR there).

    RGB images are clipped to [0, 1]; gray images use vmin/vmax (default: [0, 1]
    when the values lie in it, else their own range, shown with a colorbar).
    `size` is the width of one panel in inches (shrunk so the figure fits
    MAX_WIDTH); each panel is as tall as its widest-aspect image needs, so
    wide video frames get wide cells instead of square ones with gaps.
    """
    images = [to_numpy(im).squeeze() for im in images]
    if not images:
        raise ValueError("images is empty: pass at least one (H, W) or (H, W, 3) image")
    titles = list(titles) if titles is not None else [""] * len(images)
    ncols = min(ncols or len(images), len(images))
    nrows = math.ceil(len(images) / ncols)
    aspect = max(im.shape[0] / im.shape[1] for im in images)      # height / width of the tallest image
    bar = 0.25 * size if colorbar else 0.0                          # room for a colorbar beside each panel
    width = _fit_width(size + bar, ncols) - bar
    title_h = 0.35                                                  # one line of 10-pt title, in inches
    fig, axes = plt.subplots(nrows, ncols, figsize=((width + bar) * ncols,
                                                    nrows * (width * aspect + title_h) + (0.4 if suptitle else 0)),
                             squeeze=False)
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
    """Curves of `metric` ('psnr' or 'loss' or a loss term) over 'step' or 'time' for several fits.

    Shows its own figure, or draws into `ax` (the caller shows the figure); returns None.
    The legend sits below the axes, so it never covers a curve.
    """
    if not histories:
        raise ValueError("histories is empty: pass {name: History}")
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.5, 3.6 + 0.3 * math.ceil(len(histories) / 3)))
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
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(3, len(histories)), frameon=False)
    if title:
        ax.set_title(title)
    if own:
        fig.tight_layout()
        plt.show()


def plot_spectra(signals: dict, rate: float | None = None, size: float = 3.2, db_range: float = 80.0):
    """Fourier spectra in dB (`helpers.signals.spectrum`) side by side: images as maps, 1D signals as curves.

    One scale for all: the top `db_range` dB below the loudest bin of them all (the colour range
    of the image maps, the y range of the curves).
    """
    items = list(signals.items())
    specs = [spectrum(s) for _, s in items]
    if specs[0].ndim == 1:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for (name, s), spec in zip(items, specs):
            f = np.fft.rfftfreq(len(to_numpy(s).squeeze()), d=1 / rate if rate else 1.0)
            ax.plot(f, spec, label=name, lw=0.8, alpha=0.8)
        ax.set_xlabel("frequency [Hz]" if rate else "frequency [cycles/sample]")
        top = max(sp.max() for sp in specs)
        ax.set_ylim(top - db_range - 5, top + 5)
        ax.set_ylabel("|F| [dB]")
        ax.legend()
        ax.set_title("Spectra")
    else:
        vmax = max(sp.max() for sp in specs)
        size = _fit_width(size, len(items))
        fig, axes = plt.subplots(1, len(items), figsize=(size * len(items), size), squeeze=False)
        for ax, (name, _), sp in zip(axes[0], items, specs):
            ax.imshow(sp, cmap="magma", vmin=vmax - db_range, vmax=vmax)
            ax.set_title(f"{name}: |F| [dB]", fontsize=10)
            ax.axis("off")
        fig.suptitle(f"centred spectra, one scale: the top {db_range:g} dB", fontsize=10)
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
    size = _fit_width(size, len(meshes))
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


def show_meshes_3d(meshes: dict, height: int = 360, up: str = "y", color=(0.65, 0.72, 0.85)) -> None:
    """Meshes a student can turn: drag to rotate, scroll to zoom, right-drag to pan. Shows them, returns None.

    One interactive viewer per mesh, side by side: trimesh's notebook viewer, which inlines three.js and the
    mesh (as a base64 glTF) in the page, so it needs no network and no kernel once drawn (it works in an
    exported HTML page too, not in a static PNG: keep a `show_meshes` figure beside it for those).
    `up`: the axis that points up, 'y' or 'z' (three.js draws y up). About 0.7 MB of page per viewer.
    """
    import html

    import trimesh
    from IPython.display import HTML, display
    from trimesh.viewer.notebook import scene_to_html

    if not meshes:
        raise ValueError("meshes is empty: pass {title: (vertices (V, 3), faces (F, 3))}")
    if up not in ("y", "z"):
        raise ValueError(f"up must be 'y' or 'z', got {up!r}")
    frames = []
    for title, (v, f) in meshes.items():
        v, f = np.asarray(v, dtype=np.float64), np.asarray(f)
        if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3 or len(f) == 0:
            raise ValueError(f"mesh {title!r}: need vertices (V, 3) and a non-empty faces (F, 3), "
                             f"got {v.shape} and {f.shape}")
        if up == "z":
            v = v[:, [0, 2, 1]] * np.array([1.0, 1.0, -1.0])  # (x, y, z) -> (x, z, -y): z becomes three.js's up
        mesh = trimesh.Trimesh(v, f, process=False)
        mesh.visual.face_colors = np.append(np.asarray(color) * 255, 255).astype(np.uint8)
        doc = scene_to_html(trimesh.Scene(mesh), escape_quotes=True)
        frames.append(f'<figure style="margin:0;flex:1 1 0;min-width:200px">'
                      f'<figcaption style="text-align:center;font:14px sans-serif">{html.escape(str(title))}'
                      f'</figcaption><iframe srcdoc="{doc}" data-role="mesh3d" style="width:100%;height:{height}px;'
                      f'border:1px solid #ddd"></iframe></figure>')
    display(HTML('<div style="display:flex;gap:10px;max-width:1100px">' + "".join(frames) + "</div>"))


def show_points(points, ax=None, title=None, s: float = 2.0, up: str = "y", elev=20, azim=-60):
    """A 3D point cloud scatter: its own figure, shown, or drawn into the 3D axis `ax`. Returns None."""
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


def log_slider(value: float, low: float, high: float, per_decade: int = 10, description: str = ""):
    """A slider over log-spaced values from `low` to `high` that holds `value` exactly.

    An ipywidgets FloatLogSlider moves in fixed steps of the exponent, so the
    browser snaps a start value between two steps (30 becomes 31.6 with
    step 0.1); this SelectionSlider offers the rounded log-spaced values plus
    `value` itself, so the figure drawn for `value` and the slider agree.
    """
    import ipywidgets as widgets

    if not (0 < low <= value <= high) or per_decade < 1:
        raise ValueError(f"need 0 < low <= value <= high and per_decade >= 1, got low={low}, value={value}, "
                         f"high={high}, per_decade={per_decade}")
    exponents = np.arange(math.floor(math.log10(low) * per_decade), math.ceil(math.log10(high) * per_decade) + 1)
    grid = {float(f"{10 ** (e / per_decade):.3g}") for e in exponents}
    options = sorted({v for v in grid if low / 1.01 <= v <= high * 1.01} | {float(value)})  # rounding slack
    return widgets.SelectionSlider(options=[(f"{v:g}", v) for v in options], value=float(value),
                                   description=description, continuous_update=False)


def _exact_slider(name: str, widget, start):
    """The widget, or a replacement that can hold `start` exactly (a FloatLogSlider becomes a log_slider)."""
    import ipywidgets as widgets

    if isinstance(widget, widgets.FloatLogSlider):
        low, high = widget.base ** widget.min, widget.base ** widget.max
        per_decade = max(1, round(1 / (widget.step * math.log(widget.base, 10))))
        value = start if isinstance(start, (int, float)) and low <= start <= high else widget.value
        return log_slider(float(value), low, high, per_decade, widget.description or name)
    if isinstance(widget, (widgets.IntSlider, widgets.FloatSlider)) and isinstance(start, (int, float)):
        steps = (start - widget.min) / widget.step
        if widget.min <= start <= widget.max and abs(steps - round(steps)) > 1e-6:
            # shift the grid of the slider (by less than one step) so that it passes through `start`
            widget.min = start - math.floor(steps) * widget.step
    return widget


_EXPLORE_HINT = "Move a slider and release it: the figure above is redrawn for the new value."


class _Figures:
    """The outputs of one draw(**values) call, shown once and replaced in place on later calls."""

    def __init__(self, draw):
        from IPython import get_ipython

        self.draw, self.handles, self.live = draw, [], get_ipython() is not None

    def _run(self, values):
        """Run draw(**values); in IPython, capture its figures and text instead of showing them."""
        from IPython.utils.capture import capture_output

        if not self.live:
            self.draw(**values)
            return []
        before = set(plt.get_fignums())
        with capture_output() as captured:
            self.draw(**values)
            if set(plt.get_fignums()) - before:  # a draw that made figures without showing them
                plt.show()
        outputs = [(o.data, o.metadata) for o in captured.outputs]
        if captured.stdout:
            outputs.append(({"text/plain": captured.stdout}, {}))
        return outputs

    def show(self, values):
        from IPython.display import display

        self.handles = [display(data, raw=True, metadata=meta, display_id=True) for data, meta in self._run(values)]

    def update(self, values, extra):
        """Replace the shown outputs; outputs beyond the first call's go to the Output widget `extra`."""
        from IPython.display import display

        outputs = self._run(values)
        if not self.live:  # no notebook front-end (a script, a test): draw() has shown its figures itself
            return
        for i, handle in enumerate(self.handles):
            data, meta = outputs[i] if i < len(outputs) else ({"text/plain": ""}, {})
            handle.update(data, raw=True, metadata=meta)
        extra.clear_output()
        with extra:
            for data, meta in outputs[len(self.handles):]:
                display(data, raw=True, metadata=meta)


def explore(draw, static: dict | None = None, **sliders) -> None:
    """A figure with sliders that redraw it: draw(**values) makes the figure.

    The figure is drawn once, as an ordinary output (so CI, nbval and a static
    HTML export show it), for the `static` values, which become the sliders'
    start values: the figure and the sliders always agree. Keys of `static`
    without a slider are passed to every draw unchanged. Below the figure
    come the sliders and a line that says how to use them; releasing a slider
    redraws the figure in place (in a live notebook). A start value a slider
    cannot hold exactly is made exact: a FloatLogSlider becomes a `log_slider`
    that includes it, an Int/FloatSlider's grid is shifted to pass through it;
    a value no slider can hold (e.g. None) draws the figure and warns.
    sliders: name=ipywidgets widget, e.g. t=widgets.FloatSlider(value=0.0, min=-1, max=1, step=0.01).
    """
    import warnings

    import ipywidgets as widgets
    from IPython.display import display

    if not sliders:
        raise ValueError("explore needs at least one slider, e.g. omega_0=helpers.log_slider(30, 1, 3000)")
    values = dict(static or {})
    sliders = {name: _exact_slider(name, w, values.get(name, w.value)) for name, w in sliders.items()}
    for name, w in sliders.items():
        if name not in values:
            values[name] = w.value
            continue
        try:
            w.value = values[name]
            exact = w.value == values[name]
        except Exception:  # a value of the wrong type for this slider, e.g. None for a FloatSlider
            exact = False
        if not exact:
            warnings.warn(f"explore: the static figure is drawn for {name}={values[name]!r}, which the slider "
                          f"cannot start at (it starts at {w.value!r}); give the slider that value, or draw the "
                          "static figure for a value the slider can hold", stacklevel=2)
    figures = _Figures(draw)
    figures.show(values)

    hint, extra = widgets.Label(_EXPLORE_HINT), widgets.Output()

    def redraw(_change=None):
        hint.value = "drawing …"
        try:
            figures.update({**values, **{k: w.value for k, w in sliders.items()}}, extra)
        except Exception as err:  # shown next to the slider: a callback's traceback would go nowhere visible
            hint.value = f"could not draw: {type(err).__name__}: {err}"
        else:
            hint.value = _EXPLORE_HINT

    for w in sliders.values():
        if hasattr(w, "continuous_update"):
            w.continuous_update = False  # one redraw when the slider is released, not one per pixel dragged
        if w.layout.width is None:
            w.layout.width = "min(520px, 95%)"  # room to pick a value (the default is about 300 px)
        w.observe(redraw, names="value")
    if figures.live:
        display(widgets.VBox([*sliders.values(), hint, extra]))
