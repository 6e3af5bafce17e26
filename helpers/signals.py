"""Derivatives and spectra of *sampled* signals: the ground truth a network's ∇ₓΦ and ΔΦ are compared with.

All derivatives are with respect to the course's coordinates: a grid of N
samples spans [-1, 1], so the sample spacing is h = 2 / (N - 1). That makes a
finite difference here directly comparable to `helpers.gradient` of a
network fitted on `helpers.flatten(image)`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


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


def spectrogram(audio, rate: int, window: int = 1024, hop: int = 256):
    """Log-magnitude short-time Fourier transform: (times [s], freqs [Hz], dB array (F, T))."""
    x = torch.as_tensor(np.asarray(audio.detach().cpu() if torch.is_tensor(audio) else audio),
                        dtype=torch.float32).flatten()
    window = min(window, len(x))
    hop = min(hop, window)
    S = torch.stft(x, n_fft=window, hop_length=hop, window=torch.hann_window(window), return_complex=True).abs()
    db = 20 * torch.log10(S + 1e-6)
    freqs = np.fft.rfftfreq(window, 1 / rate)
    times = np.arange(S.shape[1]) * hop / rate
    return times, freqs, db.numpy()
