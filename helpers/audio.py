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

from .plots import _fit_width, to_numpy
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


def energy_share_above(signal, rate: float, freq_hz: float) -> float:
    """The share (0..1) of a signal's spectral energy |FFT|² above `freq_hz` Hz (the mean removed first).

    A fit that follows only the slow envelope of a recording keeps far less of
    its energy above a few hundred Hz than the recording itself.
    """
    a = _as_1d(signal, "signal").astype(np.float64)
    if rate <= 0 or freq_hz < 0:
        raise ValueError(f"need rate > 0 and freq_hz >= 0, got rate={rate}, freq_hz={freq_hz}")
    power = np.abs(np.fft.rfft(a - a.mean())) ** 2
    total = power.sum()
    if total == 0:
        return 0.0  # a constant signal has no energy at any frequency above 0 Hz
    return float(power[np.fft.rfftfreq(len(a), 1.0 / rate) > freq_hz].sum() / total)


def plot_spectrograms(signals: dict, rate: int, window: int = 512, hop: int = 128, fmax: float | None = None,
                      size: float = 3.6, vmin: float = -80.0) -> None:
    """Spectrograms side by side on one shared dB scale, with a colorbar; shows the figure, returns None.

    The scale is shared so that panels compare: a model that misses a band
    shows it dark where the ground truth is bright. Frequencies above `fmax` Hz
    (default: Nyquist) are cut off the plot. Panels are `size` inches wide,
    shrunk so the figure fits the notebook column.
    """
    if not signals:
        raise ValueError("signals is empty: pass {name: samples}")
    specs = {k: spectrogram(_as_1d(v, k), rate, window=window, hop=hop) for k, v in signals.items()}
    vmax = max(db.max() for _, _, db in specs.values())
    fmax = fmax or rate / 2
    size = _fit_width(size, len(specs), extra=1.0)
    fig, axes = plt.subplots(1, len(specs), figsize=(size * len(specs) + 1.0, max(2.8, size * 0.8)),
                             squeeze=False, sharey=True)
    for ax, (name, (times, freqs, db)) in zip(axes[0], specs.items()):
        im = ax.pcolormesh(times, freqs, db, vmin=max(vmin, vmax - 100), vmax=vmax, cmap="magma", shading="auto")
        ax.set_ylim(0, fmax)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("time [s]")
    axes[0, 0].set_ylabel("frequency [Hz]")
    fig.colorbar(im, ax=list(axes[0]), fraction=0.02, pad=0.01, label="magnitude [dB], shared scale")
    plt.show()


def plot_zoom(signals: dict, rate: int, start: float = 0.0, duration: float = 0.02, reference: str | None = None,
              ax=None, title: str | None = None) -> None:
    """Waveforms overlaid on a short window [start, start + duration] s, where the detail shows.

    `reference` (a key of `signals`) is drawn thick and gray underneath the others.
    Shows its own figure, or draws into `ax` (the caller shows the figure); returns None.
    The legend sits to the right of the axes, off the curves.
    """
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(10, 3.2))
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
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title or f"zoom: {duration * 1000:.0f} ms from {start:.2f} s")
    if own:
        fig.tight_layout()
        plt.show()


def error_table(results: dict, columns=("MSE", "PSNR [dB]"), formats: dict | None = None) -> str:
    """A Markdown table of {row name: {column: value}}.

    Floats are written with `formats[column]` (a format spec such as ".2f") when
    given, else: columns with "dB" in the name with 1 decimal, other numbers
    >= 1 with 1 decimal, smaller ones in scientific notation. Missing cells stay empty.
    """
    if not results:
        raise ValueError("results is empty")
    cols, formats = list(columns), dict(formats or {})

    def fmt(v, c):
        if isinstance(v, (float, np.floating)):
            if c in formats:
                return format(v, formats[c])
            return f"{v:.1f}" if ("dB" in str(c) or abs(v) >= 1) else f"{v:.2e}"
        return str(v)

    lines = ["| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, row in results.items():
        cells = []
        for c in cols:
            cells.append(fmt(row[c], c) if c in row else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
