"""Benchmark: the SIREN authors' own recipe against helpers' defaults, on whatever device is present.

    python -m helpers.bench                 # all parts at 256², prints a table, writes JSON
    python -m helpers.bench --size 128      # a smaller image (faster on a CPU)
    python -m helpers.bench --parts derivatives throughput

1. Time to quality on cameraman, SIREN 3x256, ω₀ = 30, side by side in one run.
   Baseline ("authors"): the image fit of the SIREN authors' published code,
   github.com/vsitzmann/siren, file explore_siren.ipynb (`get_cameraman_tensor`,
   `get_mgrid`, `SineLayer`, `Siren`, the training cell), rewritten here:
   skimage's cameraman as a PIL image, resized by PIL's bilinear filter (what
   torchvision's `Resize(sidelength)` does to a PIL image), scaled to [0, 1]
   (`ToTensor`) and then to [-1, 1] (`Normalize(0.5, 0.5)`); coordinates
   linspace(-1, 1) per axis, rows first; every layer computes sin(ω₀ · linear(h)),
   ω₀ on the activations; their initialization (first layer U(±1/n), later
   layers U(±sqrt(6/n)/ω₀), PyTorch's default biases); the input cloned with
   requires_grad as their `Siren.forward` does; full batch, Adam(lr=1e-4),
   constant learning rate, fp32. Their main code agrees: modules.py (`FCBlock`,
   `sine_init`, `first_layer_sine_init`), dataio.py (`Implicit2DWrapper`: the
   same Resize / ToTensor / Normalize and grid) and training.py (Adam at a
   constant rate, the whole image as one batch). PSNR is reported on the
   image's [0, 1] range: the MSE on [-1, 1] divided by 4.
   Ours: `helpers.fit` with its defaults on the same pixels in [0, 1] (Adam
   1e-3, cosine decay over `--horizon` steps, batch_size='auto': random batches
   of 2^14 pixels on a CPU above 2^15 pixels, ω₀ folded into the weights),
   stopped once the whole image reaches 40 dB.
   A "step" is the 1-based iteration whose loss, computed before that
   iteration's update, first shows the target (fit's History convention).
2. Derivatives: ∇Φ and ΔΦ of a SIREN 3x256 on a 256x256 grid. Baseline:
   autograd double backward, one autograd.grad per dimension (the authors'
   `gradient` then `divergence`). Ours: `helpers.siren_derivatives`.
3. Throughput: training steps per second for image, video, audio and SDF
   fits at each profile's sizes.
4. Target range (`--parts normalization`, not in the default run): `helpers.fit`'s
   defaults on the same image with targets in [0, 1], mapped to [-1, 1], or in
   [0, 1] with the output bias started at the targets' mean; PSNR always on [0, 1].
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import time

import numpy as np
import torch

import helpers as H
from helpers import zoo


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def _timed(fn, device, repeats=3):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        out = fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# ---------------------------------------------------------------- 1. time to quality
def authors_cameraman(size: int) -> np.ndarray:
    """Cameraman (size, size) in [-1, 1], prepared as the authors' get_cameraman_tensor does.

    PIL bilinear resize of the 512x512 uint8 image (torchvision's Resize on a PIL image),
    /255 (ToTensor), then (x - 0.5) / 0.5 (Normalize). Pillow comes with matplotlib and scikit-image.
    """
    import skimage.data
    from PIL import Image

    img = Image.fromarray(skimage.data.camera()).resize((size, size), Image.BILINEAR)
    return (np.asarray(img, dtype=np.float32) / 255.0 - 0.5) / 0.5


def paper_forward(model, x):
    """Φ(x) computed as the authors' code does: sin(ω₀ · linear(h)) per layer, ω₀ on the activations."""
    h = x
    for layer in model.net[:-1]:
        h = torch.sin(layer.omega_0 * layer.linear(h))
    return model.net[-1](h)


def paper_recipe(model, coords, target, targets_db=(30.0, 40.0), max_steps=10000, max_seconds=3600.0):
    """The authors' loop on targets in [-1, 1]: full batch, Adam(lr=1e-4), constant lr, fp32.

    Returns ({target dB: (step, seconds)}, last PSNR, steps run, seconds run); PSNR on [0, 1] is
    10·log10(1 / (MSE / 4)).
    The loop stops once every target is reached, or after max_steps / max_seconds.
    """
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    hits, t0, psnr = {}, time.perf_counter(), float("nan")
    for step in range(1, max_steps + 1):
        x = coords.clone().detach().requires_grad_(True)  # as their Siren.forward
        loss = ((paper_forward(model, x) - target) ** 2).mean()
        psnr = H.psnr_from_mse(loss.item() / 4.0, 1.0)
        for t in targets_db:
            if psnr >= t and t not in hits:
                hits[t] = (step, time.perf_counter() - t0)
        if len(hits) == len(targets_db) or time.perf_counter() - t0 > max_seconds:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return hits, psnr, step, time.perf_counter() - t0


def helpers_recipe(model, coords, target, horizon, eval_every=10, data_range=1.0, lr=None):
    """`helpers.fit` with its defaults (or learning rate `lr`), stopped at 40 dB over the whole image.

    PSNR is on `data_range` (1.0 for targets in [0, 1]; 2.0 for targets in [-1, 1] gives the
    same number as the [0, 1] PSNR of the outputs mapped back, since 10·log10(2²/MSE) =
    10·log10(1/(MSE/4))). With random batches (batch_size='auto' on a CPU at 256²) the logged
    PSNR is the batch's, so the whole image's PSNR is computed every `eval_every` steps (its
    cost counts in the time) and fit's stop_at_psnr checks the whole image before it stops.
    """
    batched = H.auto_batch_size(coords.shape[0], coords.device) is not None

    def whole_image(m):
        return {"psnr": H.psnr(H.evaluate(m, coords), target, data_range=data_range)}

    t0 = time.perf_counter()
    hist = H.fit(model, coords, target, steps=horizon, data_range=data_range, stop_at_psnr=40.0, log_every=1,
                 progress=False, eval_fn=whole_image if batched else None, eval_every=eval_every,
                 **({} if lr is None else {"lr": lr}))
    seconds = time.perf_counter() - t0
    final = whole_image(model)["psnr"]
    hits = {}
    if batched:
        for s, p in hist.metrics["psnr"]:
            if p >= 30.0:
                hits[30.0] = (s, hist.time[s - 1])
                break
    elif hist.steps_to(30.0):
        hits[30.0] = hist.steps_to(30.0)
    if final >= 40.0:
        hits[40.0] = (hist.step[-1], seconds)
    return hits, final


def time_to_quality(device, size=256, horizon=600, max_steps=10000, max_seconds=3600.0, seed=0):
    """Steps and seconds to 30 and 40 dB on the same pixels: the authors' recipe vs helpers.fit defaults."""
    img = authors_cameraman(size)
    coords, target = H.flatten(img, device=device)  # target in [-1, 1], coords as their get_mgrid
    target01 = (target + 1) / 2
    out = {"image": f"camera {size}x{size} gray (authors' pipeline), PSNR on [0, 1]",
           "model": "SIREN 3x256, omega_0=30", "threads": torch.get_num_threads(),
           "params": H.count_parameters(H.Siren(2, 1, 256, 3))}
    H.seed_everything(seed)
    base_hits, base_psnr, base_steps, base_seconds = paper_recipe(H.Siren(2, 1, 256, 3).to(device), coords, target,
                                                                  max_steps=max_steps, max_seconds=max_seconds)
    H.seed_everything(seed)
    ours_hits, ours_psnr = helpers_recipe(H.Siren(2, 1, 256, 3).to(device), coords, target01, horizon)
    for t in (30.0, 40.0):
        b, o = base_hits.get(t), ours_hits.get(t)
        out[f"{t:.0f}dB"] = {
            "baseline_steps": b and b[0], "baseline_s": b and round(b[1], 2),
            "ours_steps": o and o[0], "ours_s": o and round(o[1], 2),
            "speedup": round(b[1] / o[1], 1) if (b and o) else None,
            # the authors' run was cut off before this target: their time was at least the time they ran
            "speedup_at_least": round(base_seconds / o[1], 1) if (o and not b) else None,
        }
    # A hash grid next to SIREN (issue 18): Instant-NGP's image model with the paper's settings (L = 16 levels,
    # F = 2, T = 2^19, N_min = 16, two hidden ReLU layers of 64, Adam 1e-2), finest level one cell per pixel;
    # fit's cosine decay and batches, the same [0, 1] pixels and the same whole-image stop at 40 dB.
    H.seed_everything(seed)
    grid = zoo.HashGridNet(2, 1, max_resolution=max(size, 16)).to(device)
    grid_hits, grid_psnr = helpers_recipe(grid, coords, target01, horizon, lr=zoo.ZOO_LR["hashgrid"])
    out["hashgrid"] = {"model": "hash grid (Instant-NGP: L=16, F=2, T=2^19, N_min=16, N_max=image side) + "
                                "ReLU MLP 2x64, Adam lr=1e-2 with fit's cosine decay",
                       "params": H.count_parameters(grid), "final_psnr": round(grid_psnr, 2)}
    for t in (30.0, 40.0):
        g, o = grid_hits.get(t), ours_hits.get(t)
        out["hashgrid"][f"{t:.0f}dB"] = {"steps": g and g[0], "s": g and round(g[1], 2),
                                         "siren_s_over_grid_s": round(o[1] / g[1], 2) if (g and o) else None}
    out["baseline_final_psnr"], out["ours_final_psnr"] = round(base_psnr, 2), round(ours_psnr, 2)
    out["baseline_steps_run"], out["baseline_seconds_run"] = base_steps, round(base_seconds, 2)
    out["baseline_recipe"] = ("authors' explore_siren.ipynb: targets in [-1, 1], full batch, Adam lr=1e-4 constant, "
                              "fp32, sin(omega_0 * linear(x))")
    batch = H.auto_batch_size(coords.shape[0], device)
    batching = f"random batches of {batch} of {coords.shape[0]} pixels" if batch else "full batch"
    out["ours_recipe"] = (f"helpers.fit defaults: targets in [0, 1], Adam lr=1e-3, cosine decay to 5% over {horizon} "
                          f"steps, {batching}, fp32, omega_0 folded into the weights; "
                          "stopped at 40 dB over the whole image")
    return out


def target_normalization(device, size=128, horizon=600, seed=0):
    """Does fitting targets centred and scaled to [-1, 1] (as the authors do) speed up `helpers.fit`?

    Same pixels, same initial weights, fit's defaults; three variants: targets in [0, 1]
    (as notebooks pass them today), targets mapped to [-1, 1] (PSNR with data_range 2, which is
    the [0, 1] PSNR of the outputs mapped back), and targets in [0, 1] with only the output
    bias started at the targets' mean (the centring without the scaling). Steps and seconds to
    30 and 40 dB over the whole image.
    """
    img = authors_cameraman(size)
    coords, target = H.flatten(img, device=device)
    t01 = (target + 1) / 2
    out = {"image": f"camera {size}x{size} gray (authors' pipeline), PSNR on [0, 1]",
           "model": "SIREN 3x256, omega_0=30", "threads": torch.get_num_threads(), "variants": {}}
    for name in ("[0, 1]", "[-1, 1]", "[0, 1], output bias at the mean"):
        H.seed_everything(seed)
        model = H.Siren(2, 1, 256, 3).to(device)
        if name == "[-1, 1]":
            y, data_range = 2 * t01 - 1, 2.0
        else:
            y, data_range = t01, 1.0
            if name.endswith("mean"):
                with torch.no_grad():
                    model.net[-1].bias += t01.mean()
        hits, final = helpers_recipe(model, coords, y, horizon, data_range=data_range)
        out["variants"][name] = {f"{t:.0f}dB": (hits[t][0], round(hits[t][1], 2)) if t in hits else None
                                 for t in (30.0, 40.0)}
        out["variants"][name]["final_psnr"] = round(final, 2)
    return out


# ---------------------------------------------------------------- 2. derivatives
def derivatives(device, size=256, seed=0):
    """Gradient + Laplacian of a SIREN 3x256 on a size² grid: autograd vs closed form, timed and compared."""
    H.seed_everything(seed)
    model = H.Siren(2, 1, 256, 3).to(device)
    x = H.grid((size, size), device=device).reshape(-1, 2)

    def baseline():
        xr = x.clone().requires_grad_(True)
        y = paper_forward(model, xr)
        g = torch.autograd.grad(y, xr, torch.ones_like(y), create_graph=True)[0]
        lap = 0
        for i in range(2):  # one autograd.grad per dimension, as in the authors' divergence()
            lap = lap + torch.autograd.grad(g[:, i], xr, torch.ones_like(g[:, i]), create_graph=True)[0][:, i:i + 1]
        return g.detach(), lap.detach()

    def ours():
        with torch.no_grad():
            _, g, lap = H.siren_derivatives(model, x)
        return g, lap

    tb, (gb, lb) = _timed(baseline, device)
    to, (go, lo) = _timed(ours, device)
    rel = lambda a, b: ((a - b).abs().max() / b.abs().max()).item()
    return {"grid": f"{size}x{size}", "model": "SIREN 3x256",
            "baseline_s": round(tb, 4), "ours_s": round(to, 4), "speedup": round(tb / to, 2),
            "max_rel_err_grad": rel(go, gb), "max_rel_err_laplacian": rel(lo, lb)}


# ---------------------------------------------------------------- 3. throughput
SIZES = {  # representative sizes per profile: (points per step, width, depth)
    "quick": {"image": (64 * 64, 128, 3), "video": (8192, 128, 3), "audio": (8000, 128, 3), "sdf": (2048, 64, 2)},
    "standard": {"image": (128 * 128, 256, 3), "video": (32768, 256, 3), "audio": (44100, 256, 3),
                 "sdf": (8192, 128, 3)},
    "full": {"image": (256 * 256, 256, 3), "video": (131072, 1024, 3), "audio": (132300, 256, 3),
             "sdf": (32768, 256, 3)},
}


def _step_fn(kind, n, width, depth, device, closed_form):
    d = {"image": 2, "video": 3, "audio": 1, "sdf": 3}[kind]
    c = {"image": 1, "video": 3, "audio": 1, "sdf": 1}[kind]
    omega = 3000.0 if kind == "audio" else 30.0
    model = H.Siren(d, c, width, depth, first_omega_0=omega).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = H.sample_uniform(n, d, device=device)
    y = torch.rand(n, c, device=device)

    def step():
        if kind == "sdf":  # eikonal-type loss: needs ∇Φ inside the loss
            if closed_form:
                phi, g, _ = H.siren_derivatives(model, x, laplacian=False)
            else:
                xr = x.clone().requires_grad_(True)
                phi = model(xr)
                g = H.gradient(phi, xr)
            loss = (g.norm(dim=-1) - 1).abs().mean() + phi.abs().mean()
        else:
            loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def throughput(device, profiles=("quick", "standard", "full"), repeats=5):
    rows = []
    for prof in profiles:
        for kind, (n, width, depth) in SIZES[prof].items():
            variants = [("autograd", False), ("closed form", True)] if kind == "sdf" else [("", False)]
            for label, cf in variants:
                step = _step_fn(kind, n, width, depth, device, cf)
                t, _ = _timed(lambda step=step: [step() for _ in range(repeats)], device, repeats=1)
                rows.append({"profile": prof, "signal": kind + (f" ({label})" if label else ""),
                             "points": n, "model": f"SIREN {depth}x{width}", "steps_per_s": round(repeats / t, 2)})
    return rows


def _cpu_name() -> str:
    """The CPU's model name and core count (Linux: /proc/cpuinfo), else platform.processor()."""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "cpu"
    return f"{model}, {os.cpu_count()} cores"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", nargs="+", default=["quality", "derivatives", "throughput"],
                    choices=["quality", "derivatives", "throughput", "normalization"])
    ap.add_argument("--size", type=int, default=256, help="image side for parts 1 and 4 (default 256)")
    ap.add_argument("--horizon", type=int, default=600, help="cosine horizon of our recipe (steps)")
    ap.add_argument("--max-seconds", type=float, default=3600.0, help="time cap for the baseline's run")
    ap.add_argument("--profiles", nargs="+", default=["quick", "standard", "full"])
    ap.add_argument("--out", default=None, help="JSON path (default bench-results/bench-<device>-<date>.json)")
    args = ap.parse_args(argv)
    rt = H.setup(seed=0, profile="quick", verbose=False)
    dev = rt.device
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else _cpu_name()
    result = {"date": datetime.date.today().isoformat(), "device": f"{dev.type}: {name}",
              "torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    print(f"benchmark on {result['device']}, torch {torch.__version__}, {torch.get_num_threads()} torch threads",
          flush=True)
    if "quality" in args.parts:
        q = result["time_to_quality"] = time_to_quality(dev, args.size, args.horizon, max_seconds=args.max_seconds)
        print(f"\n1. time to quality ({q['image']}, {q['model']}), side by side in this run")
        print(f"   authors: {q['baseline_recipe']}\n   ours:    {q['ours_recipe']}")
        print(f"{'target':>7} | {'authors steps':>13} {'authors s':>10} | {'ours steps':>10} {'ours s':>8} | speed-up")
        def cell(v):
            return "-" if v is None else str(v)

        for t in ("30dB", "40dB"):
            r = q[t]
            ratio = (f"{r['speedup']}x" if r["speedup"] is not None else
                     f">= {r['speedup_at_least']}x" if r["speedup_at_least"] is not None else "-")
            print(f"{t:>7} | {cell(r['baseline_steps']):>13} {cell(r['baseline_s']):>10} | {cell(r['ours_steps']):>10} "
                  f"{cell(r['ours_s']):>8} | {ratio}", flush=True)
        print(f"   authors' run stopped after {q['baseline_steps_run']} steps and {q['baseline_seconds_run']} s at "
              f"{q['baseline_final_psnr']} dB (a target not reached: '-'; '>=' compares with the time it ran); "
              f"ours ended at {q['ours_final_psnr']} dB")
        g = q["hashgrid"]
        print(f"   next to it, {g['model']}, {g['params']:,} parameters (SIREN 3x256: {q['params']:,}), "
              "same stop rule:")
        for t in ("30dB", "40dB"):
            r = g[t]
            vs = "-" if r["siren_s_over_grid_s"] is None else f"{r['siren_s_over_grid_s']}x SIREN's (ours) speed"
            print(f"{t:>7} | hash grid {cell(r['steps']):>5} steps {cell(r['s']):>8} s | {vs}", flush=True)
        print(f"   the hash grid ended at {g['final_psnr']} dB")
    if "derivatives" in args.parts:
        d = result["derivatives"] = derivatives(dev)
        print(f"\n2. gradient + Laplacian, {d['model']} on {d['grid']}: autograd {d['baseline_s']} s, "
              f"closed form {d['ours_s']} s, {d['speedup']}x; max relative error "
              f"{max(d['max_rel_err_grad'], d['max_rel_err_laplacian']):.1e}")
    if "normalization" in args.parts:
        n = result["target_normalization"] = target_normalization(dev, args.size, args.horizon)
        print(f"\n4. target range in helpers.fit ({n['image']}, {n['model']}): (step, seconds) to 30 / 40 dB")
        for k, v in n["variants"].items():
            print(f"  {k:<32} 30 dB {v['30dB']!s:<16} 40 dB {v['40dB']!s:<16} final {v['final_psnr']} dB", flush=True)
    if "throughput" in args.parts:
        rows = result["throughput"] = throughput(dev, args.profiles)
        print("\n3. training throughput (steps/s)")
        for r in rows:
            print(f"  {r['profile']:>8} {r['signal']:<22} {r['points']:>7} pts  {r['model']:<12} {r['steps_per_s']:>8}")
    out = pathlib.Path(args.out or f"bench-results/bench-{dev.type}-{result['date']}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
