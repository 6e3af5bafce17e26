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


class ScaledSphere(SphereSDF):
    """2·(|x| − r): right zero level set, slope 2, so |Φ − d| = |d| grows with the distance."""

    def forward(self, x):
        return 2 * super().forward(x)


def _box_points(n=4000, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, generator=g) * 2 - 1
    return x, (x.norm(dim=-1) - 0.5).numpy()


def test_residual_by_distance_of_exact_and_wrong_fields():
    x, d = _box_points()
    edges = (0.0, 0.1, 0.3, 0.6)
    exact = sdf.residual_by_distance(SphereSDF(), x, d, edges)
    assert exact["count"].sum() == int((np.abs(d) < 0.6).sum())
    np.testing.assert_allclose(exact["grad_norm"], 1, atol=1e-5)
    assert exact["residual"].max() < 1e-5 and exact["error"].max() < 1e-5
    steep = sdf.residual_by_distance(ScaledSphere(), x, torch.from_numpy(d), edges)
    np.testing.assert_allclose(steep["grad_norm"], 2, atol=1e-5)
    np.testing.assert_allclose(steep["residual"], 1, atol=1e-5)
    assert np.all(np.diff(steep["error"]) > 0)          # |Φ − d| = |d|: larger in each farther band
    assert np.all((steep["error"] >= steep["lo"]) & (steep["error"] < steep["hi"]))
    with pytest.raises(ValueError, match="one per point"):
        sdf.residual_by_distance(SphereSDF(), x, d[:10])
    with pytest.raises(ValueError, match="increasing"):
        sdf.residual_by_distance(SphereSDF(), x, d, edges=(0.3, 0.1))


def test_offset_surfaces_measure_inflation():
    _, d = _box_points()
    same = sdf.offset_surfaces(d, d, [-0.1, 0.0, 0.1])
    np.testing.assert_allclose(same["iou"], 1.0)
    np.testing.assert_allclose(same["inside"], same["true_inside"])
    assert np.all(np.diff(same["inside"]) > 0)           # a larger c holds more of the box
    shrunk = sdf.offset_surfaces(d + 0.1, d, [0.0, 0.1])  # Φ = d + 0.1: its zero level is d's −0.1 offset
    assert np.all(shrunk["inside"] < shrunk["true_inside"]) and np.all(shrunk["iou"] < 0.9)
    assert shrunk["inside"][1] == pytest.approx(same["true_inside"][1], abs=1e-12)  # Φ < 0.1 ⇔ d < 0
    with pytest.raises(ValueError, match="same non-empty length"):
        sdf.offset_surfaces(d[:5], d, [0.0])
    with pytest.raises(ValueError, match="finite"):
        sdf.offset_surfaces(np.full(3, np.nan), np.zeros(3), [0.0])


def test_count_pieces():
    ax = np.linspace(-1, 1, 24)
    x, y, z = np.meshgrid(ax, ax, ax, indexing="ij")
    one = np.sqrt(x**2 + y**2 + z**2) - 0.5
    two = np.minimum(np.sqrt((x - 0.5) ** 2 + y**2 + z**2), np.sqrt((x + 0.5) ** 2 + y**2 + z**2)) - 0.3
    assert sdf.count_pieces(one) == 1
    assert sdf.count_pieces(two) == 2
    assert sdf.count_pieces(two, level=0.3) == 1        # the offset surfaces merge once c reaches the gap
    assert sdf.count_pieces(torch.from_numpy(one), level=-0.9) == 0
    with pytest.raises(ValueError, match="3D grid"):
        sdf.count_pieces(np.zeros((4, 4)))


def test_term_labels_are_mathtext_matplotlib_renders():
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    assert set(sdf.TERM_LABELS) == set(sdf.TERMS)
    for term, label in sdf.TERM_LABELS.items():
        assert label.count("$") == 2, f"{term}: the formula must be one $...$ mathtext span, got {label!r}"
        outside = label.split("$")[0] + label.split("$")[2]
        assert "_" not in outside and "∫" not in outside, f"{term}: math outside $...$ shows as source: {label!r}"
        parser.parse("$" + label.split("$")[1] + "$", dpi=100)
    assert r"\cos" in sdf.TERM_LABELS["normal"] and "langle" not in sdf.TERM_LABELS["normal"]  # what the loss uses
