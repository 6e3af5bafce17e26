"""Tests for helpers.meta: the batched functional SIREN, set encoder, hypernetwork, modulations, Reptile, glyphs."""
import math

import pytest
import torch

import helpers as H
from helpers import meta


def sirens(n=3, width=16, hidden_layers=1, seed=0):
    torch.manual_seed(seed)
    return [H.Siren(2, 1, width, hidden_layers) for _ in range(n)]


def stacked(models):
    per = [meta.siren_params(m) for m in models]
    return [torch.stack(ps) for ps in zip(*per, strict=True)]


@pytest.fixture(scope="module")
def glyphs12():
    return meta.load_glyphs(12, fonts=("DejaVuSans", "cmr10", "STIXGeneral"), chars="aAbB0")


# ---------------------------------------------------------------- the batched functional forward
@pytest.mark.parametrize("hidden_layers", [0, 2])
def test_batch_siren_equals_each_siren(hidden_layers):
    models = sirens(3, 16, hidden_layers)
    params = stacked(models)
    x = torch.rand(50, 2) * 2 - 1
    out = meta.batch_siren(x, params)                                   # shared coordinates
    assert out.shape == (3, 50, 1)
    xb = torch.rand(3, 40, 2) * 2 - 1
    outb = meta.batch_siren(xb, params)                                 # one set of coordinates per signal
    with torch.no_grad():
        for b, m in enumerate(models):
            assert torch.allclose(out[b], m(x), atol=1e-6, rtol=0)
            assert torch.allclose(outb[b], m(xb[b]), atol=1e-6, rtol=0)


def test_siren_params_round_trip_and_shapes():
    a, b = sirens(2)
    assert [tuple(p.shape) for p in meta.siren_params(a)] == meta.siren_shapes(2, 1, 16, 1)
    meta.load_siren_params(b, meta.siren_params(a))
    x = torch.rand(10, 2)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))
    flat = torch.cat([p.flatten() for p in meta.siren_params(a)])[None]
    back = meta.flat_to_params(flat, meta.siren_shapes(2, 1, 16, 1))
    assert all(torch.equal(p[0], q) for p, q in zip(back, meta.siren_params(a), strict=True))


def test_init_bounds_match_siren_initialization():
    torch.manual_seed(0)
    m = H.Siren(2, 1, 256, 2)
    for p, bound in zip(meta.siren_params(m), meta.init_bounds(meta.siren_shapes(2, 1, 256, 2)), strict=True):
        assert p.abs().max() <= bound and (p.numel() < 100 or p.abs().max() > 0.9 * bound)


# ---------------------------------------------------------------- hypernetwork and modulations
def test_untrained_hypernetwork_with_a_silent_head_predicts_the_base_siren():
    torch.manual_seed(0)
    hyper = meta.HyperSiren(latent_dim=8, hidden_features=16, hidden_layers=1, hyper_hidden=32)
    with torch.no_grad():
        hyper.net[-1].weight.zero_()
        hyper.net[-1].bias.zero_()
    z = torch.randn(4, 8)
    base = [p[0] for p in meta.flat_to_params(hyper.theta_0[None], hyper.shapes)]
    model = meta.load_siren_params(H.Siren(2, 1, 16, 1), base)
    x = torch.rand(30, 2) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(hyper(z, x), model(x).expand(4, 30, 1), atol=1e-6)
    assert hyper.n_params == sum(math.prod(s) for s in meta.siren_shapes(2, 1, 16, 1)) == 16 * 3 + 16 * 17 + 17


def test_hypernetwork_predicts_a_different_siren_per_code_at_init_scale():
    torch.manual_seed(0)
    hyper = meta.HyperSiren(latent_dim=8, hidden_features=16, hidden_layers=1)
    w = hyper.weights(torch.randn(5, 8))
    assert not torch.allclose(w[2][0], w[2][1])
    bound = meta.init_bounds(hyper.shapes)[2]                            # hidden weights: sqrt(6/16)/30
    assert w[2].abs().max() < 4 * bound                                   # still at SIREN's scale, not 10x it


def test_modulated_siren_with_zero_shifts_is_its_siren_and_shifts_are_phases():
    torch.manual_seed(0)
    mod = meta.ModulatedSiren(latent_dim=6, hidden_features=16, hidden_layers=1)
    with torch.no_grad():
        mod.to_shifts.weight.zero_()
        mod.to_shifts.bias.zero_()
    x = torch.rand(25, 2) * 2 - 1
    z = torch.randn(3, 6)
    with torch.no_grad():
        assert torch.allclose(mod(z, x), mod.siren(x).expand(3, 25, 1), atol=1e-6)
        mod.to_shifts.bias[:16] = 0.7                                    # shift every unit of the first layer
        first = mod.siren.net[0]
        h = torch.sin(first.omega_0 * first.linear(x) + 0.7)
        manual = mod.siren.net[2](mod.siren.net[1](h))
        assert torch.allclose(mod(z, x)[0], manual, atol=1e-6)
    assert mod.n_modulations == 32


def test_set_encoder_ignores_the_order_of_the_pairs():
    torch.manual_seed(0)
    enc = meta.SetEncoder(latent_dim=8, hidden_features=16, num_frequencies=8)
    cx, cy = torch.rand(2, 20, 2) * 2 - 1, torch.rand(2, 20, 1)
    perm = torch.randperm(20)
    with torch.no_grad():
        z, zp = enc(cx, cy), enc(cx[:, perm], cy[:, perm])
    assert z.shape == (2, 8) and torch.allclose(z, zp, atol=1e-5) and not torch.allclose(z[0], z[1])


def test_context_indices_are_distinct_pixels_per_signal():
    idx = meta.context_indices(4, 50, 20, torch.Generator().manual_seed(0))
    assert idx.shape == (4, 20) and all(len(set(row.tolist())) == 20 for row in idx)
    assert not torch.equal(idx[0], idx[1])
    coords, values = torch.rand(50, 2), torch.rand(4, 50, 1)
    cx, cy = meta.gather_context(coords, values, idx)
    assert torch.equal(cx[2, 5], coords[idx[2, 5]]) and torch.equal(cy[3, 7], values[3, idx[3, 7]])


# ---------------------------------------------------------------- adapt (the inner loop) and Reptile
def test_adapt_takes_the_steps_helpers_fit_takes():
    img = H.load_image("camera", size=12)
    coords, values = H.flatten(img)
    a, b = sirens(2, 16, 1)
    adapted, mse = meta.adapt(stacked([a]), coords, values[None], steps=5, lr=1e-3)
    with torch.no_grad():
        assert math.isclose(float(mse[0, 0]), float(((a(coords) - values) ** 2).mean()), rel_tol=1e-5)
    H.fit(a, coords, values, steps=5, lr=1e-3, schedule="constant", batch_size=None, progress=False)
    for p, q in zip(meta.siren_params(a), adapted, strict=True):
        assert torch.allclose(p, q[0], atol=1e-6), (p - q[0]).abs().max()
    assert mse.shape == (6, 1) and mse[-1, 0] < mse[0, 0]


def test_adapt_fits_each_signal_independently():
    img = H.load_image("camera", size=12)
    coords, v = H.flatten(img)
    targets = torch.stack([v, 1 - v])
    (m,) = sirens(1, 16, 1)
    both, _ = meta.adapt(meta.repeat_params(meta.siren_params(m), 2), coords, targets, steps=3, lr=1e-3)
    one, _ = meta.adapt(meta.repeat_params(meta.siren_params(m), 1), coords, targets[1:], steps=3, lr=1e-3)
    assert all(torch.allclose(p[1], q[0], atol=1e-6) for p, q in zip(both, one, strict=True))


def test_adapt_with_per_signal_coordinates_fits_each_on_its_own_points():
    img = H.load_image("camera", size=12)
    coords, v = H.flatten(img)
    idx = meta.context_indices(2, coords.shape[0], 30, torch.Generator().manual_seed(0))
    cx, cy = meta.gather_context(coords, torch.stack([v, 1 - v]), idx)      # (2, 30, 2), (2, 30, 1)
    (m,) = sirens(1, 16, 1)
    both, mse = meta.adapt(meta.repeat_params(meta.siren_params(m), 2), cx, cy, steps=4, lr=1e-3)
    for b in range(2):
        one = meta.load_siren_params(H.Siren(2, 1, 16, 1), meta.siren_params(m))
        H.fit(one, cx[b], cy[b], steps=4, lr=1e-3, schedule="constant", batch_size=None, progress=False)
        assert all(torch.allclose(p, q[b], atol=1e-6) for p, q in zip(meta.siren_params(one), both, strict=True))
    assert mse.shape == (5, 2) and (mse[-1] < mse[0]).all()


def test_a_reptile_step_moves_the_init_toward_the_fitted_weights(glyphs12):
    image = glyphs12.images[:1]                                          # one task
    coords, values = H.flatten(image[0])
    (init,) = sirens(1, 16, 1, seed=3)
    theta = meta.siren_params(init)
    fitted = meta.load_siren_params(H.Siren(2, 1, 16, 1), theta)
    H.fit(fitted, coords, values, steps=5, lr=1e-3, schedule="constant", batch_size=None, progress=False)
    phi = meta.siren_params(fitted)
    dist = lambda ps: math.sqrt(sum(float(((p - q) ** 2).sum()) for p, q in zip(ps, phi, strict=True)))  # noqa: E731
    before = dist(theta)
    hist = meta.fit_reptile(init, image, steps=1, inner_steps=5, inner_lr=1e-3, lr=1e-4, batch_size=1,
                            progress=False)
    after = dist(meta.siren_params(init))
    assert after < before - 1e-4, (before, after)                        # measured: 0.0225 -> 0.0207
    assert math.isclose(hist.loss[0], 0.5 * before ** 2, rel_tol=1e-3)  # the Reptile loss is ½‖θ - φ‖²
    assert hist.terms["mse_k"][0] < hist.terms["mse_0"][0]


def test_fit_conditional_learns_a_tiny_family(glyphs12):
    torch.manual_seed(0)
    model = meta.ConditionalINR(meta.SetEncoder(latent_dim=16, hidden_features=32, num_frequencies=16),
                                meta.ModulatedSiren(latent_dim=16, hidden_features=32, hidden_layers=1))
    hist = meta.fit_conditional(model, glyphs12.images, steps=150, lr=1e-3, batch_size=8, progress=False)
    assert hist.loss[-1] < 0.5 * hist.loss[0], hist.loss[::30]          # measured: 0.25 -> 0.03
    pred, idx = meta.reconstruct(model, glyphs12.images[:4], k=50)
    assert pred.shape == (4, 12, 12) and idx.shape == (4, 50)


# ---------------------------------------------------------------- glyphs
def test_glyphs_fill_the_frame_and_split_by_font(glyphs12):
    g = glyphs12
    assert g.images.shape == (15, 12, 12) and len(g) == 15 and g.images.dtype == torch.float32
    assert 0 <= g.images.min() and g.images.max() <= 1 and g.images.amax(dim=(1, 2)).min() > 0.5
    assert g.images[:, :2].abs().max() <= g.images.max()                # the margin rows are (near) empty
    assert g.fonts[:5] == ["DejaVuSans"] * 5 and g.chars[:5] == list("aAbB0")
    train, held = meta.split_glyphs(g, heldout_fonts=("cmr10",))
    assert len(train) == 10 and len(held) == 5 and set(held.fonts) == {"cmr10"}
    assert not set(train.fonts) & set(held.fonts)
    assert len(meta.GLYPH_FONTS) * len(meta.CHARS) == 22 * 62
    assert set(meta.HELDOUT_FONTS) <= set(meta.GLYPH_FONTS)


# ---------------------------------------------------------------- misuse: one clear sentence each
def test_bad_inputs_raise_with_a_clear_message(glyphs12):
    (m,) = sirens(1)
    p = meta.siren_params(m)
    x = torch.rand(10, 2)
    with pytest.raises(ValueError, match="leading batch axis"):
        meta.batch_siren(x, p)                                          # forgot the batch axis
    with pytest.raises(ValueError, match=r"coords must be shaped \(\.\.\., 2\)"):
        meta.batch_siren(torch.rand(10, 3), stacked([m]))
    with pytest.raises(ValueError, match="hold 2 signals but the weights 1"):
        meta.batch_siren(torch.rand(2, 10, 2), stacked([m]))
    with pytest.raises(TypeError, match="helpers.Siren with a linear last layer"):
        meta.siren_params(H.make_model("relu", 2, 1, 16, 1))
    enc = meta.SetEncoder(latent_dim=8, hidden_features=16, num_frequencies=8)
    with pytest.raises(ValueError, match=r"add the batch axis"):
        enc(torch.rand(20, 2), torch.rand(20, 1))
    with pytest.raises(ValueError, match="context is empty"):
        enc(torch.rand(1, 0, 2), torch.rand(1, 0, 1))
    with pytest.raises(ValueError, match=r"latent code must be shaped \(B, 8\)"):
        meta.ModulatedSiren(latent_dim=8)(torch.rand(8), x)
    with pytest.raises(ValueError, match="same latent_dim"):
        meta.ConditionalINR(enc, meta.HyperSiren(latent_dim=4))
    with pytest.raises(ValueError, match=r"k must be at most 144"):
        meta.reconstruct(meta.ConditionalINR(enc, meta.ModulatedSiren(latent_dim=8)), glyphs12.images, k=200)
    with pytest.raises(ValueError, match=r"stack of gray images shaped \(M, H, W\)"):
        meta.as_signals(glyphs12.images[0])
    with pytest.raises(ValueError, match="not among the fonts matplotlib ships"):
        meta.load_glyphs(12, fonts=("Arial",))
    with pytest.raises(TypeError, match="sequence of font names"):
        meta.load_glyphs(12, fonts="DejaVuSans")
    with pytest.raises(ValueError, match="no glyph"):
        meta.load_glyphs(12, fonts=("DejaVuSans",), chars="a\u4e00")
    with pytest.raises(ValueError, match="nothing is left to train on"):
        meta.split_glyphs(glyphs12, heldout_fonts=("DejaVuSans", "cmr10", "STIXGeneral"))
    with pytest.raises(ValueError, match="targets must be shaped"):
        meta.adapt(stacked([m]), x, torch.rand(10, 1), steps=1, lr=1e-3)
    with pytest.raises(ValueError, match="lr must be a positive"):
        meta.adapt(stacked([m]), x, torch.rand(1, 10, 1), steps=1, lr=0)
