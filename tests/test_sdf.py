"""Unit tests for helpers.sdf: the SIREN SDF loss, its sampler, 2D outlines, eikonal residual."""
import numpy as np
import pytest
import torch

import helpers
from helpers import sdf


class SphereSDF(torch.nn.Module):
    """The exact SDF of a sphere of radius r: Φ(x) = |x| − r (negative inside)."""

    def __init__(self, r=0.5):
        super().__init__()
        self.r = r
        self.dummy = torch.nn.Parameter(torch.zeros(1))  # so the loss has something to backpropagate into

    def forward(self, x):
        return x.norm(dim=-1, keepdim=True) - self.r + 0 * self.dummy


def sphere_cloud(n=2000, r=0.5, seed=0):
    g = torch.Generator().manual_seed(seed)
    nrm = torch.nn.functional.normalize(torch.randn(n, 3, generator=g), dim=1)
    return r * nrm, nrm


def test_every_term_is_zero_for_an_exact_sdf():
    pts, nrm = sphere_cloud()
    sampler = sdf.surface_sampler(pts, nrm, 500, seed=1)
    coords, target = sampler(0)
    # keep only off-surface points clearly away from the sphere: ψ = exp(-α|Φ|) is ~0 there
    keep = (target[:, 3] > 0.5) | ((coords.norm(dim=1) - 0.5).abs() > 0.15)
    loss, terms = sdf.sdf_loss(SphereSDF(), coords[keep], target[keep])
    assert set(terms) == set(sdf.TERMS)
    for k, v in terms.items():
        assert float(v) < 1e-3 * sdf.AUTHORS_WEIGHTS[k], (k, float(v))
    assert loss.item() < 0.1
    loss.backward()  # the loss keeps its graph


def test_terms_detect_a_wrong_field():
    pts, nrm = sphere_cloud()
    coords, target = sdf.surface_sampler(pts, nrm, 500, seed=1)(0)
    flipped = lambda x: -SphereSDF()(x)  # noqa: E731  inside-out: normals wrong, eikonal still fine
    _, terms = sdf.sdf_loss(flipped, coords, target, weights={k: 1.0 for k in sdf.TERMS})
    assert float(terms["normal"]) == pytest.approx(2.0, abs=1e-4)
    assert float(terms["eikonal"]) < 1e-4
    scaled = lambda x: 2 * SphereSDF()(x)  # noqa: E731  |∇Φ| = 2
    _, terms = sdf.sdf_loss(scaled, coords, target, weights={k: 1.0 for k in sdf.TERMS})
    assert float(terms["eikonal"]) == pytest.approx(1.0, abs=1e-4)
    _, dot = sdf.sdf_loss(scaled, coords, target, weights={k: 1.0 for k in sdf.TERMS}, normal="dot")
    assert float(dot["normal"]) == pytest.approx(-1.0, abs=1e-4)  # 1 - <∇Φ, n> = 1 - 2


def test_sampler_shapes_and_layout():
    pts, nrm = sphere_cloud()
    coords, target = sdf.surface_sampler(pts, nrm, 100, n_off=300, bounds=(-1, 1), seed=0)(7)
    assert coords.shape == (400, 3) and target.shape == (400, 4)
    assert target[:100, 3].eq(1).all() and target[100:, 3].eq(0).all()
    assert torch.allclose(target[:100, :3].norm(dim=1), torch.ones(100))
    assert target[100:, :3].eq(0).all()
    assert torch.allclose(coords[:100].norm(dim=1), torch.full((100,), 0.5), atol=1e-5)
    assert coords[100:].abs().max() <= 1
    c2, _ = sdf.surface_sampler(pts[:, :2], nrm[:, :2] / nrm[:, :2].norm(dim=1, keepdim=True), 50)(0)
    assert c2.shape == (100, 2)


def test_sampler_errors():
    pts, nrm = sphere_cloud(100)
    with pytest.raises(ValueError, match="same shape"):
        sdf.surface_sampler(pts, nrm[:50], 10)
    with pytest.raises(ValueError, match="unit length"):
        sdf.surface_sampler(pts, 2 * nrm, 10)
    bad = pts.clone()
    bad[3, 1] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        sdf.surface_sampler(bad, nrm, 10)
    with pytest.raises(ValueError, match=r"\(N, 2\) or \(N, 3\)"):
        sdf.surface_sampler(pts.reshape(-1), nrm, 10)
    with pytest.raises(ValueError, match="target must be shaped"):
        sdf.sdf_loss(SphereSDF(), pts, torch.zeros(100, 3))
    with pytest.raises(ValueError, match="unknown loss term"):
        sdf.sdf_loss(SphereSDF(), pts, torch.zeros(100, 4), weights={"eikonl": 1.0})


def test_eikonal_residual():
    x = torch.rand(500, 3) * 2 - 1
    res = sdf.eikonal_residual(SphereSDF(), x, chunk_size=128)
    assert res.shape == (500,) and res.max() < 1e-5
    with pytest.raises(ValueError, match="non-finite"):
        sdf.eikonal_residual(SphereSDF(), torch.full((3, 3), float("inf")))


def test_polygon_sdf_of_a_square():
    square = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    pts = np.array([[0.0, 0.0], [0.9, 0.0], [0.9, 0.9], [0.25, 0.0]])
    d = sdf.polygon_sdf(pts, [square])
    np.testing.assert_allclose(d, [-0.5, 0.4, np.sqrt(2) * 0.4, -0.25], atol=1e-6)
    with pytest.raises(ValueError, match="non-finite"):
        sdf.polygon_sdf(np.array([[np.nan, 0.0]]), [square])
    with pytest.raises(ValueError, match=r"\(M, 2\)"):
        sdf.polygon_sdf(np.zeros((3, 3)), [square])


def test_outline_points_lie_on_it_with_outward_normals():
    outline = sdf.text_outline("R")
    assert len(outline) == 2  # outer contour and the hole
    allp = np.concatenate(outline)
    assert np.abs(allp).max() == pytest.approx(0.8, abs=1e-4)
    pts, nrm = sdf.sample_outline(outline, 500, seed=0)
    assert pts.shape == nrm.shape == (500, 2)
    np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1, atol=1e-5)
    assert np.abs(sdf.polygon_sdf(pts, outline)).max() < 1e-5
    assert (sdf.polygon_sdf(pts + 0.01 * nrm, outline) > 0).mean() > 0.97   # outward: leaving the shape
    with pytest.raises(ValueError, match="visible character"):
        sdf.text_outline(" ")


def test_start_outside_and_fit_smoke():
    torch.manual_seed(0)
    m = sdf.start_outside(helpers.make_model("siren", 3, 1, 16, 1), 0.3)
    assert m.net[-1].bias.item() == pytest.approx(0.3)
    pts, nrm = sphere_cloud(200)
    hist = helpers.fit(m, sampler=sdf.surface_sampler(pts, nrm, 64), loss_fn=sdf.make_sdf_loss(), steps=3,
                       progress=False)
    assert set(hist.terms) == set(sdf.TERMS)
