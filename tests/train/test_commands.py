"""``chainrule train``, ``evaluate`` and ``predict`` end to end, and their errors."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.train import commands

SOURCE = Path(cr.__file__).parents[1]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """Two epochs of the default command (LeNet on the embedded digits): a few seconds."""
    out = tmp_path_factory.mktemp("runs")
    status = main(["train", "--epochs", "2", "--out", str(out), "--quiet"])
    assert status == 0
    return out / "digits-lenet"


def test_train_writes_the_report_pictures_and_checkpoint(digits_run, capsys):
    names = sorted(p.name for p in digits_run.iterdir())
    assert names == ["checkpoints", "confusion.png", "curves.png", "metrics.json", "samples.png"]
    for picture in ("confusion.png", "curves.png", "samples.png"):
        assert (digits_run / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((digits_run / "metrics.json").read_text())
    assert metrics["data"] == "digits" and metrics["model"] == "lenet" and metrics["epochs"] == 2
    assert metrics["test_accuracy"] == metrics["test"]["accuracy"] >= 0.85
    test = metrics["test"]
    confusion = np.array(test["confusion_matrix"])
    assert confusion.shape == (10, 10) and confusion.sum() == test["samples"] == 360
    assert np.trace(confusion) / confusion.sum() == pytest.approx(test["accuracy"])
    assert sum(c["support"] for c in test["per_class"].values()) == 360
    assert [r["epoch"] for r in metrics["history"]] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"} <= set(metrics["history"][0])
    checkpoint = cr.train.load_checkpoint(digits_run)
    assert checkpoint.epoch == 2 and str(checkpoint.path) == metrics["checkpoint"]
    assert checkpoint.config["classes"] == [str(d) for d in range(10)]


def test_evaluate_reproduces_the_test_accuracy(digits_run, capsys):
    metrics = json.loads((digits_run / "metrics.json").read_text())
    assert main(["evaluate", str(digits_run), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] == metrics["test_accuracy"]
    assert report["confusion_matrix"] == metrics["test"]["confusion_matrix"]
    assert main(["evaluate", str(digits_run / "checkpoints" / "epoch-0002"), "--split", "train"]) == 0
    out = capsys.readouterr().out
    assert "digits train: 1437 samples" in out and "macro F1" in out


def _png_of(image, path, upscale=4):
    """An 8×8 digit (light on dark, in [0, 1]) as a dark-on-light PNG, 4× larger: how a user's scan looks."""
    import matplotlib.image
    big = np.kron(image, np.ones((upscale, upscale)))
    matplotlib.image.imsave(path, 1.0 - big, cmap="gray", vmin=0.0, vmax=1.0)


def test_predict_png_and_npy_agree_with_the_model(digits_run, tmp_path, capsys):
    checkpoint = cr.train.load_checkpoint(digits_run)
    model = cr.train.build_model("lenet", checkpoint.config["input_shape"], 10)
    model.load_state_dict(checkpoint.model_state)
    test = cr.data.digits("test")
    from chainrule.train.preparation import normalize
    logits = cr.train.predict(model, normalize(test.images, checkpoint.config["normalization"]))
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    confident = np.flatnonzero(probabilities.max(1) > 0.95)[:3]
    paths = []
    for k in confident:
        paths.append(tmp_path / f"digit{k}.png")
        _png_of(test.images[k, 0], paths[-1])
    np.save(tmp_path / "counts.npy", (test.images[confident[0], 0] * 16).round().astype(np.int64))
    paths.append(tmp_path / "counts.npy")
    assert main(["predict", str(digits_run), *map(str, paths), "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(paths)
    expected = list(logits[confident].argmax(1)) + [logits[confident[0]].argmax()]
    for line, path, label in zip(lines, paths, expected):
        assert line.startswith(str(path))
        first = line[len(str(path)):].split()[0]
        assert first == str(label), line
        assert line.count("(p = ") == 2


def test_unknown_names_list_the_valid_ones(capsys):
    for option, value, listed in (("--data", "mnist", "digits, fashion-mnist, moons"),
                                  ("--model", "resnet", "lenet, mlp, linear"),
                                  ("--optimizer", "adamm", "sgd, adam, adamw")):
        with pytest.raises(SystemExit) as exit_:
            main(["train", option, value])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert f"unknown {option[2:]}" in err and repr(value) in err and listed in err


@pytest.mark.parametrize("option, value, message", [
    ("--batch-size", "0", "the batch size must be positive"),
    ("--batch-size", "-4", "the batch size must be positive"),
    ("--lr", "0", "the learning rate must be positive"),
    ("--lr", "-0.1", "the learning rate must be positive"),
    ("--lr", "nan", "the learning rate must be positive"),
    ("--epochs", "two", "the number of epochs must be a whole number"),
])
def test_non_positive_sizes_and_rates_are_refused(option, value, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", option, value])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_an_output_directory_that_cannot_be_written(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["train", "--out", str(blocker / "runs"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cannot write to the output directory" in err and str(blocker) in err


def test_corrupt_data_files_are_named_with_their_checksums(tmp_path, monkeypatch, capsys):
    # a damaged copy found first on the search path (CHAINRULE_DATA comes first)
    import gzip
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x03" + b"\0" * 20))
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    assert main(["train", "--data", "fashion-mnist", "--out", str(tmp_path / "runs"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err and "c59f468a2f672dc8" in err      # the expected SHA-256


def test_damaged_checkpoints_and_missing_files(digits_run, tmp_path, capsys):
    import shutil
    copy = tmp_path / "run"
    shutil.copytree(digits_run, copy)
    newest = cr.train.list_checkpoints(copy / "checkpoints")[-1]
    data = bytearray((newest / "model.safetensors").read_bytes())
    data[100] ^= 1
    (newest / "model.safetensors").write_bytes(bytes(data))
    assert main(["evaluate", str(newest)]) == 1
    err = capsys.readouterr().err
    assert "model.safetensors: corrupt" in err and "SHA-256" in err
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 1
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["predict", str(digits_run), str(tmp_path / "absent.png")]) == 1
    assert "absent.png: no such image file" in capsys.readouterr().err


def test_resume_keeps_the_runs_settings(digits_run, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out", str(digits_run.parent), "--resume", "--lr", "0.5", "--quiet"])
    assert exit_.value.code == 2
    assert "a resumed run keeps its settings" in capsys.readouterr().err


def test_ctrl_c_says_how_to_resume(tmp_path, monkeypatch, capsys):
    checkpoint = tmp_path / "runs" / "blobs-mlp" / "checkpoints" / "epoch-0003"

    def interrupted_fit(*args, **kwargs):
        raise cr.train.TrainingInterrupted("interrupted", checkpoint, 3)
    monkeypatch.setattr(commands, "fit", interrupted_fit)
    status = main(["train", "--data", "blobs", "--out", str(tmp_path / "runs"), "--quiet"])
    assert status == 130
    err = capsys.readouterr().err
    assert f"last complete checkpoint is {checkpoint} (epoch 3)" in err
    assert f"chainrule train --out {tmp_path / 'runs'} --name blobs-mlp --resume" in err


def test_a_killed_command_resumes_to_the_same_model(tmp_path):
    """`chainrule train` killed with SIGKILL, then `--resume`: the same weights as a run never stopped."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))
    base = [sys.executable, "-m", "chainrule", "train", "--data", "moons", "--epochs", "6", "--batch-size", "8",
            "--quiet"]
    subprocess.run(base + ["--out", str(tmp_path / "a")], env=env, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(base + ["--out", str(tmp_path / "b")], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "b" / "moons-mlp" / "checkpoints"
    deadline = time.monotonic() + 60
    while not (checkpoints / "epoch-0002").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "the run finished before it could be killed"
    assert cr.train.list_checkpoints(checkpoints)[-1].name < "epoch-0006"
    resumed = subprocess.run(base + ["--out", str(tmp_path / "b"), "--resume"], check=False, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    final_a = cr.load(tmp_path / "a" / "moons-mlp" / "checkpoints" / "epoch-0006" / "model.safetensors")
    final_b = cr.load(checkpoints / "epoch-0006" / "model.safetensors")
    for name in final_a:
        assert np.array_equal(final_a[name].numpy(), final_b[name].numpy()), name
    metrics_a = json.loads((tmp_path / "a" / "moons-mlp" / "metrics.json").read_text())
    metrics_b = json.loads((tmp_path / "b" / "moons-mlp" / "metrics.json").read_text())
    assert metrics_a["test"] == metrics_b["test"]


def test_a_real_ctrl_c_leaves_a_valid_checkpoint_and_the_resume_command(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-m", "chainrule", "train", "--out", str(tmp_path), "--quiet"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    checkpoints = tmp_path / "digits-lenet" / "checkpoints"
    deadline = time.monotonic() + 60
    # Wait for a second complete epoch, by name: only the newest two checkpoints are kept,
    # so any particular directory is there for a short while only.
    while (not [p for p in cr.train.list_checkpoints(checkpoints) if p.name >= "epoch-0002"]
           and process.poll() is None and time.monotonic() < deadline):
        time.sleep(0.005)
    assert process.poll() is None, "the run finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    newest = cr.train.list_checkpoints(checkpoints)[-1]
    assert cr.train.load_checkpoint(newest).epoch >= 2                      # complete and verified
    assert f"The last complete checkpoint is {newest}" in err
    assert f"chainrule train --out {tmp_path} --name digits-lenet --resume" in err
