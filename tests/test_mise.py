"""Tests for helpers.mise: MISE equals the dense grid's mesh, padded marching cubes maps vertices back."""
import numpy as np
import pytest
import torch
from test_surfaces import time_limit  # tests/ is on sys.path under pytest's default import mode

import helpers as H
from helpers import mise


def blob(p):  # positive inside: a sphere of radius 0.5 plus a small sphere off-centre
    return torch.maximum(0.5 - p.norm(dim=-1), 0.15 - (p - torch.tensor([0.6, 0.0, 0.0])).norm(dim=-1))


def test_mise_matches_dense_and_saves_evaluations():
    r = mise.mise(blob, 64, initial=16, level=0.0)
    d = mise.dense(blob, 64)
    assert r.values.shape == d.shape == (65, 65, 65)
    assert np.array_equal(r.values >= 0, d >= 0)
    assert np.allclose(r.values[r.evaluated], d[r.evaluated], atol=1e-6)
    assert r.fraction < 0.5 and sum(r.per_level) == r.n_evaluations
    v1, f1 = mise.padded_mesh(r.values)
    v2, f2 = mise.padded_mesh(d)
    assert H.chamfer_distance(v1, v2) < 1e-6


def test_padded_mesh_maps_vertices_back_and_closes_borders():
    v, f = mise.padded_mesh(mise.dense(lambda p: 0.5 - p.norm(dim=-1), 32))
    rad = np.linalg.norm(v, axis=1)
    assert abs(rad.min() - 0.5) < 0.01 and abs(rad.max() - 0.5) < 0.01
    # a half space touching the box's border becomes a closed box-shaped mesh
    v, f = mise.padded_mesh(mise.dense(lambda p: -p[:, 0], 16))
    assert v[:, 1].min() == pytest.approx(-1.0, abs=1e-5) and v[:, 0].max() == pytest.approx(0.0, abs=1e-5)


def test_bad_input():
    with pytest.raises(ValueError, match="power of 2"):
        mise.mise(blob, 100, initial=32)
    with pytest.raises(ValueError, match="NaN"):
        mise.padded_mesh(np.full((4, 4, 4), np.nan))
    with pytest.raises(ValueError, match="3D"):
        mise.padded_mesh(np.zeros((4, 4)))


@pytest.mark.parametrize("initial", [0, -4, 2.5, None])
def test_bad_initial_grid_stops_at_once(initial):
    # initial=0 or a negative value used to loop forever while looking for the power of 2
    with time_limit(20), pytest.raises(ValueError, match="initial must be a positive whole number"):
        mise.extract(blob, 64, initial=initial)
    with time_limit(20), pytest.raises(ValueError, match="resolution must be a positive whole number"):
        mise.mise(blob, 0, initial=16)
    with pytest.raises(ValueError, match="dilate"):
        mise.mise(blob, 64, initial=16, dilate=-1)


def test_field_inside_everywhere_is_not_a_surface():
    # above the level everywhere: the padding alone would give the bounding box as "the surface"
    with time_limit(20), pytest.raises(ValueError, match="above the level .* everywhere"):
        mise.extract(lambda p: torch.ones(len(p)), 32, initial=8, level=0.0)
    # below everywhere: no surface either (caught by marching cubes)
    with time_limit(20), pytest.raises(ValueError, match="no surface"):
        mise.extract(lambda p: -torch.ones(len(p)), 32, initial=8, level=0.0)
    # a shape filling the box except one corner still meshes (the border is closed by the padding)
    v, f, _ = mise.extract(lambda p: 2.5 - p.sum(-1), 16, initial=4)
    assert len(f) > 0 and np.isfinite(v).all()
