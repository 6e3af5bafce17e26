"""Audio as a function Φ(t) -> amplitude: time coordinates, spectrogram and zoomed waveform figures, error tables.

A clip of N samples is fitted on t in [-1, 1] (`helpers.flatten(samples)`),
so one unit of t lasts half the clip: a sine of frequency f Hz in a clip of
D seconds oscillates f·D/2 times per unit of t, i.e. at angular frequency
π·f·D rad per unit. That is why a SIREN for audio needs a first-layer ω₀ in
the thousands (`omega_for_frequency`).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .plots import to_numpy
from .signals import spectrogram


def _as_1d(x, name: str) -> np.ndarray:
    a = to_numpy(x).squeeze()
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1D signal (N,) or (N, 1), got shape {to_numpy(x).shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")
    return a


def omega_for_frequency(freq_hz: float, seconds: float) -> float:
    """The angular frequency (rad per unit t) of a `freq_hz` tone in a clip of `seconds` mapped to t in [-1, 1].

    A first SIREN layer with weights W ~ U(-1, 1) and scale ω₀ starts with
    frequencies up to ω₀ rad per unit t, so ω₀ ≈ omega_for_frequency(f_max, D)
    lets it reach f_max Hz from the start.
    """
    if freq_hz < 0 or seconds <= 0:
        raise ValueError(f"need freq_hz >= 0 and seconds > 0, got {freq_hz}, {seconds}")
    return math.pi * freq_hz * seconds


def plot_spectrograms(signals: dict, rate: int, window: int = 512, hop: int = 128, fmax: float | None = None,
                      size: float = 3.6, vmin: float = -80.0):
    """Spectrograms (dB, one shared colour scale) side by side, with a colorbar.

    Frequencies above `fmax` Hz (default: Nyquist) are cut off the plot.
    """
    if not signals:
        raise ValueError("signals is empty: pass {name: samples}")
    specs = {k: spectrogram(_as_1d(v, k), rate, window=window, hop=hop) for k, v in signals.items()}
    vmax = max(db.max() for _, _, db in specs.values())
    fmax = fmax or rate / 2
    fig, axes = plt.subplots(1, len(specs), figsize=(size * len(specs) + 1.0, size * 0.8), squeeze=False,
                             sharey=True)
    for ax, (name, (times, freqs, db)) in zip(axes[0], specs.items()):
        im = ax.pcolormesh(times, freqs, db, vmin=max(vmin, vmax - 100), vmax=vmax, cmap="magma", shading="auto")
        ax.set_ylim(0, fmax)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("time [s]")
    axes[0, 0].set_ylabel("frequency [Hz]")
    fig.colorbar(im, ax=list(axes[0]), fraction=0.02, pad=0.01, label="magnitude [dB]")
    plt.show()
    return fig


def plot_zoom(signals: dict, rate: int, start: float = 0.0, duration: float = 0.02, reference: str | None = None,
              ax=None, title: str | None = None):
    """Waveforms overlaid on a short window [start, start + duration] s, where the detail shows.

    `reference` (a key of `signals`) is drawn thick and gray underneath the others.
    """
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(10, 3))
    for name, s in signals.items():
        a = _as_1d(s, name)
        i0 = max(0, int(round(start * rate)))
        i1 = min(len(a), i0 + max(2, int(round(duration * rate))))
        if i0 >= len(a):
            raise ValueError(f"start={start} s lies beyond the end of {name!r} ({len(a) / rate:.3f} s)")
        t = np.arange(i0, i1) / rate * 1000.0
        if name == reference:
            ax.plot(t, a[i0:i1], color="0.6", lw=3.5, label=name, zorder=0)
        else:
            ax.plot(t, a[i0:i1], lw=1.2, label=name)
    ax.set_xlabel("time [ms]")
    ax.set_ylabel("amplitude")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.set_title(title or f"zoom: {duration * 1000:.0f} ms from {start:.2f} s")
    if own:
        fig.tight_layout()
        plt.show()
    return ax


def error_table(results: dict, columns=("MSE", "PSNR [dB]")) -> str:
    """A Markdown table of {row name: {column: value}} (floats: MSE in scientific notation, dB with 1 decimal)."""
    if not results:
        raise ValueError("results is empty")
    cols = list(columns)

    def fmt(v, c):
        if isinstance(v, (float, np.floating)):
            return f"{v:.1f}" if ("dB" in str(c) or abs(v) >= 1) else f"{v:.2e}"
        return str(v)

    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, row in results.items():
        cells = []
        for c in cols:
            cells.append(fmt(row[c], c) if c in row else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
