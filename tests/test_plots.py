"""The plot contract: every display helper shows its figure and returns None (so a cell's last line never shows a
figure twice), figures fit the notebook column, and `explore`'s figure and sliders agree."""
import inspect
import pathlib
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import helpers
from helpers import audio, plots, video

RATE = 8000
TONE = (0.5 * np.sin(2 * np.pi * 440 * np.arange(2000) / RATE)).astype(np.float32)
IMG = np.random.default_rng(0).random((16, 16)).astype(np.float32)
CLIP = np.random.default_rng(1).random((3, 6, 10, 3)).astype(np.float32)
HIST = helpers.History(step=[1, 2], loss=[1.0, 0.5], psnr=[10.0, 12.0], time=[0.1, 0.2], data_range=1.0)
SPHERE = helpers.extract_mesh(lambda x: x.norm(dim=-1) - 0.5, resolution=12)


def _into_axes(fn, projection=None):
    """Call fn(ax) on a fresh axis, then show that figure as a notebook cell would."""
    def call():
        fig = plt.figure()
        result = fn(fig.add_subplot(projection=projection))
        plt.show()
        return result
    return call


# Every display helper of helpers.plots, helpers.audio and helpers.video, called the way the notebooks call it.
# test_every_display_helper_is_covered fails when a new show_*/plot_*/animate/explore is added without a case here.
CASES = {
    "plots.show_images": [lambda: plots.show_images([IMG, np.stack([IMG] * 3, -1)], ["gray", "rgb"], colorbar=True),
                          lambda: plots.show_images([CLIP[0]] * 6, ncols=3, size=5, suptitle="wide frames")],
    "plots.plot_histories": [lambda: plots.plot_histories({"siren": HIST, "relu": HIST}),
                             lambda: plots.plot_histories({"siren": HIST}, metric="loss", x="time"),
                             _into_axes(lambda ax: plots.plot_histories({"siren": HIST}, ax=ax, title="t"))],
    "plots.plot_spectra": [lambda: plots.plot_spectra({"a": IMG, "b": IMG}),
                           lambda: plots.plot_spectra({"a": TONE}, rate=RATE)],
    "plots.show_audio": [lambda: plots.show_audio({"tone": TONE}, rate=RATE, players=False)],
    "plots.plot_mesh": [_into_axes(lambda ax: plots.plot_mesh(ax, *SPHERE, title="sphere"), projection="3d")],
    "plots.show_meshes": [lambda: plots.show_meshes({"sphere": SPHERE, "again": SPHERE}, views=((20, 30), (60, 0)))],
    "plots.show_meshes_3d": [lambda: plots.show_meshes_3d({"sphere": SPHERE, "z up": SPHERE}, up="z")],
    "plots.show_points": [lambda: plots.show_points(torch.rand(50, 3)),
                          _into_axes(lambda ax: plots.show_points(torch.rand(50, 3), ax=ax), projection="3d")],
    "plots.explore": [lambda: plots.explore(lambda a=1.0: plots.show_images([IMG * a]), static=dict(a=0.5),
                                            a=widgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.1))],
    "audio.plot_spectrograms": [lambda: audio.plot_spectrograms({"a": TONE, "b": torch.from_numpy(TONE)[:, None]},
                                                                RATE, fmax=2000)],
    "audio.plot_zoom": [lambda: audio.plot_zoom({"gt": TONE, "fit": TONE * 0.9}, RATE, start=0.1, duration=0.01,
                                                reference="gt"),
                        _into_axes(lambda ax: audio.plot_zoom({"gt": TONE}, RATE, ax=ax, title="zoom"))],
    "video.animate": [lambda: video.animate({"a": CLIP, "b": torch.from_numpy(CLIP)}, fps=2)],
}


def _display_helpers():
    names = []
    for module in (plots, audio, video):
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and (
                    name.startswith(("show_", "plot_")) or name in ("animate", "explore")):
                names.append(f"{module.__name__.split('.')[-1]}.{name}")
    return names


def test_every_display_helper_is_covered():
    assert sorted(_display_helpers()) == sorted(CASES)


@pytest.fixture
def shown(monkeypatch):
    """Record the figures plt.show() displays (and close them, as the inline backend does)."""
    record = []

    def show(*args, **kwargs):
        for num in plt.get_fignums():
            fig = plt.figure(num)
            record.append(fig.get_size_inches().copy())
        plt.close("all")

    monkeypatch.setattr(plt, "show", show)
    plt.close("all")
    return record


@pytest.mark.parametrize("name,case", [(n, c) for n, cs in CASES.items() for c in cs],
                         ids=[f"{n}-{i}" for n, cs in CASES.items() for i in range(len(cs))])
def test_display_helper_shows_its_figure_and_returns_none(name, case, shown, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. explore's warning that figure and slider disagree
        assert case() is None, f"{name} must return None (a returned figure is drawn twice by Jupyter)"
    assert plt.get_fignums() == [], f"{name} left a figure open that nobody showed"
    if name not in ("video.animate", "plots.show_meshes_3d"):  # HTML players, not matplotlib figures
        assert shown, f"{name} did not show a figure"
    for width, _height in shown:
        assert width <= plots.MAX_WIDTH + 1e-6, f"{name}: a {width:.1f}-inch figure is wider than the column"


def test_show_images_sizes_cells_to_the_frames(shown):
    wide = np.zeros((36, 64, 3), np.float32)
    plots.show_images([wide] * 6, ncols=3, size=3.0)
    (width, height), = shown
    assert width == pytest.approx(9.0)
    assert height < 0.75 * width * 2 / 3  # two rows of 16:9 frames (plus titles), not two rows of squares
    plots.show_images([wide] * 3, ncols=3, size=5.0)  # 15 inches asked: shrunk to the column
    assert shown[1][0] == pytest.approx(plots.MAX_WIDTH)
    with pytest.raises(ValueError, match="empty"):
        plots.show_images([])


def test_log_slider_holds_its_start_value_exactly():
    s = plots.log_slider(30.0, 1.0, 2000.0, per_decade=10, description="ω₀")
    assert s.value == 30.0 and s.label == "30"
    values = [v for _, v in s.options]
    assert values == sorted(values) and values[0] == 1.0 and 31.6 in values and values[-1] >= 1990
    assert all(1.2 < b / a < 1.3 for a, b in zip(values, values[1:]) if 30.0 not in (a, b))
    with pytest.raises(ValueError):
        plots.log_slider(5000.0, 1.0, 2000.0)


def test_explore_starts_the_sliders_at_the_static_values(shown):
    calls = []

    def draw(omega_0=1.0, elevation=0, fixed=None):
        calls.append((omega_0, elevation, fixed))
        plt.figure()
        plt.show()

    log = widgets.FloatLogSlider(value=3000.0, base=10, min=0, max=3.3, step=0.1)  # 30 is between its steps
    elevation = widgets.IntSlider(value=25, min=-90, max=90, step=15)             # 10 is between its steps
    plots.explore(draw, static=dict(omega_0=30.0, elevation=10, fixed="kept"), omega_0=log, elevation=elevation)
    assert calls == [(30.0, 10, "kept")]  # the static figure
    assert elevation.value == 10 and (elevation.value - elevation.min) % elevation.step == 0
    elevation.value = 25  # a slider move redraws, with the other slider's value and the fixed argument
    assert calls[-1] == (30.0, 25, "kept") and len(shown) == 2

    with pytest.warns(UserWarning, match="cannot start at"):
        plots.explore(lambda level=0.0: None, static=dict(level=None),
                      level=widgets.FloatSlider(value=0.0, min=-0.1, max=0.1, step=0.01))
    with pytest.raises(ValueError, match="slider"):
        plots.explore(lambda: None)


def test_explore_redraws_in_place_in_a_kernel(tmp_path):
    """In a real kernel the static figure is an ordinary output; moving the slider replaces it in place."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    root = str(pathlib.Path(helpers.__file__).resolve().parents[1])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {root!r})\n"
        "import matplotlib.pyplot as plt, ipywidgets as widgets\n"
        "from helpers import plots\n"
        "def draw(omega_0=1.0):\n"
        "    plt.figure(figsize=(2, 1)); plt.title(f'omega_0 = {omega_0:g}'); plt.show(); print('drew', omega_0)\n"
        "slider = widgets.FloatSlider(value=90.0, min=0.0, max=200.0, step=20.0)\n"
        "plots.explore(draw, static=dict(omega_0=30.0), omega_0=slider)"),
        nbformat.v4.new_code_cell("print(slider.value); slider.value = 100.0")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    kinds = [list(o.get("data", {})) for o in outputs]
    assert "image/png" in kinds[0], kinds
    assert any("application/vnd.jupyter.widget-view+json" in k for k in kinds), kinds
    printed = "".join(o["text"] for o in nb.cells[1].outputs if o.get("name") == "stdout")
    assert printed.split()[0] == "30.0"  # the slider starts where the static figure is
    # the figure and the printed line were replaced by the redraw for omega_0 = 100, not added below
    assert sum("image/png" in k for k in kinds) == 1
    assert any("drew 100" in o.get("data", {}).get("text/plain", "") for o in outputs), outputs


def test_show_meshes_3d_inlines_everything(monkeypatch):
    """The viewer's page holds three.js and the mesh itself: nothing is fetched (the course works offline)."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    plots.show_meshes_3d({"sphere": SPHERE})
    page = shown[0].data
    assert page.count("<iframe") == 1 and "srcdoc=" in page and len(page) > 100_000
    quote = r"(&quot;|\"|')?"
    fetch = re.compile(rf"(src|href)\s*=\s*{quote}\s*(https?:)?//|url\(\s*{quote}(https?:)?//|from\s+{quote}https?:")
    assert not fetch.search(page), f"the viewer links something outside the page: {fetch.search(page)}"
    with pytest.raises(ValueError, match="faces"):
        plots.show_meshes_3d({"bad": (SPHERE[0], np.zeros((0, 3), int))})
    with pytest.raises(ValueError, match="up"):
        plots.show_meshes_3d({"sphere": SPHERE}, up="x")
