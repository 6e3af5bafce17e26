"""Input checks that turn bad input into one clear sentence instead of a torch stack trace.

Every message has the same three parts: what was wrong, what was expected, how to fix it.
Coerce where the intent is unambiguous (float64 or int arrays become float32 tensors),
refuse where it is not (a 3-row "image" with 64 channels, a size of True, a NaN range).

  as_float_tensor(a, name)      array, list or tensor -> float32 tensor (detached)
  check_image(a, name)          -> float32 tensor (H, W) or (H, W, C)
  check_int(v, name, minimum)   sizes and counts: a whole number, never a bool
  check_positive(v, name)       learning rates, data ranges, scales: finite and > 0
  check_last_dim, check_nonempty, check_finite
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import torch


def _describe(a) -> str:
    """A short description of a value for a message: its type, and its shape and dtype if it has them."""
    if torch.is_tensor(a) or isinstance(a, np.ndarray):
        return f"a {type(a).__name__} of shape {tuple(a.shape)} and dtype {a.dtype}"
    return f"{a!r} (a {type(a).__name__})"


def check_last_dim(x: torch.Tensor, d: int, name: str = "coords") -> None:
    """Raise if `x` is not a tensor shaped (..., d)."""
    if not torch.is_tensor(x):
        raise TypeError(f"{name} must be a torch.Tensor shaped (..., {d}), got {type(x).__name__}; "
                        f"convert it with torch.as_tensor({name}, dtype=torch.float32)")
    if x.ndim == 0 or x.shape[-1] != d:
        raise ValueError(f"{name} must be shaped (..., {d}) but has shape {tuple(x.shape)}; "
                         f"the last dimension holds the {d} coordinate(s) of each point")


def check_nonempty(x, name: str = "input") -> None:
    """Raise if `x` holds no values."""
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); pass at least one sample")


def check_finite(x: torch.Tensor, name: str = "target") -> None:
    """Raise if `x` holds NaN or inf (they would silently poison a fit or a metric)."""
    if not torch.isfinite(x).all():
        bad = (~torch.isfinite(x)).sum().item()
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf) out of {x.numel()}; "
                         "clean or mask them first")


def as_float_tensor(a, name: str = "input", *, device=None, finite: bool = False,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """`a` (tensor, NumPy array, list or number) as a detached float tensor.

    Integers, booleans and float64 become `dtype` (float32 by default); a tensor
    keeps its device unless `device` is given. `finite=True` also refuses NaN and inf.
    Strings, None, complex and object arrays are refused with a TypeError.
    """
    if torch.is_tensor(a):
        t = a.detach()
    else:
        if a is None or isinstance(a, (str, bytes)):
            raise TypeError(f"{name} must be an array or tensor of numbers, got {_describe(a)}")
        try:
            arr = np.asarray(a)
        except (ValueError, TypeError) as exc:  # ragged nested lists
            raise TypeError(f"{name} must be an array or tensor of numbers, got {type(a).__name__} that NumPy "
                            f"cannot turn into one array ({exc}); make every row the same length") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}; "
                            "convert it to a float array first (e.g. np.asarray(x, dtype=np.float32))")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got a complex tensor; take .real or .abs() first")
    t = t.to(device=device if device is not None else t.device, dtype=dtype)
    if finite:
        check_finite(t, name)
    return t


def check_image(a, name: str = "image", *, channels=None, min_size: int = 1, finite: bool = True,
                device=None) -> torch.Tensor:
    """`a` as a float32 image tensor (H, W) or (H, W, C), channels last.

    channels : allowed C for a 3-D image (e.g. (1, 3, 4)); None allows any.
    min_size : smallest allowed H and W (2 for anything that takes differences).
    A channels-first array (3, H, W) is refused with the permute that fixes it.
    """
    t = as_float_tensor(a, name, device=device)
    shape = tuple(t.shape)
    if t.ndim not in (2, 3):
        hint = ("; drop the batch axis with a[0]" if t.ndim == 4 and shape[0] == 1 else
                "; reshape a flat signal with helpers.to_grid(values, (H, W))" if t.ndim == 1 else "")
        raise ValueError(f"{name} must be an image shaped (H, W) or (H, W, C), got shape {shape}{hint}")
    if t.ndim == 3:
        looks_channels_first = shape[0] in (1, 3, 4) and shape[-1] > 4
        if looks_channels_first or (channels is not None and shape[-1] not in channels):
            allowed = "" if channels is None else " with C in " + ", ".join(str(c) for c in channels)
            fix = ("; it looks channels-first: use a.permute(1, 2, 0) (torch) or a.transpose(1, 2, 0) (NumPy)"
                   if looks_channels_first else "")
            raise ValueError(f"{name} must be shaped (H, W, C){allowed}, channels last, got shape {shape}{fix}")
    if min(shape[:2]) < min_size:
        raise ValueError(f"{name} must be at least {min_size}x{min_size} pixels, got shape {shape}")
    if finite:
        check_finite(t, name)
    return t


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None, *, hint: str = "") -> int:
    """A size or count as an int: ints and whole floats pass, bools and fractions are refused.

    `hint` (e.g. " (0 gives one hidden layer)") is appended to the range messages.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a whole number, got {_describe(value)}; pass an int such as 64")
    if isinstance(value, numbers.Integral):
        n = int(value)
    elif math.isfinite(value) and float(value).is_integer():
        n = int(value)
    else:
        rounded = f" (round({value!r}) is {round(value)})" if math.isfinite(value) else ""
        raise ValueError(f"{name} must be a whole number, got {value!r}; round it yourself{rounded}, "
                         "so the size or count is the one you meant")
    if minimum is not None and n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n}{hint}")
    if maximum is not None and n > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {n}{hint}")
    return n


def check_positive(value, name: str, hint: str = "") -> float:
    """A learning rate, data range or scale as a float: a finite real number above zero."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if torch.is_tensor(value) and value.numel() == 1 and not value.is_complex():
            value = value.item()
        else:
            raise TypeError(f"{name} must be a positive number, got {_describe(value)}{hint}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive, finite number, got {value!r}{hint}")
    return v
