"""Tests for helpers.onet: architecture, conditional batch norm, the slide's loss, checkpoints."""
import pytest
import torch
from test_surfaces import time_limit  # tests/ is on sys.path under pytest's default import mode
from torch.nn import functional as F

import helpers as H
from helpers import onet


def test_shapes_and_permutation_invariance():
    torch.manual_seed(0)
    m = onet.OccupancyNetwork(c_dim=16, enc_hidden=16, dec_hidden=16).eval()
    p, x = torch.rand(3, 50, 3), torch.rand(3, 40, 3)
    out = m(p, x)
    assert out.shape == (3, 50)
    perm = torch.randperm(40)
    assert torch.allclose(m(p, x[:, perm]), out, atol=1e-5)   # the point cloud is a set
    assert "parameters" in onet.summary(m)


def test_cbn_starts_as_plain_batch_norm():
    cbn = onet.CBatchNorm(8, 5).train()
    x, c = torch.randn(4, 30, 5), torch.randn(4, 8)
    ref = F.batch_norm(x.reshape(-1, 5), None, None, training=True).reshape(4, 30, 5)
    assert torch.allclose(cbn(x, c), ref, atol=1e-5)


def test_loss_is_sum_over_points_mean_over_batch():
    logits, occ = torch.randn(4, 7), (torch.rand(4, 7) > 0.5).float()
    manual = sum(F.binary_cross_entropy(torch.sigmoid(logits[i, j]), occ[i, j])
                 for i in range(4) for j in range(7)) / 4
    assert torch.allclose(onet.onet_loss(logits, occ), manual, atol=1e-5)
    with pytest.raises(ValueError, match="B, K"):
        onet.onet_loss(logits, occ[:, :3])


def test_bad_input():
    m = onet.OccupancyNetwork(c_dim=8, enc_hidden=8, dec_hidden=8)
    with pytest.raises(ValueError, match="same B"):
        m(torch.rand(2, 5, 3), torch.rand(3, 5, 3))
    with pytest.raises(ValueError, match="shaped"):
        m.encoder(torch.rand(2, 5, 2))
    with pytest.raises(ValueError, match="non-finite"):
        onet.logit_fn(m, torch.full((5, 3), float("nan")))


def test_fit_lowers_loss_and_checkpoint_roundtrip(tmp_path):
    from helpers import shapes

    s = shapes.make_shapes(2, seed=7, n_surface=128)
    torch.manual_seed(0)
    m = onet.OccupancyNetwork(c_dim=16, enc_hidden=16, dec_hidden=32)
    hist = H.fit(m, sampler=onet.make_sampler(s, 4, 256, n_obs=64), loss_fn=onet.loss_fn, steps=40, lr=3e-3,
                 log_every=1, progress=False)
    assert sum(hist.loss[-5:]) < 0.8 * sum(hist.loss[:5])
    path = tmp_path / "ck.pt"
    onet.save_checkpoint(m, path, {"seed": 0})
    m2, meta = onet.load_checkpoint(path)
    assert meta == {"seed": 0}
    p, x = torch.rand(1, 100, 3) * 2 - 1, s.observe([0], 64)
    assert torch.allclose(m.eval()(p, x), m2(p, x), atol=0.05)   # float16 weights


def test_heldout_iou_of_exact_and_empty_predictors():
    from helpers import shapes

    s = shapes.make_shapes(3, seed=7, n_surface=128)

    class Oracle(torch.nn.Module):  # logits from the true SDF: occupancy exact everywhere
        def encode(self, x):
            return x.new_zeros(1, 1)

        def decoder(self, q, c):
            return -1e6 * s.sdf(q[0], [self.i])[None]

    oracle = Oracle()
    for i in range(3):  # one shape at a time: the oracle knows which shape it is looking at
        oracle.i = i
        iou, _ = onet.heldout_iou(oracle, s.subset([i]), n_points=4096, n_obs=64)
        assert iou.item() == pytest.approx(1.0, abs=1e-3)
    oracle.decoder = lambda q, c: torch.full(q.shape[:2], -10.0)   # never inside: IoU 0
    iou, _ = onet.heldout_iou(oracle, s, n_points=4096, n_obs=64)
    assert torch.equal(iou, torch.zeros(3))


def test_shipped_checkpoint_fills_in_held_out_shapes():
    # the shipped checkpoint on the first 8 held-out shapes (seed 1), 16k points: mean IoU 0.718 measured
    # (2026-12, torch 2.13 CPU); its decoder without the shape code (c = 0) scores 0.329 on the same points
    from helpers import data, shapes

    model, meta = onet.load_checkpoint(data.data_path("onet_checkpoint.pt"))
    assert meta["heldout_iou"] > 0.75 and H.count_parameters(model) == 314_817
    test = shapes.make_shapes(8, seed=1)
    ious, _ = onet.heldout_iou(model, test, n_points=16384, seed=0)
    assert ious.mean() > 0.65, ious
    blind = onet.OccupancyNetwork(**{**model.config, "conditioned": False})
    blind.load_state_dict(model.state_dict())
    ious_blind, _ = onet.heldout_iou(blind.eval(), test, n_points=16384, seed=0)
    assert ious.mean() > ious_blind.mean() + 0.25, (ious.mean(), ious_blind.mean())


def test_unreadable_checkpoints_stop_with_one_sentence(tmp_path):
    m = onet.OccupancyNetwork(c_dim=8, enc_hidden=8, dec_hidden=8)
    good = tmp_path / "good.pt"
    onet.save_checkpoint(m, good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with time_limit(30), pytest.raises(ValueError, match="truncated or not a file written by"):
        onet.load_checkpoint(truncated)
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="git checkout data/onet_checkpoint.pt"):
        onet.load_checkpoint(text)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not an Occupancy Network checkpoint"):
        onet.load_checkpoint(other)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        onet.load_checkpoint(tmp_path / "missing.pt")


def test_training_script_writes_a_loadable_checkpoint(tmp_path):
    # the documented command, scaled down: it must run end to end and write checkpoint + notes
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "train_onet.py"
    spec = importlib.util.spec_from_file_location("train_onet", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "onet.pt"
    mod.main(["--out", str(out), "--steps", "3", "--train-shapes", "4", "--test-shapes", "2", "--batch", "2",
              "--k", "64", "--threads", "0"])
    model, meta = onet.load_checkpoint(out)
    assert meta["steps"] == 3 and meta["near_fraction"] == 0.5 and meta["weights"] == "float16"
    assert H.count_parameters(model) == 314_817
    notes = out.with_suffix(".notes.md").read_text()
    assert "held-out IoU" in notes and "50% near the surface" in notes


def test_show_reconstructions_returns_none_with_a_hull_column(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    sphere = H.extract_mesh(lambda p: p.norm(dim=-1) - 0.5, resolution=12)
    row = dict(name="s", x=torch.rand(20, 3), pred=sphere, gt=sphere)
    assert onet.show_reconstructions([row, dict(row, hull=sphere)]) is None
    (fig,) = shown
    assert len(fig.axes) == 2 * 2 * 4 and fig.get_size_inches()[0] <= 11   # 2 shapes x 2 views x 4 columns
    plt.close("all")


def test_training_script_cut_run_and_finalize_reproduce_a_longer_run(tmp_path, monkeypatch):
    # --stop-after N keeps the schedule of --steps: its weights are the longer run's at step N; --finalize turns
    # such a partial file (and the run's printed log) into the checkpoint and notes with the command that remakes it
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "train_onet.py"
    spec = importlib.util.spec_from_file_location("train_onet", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    small = ["--train-shapes", "4", "--test-shapes", "2", "--batch", "2", "--k", "64", "--threads", "0",
             "--enc-hidden", "8", "--c-dim", "8", "--hidden", "8", "--evals", "2"]
    partial = {}
    save = mod.onet.save_checkpoint

    def recording_save(model, path, meta=None, half=True):
        if meta and meta.get("partial"):
            partial[len(partial) + 1] = {k: v.clone() for k, v in model.state_dict().items()}
        save(model, path, meta, half)

    monkeypatch.setattr(mod.onet, "save_checkpoint", recording_save)
    mod.main(["--out", str(tmp_path / "long.pt"), "--steps", "4", *small])        # evaluations at steps 2 and 4
    monkeypatch.setattr(mod.onet, "save_checkpoint", save)
    mod.main(["--out", str(tmp_path / "cut.pt"), "--steps", "4", "--stop-after", "2", *small])
    cut, meta = onet.load_checkpoint(tmp_path / "cut.pt")
    assert meta["steps"] == 2 and meta["schedule_steps"] == 4 and "--stop-after 2" in meta["command"]
    for k, v in cut.state_dict().items():                          # the long run's weights at step 2 (float16)
        assert torch.equal(v, partial[1][k].half().float() if v.is_floating_point() else partial[1][k]), k
    assert not torch.equal(partial[1]["decoder.fc_out.weight"], partial[2]["decoder.fc_out.weight"])
    log = tmp_path / "run.log"
    log.write_text("data: 4 training shapes (seed 0), 2 held-out (seed 1) and 2 validation (seed 2) in 7 s\n"
                   "  IoU validation 0.100, held-out 0.200  (9 s)\n  IoU validation 0.300, held-out 0.400  (11 s)\n")
    mod.main(["--out", str(tmp_path / "final.pt"), "--steps", "4", "--stop-after", "2", *small,
              "--finalize", str(tmp_path / "cut.pt"), "--log", str(log)])
    final, meta = onet.load_checkpoint(tmp_path / "final.pt")
    assert all(torch.equal(v, cut.state_dict()[k]) for k, v in final.state_dict().items())
    assert "--finalize" not in meta["command"] and "--stop-after 2" in meta["command"] and meta["train_seconds"] == 2
    notes = (tmp_path / "final.notes.md").read_text()
    assert "0.100 / 0.200 at step 2" in notes and "0.300" not in notes and "stopped after 2" in notes
    # a second stage starts from a checkpoint's weights and adds to its totals
    mod.main(["--out", str(tmp_path / "stage2.pt"), "--steps", "2", *small, "--init", str(tmp_path / "final.pt"),
              "--sampler-seed", "5"])
    _, meta2 = onet.load_checkpoint(tmp_path / "stage2.pt")
    assert meta2["steps"] == 2 and meta2["steps_total"] == 4
    assert "second stage" in (tmp_path / "stage2.notes.md").read_text()
