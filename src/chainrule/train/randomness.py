"""The random generators of a training run, and their states as JSON.

A run draws from several generators: the data loaders' (shuffling, random
transforms — they save their own state, see :meth:`chainrule.data.DataLoader.state_dict`),
``cr.nn``'s default generator (initialisation, dropout masks), generators that modules
hold themselves (``Dropout(generator=...)``), and NumPy's and Python's global ones for
user code that calls them. Saving and restoring all of them is what makes a resumed run
repeat every random draw of an uninterrupted one.
"""
from __future__ import annotations

import random

import numpy as np

from ..data.randomness import generator_state, set_generator_state
from ..nn import init as nn_init
from ..nn.module import Module


def _module_generators(model: Module):
    """(dotted name, generator) for every numpy Generator held by a module attribute."""
    for prefix, module in model.named_modules():
        for attribute, value in vars(module).items():
            if isinstance(value, np.random.Generator):
                yield f"{prefix}.{attribute}" if prefix else attribute, value


def generator_states(model: Module) -> dict:
    """The states of every random generator training may draw from (JSON-serialisable)."""
    numpy_global = np.random.get_state(legacy=False)
    numpy_global["state"] = {"key": numpy_global["state"]["key"].tolist(), "pos": numpy_global["state"]["pos"]}
    version, internal, gauss = random.getstate()
    return {"nn_default": generator_state(nn_init.default_generator()),
            "modules": {name: generator_state(g) for name, g in _module_generators(model)},
            "numpy_global": numpy_global,
            "python": [version, list(internal), gauss]}


def set_generator_states(model: Module, states: dict) -> None:
    """Restore :func:`generator_states`."""
    set_generator_state(nn_init.default_generator(), states["nn_default"])
    held = dict(_module_generators(model))
    missing = sorted(set(states["modules"]) ^ set(held))
    if missing:
        raise ValueError(f"fit: the checkpoint's model holds random generators {sorted(states['modules'])}, "
                         f"this model holds {sorted(held)}; is it the same architecture?")
    for name, state in states["modules"].items():
        set_generator_state(held[name], state)
    numpy_global = dict(states["numpy_global"])
    numpy_global["state"] = {"key": np.array(numpy_global["state"]["key"], dtype=np.uint32),
                             "pos": numpy_global["state"]["pos"]}
    np.random.set_state(numpy_global)
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))


__all__ = ["generator_states", "set_generator_states"]
