"""Learning a space of INRs (notebook 10): hypernetworks, modulations and a meta-learned initialization.

One SIREN per signal fits that signal and knows nothing of the others. This module learns *across* a family of
signals (glyphs of many fonts), in three ways:

- a **set encoder** maps a few (coordinate, value) pairs of a signal to a latent code z (Deep Sets / conditional
  neural processes: a per-pair MLP, a mean over the pairs, an MLP);
- a **hypernetwork** maps z to *all* weights of a small SIREN (`HyperSiren`, SIREN paper Sec. 4.4), evaluated for a
  batch of signals at once by `batch_siren` (one torch.baddbmm per layer, no Python loop over signals);
- **modulations** map z to one phase shift per hidden unit of one shared SIREN (`ModulatedSiren`, as in Functa and
  pi-GAN's FiLM without the scale), so only `hidden_features · (hidden_layers + 1)` numbers depend on the signal;
- **Reptile** (Nichol et al. 2018) meta-learns a SIREN initialization (`fit_reptile`), as in Tancik et al. 2021.

The training of the encoders and decoders and Reptile's outer loop run through `helpers.fit` (Adam, schedule,
history, progress bar); `adapt` is the batched inner loop: Adam on a batch of SIRENs at once, step for step what
`helpers.fit(..., schedule="constant", batch_size=None)` does to one of them.

Data: `load_glyphs` renders the 62 letters and digits of the fonts matplotlib ships, `split_glyphs` holds whole
fonts out.
"""
from __future__ import annotations

import math
import os
import string
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .checks import as_float_tensor, check_finite, check_int, check_positive
from .coords import grid
from .fitting import History, fit
from .models import Siren

# ----------------------------------------------------------------------------------------------- the glyph data
#: Letters and digits: 62 characters per font.
CHARS = string.digits + string.ascii_letters
#: The fonts shipped with matplotlib that have a glyph for every character of CHARS (the STIX size / non-unicode
#: fonts, cmex10 and cmsy10 map these codes to symbols; DejaVu *Display and LastResort have none or boxes).
GLYPH_FONTS = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
    "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
    "STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic", "STIXGeneralBolIta",
    "cmr10", "cmb10", "cmti10", "cmss10", "cmtt10", "cmmi10",
)
#: Whole fonts that no training step sees: one from each family but DejaVu Sans Mono, in a style whose siblings train.
HELDOUT_FONTS = ("DejaVuSans-Oblique", "DejaVuSerif-Bold", "STIXGeneralItalic", "cmss10")


@dataclass
class Glyphs:
    """Rendered glyphs: images (M, size, size) in [0, 1] (ink = 1), and each one's font and character."""

    images: torch.Tensor
    fonts: list
    chars: list

    def __len__(self) -> int:
        return self.images.shape[0]

    def select(self, index) -> Glyphs:
        """The glyphs at `index` (a list of ints or a boolean mask)."""
        idx = torch.as_tensor(index)
        if idx.dtype == torch.bool:
            idx = idx.nonzero().flatten()
        idx = idx.tolist()
        return Glyphs(self.images[idx], [self.fonts[i] for i in idx], [self.chars[i] for i in idx])


def _font_path(name: str) -> str:
    import matplotlib

    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name + ".ttf")
    if not os.path.exists(path):
        raise ValueError(f"font {name!r} is not among the fonts matplotlib ships ({path} does not exist); "
                         f"choose from helpers.meta.GLYPH_FONTS")
    return path


def _render(font, char: str, size: int, margin: int) -> np.ndarray:
    """One glyph: rendered large, cropped to its ink, scaled so its longer side spans size - 2·margin, centred."""
    from skimage.transform import resize

    font.set_text(char, 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    ink = np.asarray(font.get_image(), dtype=np.float32) / 255.0
    rows, cols = np.nonzero(ink > 0.05)
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    box = size - 2 * margin
    scale = box / max(ink.shape)
    h, w = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
    small = resize(ink, (h, w), anti_aliasing=True, order=1)
    out = np.zeros((size, size), np.float32)
    top, left = (size - h) // 2, (size - w) // 2
    out[top:top + h, left:left + w] = small
    return np.clip(out, 0.0, 1.0)


def load_glyphs(size: int = 32, fonts=GLYPH_FONTS, chars: str = CHARS, margin: int = 2) -> Glyphs:
    """Render `chars` in each of `fonts` (matplotlib's own font files: nothing is downloaded).

    Each glyph is rendered at 96 px, cropped to its ink, scaled so that its longer side spans `size - 2·margin`
    pixels and centred: every glyph fills its frame the same way (a lower-case 'o' as large as an 'O').
    Returns Glyphs with images (len(fonts)·len(chars), size, size), ink 1 on 0, in font-major order.
    """
    from matplotlib import ft2font

    size = check_int(size, "size", 8, hint=" (pixels per side; glyphs need at least 8)")
    margin = check_int(margin, "margin", 0)
    if 2 * margin >= size - 4:
        raise ValueError(f"margin={margin} leaves too little of a {size}-pixel image for the glyph; "
                         f"use a margin below {(size - 4) // 2}")
    if isinstance(fonts, str):
        raise TypeError(f"fonts must be a sequence of font names, got the string {fonts!r}; wrap it: ({fonts!r},)")
    if not isinstance(chars, str) or not chars:
        raise ValueError(f"chars must be a non-empty string of characters, got {chars!r}")
    images, font_names, char_list = [], [], []
    for name in fonts:
        font = ft2font.FT2Font(_font_path(name))
        font.set_size(96, 72)                                      # 96 px per em
        for ch in chars:
            if font.get_char_index(ord(ch)) == 0:
                raise ValueError(f"font {name!r} has no glyph for {ch!r}; choose from helpers.meta.GLYPH_FONTS")
            images.append(_render(font, ch, size, margin))
            font_names.append(name)
            char_list.append(ch)
    return Glyphs(torch.from_numpy(np.stack(images)), font_names, char_list)


def split_glyphs(glyphs: Glyphs, heldout_fonts=HELDOUT_FONTS) -> tuple[Glyphs, Glyphs]:
    """(train, held-out): the held-out part is every glyph of `heldout_fonts`, the training part the rest."""
    if not isinstance(glyphs, Glyphs):
        raise TypeError(f"glyphs must be a helpers.meta.Glyphs (from load_glyphs), got {type(glyphs).__name__}")
    missing = [f for f in heldout_fonts if f not in set(glyphs.fonts)]
    if missing:
        raise ValueError(f"held-out font(s) {missing} are not in these glyphs; pick held-out fonts from the "
                         "ones you rendered")
    held = torch.tensor([f in set(heldout_fonts) for f in glyphs.fonts])
    if held.all():
        raise ValueError("every font is held out, so nothing is left to train on; hold out fewer fonts")
    return glyphs.select(~held), glyphs.select(held)


# ----------------------------------------------------------------------------- a SIREN as a list of tensors
def siren_shapes(in_features: int, out_features: int, hidden_features: int, hidden_layers: int) -> list:
    """Shapes of H.Siren's parameters in order: [W_0, b_0, ..., W_n, b_n], W_l shaped (out, in)."""
    in_features, out_features = check_int(in_features, "in_features", 1), check_int(out_features, "out_features", 1)
    hidden_features = check_int(hidden_features, "hidden_features", 1)
    hidden_layers = check_int(hidden_layers, "hidden_layers", 0)
    widths = [in_features] + [hidden_features] * (hidden_layers + 1) + [out_features]
    shapes = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        shapes += [(n_out, n_in), (n_out,)]
    return shapes


def _check_siren(model) -> None:
    if not isinstance(model, Siren) or not isinstance(model.net[-1], nn.Linear):
        raise TypeError(f"model must be a helpers.Siren with a linear last layer (outermost_linear=True), "
                        f"got {type(model).__name__}")


def siren_params(model: Siren) -> list:
    """H.Siren's weights and biases as a list [W_0, b_0, ..., W_n, b_n] (detached copies)."""
    _check_siren(model)
    out = []
    for layer in model.net:
        lin = layer.linear if hasattr(layer, "linear") else layer
        out += [lin.weight.detach().clone(), lin.bias.detach().clone()]
    return out


def load_siren_params(model: Siren, params) -> Siren:
    """Copy [W_0, b_0, ..., W_n, b_n] (unbatched, as siren_params returns) into `model`; returns it."""
    _check_siren(model)
    lins = [layer.linear if hasattr(layer, "linear") else layer for layer in model.net]
    if len(params) != 2 * len(lins):
        raise ValueError(f"params holds {len(params)} tensors but this SIREN needs {2 * len(lins)} "
                         "(a weight and a bias per layer)")
    with torch.no_grad():
        for k, lin in enumerate(lins):
            for p, new in ((lin.weight, params[2 * k]), (lin.bias, params[2 * k + 1])):
                if tuple(new.shape) != tuple(p.shape):
                    raise ValueError(f"parameter {2 * k + (p is lin.bias)} has shape {tuple(new.shape)} but the "
                                     f"SIREN needs {tuple(p.shape)}; build the SIREN with the same sizes")
                p.copy_(new)
    return model


def flat_to_params(flat: torch.Tensor, shapes) -> list:
    """(B, P) rows of flattened parameters -> [W_0 (B, out, in), b_0 (B, out), ...]."""
    total = sum(math.prod(s) for s in shapes)
    if flat.ndim != 2 or flat.shape[1] != total:
        raise ValueError(f"flat must be shaped (B, {total}) for these shapes, got {tuple(flat.shape)}")
    out, start = [], 0
    for s in shapes:
        n = math.prod(s)
        out.append(flat[:, start:start + n].reshape(flat.shape[0], *s))
        start += n
    return out


def init_bounds(shapes, omega_0: float = 30.0) -> list:
    """The half-width of each parameter's uniform initialization in H.Siren, per tensor (same order as shapes).

    First weight 1/n, hidden and last weights sqrt(6/n)/ω₀, biases PyTorch's 1/sqrt(n), n = the layer's inputs.
    """
    out, n_w = [], len(shapes) // 2
    for k in range(n_w):
        n_in = shapes[2 * k][1]
        out += [1.0 / n_in if k == 0 else math.sqrt(6.0 / n_in) / omega_0, 1.0 / math.sqrt(n_in)]
    return out


def _check_batched(coords: torch.Tensor, params, batch: int | None = None) -> tuple[torch.Tensor, int]:
    if not isinstance(params, (list, tuple)) or len(params) < 2 or len(params) % 2:
        n = len(params) if hasattr(params, "__len__") else "?"
        raise ValueError("params must be a list [W_0, b_0, ..., W_n, b_n] of batched tensors (a weight and a bias "
                         f"per layer), got {type(params).__name__} of length {n}")
    B = params[0].shape[0]
    if params[0].ndim != 3:
        raise ValueError(f"the weights must carry a leading batch axis, W_0 shaped (B, out, in); got W_0 of shape "
                         f"{tuple(params[0].shape)}: for one SIREN use W.unsqueeze(0), or siren_params then stack")
    if not torch.is_tensor(coords) or coords.ndim not in (2, 3):
        raise ValueError(f"coords must be a tensor shaped (N, d) (shared by every signal) or (B, N, d), got "
                         f"{tuple(coords.shape) if torch.is_tensor(coords) else type(coords).__name__}")
    if coords.shape[-1] != params[0].shape[2]:
        raise ValueError(f"coords have {coords.shape[-1]} coordinate(s) per point but the first weight expects "
                         f"{params[0].shape[2]}; coords must be shaped (..., {params[0].shape[2]})")
    if coords.ndim == 3 and coords.shape[0] != B:
        raise ValueError(f"coords hold {coords.shape[0]} signals but the weights {B}; pass one set of coordinates "
                         "per signal, or (N, d) coordinates shared by all")
    return coords, B


def batch_siren(coords: torch.Tensor, params, first_omega_0: float = 30.0, hidden_omega_0: float = 30.0):
    """Φ_b(x) for B SIRENs at once: params [W_0 (B, out, in), b_0 (B, out), ...], coords (N, d) or (B, N, d).

    The same function as H.Siren (sin(ω₀(Wx + b)) per hidden layer, a linear last layer), with each signal's own
    weights applied by one batched matrix product per layer. Returns (B, N, out_features).
    """
    coords, B = _check_batched(coords, params)
    h = coords.to(params[0].dtype)
    if h.ndim == 2:
        h = h.expand(B, *h.shape)                                   # a view: no copy per signal
    n_layers = len(params) // 2
    for k in range(n_layers):
        W, b = params[2 * k], params[2 * k + 1]
        z = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))    # (B, N, out) = x Wᵀ + b, per signal
        if k < n_layers - 1:
            h = torch.sin((first_omega_0 if k == 0 else hidden_omega_0) * z)
        else:
            h = z
    return h


# ----------------------------------------------------------------------------------------- set encoder
class SetEncoder(nn.Module):
    """z = ρ(mean_i ψ(e_i)): a latent code from a set of (coordinate, value) pairs, any number of them, any order.

    Each pair (x_i, f(x_i)) becomes e_i = [γ(x_i) f(x_i), γ(x_i), f(x_i)] with Gaussian Fourier features γ
    (H.FourierFeatures: `num_frequencies` frequencies b ~ N(0, sigma²), cos and sin of each). Why the product
    γ(x) f(x): its mean over K random pixels estimates ∫ f(x) cos(2πb·x) dx (and the sine), the signal's Fourier
    coefficients, whatever K is. ψ is linear, so mean_i ψ(e_i) = ψ(mean_i e_i) is computed on the mean (cheap);
    ρ (LayerNorm, then a ReLU MLP with one hidden layer) turns these estimates into the code. A two-layer ReLU MLP
    as ψ, Deep Sets' general form, learned more slowly in our trials (glyphs 16², modulations, seed 0, 2026-12-02:
    12.8 dB on held-out glyphs from 128 pixels after 600 steps, against 14.5 dB after 500 with the linear ψ).
    """

    def __init__(self, in_features: int = 2, out_features: int = 1, latent_dim: int = 64,
                 hidden_features: int = 128, num_frequencies: int = 64, sigma: float = 2.0, seed: int = 0):
        super().__init__()
        from .models import FourierFeatures

        self.in_features = check_int(in_features, "in_features", 1)
        self.out_features = check_int(out_features, "out_features", 1)
        self.latent_dim = check_int(latent_dim, "latent_dim", 1)
        hidden_features = check_int(hidden_features, "hidden_features", 1)
        self.gamma = FourierFeatures(self.in_features, num_frequencies, sigma, seed)
        n_e = self.gamma.out_features * (self.out_features + 1) + self.out_features
        self.psi = nn.Linear(n_e, hidden_features)
        self.rho = nn.Sequential(nn.LayerNorm(hidden_features), nn.Linear(hidden_features, hidden_features),
                                 nn.ReLU(), nn.Linear(hidden_features, self.latent_dim))

    def forward(self, ctx_coords: torch.Tensor, ctx_values: torch.Tensor) -> torch.Tensor:
        """ctx_coords (B, K, d), ctx_values (B, K, c) -> z (B, latent_dim)."""
        d, c = self.in_features, self.out_features
        if not torch.is_tensor(ctx_coords) or ctx_coords.ndim != 3 or ctx_coords.shape[-1] != d:
            shape = tuple(ctx_coords.shape) if torch.is_tensor(ctx_coords) else type(ctx_coords).__name__
            raise ValueError(f"context coordinates must be shaped (B, K, {d}) (signals, pairs, coordinates), got "
                             f"{shape}; for one signal add the batch axis with x.unsqueeze(0)")
        if not torch.is_tensor(ctx_values) or ctx_values.ndim != 3 or ctx_values.shape[:2] != ctx_coords.shape[:2] \
                or ctx_values.shape[-1] != c:
            shape = tuple(ctx_values.shape) if torch.is_tensor(ctx_values) else type(ctx_values).__name__
            raise ValueError(f"context values must be shaped (B, K, {c}) like the coordinates "
                             f"{tuple(ctx_coords.shape[:2])}, got {shape}")
        if ctx_coords.shape[1] == 0:
            raise ValueError("the context is empty (K = 0 pairs); give the encoder at least one pixel")
        g = self.gamma(ctx_coords)                                               # (B, K, F)
        f = ctx_values.to(g.dtype)
        e = torch.cat([(g.unsqueeze(-1) * f.unsqueeze(-2)).flatten(-2), g, f], dim=-1)
        return self.rho(self.psi(e.mean(dim=1)))        # ψ linear: ψ of the mean = the mean of ψ


# ------------------------------------------------------------------------------------------ decoders
class HyperSiren(nn.Module):
    """The hypernetwork: z -> every weight and bias of a small SIREN, θ(z) = θ₀ + σ ⊙ MLP(z).

    θ₀ is a fresh H.Siren's initialization and σ each tensor's init bound (`init_bounds`), so an untrained
    hypernetwork predicts SIRENs with weights at SIREN's scale. forward(z, coords) evaluates each predicted SIREN
    at coords with `batch_siren`. `n_params` is how many numbers it predicts per signal.
    """

    def __init__(self, latent_dim: int = 64, in_features: int = 2, out_features: int = 1, hidden_features: int = 32,
                 hidden_layers: int = 2, hyper_hidden: int = 128, omega_0: float = 30.0):
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", 1)
        self.omega_0 = check_positive(omega_0, "omega_0", " (30 is the paper's value)")
        self.shapes = siren_shapes(in_features, out_features, hidden_features, hidden_layers)
        self.n_params = sum(math.prod(s) for s in self.shapes)
        base = Siren(in_features, out_features, hidden_features, hidden_layers, omega_0, omega_0)
        self.register_buffer("theta_0", torch.cat([p.flatten() for p in siren_params(base)]))
        scale = [torch.full((math.prod(s),), b) for s, b in zip(self.shapes, init_bounds(self.shapes, omega_0),
                                                                strict=True)]
        self.register_buffer("sigma", torch.cat(scale))
        hyper_hidden = check_int(hyper_hidden, "hyper_hidden", 1)
        self.net = nn.Sequential(nn.Linear(self.latent_dim, hyper_hidden), nn.ReLU(),
                                 nn.Linear(hyper_hidden, hyper_hidden), nn.ReLU(),
                                 nn.Linear(hyper_hidden, self.n_params))

    def weights(self, z: torch.Tensor) -> list:
        """z (B, latent_dim) -> the SIRENs' parameters [W_0 (B, out, in), b_0 (B, out), ...]."""
        _check_code(z, self.latent_dim)
        return flat_to_params(self.theta_0 + self.sigma * self.net(z), self.shapes)

    def forward(self, z: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        return batch_siren(coords, self.weights(z), self.omega_0, self.omega_0)


def _check_code(z, latent_dim: int) -> None:
    if not torch.is_tensor(z) or z.ndim != 2 or z.shape[1] != latent_dim:
        shape = tuple(z.shape) if torch.is_tensor(z) else type(z).__name__
        raise ValueError(f"the latent code must be shaped (B, {latent_dim}), one row per signal, got {shape}")


class ModulatedSiren(nn.Module):
    """One shared SIREN whose hidden layers are shifted per signal: φ_l = sin(ω₀(W_l φ_{l-1} + b_l) + s_l(z)).

    The shifts s(z) = A z + a (a linear map, as in Functa) are one phase per hidden unit, `n_modulations =
    hidden_features · (hidden_layers + 1)` numbers per signal; the weights W_l, b_l are shared by all signals.
    With z = 0 and A, a = 0 it is exactly `self.siren`.
    """

    def __init__(self, latent_dim: int = 64, in_features: int = 2, out_features: int = 1, hidden_features: int = 64,
                 hidden_layers: int = 2, omega_0: float = 30.0):
        super().__init__()
        self.latent_dim = check_int(latent_dim, "latent_dim", 1)
        self.siren = Siren(in_features, out_features, hidden_features, hidden_layers, omega_0, omega_0)
        self.hidden_features = check_int(hidden_features, "hidden_features", 1)
        self.n_layers = hidden_layers + 1
        self.n_modulations = self.hidden_features * self.n_layers
        self.to_shifts = nn.Linear(self.latent_dim, self.n_modulations)

    def shifts(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent_dim) -> shifts (B, hidden_layers + 1, hidden_features), in radians."""
        _check_code(z, self.latent_dim)
        return self.to_shifts(z).reshape(z.shape[0], self.n_layers, self.hidden_features)

    def forward(self, z: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        """z (B, latent_dim), coords (N, d) or (B, N, d) -> (B, N, out_features)."""
        s = self.shifts(z)
        d = self.siren.in_features
        if not torch.is_tensor(coords) or coords.ndim not in (2, 3) or coords.shape[-1] != d:
            raise ValueError(f"coords must be shaped (N, {d}) or (B, N, {d}), got "
                             f"{tuple(coords.shape) if torch.is_tensor(coords) else type(coords).__name__}")
        h = coords
        for k, layer in enumerate(self.siren.net[:-1]):
            lin = layer.linear
            z_k = nn.functional.linear(h, lin.weight * layer.omega_0, lin.bias * layer.omega_0)  # shared weights
            if k == 0 and z_k.ndim == 2:
                z_k = z_k.unsqueeze(0)                              # (1, N, h): broadcast over the signals
            h = torch.sin(z_k + s[:, k].unsqueeze(1))               # (B, N, h)
        return self.siren.net[-1](h)


class ConditionalINR(nn.Module):
    """encoder + decoder: forward(ctx_coords, ctx_values, coords) -> the decoded signals at coords, (B, N, c)."""

    def __init__(self, encoder: SetEncoder, decoder: nn.Module):
        super().__init__()
        if not isinstance(encoder, SetEncoder):
            raise TypeError(f"encoder must be a helpers.meta.SetEncoder, got {type(encoder).__name__}")
        if getattr(decoder, "latent_dim", None) != encoder.latent_dim:
            raise ValueError(f"the encoder gives codes of size {encoder.latent_dim} but the decoder takes "
                             f"{getattr(decoder, 'latent_dim', None)}; build both with the same latent_dim")
        self.encoder, self.decoder = encoder, decoder

    def forward(self, ctx_coords, ctx_values, coords):
        return self.decoder(self.encoder(ctx_coords, ctx_values), coords)


# ------------------------------------------------------------------------------------------ data helpers
def as_signals(images, name: str = "images") -> torch.Tensor:
    """(M, H, W) gray images (a tensor or array, values in [0, 1]) -> (M, H·W, 1) float32 values, row-major."""
    t = as_float_tensor(images, name)
    if t.ndim != 3 or min(t.shape) < 1:
        raise ValueError(f"{name} must be a stack of gray images shaped (M, H, W), got shape {tuple(t.shape)}; "
                         "for one image use image.unsqueeze(0)")
    check_finite(t, name)
    return t.reshape(t.shape[0], -1, 1)


def context_indices(n_signals: int, n_pixels: int, k: int, generator: torch.Generator | None = None,
                    device=None) -> torch.Tensor:
    """(n_signals, k) pixel indices: k distinct random pixels of each signal (a different draw per signal)."""
    n_signals, n_pixels = check_int(n_signals, "n_signals", 1), check_int(n_pixels, "n_pixels", 1)
    k = check_int(k, "k", 1, n_pixels, hint=f" (context pixels: between 1 and the {n_pixels} pixels of a signal)")
    return torch.rand(n_signals, n_pixels, generator=generator, device=device).argsort(dim=1)[:, :k]


def gather_context(coords: torch.Tensor, values: torch.Tensor, idx: torch.Tensor):
    """coords (N, d), values (B, N, c), idx (B, K) -> context coordinates (B, K, d) and values (B, K, c)."""
    ctx_x = coords[idx]
    ctx_y = torch.gather(values, 1, idx.unsqueeze(-1).expand(-1, -1, values.shape[-1]))
    return ctx_x, ctx_y


def fit_conditional(model: ConditionalINR, images, *, steps: int, lr: float = 1e-4, batch_size: int = 32,
                    context=(10, None), seed: int = 0, **fit_kwargs) -> History:
    """Train encoder and decoder together with helpers.fit: per step, `batch_size` random training signals, each
    with its own K random context pixels (K log-uniform in context = (k_min, k_max), k_max None = all pixels);
    the loss is the MSE on **all** pixels of each signal. Extra keyword arguments go to helpers.fit.
    """
    if not isinstance(model, ConditionalINR):
        raise TypeError(f"model must be a helpers.meta.ConditionalINR, got {type(model).__name__}")
    values = as_signals(images)
    side = images.shape[1:]
    device = next(model.parameters()).device
    values = values.to(device)
    coords = grid(tuple(side), device=device).reshape(-1, 2)
    M, N = values.shape[:2]
    k_min, k_max = context[0], N if context[1] is None else context[1]
    k_min, k_max = check_int(k_min, "context[0]", 1), check_int(k_max, "context[1]", 1, N)
    if k_min > k_max:
        raise ValueError(f"context=({k_min}, {k_max}) has its smallest size above its largest; give (k_min, k_max)")
    batch_size = check_int(batch_size, "batch_size", 1, hint=" (signals per step)")
    g = torch.Generator().manual_seed(check_int(seed, "seed"))

    def sampler(step):
        pick = torch.randint(0, M, (min(batch_size, M),), generator=g)
        u = torch.rand(1, generator=g).item()                      # K log-uniform in [k_min, k_max]
        k = int(round(math.exp(math.log(k_min) + (math.log(k_max) - math.log(k_min)) * u)))
        return context_indices(len(pick), N, k, g).to(device), values[pick.to(device)]

    def loss_fn(model, idx, target):
        ctx_x, ctx_y = gather_context(coords, target, idx)
        return ((model(ctx_x, ctx_y, coords) - target) ** 2).mean()

    return fit(model, steps=steps, lr=lr, loss_fn=loss_fn, sampler=sampler, **fit_kwargs)


@torch.no_grad()
def reconstruct(model: ConditionalINR, images, k: int, seed: int = 0, chunk: int = 64):
    """Decode every pixel of each image from k random context pixels of it.

    Returns (prediction (M, H, W), idx (M, k)): the same idx gives a baseline the same pixels.
    """
    values = as_signals(images)
    M, N = values.shape[:2]
    side = tuple(images.shape[1:])
    device = next(model.parameters()).device
    coords = grid(side, device=device).reshape(-1, 2)
    idx = context_indices(M, N, k, torch.Generator().manual_seed(check_int(seed, "seed")))
    model.eval()
    out = []
    for start in range(0, M, chunk):                                # chunks bound the memory, not a loop per signal
        v, i = values[start:start + chunk].to(device), idx[start:start + chunk].to(device)
        out.append(model(*gather_context(coords, v, i), coords).cpu())
    return torch.cat(out).reshape(M, *side), idx


# ---------------------------------------------------------------------------- Reptile: a learned init
def adapt(params, coords: torch.Tensor, targets: torch.Tensor, *, steps: int, lr: float, omega_0: float = 30.0,
          betas=(0.9, 0.999), eps: float = 1e-8):
    """Fit B SIRENs at once, each to its own signal: `steps` Adam steps at a constant `lr` on the per-signal MSE.

    params  : [W_0 (B, out, in), b_0 (B, out), ...] starting weights (not changed), e.g. one init repeated B times
    coords  : (N, d) shared, or (B, N, d); targets (B, N, c)
    Returns (adapted params, mse (steps + 1, B)): mse[s] is each signal's MSE after s steps. Each SIREN gets
    exactly the update torch.optim.Adam gives it in helpers.fit(..., schedule="constant", batch_size=None).
    """
    steps = check_int(steps, "steps", 0)
    lr = check_positive(lr, "lr", " (SIRENs use about 1e-4 to 1e-3)")
    coords, B = _check_batched(coords, params)
    if targets.ndim != 3 or targets.shape[0] != B or targets.shape[1] != coords.shape[-2]:
        raise ValueError(f"targets must be shaped (B, N, c) = ({B}, {coords.shape[-2]}, c), one row per coordinate "
                         f"of each signal, got {tuple(targets.shape)}")
    b1, b2 = betas
    theta = [p.detach().clone().requires_grad_(True) for p in params]
    m = [torch.zeros_like(p) for p in theta]
    v = [torch.zeros_like(p) for p in theta]
    history = []
    for t in range(1, steps + 2):
        with torch.enable_grad():
            err = ((batch_siren(coords, theta, omega_0, omega_0) - targets) ** 2).mean(dim=(1, 2))    # (B,)
            history.append(err.detach())
            if t == steps + 1:
                break
            grads = torch.autograd.grad(err.sum(), theta)           # the sum: each signal's gradient is its own
        with torch.no_grad():
            for p, g, m_p, v_p in zip(theta, grads, m, v, strict=True):
                m_p.mul_(b1).add_(g, alpha=1 - b1)
                v_p.mul_(b2).addcmul_(g, g, value=1 - b2)
                denom = (v_p / (1 - b2 ** t)).sqrt_().add_(eps)
                p.addcdiv_(m_p, denom, value=-lr / (1 - b1 ** t))
    return [p.detach() for p in theta], torch.stack(history)


def repeat_params(params, B: int) -> list:
    """One SIREN's [W_0, b_0, ...] repeated into a batch of B: [W_0 (B, out, in), ...]."""
    B = check_int(B, "B", 1)
    return [p.detach().unsqueeze(0).expand(B, *p.shape).clone() for p in params]


def reptile_target(params, coords, targets, *, inner_steps: int, inner_lr: float, omega_0: float = 30.0):
    """Reptile's target: the mean over the batch of the weights `adapt` reaches from `params` (unbatched).

    Returns (mean adapted params [W_0, b_0, ...], mse (inner_steps + 1, B)).
    """
    B = targets.shape[0]
    adapted, mse = adapt(repeat_params(params, B), coords, targets, steps=inner_steps, lr=inner_lr, omega_0=omega_0)
    return [p.mean(dim=0) for p in adapted], mse


def fit_reptile(model: Siren, images, *, steps: int, inner_steps: int = 5, inner_lr: float = 1e-3,
                lr: float = 1e-4, batch_size: int = 16, seed: int = 0, **fit_kwargs) -> History:
    """Meta-learn `model`'s initialization with Reptile (Nichol et al. 2018), in place, through helpers.fit.

    Each outer step draws `batch_size` training signals, adapts a copy of the init θ to each with `adapt`
    (`inner_steps` Adam steps at `inner_lr`, all pixels) and moves θ toward the mean adapted weights φ̄. The move is
    written as a loss whose gradient is θ - φ̄, ½‖θ - φ̄‖² with φ̄ held fixed, so helpers.fit's Adam (`lr`) takes
    the outer step. History.terms logs each batch's mean inner MSE before ('mse_0') and after ('mse_k') adapting.
    """
    _check_siren(model)
    values = as_signals(images)
    side = tuple(images.shape[1:])
    device = next(model.parameters()).device
    values = values.to(device)
    coords = grid(side, device=device).reshape(-1, 2)
    M = values.shape[0]
    batch_size = check_int(batch_size, "batch_size", 1, hint=" (signals per outer step)")
    inner_steps = check_int(inner_steps, "inner_steps", 1)
    inner_lr = check_positive(inner_lr, "inner_lr", " (the Adam rate of the inner fits, e.g. 1e-3)")
    omega_0 = model.first_omega_0
    if model.hidden_omega_0 != omega_0:
        raise ValueError("fit_reptile needs a SIREN with first_omega_0 == hidden_omega_0 (adapt uses one ω₀)")
    g = torch.Generator().manual_seed(check_int(seed, "seed"))

    def sampler(step):
        return coords, values[torch.randint(0, M, (min(batch_size, M),), generator=g).to(device)]

    def loss_fn(model, coords, target):
        theta = [p for layer in model.net for p in (layer.linear if hasattr(layer, "linear") else layer).parameters()]
        phi, mse = reptile_target(theta, coords, target, inner_steps=inner_steps, inner_lr=inner_lr, omega_0=omega_0)
        loss = 0.5 * sum(((p - q) ** 2).sum() for p, q in zip(theta, phi, strict=True))
        return loss, {"mse_0": mse[0].mean(), "mse_k": mse[-1].mean()}

    return fit(model, steps=steps, lr=lr, loss_fn=loss_fn, sampler=sampler, **fit_kwargs)
