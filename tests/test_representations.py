import numpy as np
import pytest
import torch

import helpers as H
from helpers import representations as R


def _sphere_mesh(radius=0.6, res=32):
    grid = H.grid((res, res, res)).numpy()
    return H.grid_to_mesh(np.linalg.norm(grid, axis=-1) - radius, level=0.0)


def test_voxelize_sphere_matches_analytic_inside():
    v, f = _sphere_mesh()
    res = 33
    occ = R.voxelize_mesh(v, f, res)
    assert occ.shape == (res,) * 3 and occ.dtype == bool
    pts = H.grid((res, res, res)).numpy()
    truth = np.linalg.norm(pts, axis=-1) < 0.6
    # only voxels right at the (faceted) surface may differ
    assert (occ != truth).mean() < 0.01
    assert occ[res // 2, res // 2, res // 2] and not occ[0, 0, 0]


def test_voxelize_cube_is_exact_and_indexed_like_evaluate_grid():
    # an axis-aligned box [-0.5, 0.5] x [-0.3, 0.3] x [-0.7, 0.1] as 12 triangles
    lo, hi = np.array([-0.5, -0.3, -0.7]), np.array([0.5, 0.3, 0.1])
    corners = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=float)
    v = lo + corners * (hi - lo)
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    res = 21  # spacing 0.1: no grid point lies exactly on a face for these bounds except by design below
    occ = R.voxelize_mesh(v, f, res)
    pts = H.grid((res, res, res)).numpy()
    truth = np.all((pts > lo + 1e-6) & (pts < hi - 1e-6), axis=-1)
    on_face = np.any(np.isclose(pts, lo, atol=1e-6) | np.isclose(pts, hi, atol=1e-6), axis=-1)
    assert np.array_equal(occ[~on_face], truth[~on_face])
    # same [i, j, k] <-> (x, y, z) convention as helpers.evaluate_grid
    box = lambda p: ((p > torch.tensor(lo, dtype=p.dtype)) & (p < torch.tensor(hi, dtype=p.dtype))).all(-1).float()
    ref = H.evaluate_grid(box, res) > 0.5
    assert np.array_equal(occ[~on_face], ref[~on_face])


def test_voxelize_bad_input():
    v, f = _sphere_mesh(res=16)
    with pytest.raises(ValueError, match="vertices"):
        R.voxelize_mesh(v[:, :2], f, 8)
    with pytest.raises(ValueError, match="faces"):
        R.voxelize_mesh(v, f[:0], 8)
    with pytest.raises(ValueError, match="index"):
        R.voxelize_mesh(v, f + len(v), 8)
    bad = v.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        R.voxelize_mesh(bad, f, 8)
    with pytest.raises(ValueError, match="resolution"):
        R.voxelize_mesh(v, f, 1)


def test_voxel_mesh_counts_exposed_faces():
    occ = np.zeros((4, 4, 4), dtype=bool)
    occ[1, 1, 1] = True
    v, f = R.voxel_mesh(occ)
    assert v.shape == (24, 3) and f.shape == (12, 3)
    occ[1, 1, 2] = True  # two neighbours share one face: 10 visible squares
    v, f = R.voxel_mesh(occ)
    assert f.shape == (20, 3)
    h = 2 / 3
    assert np.allclose(v.min(0), [-1 + h - h / 2, -1 + h - h / 2, -1 + h - h / 2])
    with pytest.raises(ValueError):
        R.voxel_mesh(np.zeros((4, 4, 4), dtype=bool))
    with pytest.raises(ValueError):
        R.voxel_mesh(np.zeros((4, 4)))


def test_upsample_keeps_samples_and_interpolates():
    coarse = torch.rand(9, 7)
    for m in R.UPSAMPLING_METHODS:
        up = R.upsample(coarse, 4, m)
        assert up.shape == (33, 25)
        assert torch.allclose(up[::4, ::4], coarse, atol=1e-5), m
    # a linear ramp is reproduced exactly by bilinear on the refined helpers.grid
    g = H.grid((9, 9))
    ramp = 0.3 * g[..., 0] - 0.7 * g[..., 1]
    fine = H.grid((33, 33))
    exact = 0.3 * fine[..., 0] - 0.7 * fine[..., 1]
    assert torch.allclose(R.upsample(ramp, 4, "bilinear"), exact, atol=1e-5)
    # torch's bicubic kernel (a = -0.75) bends ramps slightly between the samples
    assert torch.allclose(R.upsample(ramp, 4, "bicubic"), exact, atol=0.03)
    near = R.upsample(coarse, 4, "nearest")
    assert torch.equal(near[1, 1], coarse[0, 0]) and torch.equal(near[3, 3], coarse[1, 1])
    rgb = R.upsample(torch.rand(5, 5, 3), 2, "bicubic")
    assert rgb.shape == (9, 9, 3)


def test_upsample_bad_input():
    with pytest.raises(ValueError, match="method"):
        R.upsample(torch.rand(4, 4), 2, "lanczos")
    with pytest.raises(ValueError, match="factor"):
        R.upsample(torch.rand(4, 4), 1.5)
    with pytest.raises(ValueError, match="shape"):
        R.upsample(torch.rand(4), 2)
    with pytest.raises(ValueError, match="NaN"):
        R.upsample(torch.full((4, 4), float("nan")), 2)


def test_downsample_aligns_with_upsample_grid():
    fine = torch.rand(33, 33)
    assert torch.equal(R.downsample(fine, 4, sigma=0), fine[::4, ::4])
    smooth = R.downsample(fine, 4)
    assert smooth.shape == (9, 9) and smooth.std() < fine.std()
    const = torch.full((17, 17, 3), 0.25)
    assert torch.allclose(R.downsample(const, 4), torch.full((5, 5, 3), 0.25))
    with pytest.raises(ValueError, match="k·4 \\+ 1"):
        R.downsample(torch.rand(32, 32), 4)
    with pytest.raises(ValueError, match="NaN"):
        R.downsample(torch.full((9, 9), float("inf")), 4)


def test_storage_bytes():
    assert R.voxel_bytes(32, 32) == 4 * 32 ** 3
    assert R.voxel_bytes(512, 1) == 512 ** 3 // 8
    assert R.voxel_bytes(3, 1) == 4  # 27 bits -> 4 bytes
    m = torch.nn.Linear(10, 3)
    assert R.parameter_bytes(m) == 4 * 33
    with pytest.raises(ValueError):
        R.voxel_bytes(0)


def test_show_square_cases_draws_sixteen_cells_and_returns_none(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    assert R.show_square_cases() is None
    (fig,) = shown
    assert len(fig.axes) == 16 and fig.get_size_inches()[0] <= 11
    # each case draws its table's segments (solid) plus the saddles' alternative (dashed), and the cell outline
    from helpers import surfaces
    for case, ax in enumerate(fig.axes):
        solid = [ln for ln in ax.lines if ln.get_linestyle() == "-" and ln.get_color() == "C3"]
        assert len(solid) == len(surfaces.SQUARE_CASES[case]), case
    plt.close("all")


def test_resample_at_the_pixels_between_them_and_outside():
    img = torch.rand(9, 7)
    for m in R.UPSAMPLING_METHODS:  # at the pixels themselves: the image, in flatten's frame
        assert torch.allclose(R.resample(img, H.grid(img.shape), m), img, atol=1e-5), m
        assert torch.allclose(R.upsample(img, 3, m), R.resample(img, H.grid((25, 19)), m)), m
    mid = torch.tensor([[-1.0, -1.0 + 1.0 / 6]])  # halfway between columns 0 and 1 of row 0
    assert torch.allclose(R.resample(img, mid, "bilinear"), (img[0, 0] + img[0, 1]) / 2, atol=1e-6)
    assert torch.equal(R.resample(img, mid, "nearest"), img[0, :1])  # a tie goes to the lower index
    far = torch.tensor([[5.0, -5.0]])  # outside [-1, 1]: the border sample
    assert torch.equal(R.resample(img, far, "nearest"), img[-1:, 0])
    rgb = R.resample(np.random.rand(9, 7, 3), torch.zeros(4, 5, 2))
    assert rgb.shape == (4, 5, 3)
    with pytest.raises(ValueError, match="method"):
        R.resample(img, mid, "lanczos")
    with pytest.raises(ValueError, match="coords"):
        R.resample(img, torch.zeros(4, 3))
