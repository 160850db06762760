r"""The training loop: :func:`fit` a model, :func:`evaluate` it, :func:`predict` with it.

One epoch of :func:`fit` is, for each batch :math:`(x, y)` of the training loader,

.. math:: \theta \leftarrow \mathrm{step}\big(\theta,\ \nabla_\theta\, \ell(f_\theta(x), y)\big)

(``zero_grad``, forward, ``backward``, optional gradient clipping, ``optimizer.step()``),
then a pass over the validation loader without gradients, a scheduler step, the
callbacks, and a checkpoint. The epoch's training metrics are computed once, from all
its outputs gathered as arrays — the loop itself does no per-sample Python work.

Resuming. With ``checkpoint_dir``, a checkpoint (see :mod:`chainrule.train.checkpoints`)
is written after every epoch (and every ``checkpoint_every`` batches): weights,
optimizer and scheduler state, callbacks, the history, and the state of every random
generator involved — the loaders' (shuffling, random transforms), ``cr.nn``'s default
generator (dropout, initialization), generators held by modules, NumPy's and Python's
global ones. ``fit(..., resume=True)`` restores the newest complete checkpoint and goes
on; because every random draw and every floating-point operation then happens in the
same order, a run that was killed (even with SIGKILL, even mid-epoch) and resumed ends
with exactly the same weights as one that never stopped (bitwise on the CPU).
"""
from __future__ import annotations

import numbers
import sys
import time
from pathlib import Path

import numpy as np

from ..autodiff import no_grad
from ..nn import init as nn_init
from ..nn.module import Module
from ..nn.utils import clip_grad_norm_
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from .callbacks import Callback
from .checkpoints import latest_checkpoint, remove_temporary, save_checkpoint
from .history import History
from .metrics import output_metric
from .randomness import generator_states, set_generator_states

_PROGRESS_INTERVAL = 0.2          # seconds between progress-bar refreshes


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`fit`. ``checkpoint`` is the last complete checkpoint (or None)."""

    def __init__(self, message: str, checkpoint: Path | None, epoch: int):
        super().__init__(message)
        self.checkpoint = checkpoint
        self.epoch = epoch

    def __str__(self) -> str:
        return self.args[0]


# ----------------------------------------------------------------------------- batches
def _split_batch(batch, where: str):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise TypeError(f"{where}: each batch must be a pair (inputs, targets), got "
                    f"{type(batch).__name__}{' of length ' + str(len(batch)) if hasattr(batch, '__len__') else ''}")


def _array(value) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)


def _is_classification(targets: np.ndarray) -> bool:
    return targets.dtype.kind in "iub"


def _correct(outputs: np.ndarray, targets: np.ndarray) -> int:
    """Correct predictions in a batch (for the progress bar): one arg-max, one comparison."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return int(np.count_nonzero(outputs.argmax(axis=1) == targets))
    return int(np.count_nonzero((outputs.reshape(-1) > 0) == (targets.reshape(-1) > 0)))


def _metric_values(metrics, targets, outputs, prefix="") -> dict:
    return {prefix + name: float(fn(targets, outputs)) for name, fn in metrics}


def _resolve_metrics(metrics, classification: bool) -> list:
    if metrics is None:
        metrics = ("accuracy",) if classification else ("mae",)
    resolved = []
    for metric in metrics:
        name = metric if isinstance(metric, str) else getattr(metric, "__name__", type(metric).__name__)
        resolved.append((name.lower() if isinstance(metric, str) else name, output_metric(metric)))
    return resolved


# ----------------------------------------------------------------------------- evaluation
def predict(model: Module, inputs, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for ``inputs`` (an array or tensor, ``N×...``, or a loader of
    ``(inputs, targets)`` batches), in evaluation mode and without gradients, as one
    NumPy array."""
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with no_grad():
            if hasattr(inputs, "__iter__") and not isinstance(inputs, (np.ndarray, Tensor)):
                for batch in inputs:
                    x, _ = _split_batch(batch, "predict")
                    outputs.append(_array(model(x)))
            else:
                data = _array(inputs)
                for start in range(0, data.shape[0], batch_size):
                    outputs.append(_array(model(Tensor(data[start:start + batch_size]))))
    finally:
        model.train(was_training)
    return np.concatenate(outputs) if outputs else np.empty((0,))


def _outputs_over(model: Module, loader, loss_fn, where: str):
    """Mean loss (None without ``loss_fn``), outputs and targets over a loader, in
    evaluation mode and without gradients."""
    was_training = model.training
    model.eval()
    outputs, targets, loss_sum, seen = [], [], 0.0, 0
    try:
        with no_grad():
            for batch in loader:
                x, y = _split_batch(batch, where)
                out = model(x)
                y_array = _array(y)
                if loss_fn is not None:
                    loss_sum += float(_array(loss_fn(out, y))) * y_array.shape[0]
                seen += y_array.shape[0]
                outputs.append(_array(out))
                targets.append(y_array)
    finally:
        model.train(was_training)
    if not seen:
        raise ValueError(f"{where}: the loader yielded no samples")
    loss = None if loss_fn is None else loss_sum / seen
    return loss, np.concatenate(outputs), np.concatenate(targets)


def evaluate(model: Module, loader, loss_fn=None, metrics=None) -> dict:
    """Loss and metrics of ``model`` over ``loader`` (evaluation mode, no gradients).

    Returns ``{"loss": ..., metric name: ..., "outputs": N×... array, "targets": N array}``;
    the loss (present when ``loss_fn`` is given) is the mean over samples, batch losses
    weighted by batch size. ``metrics`` as in :func:`fit`.
    """
    loss, outputs, targets = _outputs_over(model, loader, loss_fn, "evaluate")
    result = {} if loss is None else {"loss": loss}
    result.update(_metric_values(_resolve_metrics(metrics, _is_classification(targets)), targets, outputs))
    result["outputs"], result["targets"] = outputs, targets
    return result


# ----------------------------------------------------------------------------- the trainer
class Trainer:
    """The state of one :func:`fit` call; callbacks receive it (``trainer.model``,
    ``trainer.optimizer``, ``trainer.history``, ``trainer.epoch``, ``trainer.stop_training``)."""

    def __init__(self, model, loss_fn, optimizer, train_loader, val_loader, *, epochs, scheduler, metrics,
                 callbacks, checkpoint_dir, grad_clip, progress, checkpoint_every, keep_checkpoints,
                 scheduler_interval, config):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_loader, self.val_loader = train_loader, val_loader
        self.epochs, self.scheduler, self.metrics_spec = epochs, scheduler, metrics
        self.callbacks = list(callbacks)
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.grad_clip, self.progress = grad_clip, progress
        self.checkpoint_every, self.keep_checkpoints = checkpoint_every, keep_checkpoints
        self.scheduler_interval = scheduler_interval
        self.config = config
        self.history = History()
        self.epoch = 0                      # complete epochs
        self.stop_training = False
        self.last_checkpoint = None
        self._in_progress = None            # accumulators of a partly done epoch (mid-epoch resume)
        self._metrics = None                # (name, function) pairs, resolved from the first epoch's targets
        self._lr_at_start = None

    # -- checkpoints ---------------------------------------------------------------------
    def _loader_states(self) -> dict:
        return {name: loader.state_dict() for name, loader in
                (("train", self.train_loader), ("val", self.val_loader))
                if loader is not None and hasattr(loader, "state_dict")}

    def save(self, batches_done: int = 0, in_progress=None) -> None:
        if self.checkpoint_dir is None:
            return
        tree = {"scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
                "callbacks": [c.state_dict() for c in self.callbacks],
                "in_progress": in_progress}
        state = {"config": self.config, "history": self.history.records, "stopped": self.stop_training,
                 "loaders": self._loader_states(), "generators": generator_states(self.model)}
        self.last_checkpoint = save_checkpoint(
            self.checkpoint_dir, epoch=self.epoch, batches_done=batches_done,
            model_state=self.model.state_dict(), optimizer_state=self.optimizer.state_dict(),
            trainer_tree=tree, state=state, keep=self.keep_checkpoints)

    def restore(self, report) -> bool:
        """Load the newest complete checkpoint; False when there is none."""
        checkpoint = latest_checkpoint(self.checkpoint_dir, report=report)
        if checkpoint is None:
            return False
        tree, state = checkpoint.trainer_tree, checkpoint.state
        if (tree["scheduler"] is None) != (self.scheduler is None):
            raise ValueError(f"fit: {checkpoint.path} was saved {'without' if tree['scheduler'] is None else 'with'} "
                             f"a scheduler; resume with the same training setup")
        if len(tree["callbacks"]) != len(self.callbacks):
            raise ValueError(f"fit: {checkpoint.path} holds the state of {len(tree['callbacks'])} callbacks, "
                             f"this run has {len(self.callbacks)}; resume with the same callbacks")
        self.model.load_state_dict(checkpoint.model_state)
        self.optimizer.load_state_dict(checkpoint.optimizer_state)
        if self.scheduler is not None:
            self.scheduler.load_state_dict(tree["scheduler"])
        for callback, callback_state in zip(self.callbacks, tree["callbacks"]):
            callback.load_state_dict(callback_state)
        loaders = state["loaders"]
        for name, loader in (("train", self.train_loader), ("val", self.val_loader)):
            if name in loaders and loader is not None and hasattr(loader, "load_state_dict"):
                loader.load_state_dict(loaders[name])
        set_generator_states(self.model, state["generators"])
        self.history = History(state["history"])
        self.epoch, self.stop_training = checkpoint.epoch, bool(state["stopped"])
        self._in_progress = tree["in_progress"]
        self.last_checkpoint = checkpoint.path
        return True

    # -- one epoch -----------------------------------------------------------------------
    def _train_epoch(self, epoch: int) -> dict:
        model, optimizer, loader = self.model, self.optimizer, self.train_loader
        model.train()
        resumed, self._in_progress = self._in_progress, None
        if resumed is None:
            batches_done, loss_sum, seen, correct, elapsed = 0, 0.0, 0, 0, 0.0
            outputs, targets = [], []
        else:
            batches_done, loss_sum, seen = resumed["batches_done"], resumed["loss_sum"], resumed["seen"]
            correct, elapsed = resumed["correct"], resumed["elapsed"]
            outputs, targets = [resumed["outputs"]], [resumed["targets"]]
        per_batch_schedule = self.scheduler is not None and self.scheduler_interval == "batch"
        bar = self._bar(len(loader), batches_done, f"epoch {epoch}/{self.epochs}")
        start = time.perf_counter()
        last_refresh, classification = start, None
        try:
            for batch in loader:
                inputs, y = _split_batch(batch, "fit")
                optimizer.zero_grad()
                out = model(inputs)
                loss = self.loss_fn(out, y)
                loss.backward()
                if self.grad_clip is not None:
                    clip_grad_norm_(model.parameters(), self.grad_clip)
                optimizer.step()
                if per_batch_schedule:
                    self.scheduler.step()
                out_array, y_array = _array(out), _array(y)
                loss_value = float(_array(loss))
                count = y_array.shape[0]
                loss_sum += loss_value * count
                seen += count
                if classification is None:
                    classification = _is_classification(y_array)
                if classification:
                    correct += _correct(out_array, y_array)
                outputs.append(out_array)
                targets.append(y_array)
                batches_done += 1
                for callback in self.callbacks:
                    callback.on_batch_end(self, batches_done, loss_value)
                if bar is not None:
                    bar.update(1)
                    now = time.perf_counter()
                    if now - last_refresh >= _PROGRESS_INTERVAL:
                        last_refresh = now
                        rate = (seen - (resumed["seen"] if resumed else 0)) / max(now - start, 1e-9)
                        shown = {"loss": f"{loss_sum / seen:.4f}"}
                        if classification:
                            shown["acc"] = f"{correct / seen:.2%}"
                        shown["samples/s"] = f"{rate:,.0f}"
                        bar.set_postfix(shown, refresh=False)
                if (self.checkpoint_every and batches_done % self.checkpoint_every == 0
                        and batches_done < len(loader)):
                    progress = {"lr": self._lr_at_start, "batches_done": batches_done, "loss_sum": loss_sum,
                                "seen": seen, "correct": correct,
                                "elapsed": elapsed + time.perf_counter() - start,
                                "outputs": np.concatenate(outputs), "targets": np.concatenate(targets)}
                    outputs, targets = [progress["outputs"]], [progress["targets"]]
                    self.save(batches_done, progress)
        finally:
            if bar is not None:
                bar.close()
        if not seen:
            raise ValueError("fit: the training loader yielded no batches")
        outputs, targets = np.concatenate(outputs), np.concatenate(targets)
        if self._metrics is None:
            self._metrics = _resolve_metrics(self.metrics_spec, _is_classification(targets))
        record = {"loss": loss_sum / seen}
        record.update(_metric_values(self._metrics, targets, outputs))
        record["time"] = elapsed + time.perf_counter() - start
        return record

    def _bar(self, total, initial, description):
        if not self.progress:
            return None
        from tqdm.auto import tqdm
        return tqdm(total=total, initial=initial, desc=description, unit="batch", file=sys.stderr,
                    leave=False, dynamic_ncols=True)

    def _validate(self) -> dict:
        loss, outputs, targets = _outputs_over(self.model, self.val_loader, self.loss_fn, "fit (validation)")
        return {"val_loss": loss, **_metric_values(self._metrics, targets, outputs, prefix="val_")}

    def _step_scheduler(self, record: dict) -> None:
        if self.scheduler is None or self.scheduler_interval != "epoch":
            return
        from ..optim.lr_scheduler import ReduceLROnPlateau
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(record.get("val_loss", record["loss"]))
        else:
            self.scheduler.step()

    def _print_epoch(self, record: dict) -> None:
        if not self.progress:
            return
        parts = [f"epoch {record['epoch']}/{self.epochs}"]
        for key, value in record.items():
            if key in ("epoch", "lr", "time"):
                continue
            shown = f"{value:.2%}" if "accuracy" in key else f"{value:.4f}"
            parts.append(f"{key} {shown}")
        parts.append(f"lr {record['lr']:.3g}")
        parts.append(f"{record['time']:.1f}s")
        from tqdm.auto import tqdm
        tqdm.write("  ".join(parts), file=sys.stderr)

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> History:
        for callback in self.callbacks:
            callback.on_train_begin(self)
        try:
            while self.epoch < self.epochs and not self.stop_training:
                epoch = self.epoch + 1
                lr = float(self.optimizer.param_groups[0]["lr"])
                if self._in_progress is None:
                    for callback in self.callbacks:
                        callback.on_epoch_begin(self, epoch)
                else:
                    lr = float(self._in_progress.get("lr", lr))
                self._lr_at_start = lr
                record = {"epoch": epoch}
                record.update(self._train_epoch(epoch))
                if self.val_loader is not None:
                    record.update(self._validate())
                record["lr"] = lr
                record["time"] = record.pop("time")
                self._step_scheduler(record)
                self.epoch = epoch
                self.history.records.append(record)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, epoch, record)
                self._print_epoch(record)
                self.save()
        except KeyboardInterrupt:
            # Ctrl-C can land inside save(), after the checkpoint's atomic rename but before
            # last_checkpoint is updated (or after self.epoch moved on but before the rename):
            # the newest complete checkpoint on disk is the truth.
            newest = None if self.checkpoint_dir is None else latest_checkpoint(self.checkpoint_dir)
            if newest is not None:
                self.last_checkpoint, self.epoch = newest.path, newest.epoch
            raise TrainingInterrupted(self._interrupted_message(), self.last_checkpoint, self.epoch) from None
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _interrupted_message(self) -> str:
        where = f"during epoch {self.epoch + 1}"
        if self.last_checkpoint is None:
            return f"training interrupted {where}; no checkpoint was written (pass checkpoint_dir= to keep one)"
        return (f"training interrupted {where}; the last complete checkpoint is {self.last_checkpoint} — "
                f"resume from it with fit(..., resume=True)")


def _positive_int(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    return int(value)


def fit(model: Module, loss_fn, optimizer: Optimizer, train_loader, val_loader=None, *, epochs: int = 10,
        scheduler=None, metrics=None, callbacks=(), checkpoint_dir=None, seed: int | None = None,
        grad_clip: float | None = None, resume: bool = False, progress: bool = True,
        checkpoint_every: int | None = None, keep_checkpoints: int = 2, scheduler_interval: str = "auto",
        config: dict | None = None) -> History:
    """Train ``model`` on ``train_loader`` for ``epochs`` epochs; return the :class:`History`.

    Parameters
    ----------
    model : cr.nn.Module
    loss_fn : callable
        ``loss_fn(outputs, targets)`` → a scalar tensor, the batch mean (e.g.
        ``cr.nn.CrossEntropyLoss()``).
    optimizer : cr.optim.Optimizer
        Over the model's parameters.
    train_loader, val_loader : DataLoader
        Batches ``(inputs, targets)``; the validation loader (optional) is evaluated
        after every epoch, giving ``val_loss`` and ``val_*`` metrics.
    epochs : int
        The total number of epochs (a resumed run counts the epochs already done).
    scheduler : LRScheduler, optional
        Stepped after every epoch (``ReduceLROnPlateau`` with ``val_loss``, or ``loss``
        without validation), or after every batch (``scheduler_interval="batch"``; the
        default ``"auto"`` does so for ``OneCycleLR``).
    metrics : sequence of str or callable, optional
        Computed from each epoch's outputs (see :func:`chainrule.train.metrics.output_metric`);
        default ``("accuracy",)`` for integer targets, ``("mae",)`` otherwise.
    callbacks : sequence of Callback
        e.g. :class:`~chainrule.train.EarlyStopping`.
    checkpoint_dir : path, optional
        Where to write a checkpoint after every epoch (the newest ``keep_checkpoints`` are
        kept), and every ``checkpoint_every`` batches within an epoch when given.
    seed : int, optional
        Reseeds ``cr.nn``'s default generator (dropout masks) at the start of a fresh run.
        (Seed the loaders and the model's initialization yourself.)
    grad_clip : float, optional
        Rescale the gradients so that their joint 2-norm is at most this
        (:func:`cr.nn.utils.clip_grad_norm_`).
    resume : bool, default False
        Continue from the newest complete checkpoint in ``checkpoint_dir`` (from scratch
        when there is none). Damaged checkpoints are reported and skipped, never loaded.
    progress : bool, default True
        A progress bar (loss, running accuracy, samples/s) and a line per epoch on stderr.
    config : dict, optional
        JSON data stored in every checkpoint (what the ``chainrule`` command needs to
        rebuild the model).

    Raises
    ------
    TrainingInterrupted
        (a KeyboardInterrupt) on Ctrl-C; its message names the last complete checkpoint.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be a cr.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be a cr.optim optimizer, got {type(optimizer).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable, got {type(loss_fn).__name__}")
    for name, loader in (("train_loader", train_loader), ("val_loader", val_loader)):
        if loader is not None and not (hasattr(loader, "__iter__") and hasattr(loader, "__len__")):
            raise TypeError(f"fit: {name} must be a DataLoader (iterable with a length), got {type(loader).__name__}")
    epochs = _positive_int(epochs, "epochs")
    checkpoint_every = _positive_int(checkpoint_every, "checkpoint_every", allow_none=True)
    keep_checkpoints = _positive_int(keep_checkpoints, "keep_checkpoints")
    if grad_clip is not None and not float(grad_clip) > 0:
        raise ValueError(f"fit: grad_clip must be positive, got {grad_clip!r}")
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(f"fit: callbacks must be Callback instances, got {type(callback).__name__}")
    if scheduler_interval not in ("auto", "epoch", "batch"):
        raise ValueError(f"fit: scheduler_interval must be 'auto', 'epoch' or 'batch', got {scheduler_interval!r}")
    if scheduler_interval == "auto":
        from ..optim.lr_scheduler import OneCycleLR
        scheduler_interval = "batch" if isinstance(scheduler, OneCycleLR) else "epoch"
    if resume and checkpoint_dir is None:
        raise ValueError("fit: resume=True needs checkpoint_dir, the directory holding the checkpoints")
    if metrics is not None:
        for metric in metrics:
            output_metric(metric)              # an unknown name fails now, not after an epoch
    trainer = Trainer(model, loss_fn, optimizer, train_loader, val_loader, epochs=epochs, scheduler=scheduler,
                      metrics=metrics, callbacks=callbacks, checkpoint_dir=checkpoint_dir,
                      grad_clip=None if grad_clip is None else float(grad_clip), progress=progress,
                      checkpoint_every=checkpoint_every, keep_checkpoints=keep_checkpoints,
                      scheduler_interval=scheduler_interval, config=config)
    if checkpoint_dir is not None:
        Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        remove_temporary(checkpoint_dir)
    restored = resume and trainer.restore(report=_warn)
    if not restored and seed is not None:
        nn_init.manual_seed(seed)
    return trainer.run()


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


__all__ = ["History", "Trainer", "TrainingInterrupted", "evaluate", "fit", "predict"]
