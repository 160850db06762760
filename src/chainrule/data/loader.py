"""The DataLoader: a dataset, cut into batches, in a seeded random order each epoch.

Each ``for batch in loader`` is one epoch: with ``shuffle=True`` the loader draws a fresh
permutation of the sample indices from its generator, then yields consecutive slices of
``batch_size`` indices, each gathered in one step (``dataset.get_batch``). Every sample is
seen exactly once per epoch (the last, short batch is dropped with ``drop_last=True``).

Reproducibility: the same seed gives the same sequence of epochs, run after run. The
loader's position — epoch, batches already yielded, generator states (its own and those of
any random transforms it applies) — is :meth:`DataLoader.state_dict`, plain JSON data;
:meth:`DataLoader.load_state_dict` on a fresh loader makes its next ``for`` loop yield
exactly the batches the saved one had left, which is what bitwise kill-and-resume needs.
"""
from __future__ import annotations

import numbers

import numpy as np

from .dataset import fetch_batch
from .randomness import generator_state, make_generator, set_generator_state
from .transforms import random_transforms

_STATE_VERSION = 1


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Parameters
    ----------
    dataset : Dataset
        Map-style (``__len__``, ``__getitem__``); with ``get_batch`` a batch is gathered
        in one step, otherwise sample by sample through ``collate_fn``.
    batch_size : int, default 1
        Samples per batch (positive).
    shuffle : bool, default False
        A new random order every epoch (else the dataset's order).
    drop_last : bool, default False
        Drop the last batch when it is shorter than ``batch_size``.
    seed : int or numpy.random.Generator, optional
        Seeds the order; ``None`` (and no ``generator``) gives an unpredictable one.
    generator : numpy.random.Generator, optional
        PyTorch's spelling of ``seed=Generator``; the loader draws from it directly. (Give
        each random transform its own seed, not the loader's generator, so that restoring
        one state cannot disturb the other.)
    collate_fn : callable, optional
        ``collate_fn(list_of_samples) -> batch``. When given, samples are fetched one by
        one with ``dataset[i]`` (PyTorch's behaviour); by default a dataset's ``get_batch``
        is used, else :func:`~chainrule.data.default_collate`.
    transform, target_transform : callable, optional
        Applied to the inputs (element 0) and targets (element 1) of every tuple batch, or
        ``transform`` to the whole batch when it is a single tensor. See
        :mod:`chainrule.data.transforms`.

    Examples
    --------
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    >>> for epoch in range(3):
    ...     for inputs, labels in loader:     # a new permutation each epoch
    ...         ...
    >>> state = loader.state_dict()           # JSON-serialisable; restore with load_state_dict
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed=None, *, generator=None, collate_fn=None, transform=None, target_transform=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must define __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.transform = transform
        self.target_transform = target_transform
        self.generator = make_generator(seed, generator, owner="DataLoader")
        self.epoch = 0                      # epochs started so far
        self._batches_done = 0              # batches yielded in the current epoch
        self._epoch_start = generator_state(self.generator)
        self._resume_at = None              # set by load_state_dict for a mid-epoch resume

    def __len__(self) -> int:
        """Batches per epoch: ⌈n / b⌉, or ⌊n / b⌋ with ``drop_last``."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        # The epoch's order is fixed here, eagerly, so that state_dict() right after iter()
        # already describes the epoch that has begun.
        if self._resume_at is not None:
            start, self._resume_at = self._resume_at, None
        else:
            start = 0
            self.epoch += 1
            self._epoch_start = generator_state(self.generator)
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        self._batches_done = start
        return self._batches(order, start)

    def _batches(self, order, start):
        size = self.batch_size
        for k in range(start, len(self)):
            indices = order[k * size:(k + 1) * size]
            if self.collate_fn is None:
                batch = fetch_batch(self.dataset, indices)
            else:
                batch = self.collate_fn([self.dataset[int(i)] for i in indices])
            batch = self._transformed(batch)
            self._batches_done = k + 1
            yield batch

    def _transformed(self, batch):
        if self.transform is None and self.target_transform is None:
            return batch
        if isinstance(batch, (tuple, list)):
            parts = list(batch)
            if self.transform is not None:
                parts[0] = self.transform(parts[0])
            if self.target_transform is not None and len(parts) > 1:
                parts[1] = self.target_transform(parts[1])
            return type(batch)(*parts) if hasattr(batch, "_fields") else type(batch)(parts)
        if isinstance(batch, dict):
            raise TypeError("DataLoader: transform= applies to element 0 of tuple batches (or to a "
                            "single-tensor batch); for dict batches attach the transform to the "
                            "dataset or use collate_fn")
        if self.transform is not None:
            batch = self.transform(batch)
        return batch

    # -- saving and restoring the position -----------------------------------------
    def state_dict(self) -> dict:
        """Where the loader is: epoch, batches yielded, generator states (JSON-serialisable).

        Saved mid-epoch, it records the generator as it was when the epoch's permutation
        was drawn, so that a restored loader redraws the same permutation and skips the
        batches already yielded.
        """
        in_progress = self.epoch > 0 and self._batches_done < len(self)
        return {
            "version": _STATE_VERSION,
            "epoch": self.epoch,
            "batches_done": self._batches_done,
            "in_progress": in_progress,
            "num_samples": len(self.dataset),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "epoch_start_generator": self._epoch_start,
            "generator": generator_state(self.generator),
            "transforms": [t.state_dict() for t in random_transforms(self)],
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from a :meth:`state_dict`: the next ``for`` loop resumes where it stopped.

        Raises
        ------
        ValueError
            The state was saved by a loader over a different number of samples, with a
            different batch size or shuffle setting, or with other random transforms —
            its batches could not be reproduced.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError("DataLoader.load_state_dict: not a DataLoader state (missing or unknown "
                             "'version')")
        for key, current in (("num_samples", len(self.dataset)), ("batch_size", self.batch_size),
                             ("shuffle", self.shuffle)):
            if state[key] != current:
                raise ValueError(f"DataLoader.load_state_dict: the state was saved with {key}="
                                 f"{state[key]!r}, this loader has {key}={current!r}; its batches "
                                 f"cannot be reproduced")
        transforms = random_transforms(self)
        if len(state["transforms"]) != len(transforms):
            raise ValueError(f"DataLoader.load_state_dict: the state holds {len(state['transforms'])} "
                             f"random-transform states, this loader has {len(transforms)} random "
                             f"transforms")
        for transform, transform_state in zip(transforms, state["transforms"]):
            transform.load_state_dict(transform_state)
        self.epoch = int(state["epoch"])
        self._batches_done = int(state["batches_done"])
        self._epoch_start = state["epoch_start_generator"]
        if state["in_progress"]:
            # Rewind to the epoch's start; the next __iter__ redraws its permutation.
            set_generator_state(self.generator, state["epoch_start_generator"])
            self._resume_at = self._batches_done
        else:
            set_generator_state(self.generator, state["generator"])
            self._resume_at = None

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")


__all__ = ["DataLoader"]
