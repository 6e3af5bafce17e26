"""The benchmark runs end to end on tiny sizes, and its derivative check holds."""
import torch

from helpers import bench


def test_derivative_benchmark_matches_autograd():
    d = bench.derivatives(torch.device("cpu"), size=24)
    assert d["max_rel_err_grad"] < 1e-4 and d["max_rel_err_laplacian"] < 1e-4
    assert d["baseline_s"] > 0 and d["ours_s"] > 0


def test_time_to_quality_runs_and_reports_both_recipes():
    q = bench.time_to_quality(torch.device("cpu"), size=16, horizon=30, max_steps=30)
    assert set(q["30dB"]) >= {"baseline_steps", "ours_steps", "speedup"}
    assert q["ours_final_psnr"] > q["baseline_final_psnr"]  # 30 steps: lr 1e-3 is far ahead of 1e-4


def test_time_to_quality_with_random_batches_measures_the_whole_image(monkeypatch):
    import helpers

    monkeypatch.setitem(helpers.fitting.AUTO_BATCH, "cpu", 256)  # 32² = 1024 pixels -> batches of 256
    q = bench.time_to_quality(torch.device("cpu"), size=32, horizon=1000, max_steps=5)
    assert "random batches of 256 of 1024 pixels" in q["ours_recipe"]
    hit30, hit40 = q["30dB"]["ours_steps"], q["40dB"]["ours_steps"]
    assert hit30 is not None and hit30 % 10 == 0  # from the whole-image checks every 10 steps
    assert hit40 is not None and hit30 < hit40 < 1000 and q["ours_final_psnr"] >= 40.0  # stopped on the whole image


def test_sdf_step_variants_run():
    for cf in (False, True):
        bench._step_fn("sdf", 64, 16, 1, torch.device("cpu"), cf)()
