"""helpers: the one small package every notebook of the INR course imports.

One concept per module. The core, used across the course (most of it re-exported here as `H.*`):
  runtime   device (CUDA > MPS > CPU), seeds, run profile (quick / standard / full)      all notebooks
  checks    bad input -> one sentence: what was wrong, what was expected, the fix        (every module)
  coords    grids in [-1, 1]^d, flatten / to_grid, uniform sampling                       01, 03-09
  models    Siren, SineLayer, MLP (ReLU, tanh), positional encoding, Fourier features     01, 03-09 (SIREN: 04)
  diffops   ∇ₓΦ, ΔΦ, divergence, Jacobian (autograd), SIREN's closed form, on a grid     01, 03-05, 08, 09
  fitting   fit (Adam, schedules, batches, history, failed-fit checks), chunked evaluate  all notebooks
  metrics   PSNR / SSIM with explicit data range, IoU, Chamfer, normals, correlation      all notebooks
  signals   finite differences of sampled signals, spectra and spectrograms (dB), band errors  01, 03-05, 07, 08
  surfaces  a 3D field on a grid in bounded memory, marching squares / cubes, surface samples  01-03, 09
  plots     image grids, curves, spectra, audio players, shaded meshes, widgets           all notebooks
  data      loaders for the course data in data/, with SHA-256 checks                     all notebooks
The modules of one notebook each (imported by name, e.g. `from helpers import video`):
  representations 01 · shapes, onet, mise 02 · image_fit 03, 05, 08 · init_analysis 04 · video 06 ·
  audio 07 · poisson 08 · sdf 09 · zoo 11 · bench (the benchmark, `python -m helpers.bench`)
  meta 10 (set encoder, hypernetwork, modulations, batched SIREN, Reptile, the glyph data)
"""
from .checks import (
    as_float_tensor,
    check_finite,
    check_image,
    check_int,
    check_last_dim,
    check_nonempty,
    check_positive,
)
from .coords import flatten, grid, sample_uniform, to_grid
from .data import (
    DATA_DIR,
    DataFileError,
    data_path,
    load_audio,
    load_bunny_eval,
    load_bunny_mesh,
    load_bunny_pointcloud,
    load_image,
    load_video,
)
from .diffops import derivatives, divergence, gradient, jacobian, laplacian, siren_derivatives, value_and_derivatives
from .fitting import FitWarning, History, TrainingDiverged, auto_batch_size, evaluate, fit, map_chunks
from .metrics import chamfer_distance, correlation, iou, mse, normal_consistency, psnr, psnr_from_mse, ssim
from .models import (
    MLP,
    MODEL_KINDS,
    MODEL_LABELS,
    FourierFeatures,
    PositionalEncoding,
    SineLayer,
    Siren,
    count_parameters,
    encoding_for_grid,
    make_model,
    width_for_params,
)
from .plots import (
    explore,
    log_slider,
    plot_histories,
    plot_mesh,
    plot_spectra,
    show_audio,
    show_images,
    show_meshes,
    show_meshes_3d,
    show_points,
    to_numpy,
)
from .runtime import PROFILES, Runtime, by_profile, get_device, seed_everything, select_profile, setup
from .signals import decibels, spectrogram, spectrum
from .surfaces import evaluate_grid, extract_mesh, face_normals, grid_to_mesh, sample_surface

__version__ = "0.1.0"
