"""Why SIREN's initialization matters: per-layer statistics of a Siren and bad initializations to compare.

Sitzmann et al. 2020 (Sec. 3.2 and supplement Sec. 1) show that with inputs
x ~ U(-1, 1), the first layer W ~ U(-1/n, 1/n) and hidden layers
W ~ U(-sqrt(6/n)/ω₀, sqrt(6/n)/ω₀), every layer's pre-activation
z = ω₀(Wh + b) is approximately N(0, 1) and its activation sin(z) follows the
arcsine distribution on [-1, 1] (std 1/√2), at any depth.

  layer_outputs(model, x)   -> (pre-activations, activations), one tensor per sine layer
  layer_stats(model, x)     -> their means and standard deviations per layer
  reinitialize(model, scheme) re-draws the weights of a Siren with one of SCHEMES
  make_siren(scheme, ...)   -> a Siren initialized with that scheme
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .checks import check_finite, check_last_dim, check_nonempty
from .models import SineLayer, Siren

#: Initialization schemes, with what each does to a deep Siren.
SCHEMES = {
    "siren": "the paper's: first W ~ U(±1/n), hidden W ~ U(±√(6/n)/ω₀)",
    "pytorch_default": "nn.Linear's default W ~ U(±1/√n) and ω₀ = 1 (sine as a drop-in activation): collapses",
    "no_omega_scaling": "hidden W ~ U(±√(6/n)) without the 1/ω₀ factor: pre-activations explode",
    "first_omega_1": "the paper's init but first-layer ω₀ = 1: too few periods over [-1, 1]",
}


def _sine_layers(model) -> list:
    if not isinstance(model, Siren):
        raise TypeError(f"expected a helpers.Siren, got {type(model).__name__}")
    return [layer for layer in model.net if isinstance(layer, SineLayer)]


@torch.no_grad()
def layer_outputs(model: Siren, x: torch.Tensor):
    """Pre-activations z_l = ω₀(W_l h_{l-1} + b_l) and activations h_l = sin(z_l) of every sine layer.

    x: (N, in_features) inputs. Returns two lists (one (N, width) tensor per sine layer).
    """
    layers = _sine_layers(model)
    check_last_dim(x, model.in_features, "x")
    check_nonempty(x, "x")
    check_finite(x, "x")
    pre, post = [], []
    h = x
    for layer in layers:
        z = layer.omega_0 * layer.linear(h)
        h = torch.sin(z)
        pre.append(z)
        post.append(h)
    return pre, post


def layer_stats(model: Siren, x: torch.Tensor) -> dict:
    """Per-layer mean and std of pre-activations and activations, as numpy arrays of length n_layers.

    Keys: 'pre_mean', 'pre_std', 'post_mean', 'post_std'.
    """
    pre, post = layer_outputs(model, x)
    return {
        "pre_mean": np.array([z.mean().item() for z in pre]),
        "pre_std": np.array([z.std().item() for z in pre]),
        "post_mean": np.array([h.mean().item() for h in post]),
        "post_std": np.array([h.std().item() for h in post]),
    }


@torch.no_grad()
def reinitialize(model: Siren, scheme: str, omega_0: float | None = None) -> Siren:
    """Re-draw the weights of `model` in place with one of SCHEMES and return it.

    omega_0: the ω₀ of the hidden layers (default: the model's hidden ω₀); the
    first layer keeps the model's first ω₀ except in 'first_omega_1' and
    'pytorch_default'. Uses torch's global random generator (seed it first).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown initialization scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    layers = _sine_layers(model)
    last = model.net[-1]
    w0 = float(omega_0 if omega_0 is not None else model.hidden_omega_0)
    first_w0 = {"pytorch_default": 1.0, "first_omega_1": 1.0}.get(scheme, model.first_omega_0)
    hidden_w0 = 1.0 if scheme == "pytorch_default" else w0
    linears = [layer.linear for layer in layers] + ([last] if isinstance(last, nn.Linear) else [])
    for i, lin in enumerate(linears):
        lin.reset_parameters()  # PyTorch's default: W, b ~ U(±1/√fan_in)
        if scheme == "pytorch_default":
            continue
        n = lin.in_features
        if i == 0:
            bound = 1.0 / n
        elif scheme == "no_omega_scaling":
            bound = math.sqrt(6.0 / n)
        else:
            bound = math.sqrt(6.0 / n) / hidden_w0
        lin.weight.uniform_(-bound, bound)
    for i, layer in enumerate(layers):
        layer.omega_0 = first_w0 if i == 0 else hidden_w0
    model.first_omega_0, model.hidden_omega_0 = first_w0, hidden_w0
    return model


def make_siren(scheme: str = "siren", in_features: int = 1, out_features: int = 1, hidden_features: int = 256,
               hidden_layers: int = 3, omega_0: float = 30.0, seed: int | None = None) -> Siren:
    """A Siren (first and hidden ω₀ = omega_0) initialized with `scheme` from SCHEMES."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown initialization scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if seed is not None:
        torch.manual_seed(seed)
    model = Siren(in_features, out_features, hidden_features=hidden_features, hidden_layers=hidden_layers,
                  first_omega_0=omega_0, hidden_omega_0=omega_0)
    return model if scheme == "siren" else reinitialize(model, scheme)
