"""Training end to end: ``cr.train``.

* :func:`fit` — the training loop (progress bar, validation, early stopping, gradient
  clipping, schedulers, checkpoints every epoch, exact resume), :func:`evaluate`,
  :func:`predict` — :mod:`.trainer`; the returned :class:`History` — :mod:`.history`; the
  random generators a resumed run restores — :mod:`.randomness`;
* :mod:`.metrics` — accuracy, top-k accuracy, confusion matrix, precision/recall/F1,
  log loss, MSE/MAE/R², vectorised over samples, scikit-learn's conventions;
* :class:`Callback`, :class:`EarlyStopping` — :mod:`.callbacks`;
* checkpoints that are complete or absent and verified before loading —
  :func:`save_checkpoint`, :func:`load_checkpoint`, :func:`latest_checkpoint` —
  :mod:`.checkpoints`;
* the named architectures of the command line (``lenet``, ``mlp``, ``linear``) —
  :mod:`.models`; the pictures of a run — :mod:`.plots`; ``chainrule train``,
  ``evaluate`` and ``predict`` — :mod:`.commands`.

A typical run::

    model = cr.train.LeNet(1, 10, (8, 8))
    history = cr.train.fit(model, cr.nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters()),
                           train_loader, val_loader, epochs=20, checkpoint_dir="runs/x/checkpoints")
"""
from __future__ import annotations

from . import metrics
from .callbacks import Callback, EarlyStopping
from .checkpoints import (Checkpoint, CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint,
                          save_checkpoint, verify_checkpoint)
from .models import MLP, MODELS, LeNet, build_model, parameter_count
from .trainer import History, Trainer, TrainingInterrupted, evaluate, fit, predict

__all__ = ["MLP", "MODELS", "Callback", "Checkpoint", "CheckpointError", "EarlyStopping", "History", "LeNet",
           "Trainer", "TrainingInterrupted", "build_model", "evaluate", "fit", "latest_checkpoint",
           "list_checkpoints", "load_checkpoint", "metrics", "parameter_count", "predict", "save_checkpoint",
           "verify_checkpoint"]
