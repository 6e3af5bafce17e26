"""Coordinate networks Φ: R^d -> R^c, all taking (..., d) and returning (..., c).

- `Siren`: sine activations with the initialization of Sitzmann et al. 2020,
  exactly as the authors' code: first layer W ~ U(-1/n, 1/n), hidden layers
  W ~ U(-sqrt(6/n)/ω₀, sqrt(6/n)/ω₀), ω₀ multiplying (Wx + b), a linear last
  layer initialized like a hidden one; biases keep PyTorch's default.
- `MLP`: ReLU / tanh / ... MLP, optionally after an input encoding:
  `PositionalEncoding` (NeRF) or `FourierFeatures` (Tancik et al. 2020).
- `make_model(kind, ...)` builds any of them at the same width and depth.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .checks import check_int, check_last_dim, check_positive


def _as_input(x: torch.Tensor, d: int, like: torch.Tensor) -> torch.Tensor:
    """Check x is (..., d) and give it the dtype of `like` (int64 / float64 coordinates are meant as floats)."""
    check_last_dim(x, d)
    return x if x.dtype == like.dtype else x.to(like.dtype)


class SineLayer(nn.Module):
    """φ(x) = sin(ω₀ (W x + b))."""

    def __init__(self, in_features: int, out_features: int, omega_0: float = 30.0, is_first: bool = False):
        super().__init__()
        in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
        self.omega_0, self.is_first = check_positive(omega_0, "omega_0", " (30 is the paper's value)"), is_first
        self.linear = nn.Linear(in_features, out_features)
        with torch.no_grad():
            # First layer: U(-1/n, 1/n), so ω₀·Wx spans a few periods over x in [-1, 1].
            # Hidden layers: U(±sqrt(6/n)/ω₀), so ω₀·Wx ~ N(0, 1)-like for arcsine inputs.
            bound = 1.0 / in_features if is_first else math.sqrt(6.0 / in_features) / self.omega_0
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # ω₀(Wx + b) = (ω₀W)x + ω₀b: scaling the (out, in) weight costs nothing, scaling the
        # (N, out) pre-activation costs a pass over it forwards and another backwards (7-12%
        # of a SIREN 3x256 training step on a CPU). Same parameters, same gradients.
        w = self.linear.weight * self.omega_0
        b = self.linear.bias * self.omega_0 if self.linear.bias is not None else None
        if x.dtype != w.dtype:
            x = x.to(w.dtype)
        return torch.sin(nn.functional.linear(x, w, b))

    def extra_repr(self) -> str:
        return f"omega_0={self.omega_0}, is_first={self.is_first}"


class Siren(nn.Module):
    """Φ(x) = W_n (φ_{n-1} ∘ … ∘ φ_0)(x) + b_n.

    `hidden_layers` counts the sine layers after the first one (as in the
    authors' code), so the network has hidden_layers + 1 sine layers.
    """

    def __init__(self, in_features: int, out_features: int, hidden_features: int = 256,
                 hidden_layers: int = 3, first_omega_0: float = 30.0, hidden_omega_0: float = 30.0,
                 outermost_linear: bool = True):
        super().__init__()
        in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
        hidden_features = check_int(hidden_features, "hidden_features", 1)
        hidden_layers = check_int(hidden_layers, "hidden_layers", 0,
                                  hint=" (sine layers after the first one; 0 gives a single sine layer)")
        self.in_features, self.out_features = in_features, out_features
        self.first_omega_0 = check_positive(first_omega_0, "first_omega_0", " (30 is the paper's value)")
        self.hidden_omega_0 = check_positive(hidden_omega_0, "hidden_omega_0", " (30 is the paper's value)")
        layers = [SineLayer(in_features, hidden_features, first_omega_0, is_first=True)]
        layers += [SineLayer(hidden_features, hidden_features, hidden_omega_0) for _ in range(hidden_layers)]
        if outermost_linear:
            last = nn.Linear(hidden_features, out_features)
            with torch.no_grad():
                bound = math.sqrt(6.0 / hidden_features) / hidden_omega_0
                last.weight.uniform_(-bound, bound)
            layers.append(last)
        else:
            layers.append(SineLayer(hidden_features, out_features, hidden_omega_0))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_as_input(x, self.in_features, self.net[0].linear.weight))


class PositionalEncoding(nn.Module):
    """NeRF's γ(x) = (x, sin(2^k π x), cos(2^k π x)) for k = 0 … L-1."""

    def __init__(self, in_features: int, num_frequencies: int = 10, include_input: bool = True):
        super().__init__()
        in_features = check_int(in_features, "in_features", 1)
        num_frequencies = check_int(num_frequencies, "num_frequencies", 0)
        self.in_features, self.include_input = in_features, include_input
        self.register_buffer("freqs", (2.0 ** torch.arange(num_frequencies)) * math.pi)
        self.out_features = in_features * (2 * num_frequencies + int(include_input))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _as_input(x, self.in_features, self.freqs)
        xf = (x[..., None] * self.freqs).flatten(-2)  # (..., d*L)
        parts = [x] if self.include_input else []
        return torch.cat(parts + [torch.sin(xf), torch.cos(xf)], dim=-1)


class FourierFeatures(nn.Module):
    """Gaussian Fourier features γ(x) = (cos 2πBx, sin 2πBx), B ~ N(0, σ²)."""

    def __init__(self, in_features: int, num_features: int = 256, sigma: float = 10.0, seed: int = 0):
        super().__init__()
        in_features = check_int(in_features, "in_features", 1)
        num_features = check_int(num_features, "num_features", 1)
        sigma = check_positive(sigma, "sigma", " (the scale of the Fourier frequencies, e.g. 10)")
        g = torch.Generator().manual_seed(check_int(seed, "seed"))
        self.in_features, self.sigma = in_features, sigma
        self.register_buffer("B", torch.randn(in_features, num_features, generator=g) * sigma)
        self.out_features = 2 * num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = 2 * math.pi * _as_input(x, self.in_features, self.B) @ self.B
        return torch.cat([torch.cos(proj), torch.sin(proj)], dim=-1)


ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "softplus": nn.Softplus, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


class MLP(nn.Module):
    """An MLP with `hidden_layers + 1` hidden layers of `activation` and a linear output."""

    def __init__(self, in_features: int, out_features: int, hidden_features: int = 256,
                 hidden_layers: int = 3, activation: str = "relu", encoding: nn.Module | None = None):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
        hidden_features = check_int(hidden_features, "hidden_features", 1)
        hidden_layers = check_int(hidden_layers, "hidden_layers", 0,
                                  hint=" (hidden layers after the first one; 0 gives a single hidden layer)")
        if encoding is not None and getattr(encoding, "in_features", in_features) != in_features:
            raise ValueError(f"the encoding takes {encoding.in_features} input features but the MLP was built for "
                             f"in_features={in_features}; build both for the same number of coordinates")
        if encoding is not None and not isinstance(getattr(encoding, "out_features", None), int):
            raise TypeError(f"encoding {type(encoding).__name__} needs an int attribute out_features (the width it "
                            "returns), as PositionalEncoding and FourierFeatures have")
        self.in_features, self.out_features, self.activation = in_features, out_features, activation
        self.encoding = encoding
        width_in = encoding.out_features if encoding is not None else in_features
        layers, act = [], ACTIVATIONS[activation]
        for i in range(hidden_layers + 1):
            layers += [nn.Linear(width_in if i == 0 else hidden_features, hidden_features), act()]
        layers.append(nn.Linear(hidden_features, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _as_input(x, self.in_features, self.net[-1].weight)
        return self.net(self.encoding(x) if self.encoding is not None else x)


MODEL_KINDS = ("siren", "relu", "tanh", "relu_pe", "relu_ff")

MODEL_LABELS = {"siren": "SIREN", "relu": "ReLU", "tanh": "tanh",
                "relu_pe": "ReLU + pos. enc.", "relu_ff": "ReLU + Fourier feat."}


def make_model(kind: str, in_features: int, out_features: int, hidden_features: int = 256,
               hidden_layers: int = 3, *, first_omega_0: float = 30.0, hidden_omega_0: float = 30.0,
               num_frequencies: int | None = None, ff_features: int | None = None,
               ff_sigma: float = 10.0, seed: int | None = None) -> nn.Module:
    """Build a coordinate network of the given kind; same width and depth for every kind.

    kinds: 'siren', 'relu', 'tanh', 'relu_pe' (NeRF positional encoding with
    `num_frequencies`, default 10 for 1-2D inputs and 6 above), 'relu_ff'
    (Gaussian Fourier features, `ff_features` default hidden_features // 2, σ = `ff_sigma`).
    `seed` (optional) re-seeds torch first, so each kind starts reproducibly.
    """
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {', '.join(MODEL_KINDS)}")
    if seed is not None:
        torch.manual_seed(check_int(seed, "seed"))  # after the kind check: a typo does not consume the seed
    kw = dict(hidden_features=hidden_features, hidden_layers=hidden_layers)
    if kind == "siren":
        return Siren(in_features, out_features, first_omega_0=first_omega_0, hidden_omega_0=hidden_omega_0, **kw)
    if kind in ("relu", "tanh"):
        return MLP(in_features, out_features, activation=kind, **kw)
    if kind == "relu_pe":
        L = num_frequencies if num_frequencies is not None else (10 if in_features <= 2 else 6)
        return MLP(in_features, out_features, encoding=PositionalEncoding(in_features, L), **kw)
    if kind == "relu_ff":
        m = ff_features if ff_features is not None else max(1, hidden_features // 2)
        return MLP(in_features, out_features, encoding=FourierFeatures(in_features, m, ff_sigma, seed or 0), **kw)
    raise AssertionError(kind)  # unreachable: every kind in MODEL_KINDS returns above


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"count_parameters needs a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def width_for_params(kind: str, in_features: int, out_features: int, target_params: int,
                     hidden_layers: int = 3, max_width: int = 4096, **kwargs) -> int:
    """The hidden width at which `make_model(kind, ...)` has the parameter count closest to `target_params`.

    Use it to compare architectures at equal capacity, e.g. a ReLU network with
    positional encoding (wider input layer) against a SIREN.
    """
    if target_params < 1:
        raise ValueError(f"target_params must be positive, got {target_params}")

    def count(w):
        return count_parameters(make_model(kind, in_features, out_features, hidden_features=w,
                                           hidden_layers=hidden_layers, **kwargs))

    lo, hi = 1, max_width  # the count grows with the width: bisect for the first width >= target
    if count(hi) < target_params:
        raise ValueError(f"even width {max_width} has fewer than {target_params} parameters")
    while lo < hi:
        mid = (lo + hi) // 2
        if count(mid) < target_params:
            lo = mid + 1
        else:
            hi = mid
    best = min({max(1, lo - 1), lo}, key=lambda w: abs(count(w) - target_params))
    return best


#: The share of a grid's Nyquist frequency that `encoding_for_grid` lets the encodings reach (see its docstring).
ENCODING_FRACTION = 0.25


def encoding_for_grid(size: int, fraction: float = ENCODING_FRACTION) -> dict:
    """Frequencies of the input encodings for a signal with `size` samples per axis on [-1, 1].

    Returns dict(num_frequencies=L, ff_sigma=σ), ready for `make_model(kind, ..., **encoding_for_grid(n))`
    ('relu_pe' reads L, 'relu_ff' reads σ, the other kinds ignore both).

    Why these numbers. `helpers.flatten` puts n samples per axis on [-1, 1], 2/(n-1) apart, so the
    grid resolves frequencies up to its Nyquist frequency ν ≈ n/4 cycles per unit (exactly (n-1)/4;
    n/4 keeps powers of two on whole octaves). An encoding frequency above ν is not seen by the
    samples: the network can use it to hit every sample and oscillate in between. We let both
    encodings reach up to f = fraction·ν:
      - positional encoding: sin(2^k π x) has 2^(k-1) cycles per unit, so the top octave k = L-1 has
        2^(L-2); L is the largest with 2^(L-2) <= f, i.e. L = 2 + floor(log2(f));
      - Gaussian Fourier features: column b of B gives cos(2π b·x), |b| cycles per unit; with
        B ~ N(0, σ²) about 95 % of the entries lie within ±2σ, so σ = f/2 puts that 2σ at f.
    The fraction 1/4 comes from a sweep on the cameraman (measured 2026-12-02: seed 0, Adam 1e-3 with
    cosine decay, full batch; 64² at width 64 for 300 steps, 128² at width 128 for 600 steps; PSNR at
    the pixels / on a grid twice as fine against the photo loaded at that size):
      - positional encoding, best at 1/4 at both sizes: 64² 25.7 / 22.7 dB (1/8: 21.9 / 20.2,
        1/2: 21.6 / 20.1, 2: 23.8 / 13.7, the pixels fitted and the in-between lost); 128² 30.4 / 26.1
        (1/8: 28.9 / 25.3, 1/2: 29.5 / 25.5);
      - Fourier features: 64² best at 1/4 with 29.9 / 24.8 (1/8: 27.1 / 23.5, 1/2: 27.2 / 23.2,
        1: 15.1 / 12.4); 128² 32.2 / 26.7 at 1/4, 34.4 / 26.7 at 1/2 (better at the pixels, no better
        between them), 29.7 / 25.6 at 1/8.
    For 64² the rule gives L = 4 and σ = 2, for 128² L = 5 and σ = 4.
    """
    from .checks import check_int, check_positive

    n = check_int(size, "size", 2, hint=" (samples per axis of the grid the network is fitted on)")
    fraction = check_positive(fraction, "fraction", " (the share of the Nyquist frequency, e.g. 0.25)")
    top = fraction * n / 4.0                                  # cycles per unit
    L = max(1, 2 + math.floor(math.log2(top)))              # top octave 2^(L-2) <= top
    return dict(num_frequencies=int(L), ff_sigma=top / 2.0)
