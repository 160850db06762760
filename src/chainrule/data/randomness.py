"""Seeds, generators and their saved states, shared by loaders, splits and random transforms.

Every random choice in ``cr.data`` comes from a ``numpy.random.Generator`` that the
user either passes or seeds; its state can be written to JSON and restored, which is
what lets a resumed training run see exactly the batches an uninterrupted one would.
"""
from __future__ import annotations

import numpy as np


def make_generator(seed=None, generator=None, *, owner: str) -> np.random.Generator:
    """The generator named by ``seed`` (an int, a Generator or None) or ``generator``.

    ``None`` for both gives a fresh, unpredictable generator (as in NumPy and PyTorch);
    pass a seed for results that repeat bit for bit.
    """
    if seed is not None and generator is not None:
        raise TypeError(f"{owner}: pass either seed= or generator=, not both")
    source = generator if generator is not None else seed
    if source is None or isinstance(source, np.random.Generator):
        return source if source is not None else np.random.default_rng()
    if isinstance(source, (bool, float)) or not isinstance(source, (int, np.integer)):
        raise TypeError(f"{owner}: seed must be an int or a numpy.random.Generator, "
                        f"got {type(source).__name__}")
    if source < 0:
        raise ValueError(f"{owner}: seed must be non-negative, got {source}")
    return np.random.default_rng(int(source))


def generator_state(generator: np.random.Generator) -> dict:
    """The generator's state as plain JSON-serialisable data (arrays become tagged lists)."""
    return _to_plain(generator.bit_generator.state)


def set_generator_state(generator: np.random.Generator, state: dict) -> None:
    """Restore a state from :func:`generator_state` (the bit generator's kind must match)."""
    expected = type(generator.bit_generator).__name__
    if not isinstance(state, dict) or state.get("bit_generator") != expected:
        found = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"cannot restore a {found} generator state into a {expected} generator")
    generator.bit_generator.state = _from_plain(state)


def _to_plain(value):
    if isinstance(value, dict):
        return {key: _to_plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.integer):
        return int(value)
    return value


def _from_plain(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {key: _from_plain(item) for key, item in value.items()}
    return value
