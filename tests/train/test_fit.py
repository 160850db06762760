"""The training loop: reaching a target, validation, history, callbacks, clipping, schedulers, Ctrl-C."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.train import EarlyStopping, History, TrainingInterrupted, fit


def _moons(n=1000, noise=0.15, seed=0):
    X, y = cr.data.make_moons(n, noise=noise, random_state=seed)
    cut = int(0.8 * n)
    train = cr.data.DataLoader(cr.data.TensorDataset(X[:cut], y[:cut]), batch_size=32, shuffle=True, seed=seed)
    test = cr.data.DataLoader(cr.data.TensorDataset(X[cut:], y[cut:]), batch_size=200)
    return train, test


def _mlp(seed=0):
    cr.nn.manual_seed(seed)
    return cr.train.MLP(2, 2, hidden=(32, 32))


def test_fit_reaches_its_target_on_moons():
    train, test = _moons()
    model = _mlp()
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, test, epochs=15, progress=False,
                  metrics=("accuracy", "f1", "log_loss"))
    assert len(history) == 15
    assert history["val_accuracy"][-1] >= 0.97
    assert history["loss"][-1] < history["loss"][0] / 3
    result = cr.train.evaluate(model, test, nn.CrossEntropyLoss())
    assert result["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert result["loss"] == pytest.approx(history["val_loss"][-1])
    # the training loss is the mean of the batch losses, so it equals the log loss of the epoch's outputs
    assert history["loss"][-1] == pytest.approx(history["log_loss"][-1], rel=1e-5)


def test_history_records_and_api():
    train, test = _moons(200)
    model = _mlp()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, test, epochs=3, scheduler=scheduler,
                  progress=False)
    assert isinstance(history, History)
    assert history.keys() == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    assert history["epoch"] == [1, 2, 3]
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])          # the rate used in each epoch
    assert history.best("val_loss")["val_loss"] == min(history["val_loss"])
    assert history.best("val_accuracy")["val_accuracy"] == max(history["val_accuracy"])
    assert all(t >= 0 for t in history["time"])
    with pytest.raises(KeyError, match="no quantity 'val_f1'"):
        history["val_f1"]


def test_fit_matches_a_hand_written_loop():
    """fit adds nothing to the arithmetic: the same seeds give bitwise the same weights."""
    train, _ = _moons(200)
    model = _mlp(3)
    fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), train, epochs=2,
        progress=False)
    train_again, _ = _moons(200)
    reference = _mlp(3)
    optimizer = cr.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(2):
        for x, y in train_again:
            optimizer.zero_grad()
            loss_fn(reference(x), y).backward()
            optimizer.step()
    for (name, a), (_, b) in zip(model.state_dict().items(), reference.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), name


def test_early_stopping_rule():
    stopper = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.01)

    class Trainer:
        stop_training = False
    trainer = Trainer()
    # 1.0 best; 0.995 is within min_delta (no improvement); 0.98 improves; then two epochs without
    for epoch, value in enumerate([1.0, 0.995, 0.98, 0.975, 0.99], start=1):
        stopper.on_epoch_end(trainer, epoch, {"val_loss": value})
        if trainer.stop_training:
            break
    assert (stopper.best, stopper.best_epoch, stopper.stopped_epoch) == (0.98, 3, 5)
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    with pytest.raises(ValueError, match="'val_f1' is not logged.*available: loss"):
        EarlyStopping(monitor="val_f1").on_epoch_end(trainer, 1, {"epoch": 1, "loss": 0.5})


def test_early_stopping_stops_and_restores_the_best_weights():
    train, test = _moons(300)
    model = _mlp()
    snapshots = {}

    class Snapshot(cr.train.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots[epoch] = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # a learning rate far too large: the validation loss soon stops improving
    history = fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=3.0), train, test,
                  epochs=40, callbacks=[Snapshot(), stopper], progress=False)
    assert stopper.stopped_epoch == len(history) < 40
    assert stopper.best_epoch == history.best("val_loss")["epoch"]
    for name, value in model.state_dict().items():
        assert np.array_equal(value.numpy(), snapshots[stopper.best_epoch][name]), name


def test_gradient_clipping_bounds_the_step():
    train, _ = _moons(200)
    model = _mlp()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    norms = []
    step = optimizer.step

    def recording_step(closure=None):
        grads = [p.grad.numpy() for p in model.parameters()]
        norms.append(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))
        return step(closure)
    optimizer.step = recording_step
    fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=1, grad_clip=0.05, progress=False)
    assert len(norms) == len(train)
    assert max(norms) <= 0.05 * (1 + 1e-5)


def test_per_batch_and_plateau_schedulers():
    train, test = _moons(200)
    model = _mlp()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = cr.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=2, steps_per_epoch=len(train))
    fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=2, scheduler=scheduler, progress=False)
    assert scheduler.last_epoch == 2 * len(train)                       # stepped after every batch
    model = _mlp()
    optimizer = cr.optim.SGD(model.parameters(), lr=5.0)
    plateau = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, test, epochs=6, scheduler=plateau,
                  progress=False)
    assert plateau.best == min(history["val_loss"])                     # it watched the validation loss
    assert history["lr"][-1] < 5.0


def test_ctrl_c_keeps_the_last_checkpoint_and_says_how_to_resume(tmp_path):
    train, _ = _moons(200)
    model = _mlp()

    class CtrlC(cr.train.Callback):
        def on_batch_end(self, trainer, batch, loss):
            if trainer.epoch == 2 and batch == 3:
                raise KeyboardInterrupt
    with pytest.raises(TrainingInterrupted) as caught:
        fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters()), train, epochs=5,
            callbacks=[CtrlC()], checkpoint_dir=tmp_path, progress=False)
    assert isinstance(caught.value, KeyboardInterrupt)
    assert caught.value.epoch == 2 and caught.value.checkpoint == tmp_path / "epoch-0002"
    assert "during epoch 3" in str(caught.value) and "resume=True" in str(caught.value)
    assert cr.train.load_checkpoint(caught.value.checkpoint).epoch == 2


def test_ctrl_c_just_after_a_checkpoint_is_renamed_names_that_checkpoint(tmp_path, monkeypatch):
    """The interrupt lands after epoch 2's checkpoint is complete on disk but before the
    trainer has recorded it: the error must name that checkpoint, not epoch 1's."""
    from chainrule.train import trainer as trainer_module
    train, _ = _moons(200)
    model = _mlp()
    real_save = trainer_module.save_checkpoint

    def save_then_ctrl_c(directory, **kw):
        path = real_save(directory, **kw)
        if kw["epoch"] == 2:
            raise KeyboardInterrupt
        return path
    monkeypatch.setattr(trainer_module, "save_checkpoint", save_then_ctrl_c)
    with pytest.raises(TrainingInterrupted) as caught:
        fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters()), train, epochs=5,
            checkpoint_dir=tmp_path, progress=False)
    assert caught.value.checkpoint == tmp_path / "epoch-0002" and caught.value.epoch == 2
    assert "during epoch 3" in str(caught.value)


def test_progress_bar_and_epoch_lines_go_to_stderr(capsys):
    train, test = _moons(200)
    model = _mlp()
    fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters()), train, test, epochs=2)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "epoch 2/2" in captured.err and "val_accuracy" in captured.err


def test_regression_targets_get_regression_metrics():
    X, y = cr.data.make_regression_line(200, random_state=0)
    loader = cr.data.DataLoader(cr.data.TensorDataset(X, y[:, None]), batch_size=20, shuffle=True, seed=0)
    cr.nn.manual_seed(0)
    model = nn.Linear(1, 1)
    history = fit(model, nn.MSELoss(), cr.optim.SGD(model.parameters(), lr=0.1), loader, epochs=20,
                  metrics=("mse", "r2"), progress=False)
    assert history["r2"][-1] > 0.9
    assert history["mse"][-1] == pytest.approx(history["loss"][-1], rel=0.2)


def test_bad_arguments():
    train, _ = _moons(100)
    model = _mlp()
    optimizer = cr.optim.Adam(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        fit(model, loss_fn, optimizer, train, epochs=0)
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        fit(model, loss_fn, optimizer, train, resume=True)
    with pytest.raises(ValueError, match="unknown metric 'precison'"):
        fit(model, loss_fn, optimizer, train, metrics=("precison",))
    with pytest.raises(ValueError, match="grad_clip must be positive"):
        fit(model, loss_fn, optimizer, train, grad_clip=0)
    with pytest.raises(TypeError, match="optimizer must be a cr.optim optimizer"):
        fit(model, loss_fn, "adam", train)
    with pytest.raises(TypeError, match="each batch must be a pair"):
        fit(model, loss_fn, optimizer, [cr.randn(4, 2)], progress=False)
