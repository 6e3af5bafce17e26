"""Where and how a notebook runs: device, seeds and the run profile.

A *profile* scales every notebook at once:
  quick    - CI and nbval: tiny grids, few steps, seconds per notebook;
  standard - a CPU laptop: minutes;
  full     - a GPU: the paper's scale.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch

PROFILES = ("quick", "standard", "full")

_TRUE = {"1", "true", "yes", "on"}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def get_device(prefer: str | None = None) -> tuple[torch.device, str]:
    """Pick CUDA, then Apple MPS, then CPU; return the device and the reason.

    `prefer` ("cuda", "mps" or "cpu", or the INR_DEVICE environment variable)
    forces a device, with a clear error when it is not available.
    """
    prefer = prefer or os.environ.get("INR_DEVICE") or None
    has_cuda = torch.cuda.is_available()
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if prefer is not None:
        prefer = prefer.lower()
        available = {"cuda": has_cuda, "mps": has_mps, "cpu": True}
        if prefer not in available:
            raise ValueError(f"unknown device {prefer!r}: use one of 'cuda', 'mps', 'cpu'")
        if not available[prefer]:
            raise RuntimeError(f"device {prefer!r} was requested but is not available on this machine; "
                               "unset INR_DEVICE (or pass prefer=None) to pick automatically")
        return torch.device(prefer), f"requested ({prefer})"
    if has_cuda:
        return torch.device("cuda"), f"CUDA GPU found: {torch.cuda.get_device_name(0)}"
    if has_mps:
        return torch.device("mps"), "Apple MPS GPU found"
    return torch.device("cpu"), "no CUDA or MPS GPU found"


def seed_everything(seed: int = 0) -> None:
    """Seed python, numpy and torch (all devices) so reruns give the same curves."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def select_profile(name: str | None = None, device: torch.device | None = None) -> tuple[str, str]:
    """Choose the run profile and say why.

    Order: an explicit `name`, then the INR_PROFILE environment variable, then
    CI or nbval (`quick`), then a CUDA device (`full`), else `standard`.
    """
    if name is None and os.environ.get("INR_PROFILE"):
        name, why = os.environ["INR_PROFILE"], "INR_PROFILE environment variable"
    elif name is not None:
        why = "requested"
    elif _env_flag("CI") or _env_flag("INR_NBVAL"):
        return "quick", "running under CI / nbval"
    elif device is not None and torch.device(device).type == "cuda":
        return "full", "CUDA GPU present"
    else:
        return "standard", "no CUDA GPU (set INR_PROFILE=quick|standard|full to change)"
    key = name.strip().lower()
    if key not in PROFILES:
        raise ValueError(f"unknown profile {name!r} ({why}); valid profiles are: {', '.join(PROFILES)}")
    return key, why


def by_profile(table: dict, profile: str):
    """Return `table[profile]`, with a clear error when the table misses it."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are: {', '.join(PROFILES)}")
    missing = [p for p in PROFILES if p not in table]
    if missing:
        raise KeyError(f"the profile table has no entry for {', '.join(missing)}; give one per profile: {PROFILES}")
    return table[profile]


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    profile: str
    seed: int

    def pick(self, table: dict):
        """`table[self.profile]`: the sizes for this run."""
        return by_profile(table, self.profile)


#: Figure defaults. The notebook column shows about 1,100 px; at 100 dpi a figure up to 11 in wide is shown
#: at full size, so 10 pt text stays 10 pt. `present` is for a projector: larger text and thicker lines.
_FIGURE_STYLE = {"figure.dpi": 100, "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10,
                 "legend.fontsize": 10, "xtick.labelsize": 10, "ytick.labelsize": 10}
_PRESENT_STYLE = {"figure.dpi": 100, "font.size": 14, "axes.titlesize": 15, "axes.labelsize": 14,
                  "legend.fontsize": 12, "xtick.labelsize": 12, "ytick.labelsize": 12, "lines.linewidth": 2.2}


def set_figure_style(present: bool = False) -> None:
    """Matplotlib defaults for the notebook column, or (present=True) for a projector."""
    import matplotlib as mpl  # late: the core of helpers does not need matplotlib

    mpl.rcParams.update(_PRESENT_STYLE if present else _FIGURE_STYLE)


def setup(seed: int = 0, profile: str | None = None, device: str | None = None, verbose: bool = True,
          present: bool | None = None) -> Runtime:
    """One call at the top of every notebook: device, seeds, profile (and figure style), printed.

    `present=True`, or the environment variable INR_PRESENT=1, sets larger fonts and lines for a projector;
    the same notebook then presents live without edits.
    """
    present = _env_flag("INR_PRESENT") if present is None else bool(present)
    set_figure_style(present)
    dev, dev_why = get_device(device)
    if dev.type == "cuda":
        # TF32 matmuls: ~2-8x faster on Ampere+ with ample accuracy for fitting.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    seed_everything(seed)
    prof, prof_why = select_profile(profile, dev)
    if verbose:
        print(f"device : {dev}  ({dev_why})")
        if dev.type == "cpu":
            print("         hint: no GPU, so fits are slower. On Colab: Runtime > Change runtime type > GPU.")
        print(f"seed   : {seed}")
        print(f"profile: {prof}  ({prof_why})")
        if present:
            print("figures: presenter style (large fonts); INR_PRESENT=0 or setup(present=False) for the notebook")
    return Runtime(dev, prof, seed)
