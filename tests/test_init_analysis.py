import math

import numpy as np
import pytest
import torch

import helpers
from helpers import init_analysis as IA


def _x(n=1024, d=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g) * 2 - 1


def test_layer_outputs_match_forward():
    m = IA.make_siren("siren", 2, 3, hidden_features=16, hidden_layers=2, seed=0)
    x = _x(50, 2)
    pre, post = IA.layer_outputs(m, x)
    assert len(pre) == len(post) == 3  # first layer + 2 hidden sine layers
    assert all(p.shape == (50, 16) for p in pre + post)
    assert torch.allclose(post[-1], torch.sin(pre[-1]))
    with torch.no_grad():
        assert torch.allclose(m.net[-1](post[-1]), m(x), atol=1e-6)


def test_siren_scheme_keeps_statistics_stable():
    m = IA.make_siren("siren", 1, 1, hidden_features=256, hidden_layers=9, seed=0)
    st = IA.layer_stats(m, _x())
    assert set(st) == {"pre_mean", "pre_std", "post_mean", "post_std"}
    assert len(st["post_std"]) == 10
    assert np.all((st["post_std"] > 0.6) & (st["post_std"] < 0.8)), st["post_std"]  # arcsine: 1/sqrt(2)


def test_bad_schemes_collapse_or_explode():
    x = _x()
    collapse = IA.layer_stats(IA.make_siren("pytorch_default", 1, 1, 256, 9, seed=0), x)
    assert collapse["post_std"][-1] < 0.2, collapse["post_std"]
    explode = IA.layer_stats(IA.make_siren("no_omega_scaling", 1, 1, 256, 9, seed=0), x)
    assert explode["pre_std"][-1] > 10, explode["pre_std"]


def test_reinitialize_sets_weights_and_omegas():
    torch.manual_seed(0)
    m = helpers.Siren(2, 1, hidden_features=64, hidden_layers=2)
    IA.reinitialize(m, "pytorch_default")
    assert m.net[0].omega_0 == 1.0 and m.net[1].omega_0 == 1.0
    assert m.net[1].linear.weight.abs().max() <= 1 / math.sqrt(64)
    IA.reinitialize(m, "siren", omega_0=30.0)
    assert m.net[0].omega_0 == 1.0  # first ω₀ is kept from the model (here 1 after the previous call)
    assert m.net[1].omega_0 == 30.0
    assert m.net[1].linear.weight.abs().max() <= math.sqrt(6 / 64) / 30
    IA.reinitialize(m, "no_omega_scaling", omega_0=30.0)
    assert m.net[1].linear.weight.abs().max() > 0.9 * math.sqrt(6 / 64)
    m2 = IA.make_siren("first_omega_1", 2, 1, 64, 2, seed=0)
    assert m2.net[0].omega_0 == 1.0 and m2.net[1].omega_0 == 30.0
    assert m2.first_omega_0 == 1.0


def test_clear_errors():
    with pytest.raises(ValueError, match="unknown initialization scheme"):
        IA.make_siren("xavier")
    with pytest.raises(ValueError, match="unknown initialization scheme"):
        IA.reinitialize(helpers.Siren(1, 1, 8, 1), "bad")
    with pytest.raises(TypeError, match="helpers.Siren"):
        IA.layer_stats(helpers.make_model("relu", 1, 1, 8, 1), _x(10))
    m = IA.make_siren("siren", 2, 1, 8, 1, seed=0)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        IA.layer_outputs(m, _x(10, 3))
    with pytest.raises(ValueError, match="non-finite"):
        IA.layer_outputs(m, torch.full((4, 2), float("nan")))
    with pytest.raises(ValueError, match="empty"):
        IA.layer_outputs(m, torch.zeros(0, 2))


def test_pytorch_default_levels_off_at_one_over_sqrt_2n():
    # m_{l+1} = m_l / 3 + 1/(3n) (weights and biases U(±1/√n), sin z ≈ z) has the fixed point 1/(2n):
    # notebook 04's exercise 1. The bias alone, 1/√(3n), is about 22 % too low.
    x = _x(1024)
    for n in (64, 256):
        st = IA.layer_stats(IA.make_siren("pytorch_default", 1, 1, n, 29, seed=1), x)
        tail = np.sqrt(np.mean(st["post_std"][14:] ** 2))
        assert tail * math.sqrt(2 * n) == pytest.approx(1.0, abs=0.08), (n, tail)
        np.testing.assert_allclose(st["pre_std"][14:], st["post_std"][14:], rtol=1e-2)  # sin z ≈ z down there
