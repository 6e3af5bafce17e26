import numpy as np
import pytest
import torch

import helpers
from helpers import signals


def test_image_derivatives_match_analytic_in_coordinate_units():
    n = 129
    xy = helpers.grid((n, n)).double()
    f = torch.sin(2 * xy[..., 0]) + xy[..., 1] ** 2  # rows: y, cols: x
    g = signals.image_gradient(f.float())
    inner = (slice(2, -2), slice(2, -2))
    assert torch.allclose(g[inner][..., 0], (2 * torch.cos(2 * xy[..., 0]))[inner].float(), atol=2e-3)
    assert torch.allclose(g[inner][..., 1], (2 * xy[..., 1])[inner].float(), atol=2e-3)
    lap = signals.image_laplacian(f.float())
    assert torch.allclose(lap[inner], (-4 * torch.sin(2 * xy[..., 0]) + 2)[inner].float(), atol=5e-3)


def test_network_gradient_matches_sampled_gradient():
    """A network's ∇Φ on helpers.flatten coordinates is in the same units and order as image_gradient."""
    n = 65
    c = helpers.grid((n, n))
    img = 0.5 + 0.25 * torch.sin(3 * c[..., 0]) * torch.cos(2 * c[..., 1])
    x = c.reshape(-1, 2).clone().requires_grad_(True)
    y = (0.5 + 0.25 * torch.sin(3 * x[:, :1]) * torch.cos(2 * x[:, 1:]))
    g_net = helpers.gradient(y, x).detach().reshape(n, n, 2)
    g_img = signals.image_gradient(img)
    assert torch.allclose(g_net[2:-2, 2:-2], g_img[2:-2, 2:-2], atol=5e-3)


def test_spectrogram_peak_frequency():
    rate = 8000
    t = np.arange(rate) / rate
    times, freqs, db = signals.spectrogram(np.sin(2 * np.pi * 1000 * t), rate, window=512, hop=128)
    assert abs(freqs[db.mean(1).argmax()] - 1000) < rate / 512
    assert db.shape == (len(freqs), len(times))


def test_band_errors_split_low_and_high_frequencies():
    rate = 8000
    t = np.arange(800) / rate                       # 0.1 s: whole periods of both tones
    low, high = np.sin(2 * np.pi * 200 * t), 0.3 * np.sin(2 * np.pi * 2000 * t)
    target = low + high
    assert signals.band_errors(target, target, rate, 500) == pytest.approx((0.0, 0.0), abs=1e-9)
    e_lo, e_hi = signals.band_errors(target, low, rate, 500)      # a fit that misses the high tone
    assert e_lo == pytest.approx(0.0, abs=1e-9) and e_hi == pytest.approx(1.0, abs=1e-6)
    e_lo, e_hi = signals.band_errors(target, torch.as_tensor(high), rate, 500)  # tensors work too
    assert e_lo == pytest.approx(1.0, abs=1e-6) and e_hi == pytest.approx(0.0, abs=1e-9)
    e_lo, _ = signals.band_errors(target, target + 0.5 * low, rate, 500)
    assert e_lo == pytest.approx(0.5, abs=1e-6)


def test_band_errors_refuses_bad_input():
    x = np.sin(np.linspace(0, 20, 100))
    with pytest.raises(ValueError, match="same length"):
        signals.band_errors(x, x[:50], 100, 10)
    with pytest.raises(ValueError, match="Nyquist"):
        signals.band_errors(x, x, 100, 60)
    with pytest.raises(ValueError, match="NaN"):
        signals.band_errors(x, np.full(100, np.nan), 100, 10)
    with pytest.raises(ValueError, match="no energy"):
        signals.band_errors(np.ones(100), x, 100, 10)   # a constant has nothing above 10 Hz



def test_image_band_errors_split_centre_and_outer_ring():
    n = 64
    i = torch.arange(n, dtype=torch.float64)
    slow = torch.cos(2 * torch.pi * 2 * i / n)[None, :].expand(n, n)   # 2 cycles per image: 1/8 of Nyquist
    fast = torch.cos(2 * torch.pi * 24 * i / n)[:, None].expand(n, n)  # 0.375 cycles per pixel: 3/4 of Nyquist
    target = 0.5 + slow + fast
    assert signals.image_band_errors(target, target) == pytest.approx((0.0, 0.0), abs=1e-6)
    low, high = signals.image_band_errors(target, 0.5 + slow, 0.25)   # a blurry fit: no outer ring
    assert low == pytest.approx(0.0, abs=1e-6) and high == pytest.approx(1.0, abs=1e-6)
    low, high = signals.image_band_errors(target, 0.5 + fast, 0.25)
    assert 0.5 < low < 1.0 and high == pytest.approx(0.0, abs=1e-6)  # the mean (DC) is in the centre band
    rgb = torch.stack([target] * 3, -1)
    assert signals.image_band_errors(rgb, rgb)[1] == 0.0
    with pytest.raises(ValueError, match="same shape"):
        signals.image_band_errors(target, target[:10])
    with pytest.raises(ValueError, match="fraction"):
        signals.image_band_errors(target, target, 1.5)
    with pytest.raises(ValueError, match="no energy"):
        signals.image_band_errors(torch.full((8, 8), 0.3), torch.zeros(8, 8))


def test_spectrum_and_spectrogram_share_one_db_rule():
    assert helpers.spectrum(np.zeros(64)).shape == (33,)
    assert helpers.spectrum(np.zeros((8, 10, 3))).shape == (8, 10)
    assert helpers.spectrum(np.zeros(64)).min() == pytest.approx(-120.0)       # the floor, not -inf
    n, k = 64, 5
    spec = helpers.spectrum(np.cos(2 * np.pi * k * np.arange(n) / n))
    assert spec.argmax() == k and spec[k] == pytest.approx(20 * np.log10(n / 2), abs=1e-6)
    img = np.cos(2 * np.pi * 3 * np.arange(16) / 16)[None, :] * np.ones((16, 1))
    centred = helpers.spectrum(img)                                             # DC in the middle: (8, 8)
    assert np.unravel_index(centred.argmax(), centred.shape) in ((8, 5), (8, 11))
    _, _, db = signals.spectrogram(np.ones(256), 1000, window=64, hop=64)
    assert db.max() == pytest.approx(20 * np.log10(np.hanning(65)[:64].sum()), abs=0.5)
    with pytest.raises(ValueError, match="NaN"):
        helpers.spectrum(np.array([1.0, np.nan, 0.0]))


def test_zone_plate_rings_have_the_local_frequency_it_reports():
    img, freq = signals.zone_plate(256)
    assert img.shape == freq.shape == (256, 256) and img.dtype == np.float32
    assert 0 <= img.min() and img.max() <= 1 and freq.min() < 0.005 and abs(freq.max() - 0.5) < 1e-6
    # independent check: the strongest frequency of a window's spectrum is the map's frequency at its centre
    for col in (160, 200, 240):                                           # on the centre row, right of the centre
        row = img[128, col - 16:col + 16]                                   # 32 pixels of one row
        spec = np.abs(np.fft.rfft((row - row.mean()) * np.hanning(32), n=1024))
        peak = np.fft.rfftfreq(1024)[spec.argmax()]                      # cycles per pixel
        assert abs(peak - freq[128, col]) < 0.02, (col, peak, freq[128, col])
    with pytest.raises(ValueError, match="Nyquist"):
        signals.zone_plate(64, corner_frequency=0.7)
    with pytest.raises(ValueError, match="size must be a whole number"):
        signals.zone_plate(64.5)
