"""``chainrule train``, ``chainrule evaluate`` and ``chainrule predict``.

``chainrule train`` with no arguments trains the LeNet-style network on the embedded 8×8
digits and writes its report to ``runs/digits-lenet/``: ``metrics.json`` (test accuracy,
per-class precision/recall/F1, confusion matrix, history), ``curves.png``,
``confusion.png``, ``samples.png`` and ``checkpoints/``. ``--resume`` continues a run
from its last complete checkpoint, ending exactly where the uninterrupted run would.

Results go to standard output, progress to standard error. Bad input (an unknown name,
a batch size or learning rate ≤ 0, missing or corrupt data or checkpoint files, an
output directory that cannot be written) is reported in one line naming what is wrong,
with a non-zero exit status: 2 for bad arguments, 1 for files, 130 after Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import nn, optim
from ..cli import number_in
from ..data import DataLoader, TensorDataset
from ..errors import ChainruleError
from .callbacks import EarlyStopping
from ..serialization import write_atomic
from .checkpoints import json_bytes, latest_checkpoint, list_checkpoints, load_checkpoint
from .metrics import confusion_matrix, log_loss_from_logits, precision_recall_fscore, top_k_accuracy
from .models import MODELS, build_model, parameter_count
from .preparation import TRAIN_DATASETS, image_input, point_inputs, prepare
from .trainer import TrainingInterrupted, fit, predict

# name: (class, learning rate by default, further options)
OPTIMIZERS = {
    "sgd": (optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True}),
    "adam": (optim.Adam, 2e-3, {}),
    "adamw": (optim.AdamW, 2e-3, {}),
    "nadam": (optim.NAdam, 2e-3, {}),
    "radam": (optim.RAdam, 2e-3, {}),
    "adamax": (optim.Adamax, 2e-3, {}),
    "rmsprop": (optim.RMSprop, 1e-3, {}),
    "adagrad": (optim.Adagrad, 1e-2, {}),
    "adadelta": (optim.Adadelta, 1.0, {}),
}
SCHEDULES = ("cosine", "onecycle", "constant")
DATA_DEFAULTS = {
    "digits": {"model": "lenet", "epochs": 20, "batch_size": 32},
    "fashion-mnist": {"model": "lenet", "epochs": 10, "batch_size": 128},
    "moons": {"model": "mlp", "epochs": 30, "batch_size": 32},
    "circles": {"model": "mlp", "epochs": 30, "batch_size": 32},
    "spirals": {"model": "mlp", "epochs": 60, "batch_size": 32},
    "blobs": {"model": "mlp", "epochs": 30, "batch_size": 32},
}
# settings a resumed run takes from its checkpoint (only --epochs may change)
RESUMED_SETTINGS = ("data", "model", "batch_size", "optimizer", "lr", "schedule", "seed", "weight_decay",
                    "val_fraction", "grad_clip", "patience")


class CommandError(ChainruleError):
    """A failure the command reports in one line (exit status 1)."""


# ----------------------------------------------------------------------------- argument types
def _choice(valid, what):
    def parse(text):
        key = str(text).lower().replace("_", "-")
        if key not in valid:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}; valid {what}s are {', '.join(valid)}")
        return key
    parse.__name__ = what
    return parse


# ----------------------------------------------------------------------------- train
def add_train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Declare the options of ``chainrule train``."""
    p = parser
    p.add_argument("--data", type=_choice(TRAIN_DATASETS, "dataset"), default=None,
                   help=f"dataset: {', '.join(TRAIN_DATASETS)} (default: digits)")
    p.add_argument("--model", type=_choice(MODELS, "model"), default=None,
                   help=f"architecture: {', '.join(MODELS)} (default: lenet for images, mlp for points)")
    p.add_argument("--epochs", type=number_in(int, "the number of epochs"), default=None,
                   help="epochs (default: 20 for digits, 10 for fashion-mnist, 30–60 for point sets)")
    p.add_argument("--batch-size", type=number_in(int, "the batch size"), default=None,
                   help="samples per batch (default: 32; 128 for fashion-mnist)")
    p.add_argument("--optimizer", type=_choice(tuple(OPTIMIZERS), "optimizer"), default=None,
                   help=f"{', '.join(OPTIMIZERS)} (default: adam)")
    p.add_argument("--lr", type=number_in(float, "the learning rate"), default=None,
                   help="learning rate (default: 0.002 for the Adam family, 0.05 for sgd with Nesterov momentum)")
    p.add_argument("--schedule", type=_choice(SCHEDULES, "schedule"), default=None,
                   help="learning-rate schedule: cosine (default), onecycle, constant")
    p.add_argument("--weight-decay", type=float, default=None, help="weight decay (default: the optimizer's)")
    p.add_argument("--seed", type=number_in(int, "the seed", 0, low_included=True), default=None,
                   help="random seed (default: 0)")
    p.add_argument("--val-fraction", type=number_in(float, "the validation fraction", 0, 1, low_included=True),
                   default=None,
                   help="part of the training split held out for validation (default: 0.1)")
    p.add_argument("--patience", type=number_in(int, "the patience"), default=None,
                   help="stop when the validation loss has not improved for this many epochs, and keep the "
                        "best weights (default: train every epoch)")
    p.add_argument("--grad-clip", type=number_in(float, "the gradient clipping norm"), default=None,
                   help="clip the gradients' joint 2-norm to this value")
    p.add_argument("--checkpoint-every", type=number_in(int, "the checkpoint interval"), default=None,
                   help="also checkpoint every N batches within an epoch (default: at the end of each epoch)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="directory of the runs (default: runs)")
    p.add_argument("--name", default=None, help="the run's name, its directory under --out (default: DATA-MODEL)")
    p.add_argument("--resume", action="store_true", help="continue the run from its last complete checkpoint")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or per-epoch lines on stderr")
    return p


def _settings(args, saved: dict | None) -> dict:
    """The run's settings: the command line over the defaults, or a resumed run's own."""
    given = {key: getattr(args, key) for key in RESUMED_SETTINGS + ("epochs",)}
    if saved is not None:
        conflicts = [f"--{key.replace('_', '-')} {given[key]} (the run has {saved.get(key)})"
                     for key in RESUMED_SETTINGS if given[key] is not None and given[key] != saved.get(key)]
        if conflicts:
            raise ValueError(f"a resumed run keeps its settings (only --epochs may change), but "
                             f"{'; '.join(conflicts)}")
        settings = {key: saved.get(key) for key in RESUMED_SETTINGS}
        settings["epochs"] = given["epochs"] or saved["epochs"]
        return settings
    data = given["data"] or "digits"
    defaults = DATA_DEFAULTS[data]
    optimizer = given["optimizer"] or "adam"
    return {"data": data, "model": given["model"] or defaults["model"],
            "epochs": given["epochs"] or defaults["epochs"],
            "batch_size": given["batch_size"] or defaults["batch_size"], "optimizer": optimizer,
            "lr": given["lr"] or OPTIMIZERS[optimizer][1], "schedule": given["schedule"] or "cosine",
            "seed": 0 if given["seed"] is None else given["seed"], "weight_decay": given["weight_decay"],
            "val_fraction": 0.1 if given["val_fraction"] is None else given["val_fraction"],
            "grad_clip": given["grad_clip"], "patience": given["patience"]}


def _writable_directory(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise CommandError(f"cannot write to the output directory {path}: {exc.strerror or exc}") from None
    return path


def _make_optimizer(settings, parameters):
    cls, _, options = OPTIMIZERS[settings["optimizer"]]
    options = dict(options)
    if settings["weight_decay"] is not None:
        options["weight_decay"] = settings["weight_decay"]
    return cls(parameters, lr=settings["lr"], **options)


def _make_scheduler(settings, optimizer, steps_per_epoch):
    if settings["schedule"] == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings["epochs"])
    if settings["schedule"] == "onecycle":
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=settings["lr"], epochs=settings["epochs"],
                                             steps_per_epoch=steps_per_epoch)
    return None


def _resume_command(args, run_dir: Path) -> str:
    return f"chainrule train --out {shlex.quote(str(args.out))} --name {shlex.quote(run_dir.name)} --resume"


def run_train(args) -> int:
    """``chainrule train``: train, test, draw, report."""
    try:
        return _train(args)
    except TrainingInterrupted as interrupted:
        print(f"\nchainrule train: interrupted during epoch {interrupted.epoch + 1}.", file=sys.stderr)
        if interrupted.checkpoint is not None:
            print(f"The last complete checkpoint is {interrupted.checkpoint} (epoch {interrupted.epoch}); "
                  f"continue with:\n  {_resume_command(args, interrupted.checkpoint.parent.parent)}",
                  file=sys.stderr)
        else:
            print("No epoch was complete, so there is no checkpoint to resume from.", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\nchainrule train: interrupted before training began.", file=sys.stderr)
        return 130
    except (ChainruleError, OSError) as exc:
        print(f"chainrule train: error: {exc}", file=sys.stderr)
        return 1


def _train(args) -> int:
    started = time.perf_counter()
    progress = not args.quiet
    saved = None
    if args.resume:
        name = args.name or f"{args.data or 'digits'}-{args.model or DATA_DEFAULTS[args.data or 'digits']['model']}"
        checkpoint = latest_checkpoint(args.out / name / "checkpoints",
                                       report=lambda message: print(f"warning: {message}", file=sys.stderr))
        if checkpoint is not None:
            saved = checkpoint.config
            if "data" not in saved:
                raise CommandError(f"{checkpoint.path} was not written by `chainrule train` (it has no run "
                                   f"settings); resume it from Python with cr.train.fit(..., resume=True)")
    settings = _settings(args, saved)
    name = args.name or f"{settings['data']}-{settings['model']}"
    run_dir = _writable_directory(args.out / name)
    checkpoint_dir = run_dir / "checkpoints"
    if args.resume and saved is None:
        print(f"note: no complete checkpoint in {checkpoint_dir}; starting from the beginning", file=sys.stderr)
    if saved is None:
        for old in list_checkpoints(checkpoint_dir):          # a fresh run must never resume an old one
            shutil.rmtree(old)

    prepared = prepare(settings["data"], settings["val_fraction"], settings["seed"], progress)
    nn.manual_seed(settings["seed"])
    model = build_model(settings["model"], prepared.input_shape, len(prepared.classes))
    train_loader = DataLoader(TensorDataset(*prepared.train), batch_size=settings["batch_size"], shuffle=True,
                              seed=settings["seed"])
    val_loader = (None if prepared.val is None else
                  DataLoader(TensorDataset(*prepared.val), batch_size=max(256, settings["batch_size"])))
    optimizer = _make_optimizer(settings, model.parameters())
    scheduler = _make_scheduler(settings, optimizer, len(train_loader))
    callbacks = []
    if settings["patience"]:
        callbacks.append(EarlyStopping("val_loss" if val_loader is not None else "loss",
                                       patience=settings["patience"], restore_best_weights=True))
    config = {**settings, "classes": list(prepared.classes), "input_shape": list(prepared.input_shape),
              "normalization": prepared.normalization, "run": name}
    if progress:
        print(f"training {settings['model']} ({parameter_count(model):,} parameters) on {settings['data']}: "
              f"{len(prepared.train[1]):,} training, {0 if prepared.val is None else len(prepared.val[1]):,} "
              f"validation, {len(prepared.test[1]):,} test samples; {settings['epochs']} epochs of "
              f"{len(train_loader)} batches", file=sys.stderr)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, val_loader, epochs=settings["epochs"],
                  scheduler=scheduler, metrics=("accuracy",), callbacks=callbacks, checkpoint_dir=checkpoint_dir,
                  grad_clip=settings["grad_clip"], resume=args.resume, progress=progress,
                  checkpoint_every=args.checkpoint_every, config=config)
    training_time = time.perf_counter() - started

    report = _test_report(model, prepared.test, prepared.classes)
    newest = list_checkpoints(checkpoint_dir)
    checkpoint_path = newest[-1] if newest else None
    pictures = _draw(run_dir, model, history.records, prepared, report, name)
    metrics = {"run": name, "data": settings["data"], "model": settings["model"],
               "parameters": parameter_count(model), "test_accuracy": report["accuracy"],
               "test": report, "epochs": len(history), "settings": settings,
               "validation": {k: v for k, v in history.records[-1].items() if k.startswith("val_")},
               "history": history.records, "training_time_s": round(training_time, 2),
               "checkpoint": None if checkpoint_path is None else str(checkpoint_path),
               "pictures": [str(p) for p in pictures],
               "command": "chainrule " + " ".join(shlex.quote(a) for a in sys.argv[1:])}
    metrics_path = run_dir / "metrics.json"
    write_atomic(metrics_path, json_bytes(metrics))
    correct = round(report["accuracy"] * report["samples"])
    print(f"test accuracy {report['accuracy']:.2%} ({correct}/{report['samples']}), loss {report['loss']:.4f}, "
          f"macro F1 {report['macro_f1']:.4f} — {settings['model']} on {settings['data']}, "
          f"{len(history)} epochs, {time.perf_counter() - started:.1f}s")
    print(f"report:     {metrics_path}")
    print(f"pictures:   {', '.join(str(p) for p in pictures)}")
    if checkpoint_path is not None:
        print(f"checkpoint: {checkpoint_path}")
    print(f"next:       chainrule evaluate {shlex.quote(str(run_dir))}")
    return 0


def _test_report(model, test, classes) -> dict:
    inputs, labels = test
    logits = predict(model, inputs)
    predicted = logits.argmax(axis=1)
    k = len(classes)
    precision, recall, f1, support = precision_recall_fscore(labels, predicted, num_classes=k, zero_division=0.0)
    report = {"samples": len(labels), "accuracy": float(np.mean(predicted == labels)),
              "loss": log_loss_from_logits(labels, logits),
              "macro_precision": float(precision.mean()), "macro_recall": float(recall.mean()),
              "macro_f1": float(f1.mean())}
    if k > 3:
        report["top3_accuracy"] = top_k_accuracy(labels, logits, k=3)
    report["per_class"] = {str(c): {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                           for c, p, r, f, s in zip(classes, precision, recall, f1, support)}
    report["confusion_matrix"] = confusion_matrix(labels, predicted, num_classes=k).tolist()
    report["_logits"] = logits
    return report


def _draw(run_dir, model, records, prepared, report, name) -> list:
    from . import plots
    logits = report.pop("_logits")
    paths = [run_dir / "curves.png", run_dir / "confusion.png", run_dir / "samples.png"]
    title = f"{name}"
    plots.plot_curves(records, paths[0], title=title)
    plots.plot_confusion(np.array(report["confusion_matrix"]), list(prepared.classes), paths[1], title="test set")
    if prepared.is_image:
        plots.plot_samples(prepared.raw_test_inputs, prepared.test[1], logits, list(prepared.classes), paths[2])
    elif prepared.input_shape == (2,):
        plots.plot_decision_regions(lambda points: predict(model, points), prepared.test[0], prepared.test[1],
                                    list(prepared.classes), paths[2], title=name)
    else:
        paths.pop()
    return paths


# ----------------------------------------------------------------------------- evaluate
def add_evaluate_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = parser
    p.add_argument("checkpoint", type=Path, metavar="CHECKPOINT",
                   help="a run directory (runs/NAME: its newest checkpoint) or a checkpoint directory")
    p.add_argument("--data", type=_choice(TRAIN_DATASETS, "dataset"), default=None,
                   help="dataset to evaluate on (default: the one the model was trained on)")
    p.add_argument("--split", choices=("test", "train"), default="test", help="which split (default: test)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return p


def _restored_model(path):
    checkpoint = load_checkpoint(path)
    config = checkpoint.config
    missing = [key for key in ("model", "input_shape", "classes", "normalization") if key not in config]
    if missing:
        raise CommandError(f"{checkpoint.path}: written by fit() without the command's configuration "
                           f"(missing {', '.join(missing)}); load it with cr.train.load_checkpoint instead")
    model = build_model(config["model"], config["input_shape"], len(config["classes"]))
    model.load_state_dict(checkpoint.model_state)
    model.eval()
    return checkpoint, config, model


def run_evaluate(args) -> int:
    """``chainrule evaluate``: a checkpoint's accuracy, loss and per-class scores on a split."""
    try:
        checkpoint, config, model = _restored_model(args.checkpoint)
        data = args.data or config["data"]
        from .preparation import load_split, normalize
        inputs, labels, classes = load_split(data, args.split, progress=True)
        if tuple(inputs.shape[1:]) != tuple(config["input_shape"]) or len(classes) != len(config["classes"]):
            raise CommandError(f"the model in {checkpoint.path} takes inputs of shape {tuple(config['input_shape'])} "
                               f"with {len(config['classes'])} classes; {data} has {tuple(inputs.shape[1:])} with "
                               f"{len(classes)} classes")
        report = _test_report(model, (normalize(inputs, config["normalization"]), labels), classes)
    except (ChainruleError, OSError) as exc:
        print(f"chainrule evaluate: error: {exc}", file=sys.stderr)
        return 1
    report.pop("_logits")
    report = {"checkpoint": str(checkpoint.path), "data": data, "split": args.split, **report}
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    correct = round(report["accuracy"] * report["samples"])
    print(f"{checkpoint.path}: {config['model']} trained {checkpoint.epoch} epochs on {config['data']}")
    print(f"{data} {args.split}: {report['samples']} samples")
    print(f"  accuracy   {report['accuracy']:.2%} ({correct}/{report['samples']})")
    print(f"  loss       {report['loss']:.4f}")
    print(f"  macro F1   {report['macro_f1']:.4f} (precision {report['macro_precision']:.4f}, recall "
          f"{report['macro_recall']:.4f})")
    width = max(len("class"), *(len(c) for c in report["per_class"]))
    print(f"  {'class':<{width}}  precision  recall     f1  support")
    for name, scores in report["per_class"].items():
        print(f"  {name:<{width}}  {scores['precision']:9.4f}  {scores['recall']:6.4f}  {scores['f1']:.4f}  "
              f"{scores['support']:7d}")
    return 0


# ----------------------------------------------------------------------------- predict
def add_predict_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = parser
    p.add_argument("checkpoint", type=Path, metavar="CHECKPOINT",
                   help="a run directory (runs/NAME) or a checkpoint directory")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE",
                   help="PNG images or .npy arrays (points, for models trained on point sets)")
    p.add_argument("--top", type=number_in(int, "the number of classes shown"), default=1, help="show the K most likely classes")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert dark-on-light images to the training data's light-on-dark (default: auto, "
                        "by the image's border)")
    return p


def run_predict(args) -> int:
    """``chainrule predict``: the class and probability of each image."""
    from .plots import softmax
    try:
        _, config, model = _restored_model(args.checkpoint)
        classes = config["classes"]
        shape = tuple(config["input_shape"])
        rows = []
        for path in args.images:
            if len(shape) == 3:
                inputs = image_input(path, shape, config["normalization"], args.invert)
            else:
                inputs = point_inputs(path, shape, config["normalization"])
            probabilities = softmax(predict(model, inputs))
            for k, row in enumerate(probabilities):
                label = str(path) if len(probabilities) == 1 else f"{path}[{k}]"
                order = np.argsort(-row, kind="stable")[:min(args.top, len(classes))]
                rows.append((label, [(classes[c], float(row[c])) for c in order]))
    except (ChainruleError, OSError) as exc:
        print(f"chainrule predict: error: {exc}", file=sys.stderr)
        return 1
    width = max(len(label) for label, _ in rows)
    for label, ranked in rows:
        shown = "  ".join(f"{name} (p = {p:.3f})" for name, p in ranked)
        print(f"{label:<{width}}  {shown}")
    return 0


__all__ = ["DATA_DEFAULTS", "OPTIMIZERS", "SCHEDULES", "add_evaluate_arguments", "add_predict_arguments",
           "add_train_arguments", "run_evaluate", "run_predict", "run_train"]
