"""After SIREN: the INR zoo at equal budget (notebook 11).

Every model takes coordinates (..., d) in [-1, 1]^d and returns (..., c), like `helpers.models`.
  Finer        sin(ω₀(|z| + 1)z), z = Wx + b                 Liu et al., CVPR 2024 (FINER)
  Wire         exp(iω₀z)·exp(-|s₀z|²), complex hidden layers Saragadam et al., CVPR 2023 (WIRE)
  GaussianNet  exp(-z²/(2σ²))                                Ramasinghe & Lucey, ECCV 2022
  HashGrid     multiresolution hash encoding                 Müller et al., SIGGRAPH 2022 (Instant-NGP)
  HashGridNet  HashGrid followed by a small ReLU MLP
  DenseGrid    one learnable grid, d-linearly interpolated (an encoding, or the whole representation)
`make_zoo_model(kind, d, c, params=...)` builds any kind of `ZOO_KINDS`, at a budget of trainable
parameters if asked (`size_for_budget` says which width, table size or resolution meets it).
For the notebook's comparison: `pixel_split` (training and held-out pixels of an image) and `fit_zoo`
(fit one kind on the training pixels, PSNR on each part, time per step).
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import torch
from torch import nn

from .checks import check_image, check_int, check_positive
from .coords import flatten
from .fitting import History, evaluate, fit
from .metrics import psnr
from .models import MLP, SineLayer, Siren, _as_input, count_parameters, make_model


# ------------------------------------------------------------------------------------------- FINER
class FinerLayer(SineLayer):
    """φ(x) = sin(ω₀ (|z| + 1) z) with z = W x + b: a sine whose frequency grows with |z|.

    Weights as SIREN's (`SineLayer`). First layer only: bias ~ U(-k, k) with k = `first_bias_scale`;
    None gives k = 1/sqrt(in_features), PyTorch's default range, which is what FINER's code does
    when its `first_bias_scale` is left at None. Other layers keep PyTorch's default bias.
    `detach_scale=True` treats the factor |z| + 1 as a constant in backpropagation, as FINER's code
    does by default (`scale_req_grad=False`); the default here, False, gives the true gradient of
    the function, so ∇Φ and ΔΦ from autograd (`helpers.derivatives`) are those of Φ.
    """

    def __init__(self, in_features: int, out_features: int, omega_0: float = 30.0, is_first: bool = False,
                 first_bias_scale: float | None = None, detach_scale: bool = False):
        super().__init__(in_features, out_features, omega_0, is_first)
        self.detach_scale, self.first_bias_scale = bool(detach_scale), None
        if is_first:
            k = (1.0 / math.sqrt(self.linear.in_features) if first_bias_scale is None else
                 check_positive(first_bias_scale, "first_bias_scale", " (k of the first-layer bias U(-k, k))"))
            with torch.no_grad():
                self.linear.bias.uniform_(-k, k)
            self.first_bias_scale = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != self.linear.weight.dtype:
            x = x.to(self.linear.weight.dtype)
        z = self.linear(x)
        alpha = (z.detach() if self.detach_scale else z).abs() + 1.0
        return torch.sin(self.omega_0 * alpha * z)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", first_bias_scale={self.first_bias_scale}, detach_scale={self.detach_scale}"


def _depth(hidden_features, hidden_layers, unit: str = "layers"):
    hidden_features = check_int(hidden_features, "hidden_features", 1)
    hidden_layers = check_int(hidden_layers, "hidden_layers", 0,
                              hint=f" ({unit} after the first one; 0 gives a single hidden layer)")
    return hidden_features, hidden_layers


class Finer(nn.Module):
    """FINER (Liu et al., CVPR 2024): a SIREN with the variable-periodic activation of `FinerLayer`.

    Initialization as the authors' code, github.com/liuzhen0212/FINER, `models.py` (classes `FinerLayer`,
    `Finer`): SIREN's weights (first layer U(±1/n), hidden and last layer U(±sqrt(6/n)/ω₀)), first-layer
    bias U(-k, k), a linear last layer. Defaults from their `run_finer.sh`: ω₀ = 30 in every layer,
    3 hidden layers after the first of 256 units, learning rate 5e-4 (`ZOO_LR`); k = `first_bias_scale`
    is None there (PyTorch's 1/sqrt(in_features)); the paper tunes larger k for higher frequencies.
    """

    def __init__(self, in_features: int, out_features: int, hidden_features: int = 256, hidden_layers: int = 3,
                 first_omega_0: float = 30.0, hidden_omega_0: float = 30.0, first_bias_scale: float | None = None,
                 detach_scale: bool = False):
        super().__init__()
        in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
        hidden_features, hidden_layers = _depth(hidden_features, hidden_layers)
        self.in_features, self.out_features = in_features, out_features
        layers = [FinerLayer(in_features, hidden_features, first_omega_0, True, first_bias_scale, detach_scale)]
        layers += [FinerLayer(hidden_features, hidden_features, hidden_omega_0, detach_scale=detach_scale)
                   for _ in range(hidden_layers)]
        last = nn.Linear(hidden_features, out_features)
        with torch.no_grad():
            bound = math.sqrt(6.0 / hidden_features) / layers[-1].omega_0
            last.weight.uniform_(-bound, bound)
        self.net = nn.Sequential(*layers, last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_as_input(x, self.in_features, self.net[0].linear.weight))


# -------------------------------------------------------------------------------------------- WIRE
class ComplexLinear(nn.Module):
    """y = W x + b with complex W and b, stored as real pairs (..., 2).

    Stored that way, `count_parameters` counts real numbers, and Adam treats the real and imaginary parts as
    two parameters, which is what PyTorch's Adam does with a complex parameter. Initialized as a complex
    `nn.Linear` is by PyTorch (what WIRE's code uses): real and imaginary parts each U(±1/sqrt(in_features)).
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features = check_int(in_features, "in_features", 1)
        self.out_features = check_int(out_features, "out_features", 1)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = nn.Parameter(torch.empty(self.out_features, self.in_features, 2).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(self.out_features, 2).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, torch.view_as_complex(self.weight), torch.view_as_complex(self.bias))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, complex"


class GaborLayer(nn.Module):
    """ψ(z) = exp(iω₀z)·exp(-|s₀z|²) of z = W x + b, WIRE's complex Gabor wavelet.

    The first layer is real (it takes the real coordinates; a real `nn.Linear` with PyTorch's default
    initialization), so its z is real; later layers take and give complex values (`ComplexLinear`).
    """

    def __init__(self, in_features: int, out_features: int, omega_0: float = 20.0, s_0: float = 30.0,
                 is_first: bool = False):
        super().__init__()
        self.omega_0 = check_positive(omega_0, "omega_0", " (the frequency of the wavelet, 20 in WIRE's code)")
        self.s_0 = check_positive(s_0, "s_0", " (the inverse width of the Gaussian window, 30 in WIRE's code)")
        self.is_first = is_first
        self.linear = nn.Linear(in_features, out_features) if is_first else ComplexLinear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        mag2 = z.real.square() + z.imag.square() if z.is_complex() else z.square()   # |z|², smooth at 0
        return torch.exp(1j * self.omega_0 * z - self.s_0 ** 2 * mag2)

    def extra_repr(self) -> str:
        return f"omega_0={self.omega_0}, s_0={self.s_0}, is_first={self.is_first}"


class Wire(nn.Module):
    """WIRE (Saragadam et al., CVPR 2023): an MLP of complex Gabor wavelets `GaborLayer`; the output is the real part.

    As the authors' code, github.com/vishwa91/wire, `modules/wire.py` (`ComplexGaborLayer`, `INR`): the first
    layer is real, the hidden layers and the last linear layer complex, PyTorch's default initialization
    everywhere (no SIREN-style init), the same s₀ in every layer, and Φ(x) = Re(last layer). Defaults:
    ω₀ = 20 and s₀ = 30, the authors' suggestion "for image representation" in `wire_image_denoise.py`
    (FINER's comparison, `run_wire.sh`, used ω₀ = 20, s₀ = 10); learning rate 5e-3 (`ZOO_LR`; "WIRE works best
    at 5e-3 to 2e-2" in the same script). `hidden_features` counts complex units: their code takes a real
    width n and uses int(n/sqrt(2)) complex units to keep about a real network's parameter count, so the
    default 181 is their 256; `size_for_budget` matches counts exactly instead.
    """

    def __init__(self, in_features: int, out_features: int, hidden_features: int = 181, hidden_layers: int = 3,
                 first_omega_0: float = 20.0, hidden_omega_0: float = 20.0, s_0: float = 30.0):
        super().__init__()
        in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
        hidden_features, hidden_layers = _depth(hidden_features, hidden_layers)
        self.in_features, self.out_features = in_features, out_features
        layers = [GaborLayer(in_features, hidden_features, first_omega_0, s_0, is_first=True)]
        layers += [GaborLayer(hidden_features, hidden_features, hidden_omega_0, s_0) for _ in range(hidden_layers)]
        self.net = nn.Sequential(*layers, ComplexLinear(hidden_features, out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_as_input(x, self.in_features, self.net[0].linear.weight)).real


# ---------------------------------------------------------------------------------------- Gaussian
class GaussianLayer(nn.Module):
    """φ(x) = exp(-z²/(2σ²)) with z = W x + b, PyTorch's default initialization."""

    def __init__(self, in_features: int, out_features: int, sigma: float = 0.09):
        super().__init__()
        self.sigma = check_positive(sigma, "sigma", " (the width of the Gaussian, 0.09 in the authors' code)")
        self.linear = nn.Linear(check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != self.linear.weight.dtype:
            x = x.to(self.linear.weight.dtype)
        return torch.exp(-0.5 * (self.linear(x) / self.sigma).square())

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}"


class GaussianNet(nn.Module):
    """Gaussian-activated MLP (Ramasinghe & Lucey, "Beyond periodicity", ECCV 2022), linear last layer.

    The activation exp(-z²/(2σ²)) and σ = 0.09 are the authors' code, github.com/samgregoost/Beyond_periodicity,
    `run_nerf_helpers.py` (`NeRF.gaussian`), with PyTorch's default initialization of every layer, as there.
    WIRE's and FINER's code write the same function as exp(-(s z)²), s = 1/(σ sqrt 2): their s = 10 and 30 are
    σ = 0.071 and 0.024. Learning rate 1e-3 (`ZOO_LR`; WIRE's code: "Gauss and SIREN at 1e-3 - 2e-3").
    """

    def __init__(self, in_features: int, out_features: int, hidden_features: int = 256, hidden_layers: int = 3,
                 sigma: float = 0.09):
        super().__init__()
        in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
        hidden_features, hidden_layers = _depth(hidden_features, hidden_layers)
        self.in_features, self.out_features = in_features, out_features
        layers = [GaussianLayer(in_features, hidden_features, sigma)]
        layers += [GaussianLayer(hidden_features, hidden_features, sigma) for _ in range(hidden_layers)]
        self.net = nn.Sequential(*layers, nn.Linear(hidden_features, out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(_as_input(x, self.in_features, self.net[0].linear.weight))


# ------------------------------------------------------------------------------------------- grids
def _corners(d: int) -> torch.Tensor:
    """The 2^d corners of a unit cell, (2^d, d) of 0/1; the first coordinate varies fastest."""
    return torch.tensor([[(k >> i) & 1 for i in range(d)] for k in range(2 ** d)], dtype=torch.long)


def _dlinear(pos: torch.Tensor, n_cells: torch.Tensor, corners: torch.Tensor):
    """Cell corners and d-linear weights of positions `pos` (..., d) in [0, n_cells] (cell units).

    Returns vertices (..., 2^d, d) (int64) and weights (..., 2^d) that sum to 1. A position on the
    upper boundary falls in the last cell with weight 1 on its upper corner. The weights are products
    of x and 1 - x per axis: linear along each axis, so every ∂²/∂x_i² is 0 inside a cell.
    """
    cell = torch.minimum(pos.detach().floor(), n_cells - 1).clamp_min(0)
    frac = (pos - cell).unsqueeze(-2)                                     # (..., 1, d)
    along = torch.where(corners.bool(), frac, 1.0 - frac)                 # (..., 2^d, d)
    w = along[..., 0]
    for i in range(1, pos.shape[-1]):                                    # d <= 3 factors
        w = w * along[..., i]
    return cell.long().unsqueeze(-2) + corners, w


class DenseGrid(nn.Module):
    """A learnable grid of `out_features` values at `resolution` samples per axis, d-linearly interpolated.

    The R samples per axis span [-1, 1] with both ends, like `helpers.grid((R,) * d)`: `values[i, j]` is the
    value at coordinates (-1 + 2i/(R-1), -1 + 2j/(R-1)), so `helpers.flatten` of an R x R image puts each
    pixel on a node. Coordinates outside [-1, 1] are clamped. Starts at zero. Use it as the whole
    representation (kind 'grid' of `make_zoo_model`) or as an encoding: it has `in_features` and
    `out_features`, as `MLP(..., encoding=DenseGrid(...))` needs. R^d·C parameters.
    """

    def __init__(self, in_features: int, out_features: int, resolution: int = 64):
        super().__init__()
        d = check_int(in_features, "in_features", 1, 3, hint=" (bilinear in 2D, trilinear in 3D)")
        c = check_int(out_features, "out_features", 1)
        r = check_int(resolution, "resolution", 2, hint=" (samples per axis, both ends of [-1, 1] included)")
        self.in_features, self.out_features, self.resolution = d, c, r
        self.values = nn.Parameter(torch.zeros(*(r,) * d, c))
        self.register_buffer("strides", torch.tensor([r ** (d - 1 - i) for i in range(d)]), persistent=False)
        self.register_buffer("corners", _corners(d), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _as_input(x, self.in_features, self.values)
        r = self.resolution
        pos = (x.clamp(-1.0, 1.0) + 1.0) * (0.5 * (r - 1))                 # (..., d) in [0, R-1]
        vertex, w = _dlinear(pos, torch.tensor(float(r - 1), dtype=x.dtype, device=x.device), self.corners)
        rows = self.values.reshape(-1, self.out_features)[(vertex * self.strides).sum(-1)]   # (..., 2^d, C)
        return (w.unsqueeze(-1) * rows).sum(-2)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, resolution={self.resolution}"


#: Instant-NGP's hash primes π₁, π₂, π₃ (Müller et al. 2022, eq. 4); π₁ = 1 for cache coherence.
HASH_PRIMES = (1, 2654435761, 805459861)


class HashGrid(nn.Module):
    """Instant-NGP's multiresolution hash encoding (Müller et al., SIGGRAPH 2022), in plain PyTorch.

    L levels with resolutions N_l = floor(N_min·b^l), b = exp((ln N_max - ln N_min)/(L - 1)) (paper eq. 2-3);
    x in [-1, 1]^d is mapped to [0, 1]^d and scaled by N_l (no half-cell offset, as the paper; tiny-cuda-nn
    adds one), and the 2^d vertices of its cell index a table
    of F features per entry. A level whose dense grid has (N_l + 1)^d <= T vertices indexes it 1:1
    (vertex c -> Σ_i c_i (N_l+1)^i); a finer one hashes, h(c) = (c_1π_1 xor c_2π_2 xor c_3π_3) mod T (eq. 4).
    The features are d-linearly interpolated and the levels concatenated: L·F outputs. Features start
    U(-1e-4, 1e-4) (paper sec. 4). Defaults are the paper's: L = 16, F = 2, T = 2^19 (log2_table_size,
    tiny-cuda-nn's default; the paper spans 2^14 - 2^24), N_min = 16, N_max = 512 (the paper's smallest).
    As in tiny-cuda-nn, a 1:1 level stores only its (N_l+1)^d entries, so every parameter can be trained.
    `table_size` (any T >= 1) replaces 2^log2_table_size: the hash is computed exactly in 64-bit integers,
    so "mod T" needs no power of two (the CUDA code's uint32 arithmetic does); `size_for_budget` uses it.
    Coordinates outside [-1, 1] are clamped. Vectorized over points and levels; d = 1, 2 or 3.
    """

    def __init__(self, in_features: int, levels: int = 16, features_per_level: int = 2, log2_table_size: int = 19,
                 min_resolution: int = 16, max_resolution: int = 512, table_size: int | None = None):
        super().__init__()
        d = check_int(in_features, "in_features", 1, len(HASH_PRIMES),
                      hint=" (the paper gives hash primes for up to 3 coordinates)")
        n_levels = check_int(levels, "levels", 1)
        f = check_int(features_per_level, "features_per_level", 1)
        if table_size is None:
            t = 2 ** check_int(log2_table_size, "log2_table_size", 0, 30, hint=" (T = 2^log2_table_size entries)")
        else:
            t = check_int(table_size, "table_size", 1, 2 ** 30)
        n_min = check_int(min_resolution, "min_resolution", 1, hint=" (cells per axis of the coarsest level)")
        n_max = check_int(max_resolution, "max_resolution", n_min, 2 ** 24,
                          hint=f" (cells per axis of the finest level, at least min_resolution={n_min})")
        growth = math.exp((math.log(n_max) - math.log(n_min)) / (n_levels - 1)) if n_levels > 1 else 1.0
        res = [math.floor(n_min * growth ** level + 1e-6) for level in range(n_levels)]  # + 1e-6: b^(L-1) round-off
        dense = [(r + 1) ** d for r in res]
        sizes = [min(t, n) for n in dense]
        self.in_features, self.levels, self.features_per_level = d, n_levels, f
        self.table_size, self.growth, self.out_features = t, growth, n_levels * f
        self.table = nn.Parameter(torch.empty(sum(sizes), f).uniform_(-1e-4, 1e-4))
        buffers = dict(
            resolutions=torch.tensor(res), hashed=torch.tensor([n > t for n in dense]),
            level_sizes=torch.tensor(sizes), level_offsets=torch.tensor([sum(sizes[:i]) for i in range(n_levels)]),
            strides=torch.tensor([[(r + 1) ** i for i in range(d)] for r in res]),
            primes=torch.tensor(HASH_PRIMES[:d]), corners=_corners(d))
        for name, value in buffers.items():
            self.register_buffer(name, value, persistent=False)

    def lookup(self, x: torch.Tensor):
        """Per level, the table rows of the 2^d cell vertices and their weights.

        Returns indices (..., L, 2^d) within each level's table, in [0, level_sizes[l]), and d-linear
        weights (..., L, 2^d), differentiable with respect to x.
        """
        x = _as_input(x, self.in_features, self.table)
        res = self.resolutions.to(x.dtype).unsqueeze(-1)                   # (L, 1)
        pos = (x.clamp(-1.0, 1.0).unsqueeze(-2) + 1.0) * 0.5 * res          # (..., L, d) in [0, N_l]
        vertex, w = _dlinear(pos, res, self.corners)                       # (..., L, 2^d, d), (..., L, 2^d)
        direct = (vertex * self.strides.unsqueeze(-2)).sum(-1)
        h = vertex[..., 0] * self.primes[0]
        for i in range(1, self.in_features):
            h = torch.bitwise_xor(h, vertex[..., i] * self.primes[i])
        idx = torch.where(self.hashed.unsqueeze(-1), h % self.table_size, direct)
        return idx, w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        idx, w = self.lookup(x)
        rows = self.table[idx + self.level_offsets.unsqueeze(-1)]           # (..., L, 2^d, F)
        return (w.unsqueeze(-1) * rows).sum(-2).flatten(-2)                # (..., L·F)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, levels={self.levels}, features_per_level={self.features_per_level}, "
                f"table_size={self.table_size}, resolutions={self.resolutions.tolist()}")


class HashGridNet(MLP):
    """`HashGrid` followed by a ReLU MLP: Instant-NGP's model for images and SDFs.

    Paper (sec. 4): an MLP of two hidden layers of 64 units (`hidden_layers=1` counts the layers after the
    first, as everywhere in helpers), learning rate 1e-2 (`ZOO_LR`). Differences from tiny-cuda-nn: the
    layers keep biases and PyTorch's initialization, and `helpers.fit` runs Adam with PyTorch's betas and
    eps, not the paper's β₂ = 0.99, ε = 1e-15.
    """

    def __init__(self, in_features: int, out_features: int, hidden_features: int = 64, hidden_layers: int = 1,
                 levels: int = 16, features_per_level: int = 2, log2_table_size: int = 19, min_resolution: int = 16,
                 max_resolution: int = 512, table_size: int | None = None):
        grid = HashGrid(in_features, levels, features_per_level, log2_table_size, min_resolution, max_resolution,
                        table_size)
        super().__init__(in_features, out_features, hidden_features, hidden_layers, "relu", encoding=grid)


# ---------------------------------------------------------------------------------- zoo and budget
ZOO_KINDS = ("siren", "finer", "wire", "gauss", "relu_ff", "hashgrid", "grid")

ZOO_LABELS = {"siren": "SIREN", "finer": "FINER", "wire": "WIRE", "gauss": "Gaussian",
              "relu_ff": "ReLU + Fourier feat.", "hashgrid": "Hash grid (Instant-NGP)", "grid": "Dense grid"}

#: Adam learning rates for image fitting: SIREN's paper, FINER's run_finer.sh, WIRE's wire_image_denoise.py ("WIRE
#: works best at 5e-3 to 2e-2, Gauss and SIREN at 1e-3 - 2e-3"), Fourier features' (Tancik et al.) demo, Instant-NGP's
#: paper; the dense grid has no paper (5e-2 fits tests/test_zoo.py's 16x16 image to 48 dB in 200 steps).
ZOO_LR = {"siren": 1e-4, "finer": 5e-4, "wire": 5e-3, "gauss": 1e-3, "relu_ff": 1e-3, "hashgrid": 1e-2, "grid": 5e-2}

_BUILDERS = {"siren": Siren, "finer": Finer, "wire": Wire, "gauss": GaussianNet,
             "relu_ff": lambda in_features, out_features, hidden_features=256, hidden_layers=3, ff_features=None,
             ff_sigma=10.0, seed=None: make_model("relu_ff", in_features, out_features, hidden_features, hidden_layers,
                                                  ff_features=ff_features, ff_sigma=ff_sigma, seed=seed),
             "hashgrid": HashGridNet, "grid": DenseGrid}

#: The argument a parameter budget is spent on: the width, except for the hash table and the dense grid.
BUDGET_KEYS = {kind: {"hashgrid": "table_size", "grid": "resolution"}.get(kind, "hidden_features")
               for kind in ZOO_KINDS}


def _options(kind: str) -> list[str]:
    fixed = ("in_features", "out_features", "seed")
    return [p for p in inspect.signature(_BUILDERS[kind]).parameters if p not in fixed]


def _check_options(kind: str, kwargs: dict) -> None:
    unknown = sorted(set(kwargs) - set(_options(kind)))
    if unknown:
        raise TypeError(f"make_zoo_model({kind!r}, ...) got unknown option(s) {unknown}; {kind!r} takes "
                        f"{', '.join(_options(kind))}")


def _build(kind: str, in_features: int, out_features: int, kwargs: dict, seed: int | None = None) -> nn.Module:
    _check_options(kind, kwargs)
    if kind == "relu_ff" and seed is not None:
        kwargs = {**kwargs, "seed": seed}
    return _BUILDERS[kind](in_features, out_features, **kwargs)


def _check_kind(kind) -> None:
    if kind not in ZOO_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {', '.join(ZOO_KINDS)}")


def size_for_budget(kind: str, in_features: int, out_features: int, params: int, **kwargs) -> dict:
    """The size at which `make_zoo_model(kind, ...)` has the trainable-parameter count closest to `params`.

    Returns {BUDGET_KEYS[kind]: n}: the width 'hidden_features' for the MLP kinds (siren, finer, wire, gauss,
    relu_ff), 'table_size' T for 'hashgrid' (its levels and MLP stay as given) and 'resolution' R for 'grid'.
    Other keywords are the model's, as for `make_zoo_model`. Counts come from models built on PyTorch's meta
    device (no memory, no random numbers drawn); as each grows with the size, a doubling search and a
    bisection find the first size at or above the budget, and the closer of it and the one below is returned.
    """
    _check_kind(kind)
    _check_options(kind, kwargs)
    target = check_int(params, "params", 1, hint=" (the number of trainable parameters to aim for)")
    key = BUDGET_KEYS[kind]
    if key in kwargs:
        raise ValueError(f"pass params (a parameter budget) or {key}, not both: the budget sets {key}")
    smallest = 2 if kind == "grid" else 1

    def count(n: int) -> int:
        with torch.device("meta"):
            return count_parameters(_build(kind, in_features, out_features, {**kwargs, key: n}))

    hi, c_hi = smallest, count(smallest)
    while c_hi < target:                               # doubling: a size with count >= target
        c_prev, hi = c_hi, 2 * hi
        c_hi = count(hi)
        if c_hi == c_prev:                             # a hash table beyond every level's dense grid adds nothing
            raise ValueError(f"a {kind} model cannot reach {target} parameters: with every level dense it has "
                             f"{c_hi}; raise max_resolution or levels, or lower params")
    lo = max(smallest, hi // 2)
    while lo < hi:                                     # bisection: the smallest size with count >= target
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if count(mid) < target else (lo, mid)
    best = min(sorted({max(smallest, lo - 1), lo}), key=lambda n: abs(count(n) - target))
    if count(best) > 1.5 * target:
        raise ValueError(f"the smallest {kind} model has {count(best)} parameters, far more than params={target}; "
                         "raise params or shrink the parts the budget does not set (hidden_layers, levels, ...)")
    return {key: int(best)}


def make_zoo_model(kind: str, in_features: int, out_features: int, *, params: int | None = None,
                   seed: int | None = None, **kwargs) -> nn.Module:
    """Build a model of the zoo by name: 'siren', 'finer', 'wire', 'gauss', 'relu_ff', 'hashgrid', 'grid'.

    params : a budget of trainable parameters: the width (MLP kinds), hash table size ('hashgrid') or grid
             resolution ('grid'), `BUDGET_KEYS[kind]`, is then chosen to meet it (`size_for_budget`).
    seed   : re-seeds torch first (after the checks), so each kind starts reproducibly.
    Other keywords go to the class (`Siren`, `Finer`, `Wire`, `GaussianNet`, `helpers.make_model('relu_ff')`,
    `HashGridNet`, `DenseGrid`), e.g. hidden_features, hidden_layers, first_bias_scale, s_0, sigma, ff_sigma,
    levels, max_resolution, resolution; an unknown one is a TypeError that lists those the kind takes.
    Learning rates from the papers' code: `ZOO_LR[kind]`.
    """
    _check_kind(kind)
    _check_options(kind, kwargs)
    if params is not None:
        kwargs.update(size_for_budget(kind, in_features, out_features, params, **kwargs))
    if seed is not None:
        torch.manual_seed(check_int(seed, "seed"))
    return _build(kind, in_features, out_features, kwargs, seed)


# ------------------------------------------------------------------------ fitting an image at equal budget
def pixel_split(shape) -> dict:
    """Boolean masks over the H·W pixels, in `helpers.flatten`'s row-major order: 'train', 'val', 'test'.

    'train' is a checkerboard, pixel (i, j) with i + j even: half the pixels. Every other pixel is held out,
    and its four neighbours are training pixels, so the held-out half asks what the representation does
    *between* the samples it was fitted to. The held-out half is split by row: 'val' (i even) is for choosing
    hyperparameters such as the learning rate, 'test' (i odd) is what a comparison reports.
    """
    if len(tuple(shape)) != 2:
        raise ValueError(f"pixel_split needs an image shape (H, W), got {tuple(shape)}")
    h, w = (check_int(n, "shape", 2, hint=" (at least 2 x 2 pixels, so that each part is not empty)")
            for n in shape)
    i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    train = (i + j) % 2 == 0
    return {"train": train.flatten(), "val": (~train & (i % 2 == 0)).flatten(),
            "test": (~train & (i % 2 == 1)).flatten()}


@dataclass
class ZooFit:
    """One model of the zoo fitted to the training pixels of an image, and how it did on each part."""

    kind: str
    lr: float
    model: nn.Module
    history: History      # PSNR of the training pixels over steps and seconds
    image: torch.Tensor   # Φ on every pixel, (H, W), on the CPU
    psnr: dict            # dB on each mask of the split given to fit_zoo ('train', 'val', 'test' of `pixel_split`)
    params: int
    ms_per_step: float    # wall time of the training steps (History.seconds) per step

    @property
    def label(self) -> str:
        return ZOO_LABELS[self.kind]


def fit_zoo(image, kind: str, split: dict, *, steps: int, lr: float, params: int | None = None, seed: int = 0,
            device=None, data_range: float = 1.0, **model_kwargs) -> ZooFit:
    """Fit `make_zoo_model(kind, 2, 1, params=params, seed=seed, **model_kwargs)` to a gray image's 'train' pixels.

    Full batch (every training pixel every step), Adam at `lr` with `helpers.fit`'s cosine decay. Returns a
    `ZooFit` with the PSNR of Φ on each mask of `split` and the time per step. `split` is usually
    `pixel_split(image.shape)`; any dict of boolean (H·W,) masks with a 'train' mask works (e.g. every pixel
    for training plus one mask per frequency band, to see where a fit's error lies).
    """
    img = check_image(image, channels=(1,), min_size=2)
    img = img[..., 0] if img.ndim == 3 else img
    if "train" not in split or any(not torch.is_tensor(m) or m.dtype != torch.bool or m.shape != (img.numel(),)
                                   for m in split.values()):
        raise ValueError(f"split must map names to boolean masks over the H·W pixels of this {tuple(img.shape)} "
                         "image, 'train' among them: use pixel_split(image.shape), or {'train': mask, ...}")
    empty = [name for name, m in split.items() if not bool(m.any())]
    if empty:
        raise ValueError(f"split masks {empty} select no pixel: a PSNR over no pixels is undefined (checked before "
                         "fitting, so no fit is wasted)")
    coords, values = flatten(img, device=device)
    model = make_zoo_model(kind, 2, 1, params=params, seed=seed, **model_kwargs).to(coords.device)
    train = split["train"].to(coords.device)
    hist = fit(model, coords[train], values[train], steps=steps, lr=lr, batch_size=None, data_range=data_range,
               desc=ZOO_LABELS[kind])
    out = evaluate(model, coords).detach()
    scores = {name: psnr(out[m.to(coords.device)], values[m.to(coords.device)], data_range=data_range)
              for name, m in split.items()}
    return ZooFit(kind, float(lr), model, hist, out.reshape(img.shape).cpu(), scores,
                  count_parameters(model), 1000.0 * hist.seconds / steps)
