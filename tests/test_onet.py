"""Tests for helpers.onet: architecture, conditional batch norm, the slide's loss, checkpoints."""
import pytest
import torch
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
    ious, _ = onet.heldout_iou(m2, s, n_points=2048, n_obs=64)
    assert ious.shape == (2,) and ((ious >= 0) & (ious <= 1)).all()


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
