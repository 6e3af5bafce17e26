"""Tests for helpers.data (course data loaders) and data/build.py.

Fast tests use the committed files in data/.  The rebuild test needs the build-only
packages (``pip install -e ".[data-build]"`` in a separate venv plus espeak-ng); point
``INR_DATA_BUILD_PYTHON`` at that venv's python to run it from the course venv, e.g.

    INR_DATA_BUILD_PYTHON=/tmp/databuild/bin/python .venv/bin/python -m pytest tests/test_data.py
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import data as D

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def exact_winding_number(points, v, f, chunk=128):
    """Generalised winding number (exact solid angles): ~1 inside a closed mesh, ~0 outside."""
    tri = v[f].astype(np.float32)          # float32 is plenty for a 0-or-1 decision
    out = np.empty(len(points))
    for s in range(0, len(points), chunk):
        p = points[s:s + chunk, None, None, :].astype(np.float32)
        a, b, c = (tri[None, :, i, :] - p[:, :, 0, :] for i in range(3))
        la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
        det = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("pfi,pfi->pf", a, b) * lc
               + np.einsum("pfi,pfi->pf", b, c) * la + np.einsum("pfi,pfi->pf", c, a) * lb)
        out[s:s + chunk] = np.arctan2(det, den).sum(axis=1, dtype=np.float64) / (2 * np.pi)
    return out


@pytest.fixture(scope="module")
def mesh():
    return D.load_bunny_mesh()


@pytest.fixture(scope="module")
def ev():
    return D.load_bunny_eval()


def _in01(x):
    return x.dtype == np.float32 and np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1


# ------------------------------------------------------------------------------ images
def test_image_native_and_options():
    cam = D.load_image()
    assert cam.shape == (512, 512) and _in01(cam)
    ast = D.load_image("astronaut")
    assert ast.shape == (512, 512, 3) and _in01(ast)
    assert D.load_image("coffee", size=64).shape == (64, 64, 3)           # centre crop + resize
    assert D.load_image("coffee", size=(40, 60)).shape == (40, 60, 3)
    g = D.load_image("astronaut", size=32, gray=True)
    assert g.shape == (32, 32) and _in01(g)
    c3 = D.load_image("camera", size=16, gray=False)
    assert c3.shape == (16, 16, 3) and _in01(c3)
    assert np.array_equal(c3[..., 0], c3[..., 2])


def test_image_unknown_name():
    with pytest.raises(ValueError, match="camera"):
        D.load_image("lena")


# ------------------------------------------------------------------------------- video
def test_video_full():
    v = D.load_video()
    assert v.shape == (64, 144, 256, 3) and _in01(v)
    # real footage with motion: consecutive frames differ, texture is not flat
    assert np.abs(np.diff(v, axis=0)).mean() > 0.01 and v.std() > 0.1


def test_video_frames_and_size():
    full = D.load_video()
    v = D.load_video(frames=8, size=64)
    assert v.shape == (8, 36, 64, 3) and _in01(v)
    assert np.array_equal(D.load_video(frames=2), full[[0, 63]])
    assert D.load_video(frames=3, size=(32, 48)).shape == (3, 32, 48, 3)
    for bad in (0, 65):
        with pytest.raises(ValueError):
            D.load_video(frames=bad)


# ------------------------------------------------------------------------------- audio
@pytest.mark.parametrize("name,rate,min_s", [("music", 44100, 3.0), ("speech", 22050, 3.0)])
def test_audio_native(name, rate, min_s):
    x, sr = D.load_audio(name)
    assert sr == rate and isinstance(sr, int)
    assert x.dtype == np.float32 and x.ndim == 1 and len(x) >= min_s * sr
    assert np.abs(x).max() <= 1 and x.std() > 0.01


def test_audio_seconds_and_rate():
    x, sr = D.load_audio("music", seconds=1.5)
    assert sr == 44100 and x.shape == (66150,)
    y, sr2 = D.load_audio("speech", seconds=2, rate=16000)
    assert sr2 == 16000 and y.shape == (32000,) and y.dtype == np.float32
    assert np.abs(y).max() <= 1
    with pytest.raises(ValueError):
        D.load_audio("music", seconds=0)


def test_resample_sine():
    t = np.arange(8000) / 8000
    x = np.sin(2 * np.pi * 440 * t)
    y = D._resample(x, 8000, 16000)
    t2 = np.arange(16000) / 16000
    assert y.shape == (16000,)
    assert np.abs(y - np.sin(2 * np.pi * 440 * t2)).max() < 1e-6


def test_audio_unknown_name():
    with pytest.raises(ValueError, match="music"):
        D.load_audio("bach")


# ------------------------------------------------------------------------------- bunny
def test_mesh(mesh):
    v, f = mesh
    assert v.dtype == np.float32 and v.ndim == 2 and v.shape[1] == 3
    assert f.dtype == np.int64 and f.shape[1] == 3 and 10_000 <= len(f) <= 30_000
    assert f.min() == 0 and f.max() == len(v) - 1
    assert np.isclose(np.abs(v).max(), 0.9, atol=1e-6)
    lo, hi = v.min(0), v.max(0)
    assert np.allclose((lo + hi)[np.argmax(hi - lo)], 0, atol=1e-5)   # bbox centred
    # closed, consistently oriented 2-manifold with positive volume (=> outward winding)
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    fwd, rev = np.unique(e, axis=0), np.unique(e[:, ::-1], axis=0)
    assert len(fwd) == len(e) and np.array_equal(fwd, rev)
    t = v[f].astype(np.float64)
    assert np.einsum("fi,fi->f", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6 > 0


def test_pointcloud():
    p, n = D.load_bunny_pointcloud()
    assert p.shape == n.shape and p.shape[0] >= 100_000 and p.shape[1] == 3
    assert p.dtype == n.dtype == np.float32
    assert np.abs(p).max() <= 0.9 + 1e-6
    assert np.allclose(np.linalg.norm(n, axis=1), 1, atol=1e-5)
    p1, n1 = D.load_bunny_pointcloud(n=1000)
    p2, _ = D.load_bunny_pointcloud(n=1000)
    p3, _ = D.load_bunny_pointcloud(n=1000, seed=1)
    assert p1.shape == n1.shape == (1000, 3) and np.array_equal(p1, p2) and not np.array_equal(p1, p3)
    with pytest.raises(ValueError):
        D.load_bunny_pointcloud(n=0)


def test_eval_contents(ev):
    assert set(ev) == set(D.EVAL_KEYS)
    for pre, n in (("uniform", 100_000), ("near", 100_000)):
        pts, sdf, inside = ev[pre + "_points"], ev[pre + "_sdf"], ev[pre + "_inside"]
        assert pts.shape == (n, 3) and sdf.shape == (n,) and inside.shape == (n,)
        assert pts.dtype == sdf.dtype == np.float32 and inside.dtype == bool
        assert np.array_equal(inside, sdf < 0)
        assert 0.01 < inside.mean() < 0.9
    assert ev["uniform_points"].min() >= -1 and ev["uniform_points"].max() <= 1
    assert np.abs(ev["near_sdf"][:50_000]).mean() < 0.02          # sigma 0.01 half
    assert ev["surface_points"].shape == ev["surface_normals"].shape == (30_000, 3)
    assert np.allclose(np.linalg.norm(ev["surface_normals"], axis=1), 1, atol=1e-5)
    # uniform SDF magnitude matches the distance to the nearest surface sample (upper bound)
    q = ev["uniform_points"][:200]
    d = np.sqrt(((q[:, None] - ev["surface_points"][None]) ** 2).sum(-1)).min(1)
    assert np.all(np.abs(ev["uniform_sdf"][:200]) <= d + 1e-4)
    assert np.allclose(np.abs(ev["uniform_sdf"][:200]), d, atol=0.03)


def test_normals_point_outward(mesh, ev):
    v, f = mesh
    eps = 1e-3
    rng = np.random.default_rng(0)
    p, n = D.load_bunny_pointcloud(n=30, seed=3)
    i = rng.choice(30_000, 30, replace=False)
    p = np.concatenate([p, ev["surface_points"][i]])
    n = np.concatenate([n, ev["surface_normals"][i]])
    wn = exact_winding_number(np.concatenate([p + eps * n, p - eps * n]), v, f)
    outside, inside = wn[:len(p)], wn[len(p):]
    assert (outside < 0.5).all() and (inside > 0.5).all()


def test_inside_labels_match_mesh(mesh, ev):
    v, f = mesh
    idx = np.arange(0, 100_000, 1600)   # 63 points of each kind
    for pre in ("uniform", "near"):
        wn = exact_winding_number(ev[pre + "_points"][idx], v, f)
        assert np.array_equal(wn > 0.5, ev[pre + "_inside"][idx])


# ---------------------------------------------------------------------- integrity
FILES = ["bunny_mesh.npz", "video_bigbuckbunny.npz", "audio_speech_counting.flac"]


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    for name in FILES + ["SHA256SUMS"]:
        shutil.copyfile(DATA / name, tmp_path / name)
    monkeypatch.setenv("INR_DATA_DIR", str(tmp_path))
    return tmp_path


def test_data_path_ok_and_cached(data_copy):
    p = D.data_path("bunny_mesh.npz")
    assert p == data_copy / "bunny_mesh.npz"
    assert D.data_path("bunny_mesh.npz") == p
    assert any(k[0] == str(p.resolve()) for k in D._VERIFIED)


def test_corrupt_file_raises(data_copy):
    D.load_bunny_mesh()                              # verified and cached first ...
    path = data_copy / "bunny_mesh.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with pytest.raises(D.DataFileError, match="bunny_mesh.npz") as exc:   # ... still caught
        D.load_bunny_mesh()
    msg = str(exc.value)
    assert "SHA-256" in msg and "git checkout data/bunny_mesh.npz" in msg and "build.py" in msg


def test_corrupt_audio_raises(data_copy):
    path = data_copy / "audio_speech_counting.flac"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(D.DataFileError, match="audio_speech_counting.flac"):
        D.load_audio("speech")


def test_missing_file_raises(data_copy):
    (data_copy / "video_bigbuckbunny.npz").unlink()
    with pytest.raises(D.DataFileError, match="video_bigbuckbunny.npz.*missing"):
        D.load_video()
    with pytest.raises(D.DataFileError, match="bunny_pointcloud.npz"):   # not copied at all
        D.load_bunny_pointcloud()


def test_unreadable_file_with_matching_hash_raises(data_copy):
    path = data_copy / "bunny_mesh.npz"
    path.write_bytes(b"not a zip file")
    digest = hashlib.sha256(b"not a zip file").hexdigest()
    sums = data_copy / "SHA256SUMS"
    sums.write_text("".join(
        (f"{digest}  bunny_mesh.npz\n" if line.endswith("bunny_mesh.npz") else line + "\n")
        for line in sums.read_text().splitlines()))
    with pytest.raises(D.DataFileError, match="bunny_mesh.npz.*unreadable"):
        D.load_bunny_mesh()


def test_missing_sums_raises(data_copy):
    (data_copy / "SHA256SUMS").unlink()
    with pytest.raises(D.DataFileError, match="SHA256SUMS"):
        D.load_bunny_mesh()


def test_list_data():
    s = D.list_data()
    assert "video_bigbuckbunny.npz" in s and "ok" in s


def test_data_dir_size_budget():
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert total < 24 * 2**20, "data/ must stay < 25 MB including the ONet checkpoint"


def _load_build_module():
    spec = importlib.util.spec_from_file_location("inr_data_build", DATA / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_keeps_foreign_files_and_notes(tmp_path):
    """build.py never drops files it does not build (e.g. the ONet checkpoint)."""
    build = _load_build_module()
    shutil.copyfile(DATA / "bunny_mesh.npz", tmp_path / "bunny_mesh.npz")
    (tmp_path / "onet_checkpoint.pt").write_bytes(b"weights")
    (tmp_path / "onet_checkpoint.notes.md").write_text("Trained for 3 epochs on the bunny.\n")
    (tmp_path / "SHA256SUMS").write_text(
        f"{hashlib.sha256(b'weights').hexdigest()}  onet_checkpoint.pt\n")
    build.write_readme_and_sums(tmp_path, {"bunny_mesh.npz"}, {})
    sums = (tmp_path / "SHA256SUMS").read_text()
    assert "onet_checkpoint.pt" in sums and "bunny_mesh.npz" in sums
    readme = (tmp_path / "README.md").read_text()
    assert "Trained for 3 epochs on the bunny." in readme
    assert "onet_checkpoint.notes.md" in readme and "onet_checkpoint.pt" in readme


# ------------------------------------------------------------------------ rebuild
BUILD_MODULES = ["av", "skvideo", "pymeshfix", "fast_simplification", "point_cloud_utils", "soundfile"]
BUILD_PY = os.environ.get("INR_DATA_BUILD_PYTHON", sys.executable)


def _build_env_problem():
    probe = subprocess.run([BUILD_PY, "-c", "import " + ", ".join(BUILD_MODULES)],
                           capture_output=True, text=True)
    if probe.returncode:
        return (f"build-only packages not importable by {BUILD_PY} "
                f"(pip install -e '.[data-build]' in a separate venv and set INR_DATA_BUILD_PYTHON)")
    if shutil.which("espeak-ng") is None:
        return "espeak-ng not installed (apt-get install espeak-ng)"
    return None


def test_build_is_reproducible(tmp_path):
    problem = _build_env_problem()
    if problem:
        pytest.skip(problem)
    out = tmp_path / "rebuild"
    r = subprocess.run([BUILD_PY, str(DATA / "build.py"), "--out", str(out),
                        "--only", "video,speech,bunny"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    want = dict(line.split()[::-1] for line in (DATA / "SHA256SUMS").read_text().splitlines())
    got = dict(line.split()[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    for name in ["video_bigbuckbunny.npz", "audio_speech_counting.flac", "bunny_mesh.npz",
                 "bunny_pointcloud.npz", "bunny_eval.npz"]:
        assert got[name] == want[name], f"{name} is not reproducible"
