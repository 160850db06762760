"""Training end to end: test accuracy of the command's models, and a CNN epoch against PyTorch.

    .venv/bin/python benchmarks/bench_train.py [--tasks digits,fashion_mlp,fashion_cnn] [--seeds 3]
                                                [--epochs N] [--profile]

Tasks (float32, two threads for every library; data prepared exactly as `chainrule train`
does: 10 % of the training split held out for validation, standardised with the rest):

digits       the default command — LeNet-style CNN on the embedded 8×8 digits, 20 epochs,
             batch 32, Adam 2e-3 with cosine annealing; test accuracy (target ≥ 98 %) for
             each seed, and the median epoch time
fashion_mlp  MLP 784-256-128-10 on Fashion-MNIST, 10 epochs, batch 128 (target ≥ 88.5 %)
fashion_cnn  the LeNet-style CNN on Fashion-MNIST, 10 epochs, batch 128 (target ≥ 90.0 %),
             trained side by side with the same architecture, batch size, optimizer and
             schedule in PyTorch: after each chainrule epoch, one PyTorch epoch, so that slow
             phases of this shared machine hit both alike. The epoch-time ratio (target
             ≤ 1.5) is the ratio of the median epoch times.

``--profile`` runs cProfile over one digits epoch and a few hundred Fashion-MNIST CNN
batches and prints where the time goes.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time

from harness import cr, header, np, torch

from chainrule import nn
from chainrule.train import commands
from chainrule.train.preparation import prepare

SETTINGS = {
    "digits": {"data": "digits", "model": "lenet", "epochs": 20, "batch_size": 32},
    "fashion_mlp": {"data": "fashion-mnist", "model": "mlp", "epochs": 10, "batch_size": 128},
    "fashion_cnn": {"data": "fashion-mnist", "model": "lenet", "epochs": 10, "batch_size": 128},
}
TARGETS = {"digits": 0.98, "fashion_mlp": 0.885, "fashion_cnn": 0.900}


def chainrule_setup(task, seed, epochs=None):
    """The model, data and optimizer exactly as `chainrule train` builds them."""
    spec = SETTINGS[task]
    settings = {"optimizer": "adam", "lr": commands.OPTIMIZERS["adam"][1], "weight_decay": None,
                "schedule": "cosine", "epochs": epochs or spec["epochs"], "batch_size": spec["batch_size"]}
    data = prepare(spec["data"], 0.1, seed, progress=False)
    nn.manual_seed(seed)
    model = cr.train.build_model(spec["model"], data.input_shape, len(data.classes))
    train = cr.data.DataLoader(cr.data.TensorDataset(*data.train), batch_size=spec["batch_size"], shuffle=True,
                               seed=seed)
    val = cr.data.DataLoader(cr.data.TensorDataset(*data.val), batch_size=256)
    optimizer = commands._make_optimizer(settings, model.parameters())
    scheduler = commands._make_scheduler(settings, optimizer, len(train))
    return data, model, train, val, optimizer, scheduler, settings


def test_accuracy(model, data):
    logits = cr.train.predict(model, data.test[0])
    return float(np.mean(logits.argmax(axis=1) == data.test[1]))


# ----------------------------------------------------------------------------- PyTorch twin
def torch_lenet(in_channels, num_classes, image_size, channels=(16, 32), hidden=128, dropout=0.25):
    """The same network as cr.train.LeNet (same layers, sizes and PyTorch-default initialisation)."""
    tnn = torch.nn
    kernel, second_padding = 3, (1 if min(image_size) < 20 else 0)
    c1, c2 = channels
    size = [cr.train.models._lenet_size(n, kernel, second_padding) for n in image_size]
    return tnn.Sequential(
        tnn.Conv2d(in_channels, c1, kernel, padding=kernel // 2), tnn.MaxPool2d(2), tnn.BatchNorm2d(c1), tnn.ReLU(),
        tnn.Conv2d(c1, c2, kernel, padding=second_padding), tnn.MaxPool2d(2), tnn.BatchNorm2d(c2), tnn.ReLU(),
        tnn.Flatten(), tnn.Linear(c2 * size[0] * size[1], hidden), tnn.ReLU(), tnn.Dropout(dropout),
        tnn.Linear(hidden, num_classes))


class TorchTwin:
    """The PyTorch run, one epoch at a time: same batches in kind (seeded shuffles of the same
    arrays), same batch size, Adam with the same rate and cosine annealing."""

    def __init__(self, data, settings, seed):
        torch.manual_seed(seed)
        self.model = torch_lenet(data.input_shape[0], len(data.classes), data.input_shape[1:])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=settings["lr"])
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=settings["epochs"])
        self.inputs, self.labels = (torch.from_numpy(a) for a in data.train)
        self.batch_size = settings["batch_size"]
        self.rng = np.random.default_rng(seed + 1000)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.epoch_times = []

    def epoch(self):
        self.model.train()
        order = torch.from_numpy(self.rng.permutation(len(self.labels)))
        start = time.perf_counter()
        for k in range(0, len(order), self.batch_size):
            index = order[k:k + self.batch_size]
            x, y = self.inputs[index], self.labels[index]
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()
        self.epoch_times.append(time.perf_counter() - start)
        self.scheduler.step()

    def accuracy(self, inputs, labels):
        self.model.eval()
        with torch.no_grad():
            logits = torch.cat([self.model(torch.from_numpy(inputs[k:k + 1000])) for k in range(0, len(inputs), 1000)])
        return float((logits.argmax(1).numpy() == labels).mean())


class Interleave(cr.train.Callback):
    """After each chainrule epoch, one PyTorch epoch."""

    def __init__(self, twin):
        self.twin = twin

    def on_epoch_end(self, trainer, epoch, logs):
        self.twin.epoch()
        print(f"    epoch {epoch}: chainrule {logs['time']:.1f}s (val {logs['val_accuracy']:.2%}), "
              f"PyTorch {self.twin.epoch_times[-1]:.1f}s", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- tasks
def run_task(task, seeds, epochs=None):
    rows = []
    for seed in seeds:
        data, model, train, val, optimizer, scheduler, settings = chainrule_setup(task, seed, epochs)
        callbacks, twin = [], None
        if task == "fashion_cnn" and torch is not None:
            twin = TorchTwin(data, settings, seed)
            callbacks.append(Interleave(twin))
        print(f"  {task}, seed {seed}: {cr.train.parameter_count(model):,} parameters, {len(train)} batches of "
              f"{settings['batch_size']}", file=sys.stderr, flush=True)
        history = cr.train.fit(model, nn.CrossEntropyLoss(), optimizer, train, val, epochs=settings["epochs"],
                               scheduler=scheduler, callbacks=callbacks, progress=False)
        row = {"task": task, "seed": seed, "accuracy": test_accuracy(model, data),
               "epoch_s": statistics.median(history["time"])}
        if twin is not None:
            row["torch_epoch_s"] = statistics.median(twin.epoch_times)
            row["torch_accuracy"] = twin.accuracy(*data.test)
            row["ratio"] = row["epoch_s"] / row["torch_epoch_s"]
        rows.append(row)
        print(f"  -> {format_row(row)}", file=sys.stderr, flush=True)
    return rows


def format_row(row):
    text = f"test accuracy {row['accuracy']:.2%}, epoch {row['epoch_s']:.2f}s"
    if "ratio" in row:
        text += (f"; PyTorch epoch {row['torch_epoch_s']:.2f}s (test accuracy {row['torch_accuracy']:.2%}), "
                 f"ratio {row['ratio']:.2f}")
    return text


def table(rows):
    lines = ["| task | seeds | test accuracy (median, min–max) | target | epoch (median) | PyTorch epoch | ratio |",
             "|---|---|---|---|---|---|---|"]
    for task in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == task]
        accuracies = [r["accuracy"] for r in mine]
        torch_epoch = ratio = "—"
        if "ratio" in mine[0]:
            torch_epoch = f"{statistics.median(r['torch_epoch_s'] for r in mine):.2f}s"
            ratio = f"{statistics.median(r['ratio'] for r in mine):.2f}"
        lines.append(f"| {task} | {len(mine)} | {statistics.median(accuracies):.2%} ({min(accuracies):.2%}–"
                     f"{max(accuracies):.2%}) | ≥ {TARGETS[task]:.1%} | "
                     f"{statistics.median(r['epoch_s'] for r in mine):.2f}s | {torch_epoch} | {ratio} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- profile
def _one_epoch(model, loader, optimizer, loss_fn, batches=None):
    model.train()
    for k, (x, y) in enumerate(loader):
        if batches is not None and k == batches:
            break
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def profile():
    for task, batches in (("digits", None), ("fashion_cnn", 200)):
        _, model, train, _, optimizer, _, _ = chainrule_setup(task, 0, epochs=1)
        arguments = (model, train, optimizer, nn.CrossEntropyLoss(), batches)
        _one_epoch(*arguments)                      # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        _one_epoch(*arguments)
        profiler.disable()
        print(f"\n### {task}: one {'epoch' if batches is None else f'run of {batches} batches'}\n")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="digits,fashion_mlp,fashion_cnn")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per task for digits (Fashion-MNIST: 1)")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs (for a quick look)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--threads", type=int, default=2, help="threads of every library (read before import)")
    args = parser.parse_args(argv)
    if args.profile:
        profile()
        return 0
    print(header("float32"))
    rows = []
    for task in args.tasks.split(","):
        seeds = range(args.seeds) if task == "digits" else range(1)
        rows += run_task(task, seeds, args.epochs)
    print(table(rows))
    failed = [t for t in dict.fromkeys(r["task"] for r in rows)
              if statistics.median(r["accuracy"] for r in rows if r["task"] == t) < TARGETS[t]]
    if failed:
        print(f"below target: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
