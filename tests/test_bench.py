"""The benchmark's baseline is the SIREN authors' recipe, its parts run end to end, and its checks hold."""
import numpy as np
import torch

import helpers as H
from helpers import bench, zoo

# Steps to 30 dB (PSNR on [0, 1]) at 64x64, measured on 2026-12-02 from the authors' own code: the image
# fit of vsitzmann/siren explore_siren.ipynb transcribed literally into a scratch script outside this
# repository (their SineLayer / Siren / get_mgrid / get_cameraman_tensor and training cell; torchvision's
# Resize on the PIL image done as PIL bilinear resize, ToTensor, Normalize(0.5, 0.5); full batch,
# Adam 1e-4, fp32; torch 2.13.0 CPU; torch.manual_seed(seed) before building the model). Seeds 0-4 gave
# 32, 33, 34, 34, 34 steps (40 dB: 109, 117, 119, 121, 121). Seed 0's number is pinned here.
AUTHORS_STEPS_TO_30DB_64 = 32


def test_authors_image_pipeline():
    img = bench.authors_cameraman(64)
    assert img.shape == (64, 64) and img.dtype == np.float32
    assert -1.0 <= img.min() < -0.9 and 0.8 < img.max() <= 1.0  # Normalize(0.5, 0.5): [0, 1] -> [-1, 1]
    # PIL's bilinear filter averages over the shrink factor (anti-aliased): smoother than picking pixels
    import skimage.data
    picked = skimage.data.camera()[::8, ::8] / 255.0 * 2 - 1
    assert np.abs(np.diff(img, axis=1)).mean() < np.abs(np.diff(picked, axis=1)).mean()


def test_paper_recipe_reports_psnr_on_the_zero_one_range():
    coords, target = H.flatten(bench.authors_cameraman(16))
    H.seed_everything(0)
    model = H.Siren(2, 1, 32, 1)
    with torch.no_grad():
        expected = H.psnr((bench.paper_forward(model, coords) + 1) / 2, (target + 1) / 2, data_range=1.0)
    hits, psnr, steps, _ = bench.paper_recipe(model, coords, target, max_steps=1)
    assert steps == 1 and hits == {}
    assert abs(psnr - expected) < 1e-4  # the MSE on [-1, 1] divided by 4


def test_baseline_matches_the_authors_code_at_64():
    coords, target = H.flatten(bench.authors_cameraman(64))
    H.seed_everything(0)
    hits, psnr, _, _ = bench.paper_recipe(H.Siren(2, 1, 256, 3), coords, target, targets_db=(30.0,), max_steps=60)
    assert 30.0 in hits, f"the authors' recipe reached only {psnr:.1f} dB in 60 steps"
    steps = hits[30.0][0]
    assert abs(steps - AUTHORS_STEPS_TO_30DB_64) <= 0.1 * AUTHORS_STEPS_TO_30DB_64, steps


def test_derivative_benchmark_matches_autograd():
    d = bench.derivatives(torch.device("cpu"), size=24)
    assert d["max_rel_err_grad"] < 1e-4 and d["max_rel_err_laplacian"] < 1e-4
    assert d["baseline_s"] > 0 and d["ours_s"] > 0


def test_time_to_quality_runs_and_reports_both_recipes():
    q = bench.time_to_quality(torch.device("cpu"), size=16, horizon=30, max_steps=30)
    assert set(q["30dB"]) >= {"baseline_steps", "ours_steps", "speedup"}
    assert q["baseline_steps_run"] == 30
    # 16², 30 steps: both recipes pass 30 dB (measured 2026-12-02: authors 37.8 dB, ours 37.0 dB at the end)
    assert q["30dB"]["baseline_steps"] and q["30dB"]["ours_steps"] and q["30dB"]["speedup"]
    assert q["baseline_final_psnr"] > 33.0 and q["ours_final_psnr"] > 33.0
    g = q["hashgrid"]                                      # the hash grid's row: same pixels, same stop rule
    assert g["params"] == H.count_parameters(zoo.HashGridNet(2, 1, max_resolution=16)) and g["final_psnr"] > 20
    assert set(g["40dB"]) == {"steps", "s", "siren_s_over_grid_s"}


def test_time_to_quality_with_random_batches_measures_the_whole_image(monkeypatch):
    import helpers

    monkeypatch.setitem(helpers.fitting.AUTO_BATCH, "cpu", 256)  # 32² = 1024 pixels -> batches of 256
    q = bench.time_to_quality(torch.device("cpu"), size=32, horizon=1000, max_steps=5)
    assert "random batches of 256 of 1024 pixels" in q["ours_recipe"]
    hit30, hit40 = q["30dB"]["ours_steps"], q["40dB"]["ours_steps"]
    assert hit30 is not None and hit30 % 10 == 0  # from the whole-image checks every 10 steps
    assert hit40 is not None and hit30 < hit40 < 1000 and q["ours_final_psnr"] >= 40.0  # stopped on the whole image
    # the authors' run, cut off after 5 steps, reached neither target: a lower bound on the ratio instead
    assert q["baseline_steps_run"] == 5 and q["40dB"]["baseline_steps"] is None and q["40dB"]["speedup"] is None
    expected = q["baseline_seconds_run"] / q["40dB"]["ours_s"]
    bound = q["40dB"]["speedup_at_least"]
    assert bound is not None and abs(bound - expected) < 0.06 + 0.01 * expected


def test_target_normalization_reports_three_variants_on_the_same_scale():
    n = bench.target_normalization(torch.device("cpu"), size=16, horizon=200)
    assert len(n["variants"]) == 3
    for name, v in n["variants"].items():  # 16², 200 steps: each passes 30 dB on [0, 1] (measured: 39-40 dB at the end)
        assert v["30dB"] is not None and v["final_psnr"] > 35.0, (name, v)
        assert v["40dB"] is None or v["30dB"][0] <= v["40dB"][0], (name, v)


def test_sdf_step_variants_agree():
    losses = []
    for cf in (False, True):
        torch.manual_seed(0)
        step = bench._step_fn("sdf", 64, 16, 1, torch.device("cpu"), cf)
        losses.append([float(step()) for _ in range(3)])
    # same initial weights and points: the closed-form gradient gives the autograd loss, step after step
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert losses[0][-1] < losses[0][0]  # and the steps train
