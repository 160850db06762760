r"""Callbacks: code that :func:`~chainrule.train.fit` runs at fixed points of training.

A callback subclasses :class:`Callback` and overrides the hooks it needs:

=====================================  =========================================================
``on_train_begin(trainer)``            before the first epoch (also after a resume)
``on_epoch_begin(trainer, epoch)``     before each epoch's first batch (``epoch`` counts from 1)
``on_batch_end(trainer, batch, loss)`` after each optimizer step (``loss`` a float)
``on_epoch_end(trainer, epoch, logs)`` after validation; ``logs`` holds the epoch's history
                                       record (``loss``, ``val_loss``, metrics, ``lr``, ...)
``on_train_end(trainer)``              after the last epoch, or when training stops early
=====================================  =========================================================

Setting ``trainer.stop_training = True`` ends training after the current epoch. A
callback with state (counters, the best weights so far) returns it from
:meth:`Callback.state_dict` — tensors, arrays, numbers, lists and dicts — so that it is
saved in every checkpoint and a resumed run continues with the same counters.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


class Callback:
    """Base class: every hook does nothing; ``state_dict`` is empty."""

    def on_train_begin(self, trainer) -> None:
        pass

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        pass

    def on_batch_end(self, trainer, batch: int, loss: float) -> None:
        pass

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, trainer) -> None:
        pass

    def state_dict(self) -> dict:
        """The callback's state, saved with each checkpoint."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`."""


def monitor_mode(monitor: str, mode: str = "auto") -> str:
    """``"min"`` or ``"max"``: whether smaller values of ``monitor`` are better. ``"auto"``
    takes losses and errors (names containing ``loss``, ``mse``, ``mae``) as ``"min"``,
    everything else (accuracy, F1, R²) as ``"max"``."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    lowered = monitor.lower()
    return "min" if any(word in lowered for word in ("loss", "mse", "mae", "error")) else "max"


class EarlyStopping(Callback):
    r"""Stop training when a monitored quantity has stopped improving.

    After each epoch the monitored value :math:`v` is compared with the best so far,
    :math:`b`: it is an improvement when :math:`v < b - \delta` (mode ``"min"``) or
    :math:`v > b + \delta` (mode ``"max"``), with :math:`\delta` = ``min_delta``. After
    ``patience`` epochs in a row without improvement, training stops (Keras's rule).

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch's record: ``loss``, ``val_loss``, ``val_accuracy``, ...
    min_delta : float, default 0
        The smallest change that counts as an improvement (absolute, ≥ 0).
    patience : int, default 5
        Epochs without improvement before stopping.
    mode : {"auto", "min", "max"}
        Whether smaller or larger values are better (see :func:`monitor_mode`).
    restore_best_weights : bool, default False
        At the end of training (stopped early or not), load the weights of the best epoch.
    baseline : float, optional
        The value to beat: epochs that do not improve on it count against the patience.

    Attributes
    ----------
    best, best_epoch, wait, stopped_epoch
        The best value and its epoch, the epochs since, and the epoch training stopped (0: not).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 5,
                 mode: str = "auto", restore_best_weights: bool = False, baseline: float | None = None):
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"EarlyStopping: monitor must be the name of a logged quantity, got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative integer, got {patience!r}")
        if not float(min_delta) >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be ≥ 0, got {min_delta!r}")
        self.monitor = monitor
        self.mode = monitor_mode(monitor, mode)
        self.min_delta = float(min_delta)
        self.patience = int(patience)
        self.restore_best_weights = bool(restore_best_weights)
        self.baseline = None if baseline is None else float(baseline)
        self._reset()

    def _reset(self) -> None:
        worst = math.inf if self.mode == "min" else -math.inf
        self.best = worst if self.baseline is None else self.baseline
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None

    def _improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if self.monitor not in logs:
            available = ", ".join(sorted(k for k in logs if k not in ("epoch", "time")))
            hint = " (val_* quantities need a val_loader)" if self.monitor.startswith("val_") else ""
            raise ValueError(f"EarlyStopping: the monitored quantity {self.monitor!r} is not logged{hint}; "
                             f"available: {available}")
        value = float(logs[self.monitor])
        if self._improves(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                # copies: the state_dict's tensors share memory with the model
                self.best_weights = {name: np.array(t.numpy(), copy=True)
                                     for name, t in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            trainer.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best_weights = state["best_weights"]

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, restore_best_weights={self.restore_best_weights})")


__all__ = ["Callback", "EarlyStopping", "monitor_mode"]
