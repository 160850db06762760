r"""Data for the ``chainrule`` commands: the named datasets as normalised arrays, split, and
image files read into a model's input.

Normalisation is the usual standardisation with statistics of the *training* split only
(so nothing of the test set leaks into training): per channel for images,
:math:`x' = (x - \mu_c) / \sigma_c` over all pixels of channel :math:`c`, per feature for
points. The statistics are stored in every checkpoint, so that ``evaluate`` and
``predict`` feed the model exactly what it was trained on.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import data as crdata
from ..data.files import DataFileError

TRAIN_DATASETS = ("digits", "fashion-mnist", "moons", "circles", "spirals", "blobs")
IMAGE_DATASETS = ("digits", "fashion-mnist")

# How the synthetic point clouds are drawn for training (1,000 points each, seed 0, the
# first 800 for training and the last 200 for testing — see cr.data.load_dataset).
SYNTHETIC_OPTIONS = {
    "moons": {"noise": 0.2},
    "circles": {"noise": 0.1, "factor": 0.5},
    "spirals": {"noise": 0.05, "n_classes": 3, "turns": 1.25},
    "blobs": {"centers": 4, "cluster_std": 2.0},
}


def dataset_name(name: str) -> str:
    """The canonical name (``fashion_mnist`` → ``fashion-mnist``); ValueError listing the valid ones."""
    key = str(name).lower().replace("_", "-")
    if key not in TRAIN_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid datasets are {', '.join(TRAIN_DATASETS)}")
    return key


def load_split(name: str, split: str, progress: bool = True):
    """``(inputs, labels, classes)`` of a split: float32 arrays (images ``N×C×H×W`` in
    [0, 1]), int64 labels, class names."""
    name = dataset_name(name)
    options = dict(SYNTHETIC_OPTIONS.get(name, {}))
    if name == "fashion-mnist":
        options["progress"] = progress
    dataset = crdata.load_dataset(name, split, **options)
    if isinstance(dataset, crdata.ImageDataset):
        return dataset.images, dataset.labels, tuple(dataset.classes)
    inputs, labels = (t.numpy() for t in dataset.tensors)
    classes = tuple(str(c) for c in range(int(labels.max()) + 1))
    return inputs.astype(np.float32), labels.astype(np.int64), classes


def normalization_of(inputs: np.ndarray) -> dict:
    """Per-channel (images) or per-feature (points) mean and standard deviation."""
    axes = (0, 2, 3) if inputs.ndim == 4 else (0,)
    # Two passes over blocks of samples, accumulating in float64: no float64 copy of the
    # whole data set (Fashion-MNIST's would be 376 MB), and no loss of precision.
    count = inputs.size // inputs.shape[1]
    blocks = range(0, inputs.shape[0], 4096)
    mean = sum(inputs[k:k + 4096].sum(axis=axes, dtype=np.float64) for k in blocks) / count
    shape = (1, -1, 1, 1) if inputs.ndim == 4 else (1, -1)
    squares = sum(((inputs[k:k + 4096] - mean.reshape(shape)) ** 2).sum(axis=axes) for k in blocks)
    std = np.sqrt(squares / count)
    std = np.where(std > 1e-8, std, 1.0)          # a constant channel is only shifted
    return {"mean": mean.tolist(), "std": std.tolist()}


def normalize(inputs: np.ndarray, normalization: dict) -> np.ndarray:
    """``(x - mean) / std`` with the stored statistics, in float32."""
    mean = np.asarray(normalization["mean"], dtype=np.float32)
    std = np.asarray(normalization["std"], dtype=np.float32)
    if inputs.ndim == 4:
        mean, std = mean[:, None, None], std[:, None, None]
    return ((inputs - mean) / std).astype(np.float32)


@dataclass
class PreparedData:
    """A dataset ready for training: normalised splits, raw test inputs for pictures."""

    name: str
    train: tuple
    val: tuple | None
    test: tuple
    raw_test_inputs: np.ndarray
    classes: tuple
    normalization: dict

    @property
    def input_shape(self) -> tuple:
        return tuple(self.train[0].shape[1:])

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3


def prepare(name: str, val_fraction: float = 0.1, seed: int = 0, progress: bool = True) -> PreparedData:
    """Load ``name``, hold out ``val_fraction`` of the training split (a seeded random
    choice) for validation, and normalise everything with the remaining training data's
    statistics."""
    inputs, labels, classes = load_split(name, "train", progress)
    test_inputs, test_labels, _ = load_split(name, "test", progress)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_val = round(val_fraction * len(labels))
    val_index, train_index = np.sort(order[:n_val]), np.sort(order[n_val:])
    train_inputs = inputs[train_index]
    normalization = normalization_of(train_inputs)
    train = (normalize(train_inputs, normalization), labels[train_index])
    val = (normalize(inputs[val_index], normalization), labels[val_index]) if n_val else None
    test = (normalize(test_inputs, normalization), test_labels)
    return PreparedData(dataset_name(name), train, val, test, test_inputs, classes, normalization)


# ----------------------------------------------------------------------------- image files
def _area_matrix(size_in: int, size_out: int) -> np.ndarray:
    r"""The ``size_out × size_in`` matrix of area resampling: output pixel :math:`i` covers
    input positions :math:`[i\,n/m, (i+1)\,n/m)` and averages the input pixels weighted by
    their overlap with it (a box filter, exact for integer shrink factors)."""
    edges = np.arange(size_out + 1) * (size_in / size_out)
    pixel = np.arange(size_in)
    overlap = np.clip(np.minimum(edges[1:, None], pixel + 1) - np.maximum(edges[:-1, None], pixel), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D image by area resampling: ``R_h · image · R_wᵀ`` (two matrix products)."""
    return _area_matrix(image.shape[0], height) @ image @ _area_matrix(image.shape[1], width).T


def read_image(path) -> np.ndarray:
    """A grayscale image in [0, 1] from a PNG (matplotlib's ``imread``) or a ``.npy`` array.

    Colour is converted with the ITU-R 601 luma weights; a transparent background is
    taken as white. Arrays: ``uint8`` is divided by 255; other arrays whose maximum
    exceeds 1 are divided by their maximum (the 0–16 counts of the UCI digits, say).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    if path.suffix.lower() == ".npy":
        try:
            image = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataFileError(f"{path}: not a readable .npy array ({exc})") from None
        if image.dtype == np.uint8:
            image = image / 255.0
        else:
            image = image.astype(np.float64)
            if image.size and image.max() > 1:
                image = image / image.max()
    else:
        from matplotlib.image import imread
        try:
            pixels = imread(path)
        except Exception as exc:  # noqa: BLE001  (matplotlib/Pillow raise many kinds)
            raise DataFileError(f"{path}: cannot read the image ({exc}); give a PNG or a .npy array") from None
        # PNGs come as floats in [0, 1]; other formats (through Pillow) as 8-bit integers
        image = pixels / 255.0 if pixels.dtype.kind in "iu" else np.asarray(pixels, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        rgb, alpha = image[..., :3], image[..., 3:] if image.shape[-1] == 4 else None
        image = rgb @ np.array([0.299, 0.587, 0.114])
        if alpha is not None:
            image = alpha[..., 0] * image + (1 - alpha[..., 0])        # over a white background
    if image.ndim != 2:
        raise DataFileError(f"{path}: expected a grayscale or colour image, got an array of shape {image.shape}")
    return image


def image_input(path, input_shape, normalization: dict, invert: str = "auto") -> np.ndarray:
    """An image file as one normalised model input ``1×C×H×W``.

    The training images show bright strokes on a dark ground; a scan or drawing usually
    shows dark ink on white. ``invert="auto"`` inverts when the image's border is mostly
    bright (mean > 0.5); ``"yes"``/``"no"`` force it.
    """
    channels, height, width = input_shape
    image = read_image(path)
    if invert not in ("auto", "yes", "no"):
        raise ValueError(f"invert must be 'auto', 'yes' or 'no', got {invert!r}")
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    if invert == "yes" or (invert == "auto" and border.mean() > 0.5):
        image = 1.0 - image
    resized = np.clip(resize(image, height, width), 0.0, 1.0).astype(np.float32)
    batch = np.broadcast_to(resized, (1, channels, height, width))
    return normalize(np.ascontiguousarray(batch), normalization)


def point_inputs(path, input_shape, normalization: dict) -> np.ndarray:
    """Points from a ``.npy`` file (one of shape ``(features,)`` or many ``N×features``), normalised."""
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise ValueError(f"{path}: a model trained on points predicts from .npy arrays of shape "
                         f"({input_shape[0]},) or N×{input_shape[0]}")
    try:
        points = np.load(path, allow_pickle=False).astype(np.float32)
    except (ValueError, OSError) as exc:
        raise DataFileError(f"{path}: not a readable .npy array ({exc})") from None
    points = np.atleast_2d(points)
    if points.ndim != 2 or points.shape[1:] != tuple(input_shape):
        raise ValueError(f"{path}: expected points of shape ({input_shape[0]},) or N×{input_shape[0]}, got "
                         f"{points.shape}")
    return normalize(points, normalization)


__all__ = ["IMAGE_DATASETS", "SYNTHETIC_OPTIONS", "TRAIN_DATASETS", "PreparedData", "dataset_name",
           "image_input", "load_split", "normalization_of", "normalize", "point_inputs", "prepare",
           "read_image", "resize"]
