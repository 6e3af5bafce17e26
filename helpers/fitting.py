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
import os
import time
from dataclasses import dataclass, field

import torch

from .checks import check_finite, check_nonempty
from .metrics import psnr, psnr_from_mse


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


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

    @property
    def final_psnr(self) -> float:
        return self.psnr[-1]

    def steps_to(self, psnr_db: float):
        """(step, seconds) when the logged PSNR first reached `psnr_db`, else None."""
        for s, p, t in zip(self.step, self.psnr, self.time):
            if p >= psnr_db:
                return s, t
        return None


def _quiet() -> bool:
    """No progress bars under CI / nbval or in the quick profile."""
    if os.environ.get("INR_PROFILE", "").strip().lower() == "quick":
        return True
    return any(os.environ.get(k, "").lower() in {"1", "true", "yes"} for k in ("CI", "INR_NBVAL"))


def _mse_loss(model, coords, target):
    return ((model(coords) - target) ** 2).mean()


# Rows per step for batch_size='auto'. A CPU step costs time in proportion to its rows, so
# on a CPU many cheap noisy steps beat few exact ones: cameraman 256², SIREN 3x256, reached
# 40 dB in 166 s with batches of 2^14 against 674 s full batch (one thread, see README).
# On a GPU a step should cost about the same for any batch up to ~10^5 rows (kernel launches,
# not arithmetic, dominate there), so full batch stays; not yet measured: no GPU was lent.
AUTO_BATCH = {"cpu": 2 ** 14}
AUTO_BATCH_ACCELERATOR = 2 ** 18


def auto_batch_size(n_rows: int, device) -> int | None:
    """batch_size='auto': None (full batch) up to twice the device's batch, else that batch."""
    b = AUTO_BATCH.get(torch.device(device).type, AUTO_BATCH_ACCELERATOR)
    return None if n_rows <= 2 * b else b


def _psnr_all(model, coords, target, data_range):
    """PSNR of Φ over all of coords (chunked, no graph): the check behind stop_at_psnr with batches."""
    return psnr(evaluate(model, coords), target, data_range=data_range)  # evaluate restores train mode


def _make_schedule(opt, schedule, steps, lr_min_factor):
    if schedule in (None, "constant"):
        return None
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps), eta_min=opt.defaults["lr"] * lr_min_factor)
    if callable(schedule):
        return schedule(opt)
    raise ValueError(f"unknown schedule {schedule!r}: use 'cosine', 'constant' or a callable(optimizer)")


def fit(model: torch.nn.Module, coords: torch.Tensor | None = None, target: torch.Tensor | None = None, *,
        steps: int, lr: float = 1e-3, loss_fn=None, batch_size: int | str | None = "auto", sampler=None,
        schedule="cosine", lr_min_factor: float = 0.05, data_range: float | None = None,
        log_every: int | None = None, eval_fn=None, eval_every: int | None = None,
        progress: bool | None = None, desc: str | None = None, live_plot: bool = False,
        grad_clip: float | None = None, weight_decay: float = 0.0, stop_at_psnr: float | None = None) -> History:
    """Train `model` in place and return its History.

    coords, target : (N, d) and (N, c) tensors on the model's device (or use `sampler`).
    loss_fn        : callable(model, coords, target) -> loss or (loss, {name: term}); default MSE.
    batch_size     : random rows per step; None: full batch; 'auto' (default): full batch, except with
                     the MSE loss on more than 2·2^14 rows on a CPU (2·2^18 on a GPU), which get
                     random batches of 2^14 (2^18): see `auto_batch_size`. A custom loss_fn gets full
                     batch, since its rows may not be independent. sampler(step) -> (coords, target) overrides.
    data_range     : if given, PSNR of the batch MSE is logged (only meaningful for the MSE loss); with
                     random batches it is a noisy estimate of the whole data's.
    schedule       : 'cosine' (to lr·lr_min_factor), 'constant', or callable(optimizer) -> scheduler.
    eval_fn        : callable(model) -> {name: float}, logged every `eval_every` steps and at the end.
    progress       : tqdm bar; default on, except under CI / nbval or INR_PROFILE=quick.
    live_plot      : redraw the loss (and PSNR) curve in the notebook while training.
    stop_at_psnr   : stop at the first logged step whose PSNR reaches this (needs data_range); with random
                     batches the PSNR over all rows is checked first, so a lucky batch does not stop it.
    Raises TrainingDiverged at the first logged step whose loss is NaN or infinite.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if not (batch_size is None or batch_size == "auto" or (isinstance(batch_size, int) and batch_size >= 1)):
        raise ValueError(f"batch_size must be a positive int, None (full batch) or 'auto', got {batch_size!r}")
    if stop_at_psnr is not None and data_range is None:
        raise ValueError("stop_at_psnr needs data_range (e.g. 1.0 for images in [0, 1])")
    if sampler is None:
        if coords is None or target is None:
            raise ValueError("fit needs coords and target, or a sampler(step) -> (coords, target)")
        check_nonempty(coords, "coords")
        check_nonempty(target, "target")
        check_finite(target, "target")
        if coords.shape[0] != target.shape[0]:
            raise ValueError(f"coords has {coords.shape[0]} rows but target has {target.shape[0]}; "
                             "flatten both with helpers.flatten so each coordinate has its value")
        if batch_size == "auto":
            batch_size = auto_batch_size(coords.shape[0], coords.device) if loss_fn is None else None
        if batch_size is not None and batch_size >= coords.shape[0]:
            batch_size = None
    elif batch_size == "auto":
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
    for step in range(1, steps + 1):
        if sampler is not None:
            xb, yb = sampler(step)
        elif batch_size is not None:
            idx = torch.randint(0, coords.shape[0], (batch_size,), device=coords.device)
            xb, yb = coords[idx], target[idx]
        else:
            xb, yb = coords, target
        out = loss_fn(model, xb, yb)
        loss, terms = out if isinstance(out, tuple) else (out, {})
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
                bar.close()
                raise TrainingDiverged(
                    f"the loss became {value} at step {step}; lower the learning rate (now {lr:g}), "
                    "check the target for extreme values, or use grad_clip=1.0")
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
                    batch_size is None or _psnr_all(model, coords, target, data_range) >= stop_at_psnr):
                break
        if eval_fn is not None and (step % eval_every == 0 or step == steps):
            for k, v in eval_fn(model).items():
                hist.metrics.setdefault(k, []).append((step, float(v)))
            model.train()  # eval_fn may switch to eval mode (batch norm!); training goes on in train mode
        bar.update(1)
    bar.close()
    model.eval()
    return hist


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


@torch.no_grad()
def evaluate(model: torch.nn.Module, coords: torch.Tensor, chunk_size: int = 65536) -> torch.Tensor:
    """Φ(coords) in chunks of `chunk_size` points (bounded memory), without gradients."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(c) for c in coords.reshape(-1, coords.shape[-1]).split(chunk_size)])
    model.train(was_training)
    return out.reshape(*coords.shape[:-1], -1)


def map_chunks(fn, coords: torch.Tensor, chunk_size: int = 16384):
    """Apply fn(chunk) -> tensor or tuple of tensors to chunks of coords and concatenate, detached.

    For quantities that need autograd (gradients, Laplacians) on a big grid:
    each chunk's graph is freed before the next one is built.
    """
    flat = coords.reshape(-1, coords.shape[-1])
    outs = []
    for c in flat.split(chunk_size):
        r = fn(c)
        outs.append(tuple(t.detach() for t in r) if isinstance(r, tuple) else r.detach())
    if isinstance(outs[0], tuple):
        return tuple(torch.cat(parts).reshape(*coords.shape[:-1], -1) for parts in zip(*outs))
    return torch.cat(outs).reshape(*coords.shape[:-1], -1)
