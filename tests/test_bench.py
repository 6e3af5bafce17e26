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


def test_sdf_step_variants_run():
    for cf in (False, True):
        bench._step_fn("sdf", 64, 16, 1, torch.device("cpu"), cf)()
