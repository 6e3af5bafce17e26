"""Figure helpers run headless and return None (so a cell's last line never shows a figure twice)."""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import torch

import helpers


def test_figure_helpers_draw_and_return_none():
    img = np.random.default_rng(0).random((16, 16)).astype(np.float32)
    assert helpers.show_images([img, np.stack([img] * 3, -1)], ["gray", "rgb"], colorbar=True) is None
    assert helpers.plot_spectra({"a": img, "b": img}) is None
    assert helpers.plot_spectra({"a": np.sin(np.arange(256.0))}, rate=100) is None
    h = helpers.History(step=[1, 2], loss=[1.0, 0.5], psnr=[10.0, 12.0], time=[0.1, 0.2], data_range=1.0)
    assert helpers.plot_histories({"siren": h}) is None
    assert helpers.plot_histories({"siren": h}, metric="loss", x="time") is None
    v, f = helpers.extract_mesh(lambda x: x.norm(dim=-1) - 0.5, resolution=12)
    assert helpers.show_meshes({"sphere": (v, f)}, views=((20, 30), (60, 0))) is None
    assert helpers.show_points(torch.rand(50, 3)) is None
    assert helpers.show_audio({"tone": np.sin(np.arange(800) / 5)}, rate=8000, players=False) is None


def test_spectrum_shapes():
    assert helpers.spectrum(np.zeros(64)).shape == (33,)
    assert helpers.spectrum(np.zeros((8, 10, 3))).shape == (8, 10)
