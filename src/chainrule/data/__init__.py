"""Data: datasets, batching, transforms, and the data sets to learn from.

The pieces, named as in PyTorch's ``torch.utils.data`` and torchvision:

* :class:`Dataset` (map-style: ``__len__``, ``__getitem__``), :class:`TensorDataset`,
  :class:`Subset`, :class:`ConcatDataset`, :func:`random_split` — :mod:`.dataset`;
* :class:`DataLoader` — batches in a seeded random order each epoch, every sample once per
  epoch, a position that can be saved and restored (``state_dict``) — :mod:`.loader`;
  :func:`default_collate` — :mod:`.collate`;
* transforms applied to whole batches — :class:`Compose`, :class:`ToTensor`,
  :class:`Normalize`, :class:`RandomCrop`, :class:`RandomHorizontalFlip`, :class:`Lambda` —
  attached to a dataset (``transform=``) or to a loader (``DataLoader(..., transform=)``);
  see :mod:`.transforms`;
* datasets — :func:`digits` (embedded, offline), :func:`fashion_mnist` (IDX files found on
  disk or downloaded, SHA-256 verified), synthetic :func:`make_moons`, :func:`make_circles`,
  :func:`make_spirals`, :func:`make_blobs`, :func:`make_regression_line`, and
  :func:`load_dataset` by name — :mod:`.datasets`; the IDX reader :func:`read_idx` —
  :mod:`.files`.

A typical start::

    train = cr.data.digits("train")
    loader = cr.data.DataLoader(train, batch_size=64, shuffle=True, seed=0)
    for images, labels in loader:        # Tensors (64×1×8×8) float32 and (64,) int64
        ...
"""
from __future__ import annotations

from . import datasets, synthetic, transforms  # noqa: F401
from .collate import default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets import (DATASETS, FASHION_MNIST_CLASSES, ImageDataset, digits, fashion_mnist,
                       fashion_mnist_search_path, load_dataset)
from .files import ChecksumError, DataFileError, DataNotFoundError, download_file, read_idx
from .loader import DataLoader
from .synthetic import make_blobs, make_circles, make_moons, make_regression_line, make_spirals
from .transforms import Compose, Lambda, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor

__all__ = ["ChecksumError", "Compose", "ConcatDataset", "DATASETS", "DataFileError", "DataLoader",
           "DataNotFoundError", "Dataset", "FASHION_MNIST_CLASSES", "ImageDataset", "Lambda",
           "Normalize", "RandomCrop", "RandomHorizontalFlip", "Subset", "TensorDataset", "ToTensor",
           "default_collate", "digits", "download_file", "fashion_mnist", "fashion_mnist_search_path",
           "load_dataset", "make_blobs", "make_circles", "make_moons", "make_regression_line",
           "make_spirals", "random_split", "read_idx"]
