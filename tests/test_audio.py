import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import audio


def tone(freq=440.0, rate=8000, seconds=0.25):
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_omega_for_frequency_is_pi_f_d():
    assert audio.omega_for_frequency(440.0, 2.0) == pytest.approx(math.pi * 880.0)
    # check against a sampled tone on t in [-1, 1]: phase advance per unit t
    rate, seconds, f = 8000, 0.5, 100.0
    n = int(rate * seconds)
    t = np.linspace(-1, 1, n)
    omega = audio.omega_for_frequency(f, (n - 1) / rate)
    assert np.allclose(np.sin(omega * (t + 1)), np.sin(2 * np.pi * f * np.arange(n) / rate), atol=1e-6)
    with pytest.raises(ValueError):
        audio.omega_for_frequency(100.0, 0.0)


def test_plots_run_and_reject_bad_input():
    x = tone()
    fig = audio.plot_spectrograms({"a": x, "b": torch.from_numpy(x)[:, None]}, 8000, fmax=2000)
    plt.close(fig)
    ax = audio.plot_zoom({"gt": x, "fit": x * 0.9}, 8000, start=0.1, duration=0.01, reference="gt")
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="1D"):
        audio.plot_spectrograms({"a": np.zeros((10, 2))}, 8000)
    with pytest.raises(ValueError, match="NaN"):
        audio.plot_zoom({"a": np.array([0.0, np.nan, 1.0])}, 8000)
    with pytest.raises(ValueError, match="beyond"):
        audio.plot_zoom({"a": x}, 8000, start=10.0)
    with pytest.raises(ValueError, match="empty"):
        audio.plot_spectrograms({}, 8000)
    plt.close("all")


def test_error_table_formats():
    table = audio.error_table({"relu": {"MSE": 1.5e-2, "PSNR [dB]": 24.26}, "siren": {"MSE": 3e-6}})
    lines = table.splitlines()
    assert lines[0] == "| | MSE | PSNR [dB] |"
    assert "1.50e-02" in lines[2] and "24.3" in lines[2]
    assert lines[3].endswith("|  |")
    with pytest.raises(ValueError):
        audio.error_table({})
