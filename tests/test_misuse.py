"""Misuse of the core API, as a new student makes it: each call either works as meant or stops with one
sentence that names the problem (and, where there is one, the fix). None may hang: every test runs under
a SIGALRM timeout.

Cases from issue 15 first, then one per category of input (shapes, dtypes, ranges, finiteness,
types of sizes and counts) for every public function of checks, coords, models, fitting, metrics, data.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from test_surfaces import time_limit  # tests/ is on sys.path under pytest's default import mode

import helpers as H

TIMEOUT_S = 60


@pytest.fixture(autouse=True)
def _timeout():
    """Fail a test that runs longer than TIMEOUT_S instead of letting it hang."""
    with time_limit(TIMEOUT_S):
        yield


@pytest.fixture(scope="module")
def camera16():
    """cameraman 16x16 as (coords (256, 2), values (256, 1)) in [0, 1]."""
    return H.flatten(H.load_image("camera", size=16))


def small_siren(seed=0, out=1):
    torch.manual_seed(seed)
    return H.Siren(2, out, 32, 1)


def fit_quietly(*args, **kw):
    return H.fit(*args, progress=False, **kw)


# ------------------------------------------------------------------ fit: shapes of the target
def test_fit_refuses_flat_target_against_column_output(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        fit_quietly(small_siren(), coords, values[:, 0], steps=5)


def test_fit_refuses_channel_mismatch(camera16):
    coords, values = camera16
    rgb = values.repeat(1, 3)
    with pytest.raises(ValueError, match="1 channel.*3.*out_features=3"):
        fit_quietly(small_siren(), coords, rgb, steps=5)


def test_fit_refuses_grid_shaped_coords(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match=r"\(N, d\).*helpers.flatten"):
        fit_quietly(small_siren(), coords.reshape(16, 16, 2), values.reshape(16, 16, 1), steps=5)


def test_fit_refuses_row_mismatch(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match="same number of rows"):
        fit_quietly(small_siren(), coords, values[:10], steps=5)


# ------------------------------------------------------------------ fit: values and range
def test_fit_refuses_uint8_range_with_data_range_1(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match=r"spans \[8, 219\] but data_range=1.*8-bit.*divide the target by 255"):
        fit_quietly(small_siren(), coords, (values * 255).round(), steps=5, data_range=1.0)
    # the same data with its true range is fine
    h = fit_quietly(small_siren(), coords, (values * 255).round(), steps=2, data_range=255.0)
    assert len(h.psnr) == 2


def test_fit_takes_uint8_and_float64_targets_as_floats(camera16):
    coords, values = camera16
    img8 = torch.from_numpy((H.load_image("camera", size=16) * 255).astype(np.uint8))
    c8, v8 = H.flatten(img8)  # flatten gives float32; a raw integer target is coerced by fit itself
    h = fit_quietly(small_siren(), c8, v8.to(torch.uint8), steps=2, data_range=255.0)
    assert math.isfinite(h.final_loss)
    h = fit_quietly(small_siren(), coords.double(), values.double(), steps=2, data_range=1.0)
    assert math.isfinite(h.final_loss)


def test_fit_warns_when_data_range_looks_like_uint8_for_a_unit_image(camera16):
    coords, values = camera16
    with pytest.warns(H.FitWarning, match="data_range=1.0"):
        fit_quietly(small_siren(), coords, values, steps=2, data_range=255.0)


def test_fit_refuses_non_finite_coords_and_targets(camera16):
    coords, values = camera16
    bad = coords.clone()
    bad[0, 0] = float("nan")
    with pytest.raises(ValueError, match="coords contains 1 non-finite"):
        fit_quietly(small_siren(), bad, values, steps=2)


@pytest.mark.parametrize("lr, exc, words", [(0, ValueError, "lr must be a positive"),
                                            (-1e-3, ValueError, "lr must be a positive"),
                                            (float("nan"), ValueError, "lr must be a positive"),
                                            ("1e-3", TypeError, "lr must be a positive number")])
def test_fit_refuses_bad_learning_rates(camera16, lr, exc, words):
    coords, values = camera16
    with pytest.raises(exc, match=words):
        fit_quietly(small_siren(), coords, values, steps=2, lr=lr)


@pytest.mark.parametrize("kw, exc, words", [
    (dict(steps=0), ValueError, "steps must be at least 1"),
    (dict(steps=2.5), ValueError, "steps must be a whole number"),
    (dict(steps=True), TypeError, "steps must be a whole number"),
    (dict(steps=2, batch_size=True), TypeError, "batch_size must be a whole number"),
    (dict(steps=2, batch_size=0), ValueError, "batch_size must be at least 1"),
    (dict(steps=2, batch_size="all"), ValueError, "batch_size must be a positive int, None"),
    (dict(steps=2, log_every=0), ValueError, "log_every must be at least 1"),
    (dict(steps=2, data_range=float("nan")), ValueError, "data_range must be a positive"),
    (dict(steps=2, stop_at_psnr=30.0), ValueError, "stop_at_psnr needs data_range"),
    (dict(steps=2, stop_at_psnr=float("inf"), data_range=1.0), ValueError, "stop_at_psnr must be a finite"),
    (dict(steps=2, lr_min_factor=2.0), ValueError, r"lr_min_factor must lie in \[0, 1\]"),
    (dict(steps=2, weight_decay=-1.0), ValueError, "weight_decay must be a finite number >= 0"),
    (dict(steps=2, grad_clip=0.0), ValueError, "grad_clip must be a positive"),
    (dict(steps=2, loss_fn="mse"), TypeError, "loss_fn must be a function"),
    (dict(steps=2, schedule="linear"), ValueError, "unknown schedule"),
])
def test_fit_refuses_bad_settings(camera16, kw, exc, words):
    coords, values = camera16
    with pytest.raises(exc, match=words):
        fit_quietly(small_siren(), coords, values, **kw)


def test_fit_refuses_what_is_not_a_trainable_model(camera16):
    coords, values = camera16
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit_quietly(lambda x: x, coords, values, steps=2)
    frozen = small_siren().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit_quietly(frozen, coords, values, steps=2)


# ------------------------------------------------------------------ fit: losses and samplers
def test_fit_refuses_a_loss_that_is_not_a_scalar_with_a_graph(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match=r"scalar tensor.*\.mean\(\)"):
        fit_quietly(small_siren(), coords, values, steps=2, loss_fn=lambda m, x, y: (m(x) - y) ** 2)
    with pytest.raises(ValueError, match="no gradient graph"):
        fit_quietly(small_siren(), coords, values, steps=2,
                    loss_fn=lambda m, x, y: ((m(x) - y) ** 2).mean().detach())


def test_fit_sampler_must_return_a_pair(camera16):
    coords, values = camera16
    with pytest.raises(TypeError, match=r"pair \(coords, target\)"):
        fit_quietly(small_siren(), sampler=lambda step: coords, steps=2)


def test_fit_sampler_with_batch_size_is_ambiguous(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match="no effect with a sampler"):
        fit_quietly(small_siren(), sampler=lambda step: (coords, values), steps=2, batch_size=64)


def test_fit_sampler_with_stop_at_psnr(camera16):
    coords, values = camera16
    sampler = lambda step: (coords, values)  # noqa: E731
    with pytest.raises(ValueError, match="pass coords and target as well"):
        fit_quietly(small_siren(), sampler=sampler, steps=5, data_range=1.0, stop_at_psnr=20.0)
    # with the whole data given, the stop is checked on it and works
    h = fit_quietly(small_siren(), coords, values, sampler=sampler, steps=400, lr=1e-3, data_range=1.0,
                    stop_at_psnr=20.0)
    assert h.step[-1] < 400 and H.psnr(H.evaluate(small_siren(), coords), values, data_range=1.0) < 20
    assert h.final_psnr >= 20


def test_fit_sampler_batch_is_checked_like_data(camera16):
    coords, values = camera16
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        fit_quietly(small_siren(), sampler=lambda step: (coords, values[:, 0]), steps=2)
    with pytest.raises(ValueError, match="divide the target by 255"):
        fit_quietly(small_siren(), sampler=lambda step: (coords, values * 255), steps=2, data_range=1.0)


# ------------------------------------------------------------------ fit: failed fits that are not NaN
def test_fit_stops_when_the_loss_explodes(camera16):
    coords, values = camera16
    with pytest.raises(H.TrainingDiverged, match=r"exploded.*lower the learning rate \(now lr=10"):
        fit_quietly(small_siren(), coords, values, steps=40, lr=10.0, data_range=1.0)


def test_fit_warns_when_it_ends_at_the_mean_after_a_rise(camera16):
    coords, values = camera16
    with pytest.warns(H.FitWarning, match="no better than predicting the target's mean.*learning rate"):
        h = fit_quietly(small_siren(), coords, values, steps=40, lr=0.1, data_range=1.0)
    assert h.final_psnr < 14  # what the warning is about: about the PSNR of the mean


def test_a_healthy_fit_raises_and_warns_nothing(camera16):
    coords, values = camera16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit_quietly(small_siren(), coords, values, steps=100, lr=1e-3, data_range=1.0)
    assert h.final_psnr > 25


def test_continuing_a_converged_fit_is_not_an_explosion(camera16):
    coords, values = camera16
    m = small_siren()
    fit_quietly(m, coords, values, steps=200, lr=1e-3, data_range=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit_quietly(m, coords, values, steps=50, lr=1e-3, data_range=1.0)  # Adam restarts: a spike
    assert h.loss[0] < 1e-3 and max(h.loss) > h.loss[0]


def test_history_psnr_queries_need_a_psnr_history(camera16):
    coords, values = camera16
    h = fit_quietly(small_siren(), coords, values, steps=3)  # no data_range: no PSNR logged
    with pytest.raises(ValueError, match="steps_to needs a PSNR history.*pass data_range"):
        h.steps_to(30.0)
    with pytest.raises(ValueError, match="final_psnr needs a PSNR history"):
        _ = h.final_psnr
    h = fit_quietly(small_siren(), coords, values, steps=3, data_range=1.0)
    assert h.steps_to(-100.0) == (1, h.time[0]) and h.steps_to(1000.0) is None
    with pytest.raises(TypeError, match="psnr_db must be a number"):
        h.steps_to("30")


def test_data_path_takes_bare_file_names():
    with pytest.raises(ValueError, match="bare name of a file in data/"):
        H.data_path("../pyproject.toml")
    with pytest.raises(H.DataFileError, match="missing"):
        H.data_path("no_such_file.npz")


# ------------------------------------------------------------------ models
@pytest.mark.parametrize("make, exc, words", [
    (lambda: H.Siren(2, 1, hidden_features=0), ValueError, "hidden_features must be at least 1"),
    (lambda: H.Siren(2, 1, hidden_layers=-2), ValueError, "hidden_layers must be at least 0.*single sine layer"),
    (lambda: H.Siren(2, 1, hidden_features=2.5), ValueError, "hidden_features must be a whole number"),
    (lambda: H.Siren(0, 1), ValueError, "in_features must be at least 1"),
    (lambda: H.Siren(2, 1, first_omega_0=0), ValueError, "first_omega_0 must be a positive"),
    (lambda: H.Siren(2, 1, hidden_omega_0=float("nan")), ValueError, "hidden_omega_0 must be a positive"),
    (lambda: H.MLP(2, 1, hidden_features=0), ValueError, "hidden_features must be at least 1"),
    (lambda: H.MLP(2, 1, hidden_layers=-1), ValueError, "hidden_layers must be at least 0"),
    (lambda: H.MLP(2, 1, activation="sine"), ValueError, "unknown activation"),
    (lambda: H.MLP(3, 1, encoding=H.PositionalEncoding(2)), ValueError, "encoding takes 2 input features"),
    (lambda: H.make_model("relu", 2, 1, hidden_layers=True), TypeError, "hidden_layers must be a whole number"),
    (lambda: H.make_model("sirne", 2, 1), ValueError, "unknown model kind 'sirne'; choose from siren"),
    (lambda: H.make_model("relu_ff", 2, 1, ff_sigma=-1), ValueError, "sigma must be a positive"),
    (lambda: H.PositionalEncoding(2, num_frequencies=-1), ValueError, "num_frequencies must be at least 0"),
    (lambda: H.FourierFeatures(2, num_features=0), ValueError, "num_features must be at least 1"),
])
def test_models_refuse_impossible_shapes(make, exc, words):
    with pytest.raises(exc, match=words):
        make()


@pytest.mark.parametrize("kind", H.MODEL_KINDS)
def test_models_take_integer_and_float64_coordinates(kind):
    m = H.make_model(kind, 2, 1, 16, 1, seed=0)
    x = torch.tensor([[0, 1], [-1, 0]])
    ref = m(x.float())
    assert m(x).dtype == torch.float32 and torch.equal(m(x), ref)
    assert torch.allclose(m(x.double()), ref)


def test_models_name_the_coordinate_dimension():
    with pytest.raises(ValueError, match=r"shaped \(\.\.\., 2\).*\(5, 3\)"):
        H.Siren(2, 1, 8, 0)(torch.zeros(5, 3))
    with pytest.raises(TypeError, match="torch.as_tensor"):
        H.Siren(2, 1, 8, 0)(np.zeros((5, 2)))


# ------------------------------------------------------------------ evaluate, map_chunks
def test_evaluate_on_empty_and_array_coordinates():
    m = H.Siren(2, 3, 8, 0)
    assert H.evaluate(m, torch.zeros(0, 2)).shape == (0, 3)
    assert H.evaluate(m, torch.zeros(4, 0, 2)).shape == (4, 0, 3)
    out = H.evaluate(m, np.zeros((5, 2)))  # a NumPy array is coerced (float64 -> float32)
    assert out.shape == (5, 3) and out.dtype == torch.float32
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        H.evaluate(m, torch.zeros(5, 2), chunk_size=0)
    with pytest.raises(ValueError, match=r"shaped \(\.\.\., 2\)"):
        H.evaluate(m, torch.zeros(5, 3))
    assert H.map_chunks(lambda c: c.sum(-1, keepdim=True), torch.zeros(0, 2)).shape == (0, 1)


# ------------------------------------------------------------------ metrics
def test_psnr_refuses_nan_range_and_non_finite_predictions():
    t = torch.rand(10)
    for bad in (float("nan"), float("inf"), -1.0, 0):
        with pytest.raises(ValueError, match="data_range must be a positive"):
            H.psnr(t, t, data_range=bad)
    with pytest.raises(TypeError, match="data_range must be a positive number"):
        H.psnr(t, t, data_range="1")
    p = t.clone()
    p[3] = float("nan")
    with pytest.raises(ValueError, match="prediction contains 1 NaN.*diverged"):
        H.psnr(p, t, data_range=1.0)
    with pytest.raises(ValueError, match="target contains 1 NaN"):
        H.mse(t, p)


def test_metrics_refuse_broadcastable_shapes():
    with pytest.raises(ValueError, match=r"\(10, 1\).*\(10,\).*reshape"):
        H.psnr(torch.rand(10, 1), torch.rand(10), data_range=1.0)


def test_iou_refuses_sdf_values_and_takes_0_1_numbers():
    sdf = torch.linspace(-1, 1, 11)
    with pytest.raises(ValueError, match=r"booleans.*sdf < 0"):
        H.iou(sdf, sdf < 0)
    assert H.iou((sdf < 0).float(), sdf < 0) == 1.0
    with pytest.raises(ValueError, match="same shape"):
        H.iou(sdf < 0, (sdf < 0)[:5])


def test_ssim_chamfer_normals_refuse_bad_shapes():
    img = np.random.default_rng(0).random((16, 16))
    with pytest.raises(ValueError, match="at least 7x7"):
        H.ssim(img[:5, :5], img[:5, :5], data_range=1.0)
    with pytest.raises(ValueError, match="channels-first.*permute"):
        H.ssim(np.zeros((3, 16, 16)), np.zeros((3, 16, 16)), data_range=1.0)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        H.chamfer_distance(torch.rand(5, 3), torch.rand(5, 2))
    with pytest.raises(ValueError, match="non-finite"):
        H.chamfer_distance(torch.full((5, 3), float("nan")), torch.rand(5, 3))
    p = torch.rand(5, 3)
    with pytest.raises(ValueError, match="one normal per point"):
        H.normal_consistency(p, p[:4], p, p)
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        H.chamfer_distance(p, p, chunk_size=0)
    with pytest.raises(TypeError, match="count_parameters needs a torch.nn.Module"):
        H.count_parameters([torch.zeros(3)])


# ------------------------------------------------------------------ checks
def test_as_float_tensor_and_check_image():
    assert H.as_float_tensor(np.arange(3)).dtype == torch.float32
    assert H.as_float_tensor([[1, 2], [3, 4]]).shape == (2, 2)
    with pytest.raises(TypeError, match="array or tensor of numbers.*'abc'"):
        H.as_float_tensor("abc", "x")
    with pytest.raises(TypeError, match="same length"):
        H.as_float_tensor([[1, 2], [3]], "x")
    with pytest.raises(TypeError, match="complex"):
        H.as_float_tensor(torch.zeros(2, dtype=torch.complex64), "x")
    with pytest.raises(ValueError, match=r"image shaped \(H, W\) or \(H, W, C\).*to_grid"):
        H.check_image(np.zeros(16))
    with pytest.raises(ValueError, match=r"drop the batch axis"):
        H.check_image(np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match="with C in 1, 3"):
        H.check_image(np.zeros((8, 8, 2)), channels=(1, 3))
    with pytest.raises(ValueError, match="non-finite"):
        H.check_image(np.full((8, 8), np.nan))


# ------------------------------------------------------------------ coords
@pytest.mark.parametrize("call, exc, words", [
    (lambda: H.grid(2.5), ValueError, "whole number.*round"),
    (lambda: H.grid(True), TypeError, "whole number"),
    (lambda: H.grid((4, 0)), ValueError, "at least 1"),
    (lambda: H.grid(()), ValueError, "at least one size"),
    (lambda: H.grid(4, dtype=torch.int64), TypeError, "floating-point"),
    (lambda: H.grid(4, bounds=(1, -1)), ValueError, "lo < hi"),
    (lambda: H.flatten("image"), TypeError, "array or tensor of numbers"),
    (lambda: H.flatten(np.zeros((4, 4)), spatial_dims=3), ValueError, "does not fit"),
    (lambda: H.flatten(np.zeros((4, 4)), spatial_dims=0), ValueError, "at least 1"),
    (lambda: H.flatten(np.array([1.0, np.inf])), ValueError, "non-finite"),
    (lambda: H.to_grid(torch.zeros(15, 1), (4, 4)), ValueError, "16 points"),
    (lambda: H.sample_uniform(2.5, 2), ValueError, "whole number"),
])
def test_coords_refuse_bad_sizes(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_coords_accept_numpy_sizes_and_whole_floats():
    assert H.grid(np.int64(4)).shape == (4, 1)
    assert H.grid((4.0, 2)).shape == (4, 2, 2)
    assert H.grid(torch.Size([3, 2])).shape == (3, 2, 2)


# ------------------------------------------------------------------ data loaders
@pytest.mark.parametrize("call, exc, words", [
    (lambda: H.load_image(size=True), TypeError, "size must be a whole number.*bool"),
    (lambda: H.load_image(size=0), ValueError, "size must be at least 1"),
    (lambda: H.load_image(size=31.5), ValueError, "size must be a whole number"),
    (lambda: H.load_image(size=(32, 32, 3)), ValueError, r"pair \(h, w\)"),
    (lambda: H.load_image("cameraman"), ValueError, "unknown image 'cameraman'; choose one of camera"),
    (lambda: H.load_image(gray="yes"), TypeError, "gray must be True, False or None"),
    (lambda: H.load_video(frames=2.7), ValueError, "frames must be a whole number"),
    (lambda: H.load_video(frames=0), ValueError, "frames must be at least 1"),
    (lambda: H.load_video(frames=65), ValueError, "between 1 and 64"),
    (lambda: H.load_video(size=False), TypeError, "size must be a whole number"),
    (lambda: H.load_audio("music", seconds=0), ValueError, "seconds must be a positive"),
    (lambda: H.load_audio("music", rate=8000.5), ValueError, "rate must be a whole number"),
    (lambda: H.load_audio("guitar"), ValueError, "unknown audio 'guitar'"),
    (lambda: H.load_bunny_pointcloud(n=True), TypeError, "n must be a whole number"),
])
def test_loaders_refuse_non_integer_sizes_and_counts(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_loaders_accept_whole_floats_and_numpy_ints():
    assert H.load_image(size=np.int64(8)).shape == (8, 8)
    assert H.load_video(frames=2.0, size=32).shape == (2, 18, 32, 3)
