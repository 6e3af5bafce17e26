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


def test_plots_reject_bad_input():
    """(That each plot shows its figure and returns None is checked for every display helper in test_plots.py.)"""
    x = tone()
    with pytest.raises(ValueError, match="1D"):
        audio.plot_spectrograms({"a": np.zeros((10, 2))}, 8000)
    with pytest.raises(ValueError, match="NaN"):
        audio.plot_zoom({"a": np.array([0.0, np.nan, 1.0])}, 8000)
    with pytest.raises(ValueError, match="beyond"):
        audio.plot_zoom({"a": x}, 8000, start=10.0)
    with pytest.raises(ValueError, match="empty"):
        audio.plot_spectrograms({}, 8000)
    with pytest.raises(ValueError, match="positive"):
        audio.plot_zoom({"a": x}, 8000, duration=0.0)
    plt.close("all")


def test_energy_share_above_separates_low_and_high_tones():
    rate = 8000
    low, high = tone(100.0, rate, 0.5), tone(2000.0, rate, 0.5)
    assert audio.energy_share_above(low, rate, 500.0) < 1e-3
    assert audio.energy_share_above(high, rate, 500.0) > 0.999
    mix = low + 0.5 * high  # energy 1 : 0.25, so a fifth of it lies above 500 Hz
    assert audio.energy_share_above(torch.from_numpy(mix)[:, None], rate, 500.0) == pytest.approx(0.2, abs=0.01)
    assert audio.energy_share_above(np.full(100, 0.3), rate, 500.0) == 0.0  # constant: nothing above 0 Hz
    with pytest.raises(ValueError, match="rate"):
        audio.energy_share_above(low, 0, 500.0)
    with pytest.raises(ValueError, match="1D"):
        audio.energy_share_above(np.zeros((4, 4)), rate, 500.0)


def test_error_table_formats():
    table = audio.error_table({"relu": {"MSE": 1.5e-2, "PSNR [dB]": 24.26}, "siren": {"MSE": 3e-6}})
    lines = table.splitlines()
    assert lines[0] == "| | MSE | PSNR [dB] |"
    assert "1.50e-02" in lines[2] and "24.3" in lines[2]
    assert lines[3].endswith("|  |")
    custom = audio.error_table({"a": {"ratio": 0.456, "MSE": 2e-3}}, columns=("ratio", "MSE"), formats={"ratio": ".2f"})
    assert custom.splitlines()[2] == "| a | 0.46 | 2.00e-03 |"
    with pytest.raises(ValueError):
        audio.error_table({})
