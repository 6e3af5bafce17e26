"""One `fit` for every notebook, and chunked evaluation of big grids.

fit(model, coords, target, steps=...) minimizes a loss with Adam. By default
the loss is the MSE between Φ(coords) and target; pass `loss_fn(model, coords,
target)` for anything else (gradients, Laplacians, SDF terms): it returns a
scalar or (scalar, {term name: tensor}). Batches are either the whole data
(full batch), random subsets of `batch_size` rows, or whatever `sampler(step)`
returns. The default, batch_size='auto', is full batch except for large data
fitted with the MSE loss on a CPU, where random batches of 2^14 rows reach a
given PSNR several times sooner in wall-clock time (see `auto_batch_size`).
"""
from __future__ import annotations

import math
import numbers
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from .checks import as_float_tensor, check_finite, check_int, check_nonempty, check_positive
from .metrics import psnr, psnr_from_mse
from .runtime import _env_flag


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite, or exploded by orders of magnitude."""


@dataclass
class History:
    """What happened during a fit: one entry per logged step."""

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    psnr: list = field(default_factory=list)   # from the batch MSE, only with data_range
    time: list = field(default_factory=list)   # seconds since the start of the fit
    terms: dict = field(default_factory=dict)  # loss terms by name
    metrics: dict = field(default_factory=dict)  # from eval_fn, logged every eval_every steps
    data_range: float | None = None

    @property
    def seconds(self) -> float:
        return self.time[-1] if self.time else 0.0

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    def _need_psnr(self, what: str) -> None:
        if not self.psnr:
            raise ValueError(f"{what} needs a PSNR history, and this fit logged none: pass data_range to fit "
                             "(1.0 for images in [0, 1], 2.0 for audio in [-1, 1])")

    @property
    def final_psnr(self) -> float:
        self._need_psnr("final_psnr")
        return self.psnr[-1]

    def steps_to(self, psnr_db: float):
        """(step, seconds) when the logged PSNR first reached `psnr_db`, else None."""
        self._need_psnr("steps_to")
        if isinstance(psnr_db, bool) or not isinstance(psnr_db, numbers.Real) or math.isnan(psnr_db):
            raise TypeError(f"psnr_db must be a number of dB such as 30.0, got {psnr_db!r}")
        for s, p, t in zip(self.step, self.psnr, self.time, strict=True):
            if p >= psnr_db:
                return s, t
        return None


def _quiet() -> bool:
    """No progress bars under CI / nbval or in the quick profile."""
    return os.environ.get("INR_PROFILE", "").strip().lower() == "quick" or _env_flag("CI") or _env_flag("INR_NBVAL")


def _shape_mismatch(out_shape, target_shape) -> str:
    """Why a model output and an MSE target do not match, and the fix."""
    out_shape, target_shape = tuple(out_shape), tuple(target_shape)
    if len(target_shape) == len(out_shape) - 1 and out_shape[-1] == 1 and target_shape == out_shape[:-1]:
        return (f"target has shape {target_shape} but the model outputs {out_shape}: the MSE would broadcast "
                "them to a square matrix and fit nonsense; give the target its channel axis: target.reshape(-1, 1)")
    if out_shape[:-1] == target_shape[:-1]:
        return (f"the model outputs {out_shape[-1]} channel(s) per point but target has {target_shape[-1]} "
                f"(model output {out_shape}, target {target_shape}); build the model with "
                f"out_features={target_shape[-1]}")
    return (f"the model output {out_shape} and target {target_shape} do not match; the default MSE loss needs "
            "target shaped like model(coords): (N, out_features)")


def _mse_loss(model, coords, target):
    out = model(coords)
    if out.shape != target.shape:
        raise ValueError(_shape_mismatch(out.shape, target.shape))
    return ((out - target) ** 2).mean()


# Rows per step for batch_size='auto'. A CPU step costs time in proportion to its rows, so
# on a CPU many cheap noisy steps beat few exact ones: cameraman 256², SIREN 3x256, reached
# 40 dB in 166 s with batches of 2^14 against 674 s full batch (one thread, see README).
# On a GPU a step should cost about the same for any batch up to ~10^5 rows (kernel launches,
# not arithmetic, dominate there), so full batch stays; not yet measured: no GPU was lent.
AUTO_BATCH = {"cpu": 2 ** 14}
AUTO_BATCH_ACCELERATOR = 2 ** 18


def auto_batch_size(n_rows: int, device) -> int | None:
    """batch_size='auto': None (full batch) up to twice the device's batch, else that batch."""
    n_rows = check_int(n_rows, "n_rows", 0)
    b = AUTO_BATCH.get(torch.device(device).type, AUTO_BATCH_ACCELERATOR)
    return None if n_rows <= 2 * b else b


def _psnr_all(model, coords, target, data_range):
    """PSNR of Φ over all of coords (chunked, no graph): the check behind stop_at_psnr with batches."""
    return psnr(evaluate(model, coords), target, data_range=data_range)  # evaluate restores train mode


def _make_schedule(opt, schedule, steps, lr_min_factor):
    if schedule in (None, "constant"):
        return None
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps),
                                                          eta_min=opt.defaults["lr"] * lr_min_factor)
    if callable(schedule):
        return schedule(opt)
    raise ValueError(f"unknown schedule {schedule!r}: use 'cosine', 'constant' or a callable(optimizer)")


# A failed fit that is not NaN (cameraman 64², SIREN 3x256, 300 steps, one thread, 2026-12-02): at lr 1
# the loss jumps from 0.32 to 179 at step 2 (560x; lr 10: 6e4x, lr 1e3: 5e8x) and every run from lr 0.01
# up settles at the target's variance (0.076, 11.2 dB): the network predicts the mean, after the loss rose
# 1.3x (lr 0.01) to 11x (lr 0.1) above its start. Healthy runs (lr 1e-4 .. 3e-3) rose at most 1.24x but
# ended far below the variance; in notebooks 01-08 (quick profile, and 07 standard; 2026-12-02) no fit rose
# above 1.19x its first loss (custom losses included), and the deliberately flat ReLU audio fits of 03 and 07, which end
# at the variance, never rose above their first loss. ReLU at lr 0.01 rose 50x and still reached 20 dB,
# so an explosion is only called at 100x. The explosion test compares with the larger of the first loss
# and, for the MSE loss, the target's variance, so continuing a converged fit (first loss tiny; Adam's
# restart lifted it 1800x, to 0.06) is not mistaken for an explosion.
EXPLODE_FACTOR = 100.0   # stop: a logged loss above this many times its reference
ROSE_FACTOR = 1.1        # with the MSE loss, warn when the loss rose this much above its first value and ended at
MEAN_FRACTION = 0.9      # this fraction of the target's variance or more (the network learned only the mean)
MIN_STEPS_TO_JUDGE = 20  # ... after at least this many steps (a 3-step try with batches of 16 proves nothing)


class FitWarning(UserWarning):
    """The fit finished but failed: the loss rose, then ended where predicting the mean would."""


def _lr_advice(lr: float) -> str:
    return (f"lower the learning rate (now lr={lr:g}; try lr={lr / 10:g}: the course's fits use 1e-4 to 1e-3) "
            "or pass grad_clip=1.0")


def _optional(value, check, *args):
    return None if value is None else check(value, *args)


def _as_data(a, name: str, ref: torch.Tensor | None, floating: bool) -> torch.Tensor:
    """coords / target on the model's device; floating=True also gives them the model's float dtype."""
    device = ref.device if ref is not None else None
    dtype = ref.dtype if ref is not None and ref.is_floating_point() else torch.float32
    if not torch.is_tensor(a):
        if not floating and isinstance(a, np.ndarray) and a.dtype.kind in "biu":
            return torch.as_tensor(a, device=device)  # a custom loss may index with an integer / boolean target
        return as_float_tensor(a, name, device=device, dtype=dtype)
    if floating or a.dtype == torch.float64:
        return a.to(device=device or a.device, dtype=dtype)  # no copy when it already matches
    return a.to(device=device or a.device)


def _check_range(target: torch.Tensor, data_range: float) -> None:
    """Refuse a target that spans more than data_range (e.g. a [0, 255] image with data_range=1)."""
    lo, hi = float(target.min()), float(target.max())
    if hi - lo > 1.1 * data_range:
        if 0 <= lo and 1 < hi <= 255:
            fix = ("these look like 8-bit pixel values: divide the target by 255 (then data_range=1.0) "
                   "or pass data_range=255")
        else:
            fix = (f"rescale the target to a range of {data_range:g}, or pass the range its values can span "
                   f"(at least data_range={hi - lo:.4g})")
        raise ValueError(f"target spans [{lo:.4g}, {hi:.4g}] but data_range={data_range:g}, so every PSNR would be "
                         f"off by {20 * math.log10((hi - lo) / data_range):.0f} dB or more; {fix}")
    if data_range >= 50 and hi - lo <= 1.0:
        warnings.warn(f"target spans only [{lo:.3g}, {hi:.3g}] but data_range={data_range:g}: PSNR will read "
                      f"{20 * math.log10(data_range):.0f} dB too high if the signal lives in [0, 1]; "
                      "pass data_range=1.0 for images in [0, 1]", FitWarning, stacklevel=3)


def fit(model: torch.nn.Module, coords: torch.Tensor | None = None, target: torch.Tensor | None = None, *,
        steps: int, lr: float = 1e-3, loss_fn=None, batch_size: int | str | None = "auto", sampler=None,
        schedule="cosine", lr_min_factor: float = 0.05, data_range: float | None = None,
        log_every: int | None = None, eval_fn=None, eval_every: int | None = None,
        progress: bool | None = None, desc: str | None = None, live_plot: bool = False,
        grad_clip: float | None = None, weight_decay: float = 0.0, stop_at_psnr: float | None = None) -> History:
    """Train `model` in place and return its History.

    coords, target : (N, d) and (N, c) tensors (or arrays); they are moved to the model's device, and
                     coordinates (and, for the MSE loss, targets) get its float dtype. Or use `sampler`.
    loss_fn        : callable(model, coords, target) -> loss or (loss, {name: term}); default MSE, which
                     needs target shaped like model(coords): (N, out_features), never (N,).
    batch_size     : random rows per step; None: full batch; 'auto' (default): full batch, except with
                     the MSE loss on more than 2·2^14 rows on a CPU (2·2^18 on a GPU), which get
                     random batches of 2^14 (2^18): see `auto_batch_size`. A custom loss_fn gets full
                     batch, since its rows may not be independent. sampler(step) -> (coords, target) replaces
                     batches (then leave batch_size at 'auto' or None).
    data_range     : if given, PSNR of the batch MSE is logged (only meaningful for the MSE loss); with
                     random batches it is a noisy estimate of the whole data's. With the MSE loss a target
                     spanning more than 1.1·data_range is refused (a [0, 255] image with data_range=1).
    schedule       : 'cosine' (to lr·lr_min_factor), 'constant', or callable(optimizer) -> scheduler.
    eval_fn        : callable(model) -> {name: float}, logged every `eval_every` steps and at the end.
    progress       : tqdm bar; default on, except under CI / nbval or INR_PROFILE=quick.
    live_plot      : redraw the loss (and PSNR) curve in the notebook while training.
    stop_at_psnr   : stop at the first logged step whose PSNR reaches this (needs data_range); with random
                     batches the PSNR over all rows is checked first, so a lucky batch does not stop it. With
                     a sampler, pass coords and target as well: the whole data the stop is checked on.
    Raises TrainingDiverged at the first logged step whose loss is NaN or infinite, or more than
    EXPLODE_FACTOR times its start (for the MSE loss: its start or the target's variance, whichever is
    larger). Warns (FitWarning) when an MSE fit of MIN_STEPS_TO_JUDGE steps or more rose ROSE_FACTOR times
    above its start and ended no better than the target's mean: both signs of a learning rate that is too high.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (e.g. helpers.make_model('siren', 2, 1)), "
                        f"got {type(model).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameters, so fit has nothing to train")
    steps = check_int(steps, "steps", 1)
    lr = check_positive(lr, "lr", " (a learning rate of 0 trains nothing; SIRENs use about 1e-4, ReLU MLPs 1e-3)")
    data_range = _optional(data_range, check_positive, "data_range",
                           " (1.0 for images in [0, 1], 2.0 for audio in [-1, 1])")
    log_every = _optional(log_every, check_int, "log_every", 1)
    eval_every = _optional(eval_every, check_int, "eval_every", 1)
    grad_clip = _optional(grad_clip, check_positive, "grad_clip")
    for value, name in ((loss_fn, "loss_fn"), (sampler, "sampler"), (eval_fn, "eval_fn")):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be a function (or None), got {type(value).__name__}")
    for value, name in ((lr_min_factor, "lr_min_factor"), (weight_decay, "weight_decay")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (0 <= value < math.inf):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if lr_min_factor > 1:
        raise ValueError(f"lr_min_factor must lie in [0, 1] (the cosine schedule ends at lr·lr_min_factor), "
                         f"got {lr_min_factor!r}")
    if batch_size is not None and batch_size != "auto":
        batch_size = check_int(batch_size, "batch_size", 1,
                               hint=" (rows per step; None for full batch, 'auto' for the default)") \
            if not isinstance(batch_size, str) else None
        if batch_size is None:
            raise ValueError("batch_size must be a positive int, None (full batch) or 'auto'")
    if stop_at_psnr is not None:
        if isinstance(stop_at_psnr, bool) or not isinstance(stop_at_psnr, numbers.Real) \
                or not math.isfinite(stop_at_psnr):
            raise ValueError(f"stop_at_psnr must be a finite number of dB (e.g. 30.0), got {stop_at_psnr!r}")
        if data_range is None:
            raise ValueError("stop_at_psnr needs data_range (e.g. 1.0 for images in [0, 1])")
    mse = loss_fn is None
    ref = params[0]
    if sampler is not None:
        if batch_size not in ("auto", None):
            raise ValueError(f"batch_size={batch_size} has no effect with a sampler (the sampler decides each "
                             "batch); drop batch_size or the sampler")
        if (coords is None) != (target is None):
            raise ValueError("with a sampler, pass both coords and target (the whole data that stop_at_psnr is "
                             "checked on) or neither")
        if stop_at_psnr is not None and coords is None:
            raise ValueError("stop_at_psnr with a sampler needs the whole data to check the PSNR on (a lucky "
                             "batch would stop the fit early): pass coords and target as well")
        batch_size = None
    elif coords is None or target is None:
        raise ValueError("fit needs coords and target, or a sampler(step) -> (coords, target)")
    var = None
    if coords is not None:
        coords = _as_data(coords, "coords", ref, floating=True)
        target = _as_data(target, "target", ref, floating=mse)
        check_nonempty(coords, "coords")
        check_nonempty(target, "target")
        check_finite(coords, "coords")
        check_finite(target, "target")
        if coords.ndim == 0 or target.ndim == 0 or coords.shape[0] != target.shape[0]:
            raise ValueError(f"coords {tuple(coords.shape)} and target {tuple(target.shape)} must have the same "
                             "number of rows (one per point); flatten both with helpers.flatten so each "
                             "coordinate has its value")
        if mse:
            if coords.ndim != 2:
                raise ValueError(f"coords must be shaped (N, d), got {tuple(coords.shape)}; flatten a grid with "
                                 "helpers.flatten(signal), which gives (N, d) coordinates and (N, C) values")
            if data_range is not None:
                _check_range(target, data_range)
            if target.ndim == 2:
                var = float(target.var(0, unbiased=False).mean()) if target.shape[0] > 1 else None
    if sampler is None:
        if batch_size == "auto":
            batch_size = auto_batch_size(coords.shape[0], coords.device) if mse else None
        if batch_size is not None and batch_size >= coords.shape[0]:
            batch_size = None
    loss_fn = loss_fn or _mse_loss
    log_every = log_every or max(1, steps // 200)
    eval_every = eval_every or max(1, steps // 10)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = _make_schedule(opt, schedule, steps, lr_min_factor)
    hist = History(data_range=data_range)
    show = (not _quiet()) if progress is None else progress
    from tqdm.auto import tqdm

    bar = tqdm(total=steps, desc=desc, disable=not show, leave=False)
    live = _LivePlot(desc) if live_plot else None
    model.train()
    t0 = time.perf_counter()
    reference = None  # the loss scale an explosion is measured against (set at the first logged step)
    try:
        for step in range(1, steps + 1):
            if sampler is not None:
                batch = sampler(step)
                if step == 1:
                    batch = _check_sampled(batch, ref, mse, data_range)
                xb, yb = batch
            elif batch_size is not None:
                idx = torch.randint(0, coords.shape[0], (batch_size,), device=coords.device)
                xb, yb = coords[idx], target[idx]
            else:
                xb, yb = coords, target
            out = loss_fn(model, xb, yb)
            loss, terms = out if isinstance(out, tuple) else (out, {})
            if step == 1:
                _check_loss(loss)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            if sched is not None:
                sched.step()
            if step % log_every == 0 or step == steps or step == 1:
                value = loss.item()  # one device sync per logged step, not per step
                if not math.isfinite(value):
                    raise TrainingDiverged(
                        f"the loss became {value} at step {step}; {_lr_advice(lr)}, "
                        "or check the target for extreme values")
                if reference is None:
                    reference = max(value, var or 0.0)
                elif value > EXPLODE_FACTOR * reference:
                    raise TrainingDiverged(
                        f"the loss exploded to {value:.3g} at step {step}, {value / hist.loss[0]:.0f}x its start "
                        f"({hist.loss[0]:.3g}); the fit has failed: {_lr_advice(lr)}")
                hist.step.append(step)
                hist.loss.append(value)
                hist.time.append(time.perf_counter() - t0)
                if data_range is not None:
                    hist.psnr.append(psnr_from_mse(value, data_range))
                for k, v in terms.items():
                    hist.terms.setdefault(k, []).append(float(v))
                bar.set_postfix({"loss": f"{value:.3g}", **({"psnr": f"{hist.psnr[-1]:.1f}"} if hist.psnr else {})})
                if live is not None:
                    live.update(hist)
                if stop_at_psnr is not None and hist.psnr[-1] >= stop_at_psnr and (
                        (batch_size is None and sampler is None)
                        or _psnr_all(model, coords, target, data_range) >= stop_at_psnr):
                    break
            if eval_fn is not None and (step % eval_every == 0 or step == steps):
                for k, v in eval_fn(model).items():
                    hist.metrics.setdefault(k, []).append((step, float(v)))
                model.train()  # eval_fn may switch to eval mode (batch norm!); training goes on in train mode
            bar.update(1)
    finally:
        bar.close()
        model.eval()
    if (var is not None and hist.step[-1] >= MIN_STEPS_TO_JUDGE and max(hist.loss) >= ROSE_FACTOR * hist.loss[0]
            and hist.loss[-1] >= MEAN_FRACTION * var):
        warnings.warn(f"the fit failed: the loss rose to {max(hist.loss):.3g} ({max(hist.loss) / hist.loss[0]:.1f}x "
                      f"its start) and ended at {hist.loss[-1]:.3g}, no better than predicting the target's mean "
                      f"(its variance is {var:.3g}); {_lr_advice(lr)}", FitWarning, stacklevel=2)
    return hist


def _check_sampled(batch, ref: torch.Tensor, mse: bool, data_range):
    """The first batch from a sampler: a (coords, target) pair of tensors on the model's device."""
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
        raise TypeError(f"sampler(step) must return a pair (coords, target), got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    xb, yb = batch
    if mse:
        xb, yb = _as_data(xb, "sampled coords", ref, True), _as_data(yb, "sampled target", ref, True)
        check_finite(yb, "sampled target")
        if data_range is not None:
            _check_range(yb, data_range)
    for t, name in ((xb, "coords"), (yb, "target")):
        if torch.is_tensor(t) and t.device != ref.device:
            raise ValueError(f"the sampler returned {name} on {t.device} but the model is on {ref.device}; "
                             f"create the batch on the model's device (device={ref.device})")
    return xb, yb


def _check_loss(loss) -> None:
    """The loss of the first step must be a scalar tensor with a graph."""
    if not torch.is_tensor(loss) or loss.ndim != 0:
        shape = tuple(loss.shape) if torch.is_tensor(loss) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor (or (scalar, terms)), got {shape}; "
                         "reduce it with .mean() or .sum()")
    if not loss.requires_grad:
        raise ValueError("the loss has no gradient graph: compute it from model(coords), outside torch.no_grad(), "
                         "without .detach() or .item()")


class _LivePlot:
    """A loss (and PSNR) figure redrawn in place in a notebook, at most ~4 times a second."""

    def __init__(self, title):
        import matplotlib.pyplot as plt
        from IPython.display import display

        self.fig, self.ax = plt.subplots(figsize=(6, 3))
        self.title, self.last = title, 0.0
        self.handle = display(self.fig, display_id=True)
        plt.close(self.fig)

    def update(self, hist: History):
        now = time.perf_counter()
        if now - self.last < 0.25:
            return
        self.last = now
        ax = self.ax
        ax.clear()
        if hist.psnr:
            ax.plot(hist.step, hist.psnr)
            ax.set_ylabel(f"PSNR [dB] (range {hist.data_range:g})")
        else:
            ax.semilogy(hist.step, hist.loss)
            ax.set_ylabel("loss")
        ax.set_xlabel("step")
        ax.set_title(self.title or "training")
        self.handle.update(self.fig)


def _points_of(coords, name: str, model=None) -> torch.Tensor:
    """coords (..., d) as a tensor with at least one axis, on the model's device if it has parameters."""
    ref = next(model.parameters(), None) if model is not None else None
    if not torch.is_tensor(coords):
        coords = as_float_tensor(coords, name, device=ref.device if ref is not None else None)
    elif ref is not None and coords.device != ref.device:
        coords = coords.to(ref.device)
    if coords.ndim == 0:
        raise ValueError(f"{name} must be shaped (..., d), one row of d coordinates per point, got a single number")
    return coords


@torch.no_grad()
def evaluate(model: torch.nn.Module, coords: torch.Tensor, chunk_size: int = 65536) -> torch.Tensor:
    """Φ(coords) in chunks of `chunk_size` points (bounded memory), without gradients.

    coords (..., d) -> (..., c); no points in, no points out: (0, d) gives (0, c).
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    coords = _points_of(coords, "coords", model)
    chunk_size = check_int(chunk_size, "chunk_size", 1)
    flat = coords.reshape(-1, coords.shape[-1])
    was_training = model.training
    model.eval()
    try:
        out = model(flat) if len(flat) == 0 else torch.cat([model(c) for c in flat.split(chunk_size)])
    finally:
        model.train(was_training)
    if len(flat) == 0:
        return out.reshape(*coords.shape[:-1], out.shape[-1] if out.ndim > 1 else 1)
    return out.reshape(*coords.shape[:-1], -1)


def map_chunks(fn, coords: torch.Tensor, chunk_size: int = 16384):
    """Apply fn(chunk) -> tensor or tuple of tensors to chunks of coords and concatenate, detached.

    For quantities that need autograd (gradients, Laplacians) on a big grid:
    each chunk's graph is freed before the next one is built.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function of a chunk of coordinates, got {type(fn).__name__}")
    coords = _points_of(coords, "coords")
    chunk_size = check_int(chunk_size, "chunk_size", 1)
    flat = coords.reshape(-1, coords.shape[-1])
    outs = []
    for c in (flat.split(chunk_size) if len(flat) else [flat]):
        r = fn(c)
        outs.append(tuple(t.detach() for t in r) if isinstance(r, tuple) else r.detach())
    def join(parts):
        out = torch.cat(parts)
        if len(flat) == 0:  # no points: keep the channel count of fn's output
            return out.reshape(*coords.shape[:-1], out.shape[-1] if out.ndim > 1 else 1)
        return out.reshape(*coords.shape[:-1], -1)

    if isinstance(outs[0], tuple):
        return tuple(join(parts) for parts in zip(*outs, strict=True))
    return join(outs)
