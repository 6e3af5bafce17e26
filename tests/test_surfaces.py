"""Tests for helpers.surfaces: marching squares (the 16 cases, edge interpolation), bad fields for marching cubes."""
import signal
from contextlib import contextmanager

import numpy as np
import pytest
import torch

import helpers as H
from helpers import surfaces


@contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging: SIGALRM interrupts the call after `seconds`."""
    def stop(signum, frame):
        raise TimeoutError(f"call did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _endpoint_degrees(seg, decimals=5):
    """How many segment ends meet at each distinct vertex."""
    _, counts = np.unique(np.round(seg.reshape(-1, 2), decimals), axis=0, return_counts=True)
    return counts


def test_circle_vertices_on_the_circle_and_curve_closed():
    x = np.linspace(-1, 1, 33)
    X, Y = np.meshgrid(x, x, indexing="ij")
    sdf = np.sqrt(X ** 2 + Y ** 2) - 0.6
    seg = surfaces.marching_squares(sdf, 0.0)
    r = np.linalg.norm(seg.reshape(-1, 2), axis=1)
    assert np.abs(r - 0.6).max() < 2e-3          # linear interpolation of |p| - r on edges of length 1/16
    length = np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1).sum()
    assert length == pytest.approx(2 * np.pi * 0.6, rel=2e-3)
    assert (_endpoint_degrees(seg) == 2).all()   # one closed curve: every vertex joins exactly two segments


def test_matches_skimage_find_contours_on_a_random_field():
    from scipy.spatial import cKDTree
    from skimage.measure import find_contours

    v = np.random.default_rng(0).normal(size=(12, 15))
    seg = surfaces.marching_squares(v, 0.1, bounds=(0.0, 1.0))
    ours = seg.reshape(-1, 2) * (np.array(v.shape) - 1)   # back to index units, skimage's (row, col)
    contours = find_contours(v, 0.1)
    theirs = np.concatenate(contours)
    assert len(seg) == sum(len(c) - 1 for c in contours)  # same number of segments
    assert cKDTree(theirs).query(ours)[0].max() < 1e-5     # and the same interpolated vertices
    assert cKDTree(ours).query(theirs)[0].max() < 1e-5


def test_each_of_the_16_cases_on_one_cell():
    corner_index = np.array(surfaces.SQUARE_CORNERS)
    for case in range(16):
        cell = np.zeros((2, 2))
        for k, (di, dj) in enumerate(corner_index):
            cell[di, dj] = 1.0 if case >> k & 1 else -1.0
        seg = surfaces.marching_squares(cell, 0.0, bounds=(0.0, 1.0))
        assert len(seg) == len(surfaces.SQUARE_CASES[case]), case
        # corners at ±1: every vertex sits at the middle of an edge it crosses
        mids = seg.reshape(-1, 2)
        assert np.all(np.isclose(mids, 0.5).sum(1) == 1) and np.all(np.isin(mids.round(6), [0, 0.5, 1])), case
    # the saddle (corners (0, 0) and (1, 1) inside) is decided by the cell's mean: each segment cuts off the
    # corner nearest its midpoint, the outside corners when the inside ones are joined, else the inside ones
    def cut_corners(cell):
        seg = surfaces.marching_squares(np.array(cell), 0.0, bounds=(0.0, 1.0))
        return sorted(tuple(np.rint(m).astype(int)) for m in seg.mean(1))

    assert cut_corners([[1.0, -0.5], [-0.5, 1.0]]) == [(0, 1), (1, 0)]    # mean 0.25 >= 0: joined
    assert cut_corners([[0.5, -1.0], [-1.0, 0.5]]) == [(0, 0), (1, 1)]    # mean -0.25 < 0: separated


def test_edge_interpolation_is_linear():
    seg = surfaces.marching_squares(np.array([[-1.0, 3.0], [-1.0, 3.0]]), 0.0, bounds=(0.0, 1.0))
    # the level 0 is a quarter of the way from -1 to 3 along both edges in the column direction
    assert seg.shape == (1, 2, 2)
    assert np.allclose(np.sort(seg[0, :, 1]), [0.25, 0.25]) and np.allclose(np.sort(seg[0, :, 0]), [0.0, 1.0])


def test_marching_squares_bad_input():
    with pytest.raises(ValueError, match="2D grid"):
        surfaces.marching_squares(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        surfaces.marching_squares(np.array([[0.0, np.nan], [1.0, 2.0]]))


def test_marching_cubes_refuses_a_partly_nan_field():
    def half_nan(p):  # a sphere's SDF, undefined (NaN) for x > 0.5
        d = p.norm(dim=-1) - 0.6
        return torch.where(p[:, 0] > 0.5, torch.full_like(d, float("nan")), d)

    with time_limit(30), pytest.raises(ValueError, match="NaN or inf at .* grid points"):
        H.extract_mesh(half_nan, resolution=16)
    with pytest.raises(ValueError, match="fix the function"):
        surfaces.grid_to_mesh(np.where(np.arange(8 ** 3).reshape(8, 8, 8) % 7, 1.0, np.inf) - 0.5)


def test_count_handles_is_the_genus_of_closed_meshes():
    from helpers import mise, shapes, surfaces

    g = torch.linspace(-1, 1, 49)
    X = torch.stack(torch.meshgrid(g, g, g, indexing="ij"), -1)
    ring = lambda c: shapes.sdf_torus(X - torch.tensor(c), torch.tensor(0.4), torch.tensor(0.12))
    box = shapes.sdf_box(X, torch.tensor([0.6, 0.6, 0.3]))
    cases = {"sphere": X.norm(dim=-1) - 0.5, "box": box, "torus": ring([0.0, 0.0, 0.0]),
             "two tori": torch.minimum(ring([0.0, 0.0, 0.45]), ring([0.0, 0.0, -0.45])),
             "box minus a cylinder (a hole through it)": torch.maximum(box, -shapes.sdf_cylinder(X, torch.tensor(0.25),
                                                                                                 torch.tensor(0.9))),
             "sphere and a separate torus": torch.minimum((X - torch.tensor([0.0, 0.0, 0.55])).norm(dim=-1) - 0.3,
                                                          ring([0.0, 0.0, -0.45]))}
    expected = {"sphere": 0, "box": 0, "torus": 1, "two tori": 2, "box minus a cylinder (a hole through it)": 1,
                "sphere and a separate torus": 1}
    for name, sdf in cases.items():
        v, f = mise.padded_mesh(-sdf.numpy(), 0.0)                 # inside: -sdf > 0
        assert surfaces.count_handles(v, f) == expected[name], name
    with pytest.raises(ValueError, match="needs a closed mesh"):
        surfaces.count_handles(v, f[:-1])                            # one triangle missing: a boundary
    with pytest.raises(ValueError, match=r"\(F, 3\)"):
        surfaces.count_handles(v, np.zeros((0, 3)))
    # two tetrahedra sharing one vertex: every edge is in two triangles, yet χ = 3 would give -1 handles
    tet = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    v7 = np.random.default_rng(0).random((7, 3))
    assert surfaces.count_handles(v7, tet) == 0
    with pytest.raises(ValueError, match="needs a manifold mesh"):
        surfaces.count_handles(v7, np.concatenate([tet, np.where(tet > 0, tet + 3, 0)]))
