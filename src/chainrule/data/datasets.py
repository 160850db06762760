r"""Datasets: the embedded handwritten digits, Fashion-MNIST from disk or the web, synthetic sets.

Layouts (all datasets are :class:`ImageDataset`\ s or :class:`~chainrule.data.TensorDataset`\ s;
``dataset.images`` / ``dataset.labels`` give the arrays):

==================  =====================  ===================================  ==============
dataset             split sizes            images                               labels
==================  =====================  ===================================  ==============
``digits``          train 1,437, test 360  N×1×8×8 float32, pixel / 16 ∈ [0, 1]  int64, 0–9
``fashion_mnist``   train 60,000 / 10,000  N×1×28×28 float32, pixel / 255        int64, 0–9
                                           (``raw=True``: N×28×28 uint8)
==================  =====================  ===================================  ==============

**digits** — the 1,797 8×8 handwritten digits of the UCI *Optical Recognition of
Handwritten Digits* data set (E. Alpaydin, C. Kaynak, 1998; the test part ``optdigits.tes``,
32×32 bitmaps counted in 4×4 blocks, pixel values 0–16), the copy scikit-learn ships as
``sklearn.datasets.load_digits``. Licence: Creative Commons Attribution 4.0 (CC BY 4.0),
https://doi.org/10.24432/C50P49. It is embedded in this package as ``digits.npz`` (46 KB,
compressed), exported once from scikit-learn 1.9.1 with::

    d = sklearn.datasets.load_digits()
    labels = d.target.astype(np.uint8)
    rng = np.random.default_rng(0)
    test_index = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), 36, replace=False)
                                         for c in range(10)])).astype(np.uint16)
    np.savez_compressed("digits.npz", images=d.images.astype(np.uint8), labels=labels,
                        test_index=test_index)

so the split is fixed inside the file: a stratified test set of 36 images per class (360),
the other 1,437 for training, both in the original order. The file's SHA-256 is checked on
every load.

**fashion_mnist** — Zalando's Fashion-MNIST (H. Xiao, K. Rasul, R. Vollgraf, 2017; MIT
licence): 28×28 grayscale photos of 10 kinds of clothing, in the four standard IDX files
(gzip'ed or not). They are looked for, file by file, in

1. ``$CHAINRULE_DATA/fashion-mnist/`` and ``$CHAINRULE_DATA/`` (when the variable is set),
2. ``~/.cache/chainrule/fashion-mnist/`` (``$XDG_CACHE_HOME`` replaces ``~/.cache``),
3. ``/usr/share/datasets/fashion-mnist/``, where Debian's ``dataset-fashion-mnist``
   package installs them (``apt-get install dataset-fashion-mnist``);

and when absent downloaded from the official source (with a progress bar) into the first
writable of 1–2. The SHA-256 of each file's *decompressed* contents is checked on every
load (the digests match the official files and Debian's recompressed copies alike).

**synthetic** — :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`,
:func:`make_blobs`, :func:`make_regression_line` (see :mod:`chainrule.data.synthetic`).
:func:`load_dataset` makes each a dataset: ``n_samples`` points (default 1,000) drawn with
``random_state`` (default 0), the first 80 % the train split and the last 20 % the test
split.
"""
from __future__ import annotations

import functools
import importlib.resources
import io
import os
from pathlib import Path

import numpy as np

from .dataset import TensorDataset
from .files import DataFileError, DataNotFoundError, download_file, read_idx, verify_sha256
from .synthetic import make_blobs, make_circles, make_moons, make_regression_line, make_spirals

SPLITS = ("train", "test")

DIGITS_FILE = "digits.npz"
DIGITS_SHA256 = "db2740a97ee8065b24006fa332f44c314be30c2af7a0da8933fdb71d9ca1fbdf"
DIGITS_CLASSES = tuple(str(d) for d in range(10))

FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# SHA-256 of the decompressed IDX files, computed from Debian's dataset-fashion-mnist
# 0.0~git20200523.55506a9-1; the same digests are published for the official files by
# independent projects that verified them against Zalando's MD5s of the .gz archives.
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


class ImageDataset(TensorDataset):
    """Images and their class labels: a :class:`TensorDataset` of ``(images, labels)``.

    Attributes
    ----------
    images : numpy.ndarray
        The stored images, ``N×C×H×W`` (or ``N×H×W`` uint8 for raw data).
    labels : numpy.ndarray
        int64 class indices.
    classes : tuple of str
        The class names, indexed by label.
    """

    def __init__(self, images, labels, classes, *, transform=None, target_transform=None, name=""):
        super().__init__(images, labels, transform=transform, target_transform=target_transform)
        self.classes = tuple(classes)
        self.name = name

    @property
    def images(self) -> np.ndarray:
        return self._arrays[0]

    @property
    def labels(self) -> np.ndarray:
        return self._arrays[1]

    def __repr__(self) -> str:
        return (f"ImageDataset({self.name!r}, {len(self)} images of shape {self.images.shape[1:]}, "
                f"{len(self.classes)} classes)")


def _check_split(split, owner) -> str:
    if split not in SPLITS:
        raise ValueError(f"{owner}: unknown split {split!r}; valid splits are {', '.join(SPLITS)}")
    return split


# -- digits ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _digits_arrays():
    resource = importlib.resources.files(__package__) / DIGITS_FILE
    try:
        contents = resource.read_bytes()
    except (FileNotFoundError, OSError):
        raise DataNotFoundError(f"{resource}: the embedded digits file is missing from the installed "
                                f"chainrule package; reinstall chainrule") from None
    verify_sha256(contents, DIGITS_SHA256, resource)
    with np.load(io.BytesIO(contents), allow_pickle=False) as archive:
        images, labels, test_index = archive["images"], archive["labels"], archive["test_index"]
    if images.shape != (1797, 8, 8) or labels.shape != (1797,) or test_index.shape != (360,):
        raise DataFileError(f"{resource}: unexpected array shapes {images.shape}, {labels.shape}, "
                            f"{test_index.shape}")
    return images, labels, test_index


def digits(split: str = "train", *, transform=None, target_transform=None) -> ImageDataset:
    """The embedded 8×8 handwritten digits (1,437 train / 360 test), offline.

    Images are ``N×1×8×8`` float32 in [0, 1] (pixel counts 0–16 divided by 16), labels int64
    0–9. See the module documentation for the provenance, licence and split.
    """
    _check_split(split, "digits")
    images, labels, test_index = _digits_arrays()
    in_test = np.zeros(len(labels), dtype=bool)
    in_test[test_index] = True
    chosen = in_test if split == "test" else ~in_test
    pixels = images[chosen, None, :, :].astype(np.float32) / np.float32(16)
    return ImageDataset(pixels, labels[chosen].astype(np.int64), DIGITS_CLASSES, transform=transform,
                        target_transform=target_transform, name=f"digits-{split}")


# -- Fashion-MNIST -------------------------------------------------------------------
def fashion_mnist_search_path() -> list:
    """The directories searched for the Fashion-MNIST files, in order (see the module docs)."""
    directories = []
    root = os.environ.get("CHAINRULE_DATA")
    if root:
        directories += [Path(root) / "fashion-mnist", Path(root)]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    directories.append(cache / "chainrule" / "fashion-mnist")
    directories.append(DEBIAN_FASHION_MNIST_DIR)
    return directories


def _find(name: str, directories):
    for directory in directories:
        for candidate in (directory / f"{name}.gz", directory / name):
            if candidate.is_file():
                return candidate
    return None


def _download_directory(directories):
    """The first directory of the search path that can hold a download."""
    for directory in directories[:-1] if len(directories) > 1 else directories:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(directory, os.W_OK):
            return directory
    return None


def _fetch(name, directories, download, progress):
    found = _find(name, directories)
    if found is not None:
        return found
    searched = "\n  ".join(str(d) for d in directories)
    where = ("Put the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
             "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (from "
             "https://github.com/zalandoresearch/fashion-mnist) in one of these directories, "
             "set CHAINRULE_DATA to a directory holding them, or install Debian's package "
             "(apt-get install dataset-fashion-mnist).")
    if not download:
        raise DataNotFoundError(f"fashion_mnist: {name}.gz not found (download=False); searched\n  "
                                f"{searched}\n{where}")
    target = _download_directory(directories)
    if target is None:
        raise DataNotFoundError(f"fashion_mnist: {name}.gz not found and none of these directories is "
                                f"writable for a download:\n  {searched}\n{where}")
    failures = []
    for mirror in FASHION_MNIST_MIRRORS:
        url = f"{mirror}{name}.gz"
        try:
            return download_file(url, target / f"{name}.gz", FASHION_MNIST_SHA256[name],
                                 progress=progress)
        except DataFileError:
            raise                                  # a wrong checksum is an error, not a missing file
        except OSError as exc:                     # URLError, HTTPError, timeouts
            failures.append(f"{url}: {exc}")
    listed = "\n  ".join(failures)
    raise DataNotFoundError(f"fashion_mnist: {name}.gz not found, and downloading it failed (offline?):"
                            f"\n  {listed}\nsearched\n  {searched}\n{where}")


def fashion_mnist(split: str = "train", *, root=None, download: bool = True, raw: bool = False,
                  transform=None, target_transform=None, progress: bool = True) -> ImageDataset:
    """Fashion-MNIST: 60,000 train / 10,000 test 28×28 grayscale images of 10 clothing classes.

    Parameters
    ----------
    split : {"train", "test"}
        The official split.
    root : path, optional
        Look (and download) only here instead of the search path of the module docs.
    download : bool, default True
        Download missing files from the official source, SHA-256 verified.
    raw : bool, default False
        Keep the stored ``N×28×28`` uint8 pixels (then use :class:`~chainrule.data.ToTensor`);
        otherwise images are ``N×1×28×28`` float32 in [0, 1].

    Raises
    ------
    DataNotFoundError
        The files are absent and could not be downloaded; the message says where to put them.
    ChecksumError, DataFileError
        A file is corrupt or truncated; the message names it (and both checksums).
    """
    _check_split(split, "fashion_mnist")
    directories = [Path(root)] if root is not None else fashion_mnist_search_path()
    image_name, label_name = FASHION_MNIST_FILES[split]
    image_path = _fetch(image_name, directories, download, progress)
    label_path = _fetch(label_name, directories, download, progress)
    images = read_idx(image_path, sha256=FASHION_MNIST_SHA256[image_name])
    labels = read_idx(label_path, sha256=FASHION_MNIST_SHA256[label_name])
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFileError(f"{image_path}: expected N×H×W uint8 images, got shape {images.shape} "
                            f"and dtype {images.dtype}")
    if labels.shape != images.shape[:1] or labels.dtype != np.uint8 or labels.max(initial=0) > 9:
        raise DataFileError(f"{label_path}: expected {images.shape[0]} uint8 labels in 0–9 to go with "
                            f"{image_path}, got shape {labels.shape}, dtype {labels.dtype}")
    if not raw:
        images = images[:, None, :, :].astype(np.float32)
        images *= np.float32(1 / 255)
    return ImageDataset(images, labels.astype(np.int64), FASHION_MNIST_CLASSES, transform=transform,
                        target_transform=target_transform, name=f"fashion-mnist-{split}")


# -- by name ---------------------------------------------------------------------------
_SYNTHETIC = {
    "moons": make_moons,
    "circles": make_circles,
    "spirals": make_spirals,
    "blobs": make_blobs,
    "regression-line": make_regression_line,
}
DATASETS = ("digits", "fashion-mnist") + tuple(_SYNTHETIC)


def load_dataset(name: str, split: str = "train", **options):
    """The dataset called ``name`` (one of :data:`DATASETS`; ``_`` and ``-`` are alike).

    ``options`` go to :func:`digits`, :func:`fashion_mnist` or the synthetic generator; a
    synthetic set draws ``n_samples`` points (default 1,000) with ``random_state``
    (default 0) and returns the first 80 % as ``"train"`` and the rest as ``"test"``.
    """
    key = str(name).lower().replace("_", "-")
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names are {', '.join(DATASETS)}")
    _check_split(split, "load_dataset")
    if key == "digits":
        return digits(split, **options)
    if key == "fashion-mnist":
        return fashion_mnist(split, **options)
    options.setdefault("n_samples", 1000)
    options.setdefault("random_state", 0)
    X, y = _SYNTHETIC[key](**options)
    n_train = len(y) - round(0.2 * len(y))
    chosen = slice(0, n_train) if split == "train" else slice(n_train, None)
    return TensorDataset(X[chosen], y[chosen])


__all__ = ["DATASETS", "FASHION_MNIST_CLASSES", "ImageDataset", "digits", "fashion_mnist",
           "fashion_mnist_search_path", "load_dataset", "make_blobs", "make_circles", "make_moons",
           "make_regression_line", "make_spirals"]
