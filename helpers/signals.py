"""Derivatives and spectra of *sampled* signals: the ground truth a network's ∇ₓΦ and ΔΦ are compared with.

All derivatives are with respect to the course's coordinates: a grid of N
samples spans [-1, 1], so the sample spacing is h = 2 / (N - 1). That makes a
finite difference here directly comparable to `helpers.gradient` of a
network fitted on `helpers.flatten(image)`.

`spectrum` and `spectrogram` give magnitudes in dB by one rule (`decibels`).
`band_errors` splits the error of a fitted 1D signal by frequency band: how
much of the content below and above a cutoff a fit reproduces;
`image_band_errors` does the same for an image, inside and outside a radius of
its 2D spectrum (the outer ring holds the edges and texture a blurry fit lacks).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .checks import as_float_tensor, check_int


def _as_image(img) -> torch.Tensor:
    t = img.detach().float() if torch.is_tensor(img) else torch.as_tensor(np.asarray(img), dtype=torch.float32)
    if t.ndim == 3:  # color: derivatives of the gray (mean) image
        t = t.mean(-1)
    if t.ndim != 2:
        raise ValueError(f"expected a gray (H, W) or color (H, W, C) image, got shape {tuple(t.shape)}")
    return t


def _conv(img: torch.Tensor, kernel) -> torch.Tensor:
    k = torch.as_tensor(kernel, dtype=img.dtype, device=img.device)[None, None]
    # replicate padding: no fake edges at the border
    return F.conv2d(F.pad(img[None, None], (1, 1, 1, 1), mode="replicate"), k)[0, 0]


def image_gradient(img) -> torch.Tensor:
    """Sobel estimate of ∇f = (∂f/∂y, ∂f/∂x) per pixel, shape (H, W, 2), in coordinate units.

    The component order follows `helpers.flatten`'s coordinates (rows, then columns).
    """
    t = _as_image(img)
    sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]) / 8.0  # a central difference, smoothed
    d_col = -_conv(t, sobel) / (2.0 / (t.shape[1] - 1))
    d_row = -_conv(t, sobel.T) / (2.0 / (t.shape[0] - 1))
    return torch.stack([d_row, d_col], dim=-1)


def image_laplacian(img) -> torch.Tensor:
    """Five-point estimate of Δf = ∂²f/∂y² + ∂²f/∂x², shape (H, W), in coordinate units."""
    t = _as_image(img)
    hy, hx = 2.0 / (t.shape[0] - 1), 2.0 / (t.shape[1] - 1)
    d2y = _conv(t, [[0, 1, 0], [0, -2, 0], [0, 1, 0]]) / hy ** 2
    d2x = _conv(t, [[0, 0, 0], [1, -2, 1], [0, 0, 0]]) / hx ** 2
    return d2y + d2x


#: The floor of `decibels`: a silent bin reads -120 dB instead of -inf.
DB_FLOOR = 1e-6


def decibels(magnitude) -> np.ndarray:
    """20·log10(|X| + 1e-6): the one dB rule of the course's spectra and spectrograms."""
    return 20.0 * np.log10(np.abs(np.asarray(magnitude)).astype(np.float64) + DB_FLOOR)


def spectrum(signal) -> np.ndarray:
    """Magnitude of the Fourier transform in dB (`decibels`), unnormalized.

    A 1D signal (N,): its rfft, N//2 + 1 bins from 0 to Nyquist. An image (H, W) or
    (H, W, C) (colour averaged to gray): the centred fft2 of the image minus its mean,
    low frequencies in the middle.
    """
    s = as_float_tensor(signal, "signal", device="cpu", finite=True).double().squeeze().numpy()
    if s.ndim == 1:
        return decibels(np.fft.rfft(s))
    if s.ndim == 3:
        s = s.mean(-1)
    if s.ndim != 2:
        raise ValueError(f"spectrum takes a 1D signal (N,) or an image (H, W) or (H, W, C), got shape {s.shape}")
    return decibels(np.fft.fftshift(np.fft.fft2(s - s.mean())))


def spectrogram(audio, rate: int, window: int = 1024, hop: int = 256):
    """Short-time Fourier transform magnitude in dB (`decibels`): (times [s], freqs [Hz], dB array (F, T))."""
    x = as_float_tensor(audio, "audio", device="cpu", finite=True).flatten()
    window = min(window, len(x))
    hop = min(hop, window)
    S = torch.stft(x, n_fft=window, hop_length=hop, window=torch.hann_window(window), return_complex=True).abs()
    freqs = np.fft.rfftfreq(window, 1 / rate)
    times = np.arange(S.shape[1]) * hop / rate
    return times, freqs, decibels(S.numpy()).astype(np.float32)


def band_errors(target, pred, rate: float, cutoff_hz: float) -> tuple[float, float]:
    """Relative spectral error of `pred` against `target` below and above `cutoff_hz`: (low, high).

    For each band B of the rfft bins (B = frequencies <= cutoff, then > cutoff):
        ‖F(pred) − F(target)‖_B / ‖F(target)‖_B.
    0 means the band is reproduced exactly; 1 is what a fit with nothing in that band scores
    (e.g. a ReLU network that misses the high frequencies); above 1, the fit adds wrong content.
    target, pred: 1D signals of the same length (arrays or tensors); rate in Hz.
    """
    x = np.asarray(target.detach().cpu() if torch.is_tensor(target) else target, dtype=np.float64).squeeze()
    y = np.asarray(pred.detach().cpu() if torch.is_tensor(pred) else pred, dtype=np.float64).squeeze()
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"band_errors needs two 1D signals of the same length (>= 2 samples), got shapes "
                         f"{x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("band_errors got NaN or inf samples")
    if not (rate > 0 and 0 < cutoff_hz < rate / 2):
        raise ValueError(f"need rate > 0 and 0 < cutoff_hz < rate / 2 (Nyquist), "
                         f"got rate={rate}, cutoff_hz={cutoff_hz}")
    fx, fy = np.fft.rfft(x), np.fft.rfft(y)
    low = np.fft.rfftfreq(len(x), 1.0 / rate) <= cutoff_hz
    out = []
    for band in (low, ~low):
        ref = np.linalg.norm(fx[band])
        if ref == 0:
            raise ValueError(f"the target has no energy {'below' if band is low else 'above'} {cutoff_hz:g} Hz: "
                             "a relative error there is undefined; move the cutoff")
        out.append(float(np.linalg.norm((fy - fx)[band]) / ref))
    return out[0], out[1]



def image_band_errors(target, pred, fraction: float = 0.25) -> tuple[float, float]:
    """Relative spectral error of an image `pred` against `target`, inside and outside a radius: (low, high).

    The bands split the 2D spectrum (fft2) by radial frequency: at most `fraction` of the grid's
    Nyquist frequency (the centre of a centred spectrum), and above it (the outer ring, where
    edges and texture live). For each band B: ‖F(pred) − F(target)‖_B / ‖F(target)‖_B, the mean
    removed from neither (the DC term is in the low band). 0: that band is reproduced exactly,
    1: it is missing (a blurry fit scores close to 1 in the outer ring). Colour images are
    averaged to gray first.
    """
    x, y = _as_image(target).double(), _as_image(pred).double()
    if x.shape != y.shape:
        raise ValueError(f"image_band_errors needs two images of the same shape, "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1) (a share of the Nyquist frequency), got {fraction}")
    if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
        raise ValueError("image_band_errors got NaN or inf pixels")
    fx, fy = torch.fft.fft2(x), torch.fft.fft2(y)
    ky = torch.fft.fftfreq(x.shape[0], dtype=torch.float64)[:, None] / 0.5   # in units of Nyquist
    kx = torch.fft.fftfreq(x.shape[1], dtype=torch.float64)[None, :] / 0.5
    low = (ky ** 2 + kx ** 2).sqrt() <= fraction
    out = []
    for band in (low, ~low):
        ref = float(fx[band].abs().norm())
        if ref == 0:
            raise ValueError(f"the target has no energy {'inside' if band is low else 'outside'} {fraction:g} of "
                             "the Nyquist frequency: a relative error there is undefined")
        out.append(float((fy - fx)[band].abs().norm()) / ref)
    return out[0], out[1]


def zone_plate(size: int, corner_frequency: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A zone plate: rings whose frequency rises linearly from the centre, in [0, 1]. Returns (image, frequency).

    f(r) = ½ + ½·cos(π·k·r² / r_c), with r the distance in pixels from the image's centre and r_c that of a
    corner. Its local frequency, the derivative of the phase over 2π, is k·r / r_c cycles per pixel, across the
    rings: 0 at the centre, `corner_frequency` = k at the corners, each frequency on its own ring. 0.5 is the
    Nyquist frequency of the pixel grid along an axis; at the corners the rings run diagonally, so along either
    axis no ring changes faster than k/√2 (≈ 0.35 for k = 0.5) and nothing aliases. `frequency` is that map,
    (size, size), for splitting an error by frequency band.
    """
    size = check_int(size, "size", 4)
    if not 0 < corner_frequency <= 0.5:
        raise ValueError(f"corner_frequency must lie in (0, 0.5] cycles per pixel (0.5 is the Nyquist frequency; "
                         f"above it the rings alias), got {corner_frequency}")
    c = (size - 1) / 2
    i, j = np.meshgrid(np.arange(size) - c, np.arange(size) - c, indexing="ij")
    r, r_c = np.hypot(i, j), np.hypot(c, c)
    image = 0.5 + 0.5 * np.cos(np.pi * corner_frequency * r ** 2 / r_c)
    return image.astype(np.float32), (corner_frequency * r / r_c).astype(np.float32)
