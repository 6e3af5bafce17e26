"""helpers: the one small package every notebook of the INR course imports.

One concept per module:
  runtime   device (CUDA > MPS > CPU), seeds, run profile (quick / standard / full)
  coords    grids in [-1, 1]^d, flatten / to_grid, random sampling
  models    Siren, MLP (ReLU, tanh), positional encoding, Fourier features
  diffops   gradient, divergence, laplacian, jacobian (autograd)
  fitting   fit (Adam, schedules, batches, history, NaN stop), chunked evaluate
  metrics   PSNR / SSIM with explicit data range, IoU, Chamfer, normal consistency
  surfaces  grids of a 3D field in bounded memory, marching cubes, surface sampling
  plots     image grids, curves, spectra, audio players, shaded meshes, widgets
  data      loaders for the course data in data/, with SHA-256 checks
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
from .coords import flatten, grid, sample_batch, sample_uniform, to_grid
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
from .metrics import chamfer_distance, iou, mse, normal_consistency, psnr, psnr_from_mse, ssim
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
)
from .plots import (
    explore,
    plot_histories,
    plot_mesh,
    plot_spectra,
    show_audio,
    show_images,
    show_meshes,
    show_points,
    spectrum,
    to_numpy,
)
from .runtime import PROFILES, Runtime, by_profile, get_device, seed_everything, select_profile, setup
from .surfaces import evaluate_grid, extract_mesh, face_normals, grid_to_mesh, sample_surface

__version__ = "0.1.0"
