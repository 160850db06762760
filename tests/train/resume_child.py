"""A small training run for the kill-and-resume tests, run as a subprocess.

    python resume_child.py CHECKPOINT_DIR OUTPUT.npz [--resume] [--checkpoint-every N]
                           [--stall-at EPOCH:BATCH MARKER]

Everything random is in play: a shuffled loader with a random transform, dropout drawing
from cr.nn's default generator, batch normalisation buffers, Adam's moments, a cosine
schedule and early stopping that keeps the best weights. With ``--stall-at`` the run
writes MARKER after that batch and then sleeps, so that the parent can SIGKILL it mid-epoch.
The final weights are written to OUTPUT.npz.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn


class Stall(cr.train.Callback):
    def __init__(self, epoch, batch, marker):
        self.epoch, self.batch, self.marker = epoch, batch, Path(marker)
        self.current = 0

    def on_epoch_begin(self, trainer, epoch):
        self.current = epoch

    def on_batch_end(self, trainer, batch, loss):
        if (trainer.epoch + 1, batch) == (self.epoch, self.batch):
            self.marker.write_text("stalled")
            time.sleep(120)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint_dir")
    parser.add_argument("output")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--checkpoint-every", type=int, default=None)
    parser.add_argument("--stall-at", nargs=2, default=None)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)

    X, y = cr.data.make_moons(400, noise=0.25, random_state=0)
    cr.nn.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
    train = cr.data.DataLoader(cr.data.TensorDataset(X[:320], y[:320]), batch_size=16, shuffle=True, seed=3,
                               transform=cr.data.RandomHorizontalFlip(0.1, seed=4))
    val = cr.data.DataLoader(cr.data.TensorDataset(X[320:], y[320:]), batch_size=40)
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    scheduler = cr.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    callbacks = [cr.train.EarlyStopping(patience=100, restore_best_weights=True)]
    if args.stall_at is not None:
        epoch, batch = (int(v) for v in args.stall_at[0].split(":"))
        callbacks.append(Stall(epoch, batch, args.stall_at[1]))
    elif args.resume:
        callbacks.append(cr.train.Callback())        # the same number of callbacks as the stalled run
    history = cr.train.fit(model, nn.CrossEntropyLoss(), optimizer, train, val, epochs=args.epochs,
                           scheduler=scheduler, callbacks=callbacks, checkpoint_dir=args.checkpoint_dir,
                           checkpoint_every=args.checkpoint_every, resume=args.resume, progress=False,
                           metrics=("accuracy", "f1"))
    arrays = {name: t.numpy() for name, t in model.state_dict().items()}
    arrays["history_val_loss"] = np.array(history["val_loss"])
    arrays["history_loss"] = np.array(history["loss"])
    np.savez(args.output, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
