"""Course data: images, video, audio and the Stanford Bunny, with integrity checks.

Everything is local -- nothing is downloaded at run time:

* images come from the photos bundled with scikit-image (``skimage.data``);
* video, audio and 3D files live in the repository's ``data/`` folder, are recreated
  by ``data/build.py`` and are verified against ``data/SHA256SUMS`` on load
  (see ``data/README.md`` for sources, licences and attribution -- the video is
  CC-BY 3.0 "Big Buck Bunny" (c) Blender Foundation and must be credited when shown).

All loaders return NumPy arrays (float32 unless stated otherwise); wrap them with
``torch.from_numpy`` as needed.  A missing or corrupt file raises
:class:`DataFileError` with the command that fixes it.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .checks import check_int, check_positive

__all__ = [
    "DataFileError",
    "DATA_DIR",
    "data_path",
    "load_image",
    "load_video",
    "load_audio",
    "load_bunny_mesh",
    "load_bunny_pointcloud",
    "load_bunny_eval",
    "list_data",
]

#: The repository's ``data/`` folder (``$INR_DATA_DIR`` overrides it; the variable is
#: read again on every call, so it can also be set after import).
DATA_DIR = Path(os.environ.get("INR_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")

VIDEO_FILE = "video_bigbuckbunny.npz"
AUDIO_FILES = {"music": "audio_music_guitar.flac", "speech": "audio_speech_counting.flac"}
MESH_FILE = "bunny_mesh.npz"
PCL_FILE = "bunny_pointcloud.npz"
EVAL_FILE = "bunny_eval.npz"
EVAL_KEYS = ("uniform_points", "uniform_sdf", "uniform_inside", "near_points", "near_sdf",
             "near_inside", "surface_points", "surface_normals")

# Photos bundled inside the scikit-image package (no network access needed).
IMAGE_NAMES = ("camera", "astronaut", "coffee", "chelsea", "rocket", "text", "moon", "page",
               "coins", "brick", "grass", "gravel", "hubble_deep_field",
               "immunohistochemistry", "retina")

_REBUILD = ('rebuild it with `pip install -e ".[data-build]"` then `python data/build.py` '
            "(see data/README.md; use a separate venv)")


class DataFileError(RuntimeError):
    """A course data file is missing, unreadable, or fails its SHA-256 check."""


def _data_dir() -> Path:
    env = os.environ.get("INR_DATA_DIR")
    if env:
        return Path(env)
    return DATA_DIR


def _fix_hint(filename: str) -> str:
    return (f"restore it with `git checkout data/{filename}` (it is tracked in git) or "
            + _REBUILD)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_sums(directory: Path) -> dict[str, str]:
    sums_file = directory / "SHA256SUMS"
    try:
        text = sums_file.read_text()
    except OSError as exc:
        raise DataFileError(
            f"{sums_file}: cannot read the checksum list ({exc.strerror or exc}); "
            + _fix_hint("SHA256SUMS")) from None
    sums = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


# (resolved path, mtime_ns, size, expected digest) of files verified in this process.
_VERIFIED: set[tuple[str, int, int, str]] = set()


def data_path(filename: str) -> Path:
    """Return the path of ``data/<filename>`` after checking its SHA-256.

    The digest is compared with the line for ``filename`` in ``data/SHA256SUMS``.
    A successful check is cached per process by (path, mtime, size), so repeated
    loads of an unchanged file cost one ``stat``.

    Raises:
        DataFileError: the file (or SHA256SUMS) is missing, the file is not listed
            in SHA256SUMS, or its SHA-256 does not match.  The message names the
            file, the problem and the command that fixes it.
    """
    if not isinstance(filename, str) or not filename or "/" in filename or "\\" in filename:
        raise ValueError(f"filename must be the bare name of a file in data/ (e.g. {MESH_FILE!r}), got {filename!r}")
    directory = _data_dir()
    path = directory / filename
    try:
        st = path.stat()
    except OSError:
        raise DataFileError(
            f"data file {filename!r} is missing (looked for {path}); " + _fix_hint(filename)
        ) from None
    expected = _read_sums(directory).get(filename)
    if expected is None:
        raise DataFileError(
            f"data file {filename!r} is not listed in {directory / 'SHA256SUMS'}; "
            + _fix_hint(filename))
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, expected)
    if key in _VERIFIED:
        return path
    actual = _sha256(path)
    if actual != expected:
        raise DataFileError(
            f"data file {filename!r} is corrupt: SHA-256 {actual} does not match "
            f"{expected} from SHA256SUMS ({path}); " + _fix_hint(filename))
    _VERIFIED.add(key)
    return path


def _load_npz(filename: str, keys) -> dict[str, np.ndarray]:
    path = data_path(filename)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in keys}
    except Exception as exc:  # zip / format / missing-key errors
        raise DataFileError(
            f"data file {filename!r} is unreadable ({type(exc).__name__}: {exc}); "
            + _fix_hint(filename)) from exc


# ------------------------------------------------------------------------------ images
def _size(size, what: str):
    """None, an int >= 1, or a pair (h, w) of ints >= 1 (never a bool, a fraction or a longer tuple)."""
    if size is None:
        return None
    if isinstance(size, (tuple, list)) or (isinstance(size, np.ndarray) and size.ndim == 1):
        if len(size) != 2:
            raise ValueError(f"size must be one int or a pair (h, w), got {size!r}")
        return tuple(check_int(x, "size", 1, hint=f" (pixels of the {what})") for x in size)
    return check_int(size, "size", 1, hint=f" (pixels of the {what})")


def _resize(img: np.ndarray, shape) -> np.ndarray:
    from skimage.transform import resize

    out = resize(img, tuple(shape) + img.shape[len(shape):], order=1, mode="reflect",
                 anti_aliasing=True, preserve_range=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def load_image(name: str = "camera", size=None, gray=None) -> np.ndarray:
    """A photo bundled with scikit-image, as float32 in [0, 1].

    Args:
        name: one of ``IMAGE_NAMES`` -- camera (512x512 gray), astronaut (512x512 RGB),
            coffee (400x600 RGB), chelsea (300x451 RGB, a cat), rocket (427x640 RGB),
            text (172x448 gray), moon, page, coins, brick, grass, gravel (gray),
            hubble_deep_field, immunohistochemistry, retina (RGB).
        size: None keeps the native size; an int ``s`` centre-crops to a square and
            resizes to (s, s); a tuple (h, w) resizes (aspect not kept).  Resizing is
            bilinear with Gaussian anti-aliasing when shrinking.
        gray: True converts RGB to luminance (skimage ``rgb2gray``); False returns
            3 channels (a gray image is repeated); None keeps the native channels.

    Returns:
        float32 array (H, W) for gray or (H, W, 3) for RGB, values in [0, 1].

    Raises:
        ValueError: unknown ``name`` (the message lists the valid names), a size below 1 or a fraction.
        TypeError: a size that is not a number (``size=True`` is refused, not read as 1).
    """
    import skimage.data
    from skimage.util import img_as_float32

    if not isinstance(name, str) or name not in IMAGE_NAMES:
        raise ValueError(f"unknown image {name!r}; choose one of {', '.join(IMAGE_NAMES)}")
    size = _size(size, "image")
    if gray not in (None, True, False):
        raise TypeError(f"gray must be True, False or None (native channels), got {gray!r}")
    img = img_as_float32(getattr(skimage.data, name)())
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if gray is True and img.ndim == 3:
        from skimage.color import rgb2gray
        img = rgb2gray(img).astype(np.float32)
    elif gray is False and img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if isinstance(size, int):
        h, w = img.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        img = img[top:top + s, left:left + s]
        img = _resize(img, (size, size))
    elif size is not None:
        img = _resize(img, size)
    return np.ascontiguousarray(np.clip(img, 0.0, 1.0), dtype=np.float32)


# ------------------------------------------------------------------------------- video
def load_video(frames=None, size=None) -> np.ndarray:
    """The Big Buck Bunny clip (CC-BY 3.0, (c) Blender Foundation), float32 in [0, 1].

    The stored clip is 64 RGB frames of 144x256 pixels (12.5 fps, about 5 s).

    Args:
        frames: None for all 64 frames; an int ``n`` (1..64) picks ``n`` frames evenly
            spread over the clip (indices ``round(linspace(0, 63, n))``).
        size: None keeps 144x256; an int resizes so the longer side (width) equals
            it, keeping the aspect ratio (e.g. 128 -> 72x128); a tuple (h, w)
            resizes to exactly that.  Bilinear with anti-aliasing.

    Returns:
        float32 array (T, H, W, 3), values in [0, 1].
    """
    size = _size(size, "frames' longer side")
    if frames is not None:
        frames = check_int(frames, "frames", 1, hint=" (the number of frames to keep)")
    clip = _load_npz(VIDEO_FILE, ["frames"])["frames"]
    t_all, h, w = clip.shape[:3]
    if frames is not None:
        if frames > t_all:
            raise ValueError(f"frames must be between 1 and {t_all} (the clip's length), got {frames}")
        clip = clip[np.round(np.linspace(0, t_all - 1, frames)).astype(int)]
    video = clip.astype(np.float32) / 255.0
    if size is not None:
        if isinstance(size, int):
            scale = size / max(h, w)
            new = (max(1, round(h * scale)), max(1, round(w * scale)))
        else:
            new = size
        if new != (h, w):
            video = _resize(video.transpose(1, 2, 0, 3), new).transpose(2, 0, 1, 3)
    return np.ascontiguousarray(video, dtype=np.float32)


# ------------------------------------------------------------------------------- audio
def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling by zero-padding / truncating the FFT spectrum.

    Treats the signal as periodic (tiny edge ringing); exact for band-limited
    signals.  The output has ``round(len(x) * rate_out / rate_in)`` samples.
    """
    n = len(x)
    m = max(1, int(round(n * rate_out / rate_in)))
    if m == n:
        return x
    spec = np.fft.rfft(x.astype(np.float64))
    k = min(len(spec), m // 2 + 1)
    new = np.zeros(m // 2 + 1, dtype=complex)
    new[:k] = spec[:k]
    if m < n and m % 2 == 0:
        new[-1] = new[-1].real  # Nyquist bin of the shorter signal must be real
    return np.fft.irfft(new, m) * (m / n)


def load_audio(name: str, seconds=None, rate=None):
    """A mono recording, as float32 samples in [-1, 1] and its sample rate.

    Args:
        name: ``"music"`` -- acoustic guitar, E minor 9 strums (Sonic Pi sample
            ``guit_em9``, CC0), 6.0 s at 44100 Hz; ``"speech"`` -- espeak-ng (synthetic)
            counting "one, two, ..., ten", about 5 s at 22050 Hz.
        seconds: keep only the first ``seconds`` seconds (None: everything; longer
            than the clip: everything).
        rate: resample to this rate in Hz (None: native).  Band-limited FFT
            resampling (spectrum truncated / zero-padded), then clipped to [-1, 1].

    Returns:
        (samples, sample_rate): float32 array (N,) in [-1, 1] and an int.

    Raises:
        ValueError: unknown name, or non-positive seconds / rate.
    """
    import soundfile as sf

    if not isinstance(name, str) or name not in AUDIO_FILES:
        raise ValueError(f"unknown audio {name!r}; choose one of {', '.join(AUDIO_FILES)}")
    if seconds is not None:
        seconds = check_positive(seconds, "seconds", " (how much of the clip to keep, from its start)")
    if rate is not None:
        rate = check_int(rate, "rate", 1, hint=" (samples per second, e.g. 16000)")
    filename = AUDIO_FILES[name]
    path = data_path(filename)
    try:
        x, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except Exception as exc:
        raise DataFileError(f"data file {filename!r} is unreadable ({exc}); "
                            + _fix_hint(filename)) from exc
    if x.ndim > 1:
        x = x.mean(axis=1)
    if seconds is not None:
        x = x[: max(1, int(round(seconds * sr)))]
    if rate is not None:
        if rate != sr:
            x = _resample(x, sr, rate)
            sr = rate
    return np.clip(x, -1.0, 1.0).astype(np.float32), int(sr)


# ------------------------------------------------------------------------------- bunny
def load_bunny_mesh():
    """The watertight Stanford Bunny (Stanford 3D Scanning Repository; acknowledge it).

    About 20k triangles, genus 0, faces counter-clockwise seen from outside (so
    cross-product normals point outward).  Normalised frame: the bounding box is
    centred at the origin and scaled so max |coord| = 0.9 (all vertices lie in
    [-0.9, 0.9]^3; the longest side spans exactly [-0.9, 0.9]); z is up.

    Returns:
        (vertices float32 (V, 3), faces int64 (F, 3)) -- faces index into vertices.
    """
    d = _load_npz(MESH_FILE, ["vertices", "faces"])
    return d["vertices"].astype(np.float32), d["faces"].astype(np.int64)


def load_bunny_pointcloud(n=None, seed=0):
    """Oriented point cloud on the bunny surface (same frame as :func:`load_bunny_mesh`).

    The file holds 100000 points sampled area-uniformly on the mesh, each with the
    unit outward normal of its triangle.

    Args:
        n: None for all 100000 points; an int picks ``n`` distinct points at random
            (deterministic for a given ``seed``).
        seed: seed of the subsampling (``numpy.random.default_rng(seed)``).

    Returns:
        (points float32 (N, 3) in [-0.9, 0.9]^3, normals float32 (N, 3), unit length).
    """
    if n is not None:
        n = check_int(n, "n", 1, hint=" (the number of points to keep)")
    seed = check_int(seed, "seed")
    d = _load_npz(PCL_FILE, ["points", "normals"])
    pts, nrm = d["points"], d["normals"]
    if n is not None:
        if n > len(pts):
            raise ValueError(f"n must be between 1 and {len(pts)}, got {n}")
        idx = np.sort(np.random.default_rng(seed).choice(len(pts), n, replace=False))
        pts, nrm = pts[idx], nrm[idx]
    return np.ascontiguousarray(pts, np.float32), np.ascontiguousarray(nrm, np.float32)


def load_bunny_eval() -> dict:
    """Ground-truth samples for evaluating SDF / occupancy models of the bunny.

    Returns a dict of arrays (same frame as :func:`load_bunny_mesh`):

    * ``uniform_points`` float32 (100000, 3): uniform in [-1, 1]^3;
    * ``uniform_sdf`` float32 (100000,): signed distance to the mesh, **negative
      inside**, positive outside (SIREN / DeepSDF convention); range about
      [-0.45, 1.17];
    * ``uniform_inside`` bool (100000,): ``uniform_sdf < 0`` (about 14.6% True);
    * ``near_points`` float32 (100000, 3): surface samples plus gaussian noise with
      sigma 0.01 (rows 0..49999) and sigma 0.05 (rows 50000..99999);
    * ``near_sdf`` float32 (100000,), ``near_inside`` bool (100000,): as above;
    * ``surface_points`` float32 (30000, 3): area-uniform surface samples (for
      Chamfer distance), independent of the training point cloud;
    * ``surface_normals`` float32 (30000, 3): their unit outward normals (for
      normal consistency).
    """
    return _load_npz(EVAL_FILE, EVAL_KEYS)


def list_data() -> str:
    """A printable table of the data files listed in SHA256SUMS, their sizes and status."""
    directory = _data_dir()
    try:
        names = sorted(_read_sums(directory))
    except DataFileError as exc:
        return str(exc)
    rows = [f"data directory: {directory}"]
    total = 0
    for name in names:
        p = directory / name
        try:
            data_path(name)
            status = "ok"
        except DataFileError as exc:
            status = "MISSING" if not p.exists() else "CORRUPT"
            if "not listed" in str(exc):
                status = "UNLISTED"
        size = p.stat().st_size if p.exists() else 0
        total += size
        rows.append(f"  {name:32s} {size / 1e6:8.2f} MB  {status}")
    rows.append(f"  {'total':32s} {total / 1e6:8.2f} MB")
    rows.append("images: skimage.data " + ", ".join(IMAGE_NAMES))
    return "\n".join(rows)
