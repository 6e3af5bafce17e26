"""Train the Occupancy Network checkpoint shipped in data/onet_checkpoint.pt.

The command that made the shipped checkpoint (its defaults are that recipe; on the
2-core course CPU with one thread: 85 minutes of training + 4 minutes to build the shapes):

    .venv/bin/python scripts/train_onet.py --out data/onet_checkpoint.pt --enc-hidden 64 --c-dim 128 --steps 24000 --evals 8

It draws the training shapes (helpers.shapes, seed 0), the held-out shapes
(seed 1) and validation shapes (seed 2, printed during training), trains with
helpers.fit and the slide's loss (helpers.onet), reports the held-out IoU and
writes the checkpoint (float16 weights) plus a markdown notes file next to it
(data/onet_checkpoint.notes.md, copied into data/README.md by data/build.py).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import helpers as H  # noqa: E402
from helpers import onet, shapes  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="data/onet_checkpoint.pt")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-shapes", type=int, default=4096)
    ap.add_argument("--test-shapes", type=int, default=64)
    ap.add_argument("--steps", type=int, default=24000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--k", type=int, default=512, help="query points per shape and step")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--near-fraction", type=float, default=0.5,
                    help="share of query points drawn near the surface (the rest uniform in the box)")
    # widths default to helpers.onet.OccupancyNetwork's, which are the shipped checkpoint's (one place to change)
    ap.add_argument("--c-dim", type=int, default=None, help="shape code size")
    ap.add_argument("--hidden", type=int, default=None, help="decoder width")
    ap.add_argument("--enc-hidden", type=int, default=None, help="encoder width")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a busy machine)")
    ap.add_argument("--device", default=None, help="cuda / mps / cpu (default: best available)")
    ap.add_argument("--evals", type=int, default=8, help="held-out evaluations (and checkpoint saves) during training")
    ap.add_argument("--stop-after", type=int, default=None,
                    help="stop after this many steps; the cosine schedule still spans --steps (a cut run)")
    ap.add_argument("--finalize", default=None, metavar="CHECKPOINT",
                    help="no training: evaluate CHECKPOINT (e.g. the partial file a run saved at an evaluation, "
                         "with --stop-after set to its step and the same other arguments) and write --out and "
                         "its notes, with the IoU curve read from --log")
    ap.add_argument("--log", default=None, help="with --finalize: the run's printed output, for its IoU curve")
    ap.add_argument("--init", default=None, metavar="CHECKPOINT",
                    help="start from this checkpoint's weights and widths (a second stage of training)")
    ap.add_argument("--sampler-seed", type=int, default=None,
                    help="seed of the query/observation sampler (default: --seed); a second stage takes a new one so "
                         "that it does not replay the first stage's batches")
    args = ap.parse_args(argv)
    stop = args.stop_after or args.steps
    if not 1 <= stop <= args.steps:
        raise SystemExit(f"--stop-after must lie in [1, --steps={args.steps}], got {args.stop_after}")

    if args.threads:
        torch.set_num_threads(args.threads)
    rt = H.setup(seed=args.seed, profile="full", device=args.device)
    command = "python scripts/train_onet.py " + " ".join(sys.argv[1:] if argv is None else argv)
    t0 = time.perf_counter()
    # --finalize trains nothing: only the held-out and validation shapes are needed
    train = shapes.make_shapes(args.train_shapes if not args.finalize else 1, seed=args.seed, device=rt.device)
    test = shapes.make_shapes(args.test_shapes, seed=args.seed + 1, device=rt.device)
    val = shapes.make_shapes(args.test_shapes, seed=args.seed + 2, device=rt.device)  # monitors training
    t_data = time.perf_counter() - t0
    print(f"data: {len(train)} training shapes (seed {args.seed}), {len(test)} held-out (seed {args.seed + 1}) "
          f"and {len(val)} validation (seed {args.seed + 2}) in {t_data:.0f} s", flush=True)

    torch.manual_seed(args.seed)
    if args.init:  # a second stage: the first stage's weights (float16 in the file) and widths
        model = onet.load_checkpoint(args.init, rt.device)[0].train()
        print(f"starting from {args.init}", flush=True)
    else:
        widths = dict(c_dim=args.c_dim, enc_hidden=args.enc_hidden, dec_hidden=args.hidden)
        model = onet.OccupancyNetwork(**{k: v for k, v in widths.items() if v is not None}).to(rt.device)
    print(onet.summary(model), flush=True)
    g = torch.Generator(device=rt.device).manual_seed(args.seed if args.sampler_seed is None else args.sampler_seed)
    sampler = onet.make_sampler(train, args.batch, args.k, near_fraction=args.near_fraction, generator=g)

    out = Path(args.out)
    curve = []  # (step, validation IoU, held-out IoU, seconds since start)
    eval_every = max(1, args.steps // max(1, args.evals))

    def eval_fn(m):
        ious_val, _ = onet.heldout_iou(m, val, n_points=16384, seed=123)
        ious, _ = onet.heldout_iou(m, test, n_points=16384, seed=123)
        onet.save_checkpoint(m, out, dict(command=command, partial=True))  # a usable file if the run is cut short
        m.train()  # heldout_iou switches to eval mode; fit keeps training afterwards
        curve.append((eval_every * (len(curve) + 1), ious_val.mean().item(), ious.mean().item(),
                      time.perf_counter() - t0))
        print(f"  step {curve[-1][0]}: IoU validation {ious_val.mean():.3f}, held-out {ious.mean():.3f}  "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        return {"iou": ious.mean().item(), "iou_val": ious_val.mean().item()}

    t1 = time.perf_counter()
    if args.finalize:  # a run that was cut: its partial checkpoint and its printed IoU curve
        model = onet.load_checkpoint(args.finalize, rt.device)[0]
        final_loss, t_train = None, None
        if args.log:
            pattern = re.compile(r"IoU validation ([0-9.]+), held-out ([0-9.]+)\s+\(([0-9]+) s\)")
            found = [m.groups() for m in map(pattern.search, Path(args.log).read_text().splitlines()) if m]
            curve = [(eval_every * (k + 1), float(a), float(b), float(t)) for k, (a, b, t) in enumerate(found)]
            curve = [c for c in curve if c[0] <= stop]
            text = Path(args.log).read_text()
            built = re.search(r"^data: .* in ([0-9]+) s$", text, re.M)
            t_data = float(built.group(1)) if built else t_data  # the run's own time to build the shapes
            ended = re.search(r"^final loss ([0-9.]+),", text, re.M)    # a run that was not cut printed it
            final_loss = float(ended.group(1)) if ended and stop == args.steps else None
    else:
        schedule = lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps,  # noqa: E731
                                                                           eta_min=args.lr * 0.05)
        hist = H.fit(model, sampler=sampler, loss_fn=onet.loss_fn, steps=stop, lr=args.lr, schedule=schedule,
                     eval_fn=eval_fn, eval_every=eval_every, progress=False, log_every=50)
        final_loss, t_train = hist.final_loss, time.perf_counter() - t1
    ious, _ = onet.heldout_iou(model, test, n_points=100_000, seed=0)
    print(f"final loss {final_loss}, held-out IoU {ious.mean():.4f} (median {ious.median():.4f})")

    if args.finalize:  # the command that reproduces these weights
        command = re.sub(r"\s*--(finalize|log) \S+", "", command)
        if args.stop_after is not None and "--stop-after" not in command:
            command += f" --stop-after {args.stop_after}"
    if t_train is None and curve:
        t_train = curve[-1][3] - t_data
    first = onet.load_checkpoint(args.init)[1] if args.init else {}   # a second stage adds to the first's totals
    steps_total = int(first.get("steps_total", first.get("steps", 0))) + stop
    seconds_total = None if t_train is None else round(t_train + float(first.get("train_seconds_total",
                                                                                first.get("train_seconds", 0))))
    meta = dict(command=command, seed=args.seed, steps_total=steps_total, train_seconds_total=seconds_total, device=str(rt.device), threads=torch.get_num_threads(),
                steps=stop, schedule_steps=args.steps, batch=args.batch, k=args.k, lr=args.lr,
                near_fraction=args.near_fraction, train_shapes=args.train_shapes, test_shapes=args.test_shapes,
                data_seconds=round(t_data), train_seconds=None if t_train is None else round(t_train),
                heldout_iou=round(ious.mean().item(), 4),
                final_loss=None if final_loss is None else round(final_loss, 3),
                torch=torch.__version__, platform=platform.platform(), weights="float16")
    onet.save_checkpoint(model, out, meta)
    half = onet.load_checkpoint(out, rt.device)[0]
    ious_half, _ = onet.heldout_iou(half, test, n_points=100_000, seed=0)
    n_params = H.count_parameters(model)
    notes = out.with_suffix(".notes.md")
    cut = f"; the cosine schedule spans {args.steps} steps and the run stopped after {stop}" if stop < args.steps else ""
    minutes = "time not recorded" if t_train is None else f"{t_train / 60:.1f} min"
    points = ", ".join(f"{v:.3f} / {h:.3f} at step {st:,}" for st, v, h, _ in curve) or "not recorded"
    loss = "not recorded (a finalized cut run)" if final_loss is None else f"{final_loss:.2f}"
    notes.write_text(f"""### `{out.name}`

Occupancy Network (notebook 02) trained on procedural shapes by the project's own code.

- command: `{command}` (from the repository root, course venv)
- seed: {args.seed} (training shapes: `helpers.shapes.make_shapes({args.train_shapes}, seed={args.seed})`; held-out: seed {args.seed + 1}; validation shapes that monitored the run: seed {args.seed + 2})
{"" if not args.init else f"- second stage: started from the weights of `{args.init}` (that file's own notes give its first stage), sampler seed {args.sampler_seed}; both stages together: {steps_total:,} steps" + ("" if seconds_total is None else f", {seconds_total / 60:.0f} min of training") + chr(10)}- device: {rt.device}, {torch.get_num_threads()} thread(s), torch {torch.__version__}, on a shared 2-core CPU (load average {os.getloadavg()[0]:.1f} at the end)
- training: {stop} steps of {args.batch} shapes x {args.k} query points ({args.near_fraction:.0%} near the surface, N(0, 0.05²) off surface samples; the rest uniform in the box), 300 observed points (noise 0.005), Adam lr {args.lr:g} cosine{cut}; {minutes} (+ {t_data / 60:.1f} min to build the shapes)
- model: {n_params:,} parameters (c_dim {model.config['c_dim']}, encoder width {model.config['enc_hidden']}, decoder width {model.config['dec_hidden']}); weights stored as **float16** (load with `helpers.onet.load_checkpoint`, which casts back to float32 and uses `torch.load(..., weights_only=True)`)
- IoU during training (64 shapes each, 16k points; validation / held-out): {points}
- final training loss: {loss} (BCE summed over {args.k} points, averaged over shapes)
- held-out IoU ({args.test_shapes} shapes of seed {args.seed + 1}, 100k uniform points, τ = 0.2): **{ious_half.mean():.3f} mean**, {ious_half.median():.3f} median, {ious_half.min():.3f} worst (float16 weights; float32: {ious.mean():.3f})
- size: {out.stat().st_size:,} bytes
""")
    print(notes.read_text())


if __name__ == "__main__":
    main()
