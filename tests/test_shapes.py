"""Tests for helpers.shapes: primitive SDFs, exact occupancy, determinism, observations."""
import pytest
import torch

from helpers import shapes


@pytest.fixture(scope="module")
def two():
    return shapes.make_shapes(2, seed=5, n_surface=256)


def test_primitive_sdfs_at_known_points():
    q = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    assert torch.allclose(shapes.sdf_sphere(q, torch.tensor(0.5)), torch.tensor([-0.5, 0.5, 1.5]))
    half = torch.tensor([0.5, 0.25, 1.0])
    assert torch.allclose(shapes.sdf_box(q, half), torch.tensor([-0.25, 0.5, 1.0]))
    assert torch.allclose(shapes.sdf_cylinder(q, torch.tensor(0.5), torch.tensor(1.0)), torch.tensor([-0.5, 0.5, 1.0]))
    # torus R=0.5, r=0.1: the centre is 0.4 away from the tube, (1,0,0) is 0.4 away too
    assert torch.allclose(shapes.sdf_torus(q, torch.tensor(0.5), torch.tensor(0.1)),
                          torch.tensor([0.4, 0.4, (4 + 0.25) ** 0.5 - 0.1]))


def test_deterministic_and_seeds_differ(two):
    again = shapes.make_shapes(2, seed=5, n_surface=256)
    assert torch.equal(two.center, again.center) and torch.equal(two.surface, again.surface)
    other = shapes.make_shapes(1, seed=6, n_surface=256)
    assert not torch.allclose(other.center[0], two.center[0])


def test_surface_samples_exact_and_normalized(two):
    assert two.sdf(two.surface).abs().max() < 1e-4
    extent = two.surface.abs().amax(dim=(1, 2))
    assert ((extent > 0.85) & (extent < 1.0)).all(), extent
    # stepping along the outward normal leaves the shape, stepping against it enters
    eps = 0.01
    assert two.occupancy(two.surface - eps * two.normals).float().mean() > 0.97
    assert two.occupancy(two.surface + eps * two.normals).float().mean() < 0.03


def test_observe_and_query(two):
    g = torch.Generator().manual_seed(0)
    x = two.observe(None, 100, 0.005, g)
    assert x.shape == (2, 100, 3)
    assert (two.sdf(x).abs() < 0.05).all()
    p, o = two.query([1, 1, 0], k=64, near_fraction=0.5, generator=g)
    assert p.shape == (3, 64, 3) and o.shape == (3, 64)
    assert p.abs().max() <= 1.0
    assert torch.equal(o.bool(), two.sdf(p, [1, 1, 0]) < 0)


def test_bad_input(two):
    with pytest.raises(ValueError, match="shaped"):
        two.sdf(torch.zeros(10, 2))
    with pytest.raises(ValueError, match="indices"):
        two.sdf(torch.zeros(3, 5, 3), [0])
    with pytest.raises(ValueError, match="surface samples"):
        two.observe(None, 10_000)
    with pytest.raises(ValueError, match="at least 1"):
        shapes.make_shapes(0)
    with pytest.raises(ValueError, match="non-finite"):
        shapes.check_points(torch.tensor([[0.0, float("nan"), 0.0]]))


def test_handles_of_a_shape_agree_on_shifted_grids():
    from helpers import shapes

    test = shapes.make_shapes(24, seed=1)
    torus = next(i for i in range(len(test)) if test.describe(i) == "torus")
    assert test.handles(torus, 33) == 1                                   # one ring: one hole, on all three grids
    blob = next(i for i in range(len(test)) if "torus" not in test.describe(i) and " − " not in test.describe(i)
                and test.handles(i, 33) is not None)
    assert test.handles(blob, 33) == 0                                    # this union of convex parts has none
