"""Input checks that turn bad input into one clear sentence instead of a torch stack trace."""
from __future__ import annotations

import torch


def check_last_dim(x: torch.Tensor, d: int, name: str = "coords") -> None:
    """Raise if `x` is not shaped (..., d)."""
    if not torch.is_tensor(x):
        raise TypeError(f"{name} must be a torch.Tensor shaped (..., {d}), got {type(x).__name__}")
    if x.ndim == 0 or x.shape[-1] != d:
        raise ValueError(f"{name} must be shaped (..., {d}) but has shape {tuple(x.shape)}; "
                         f"the last dimension holds the {d} coordinate(s) of each point")


def check_nonempty(x: torch.Tensor, name: str = "input") -> None:
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); pass at least one sample")


def check_finite(x: torch.Tensor, name: str = "target") -> None:
    """Raise if `x` holds NaN or inf (they would silently poison a fit)."""
    if not torch.isfinite(x).all():
        bad = (~torch.isfinite(x)).sum().item()
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf); "
                         "clean or mask them before fitting")
