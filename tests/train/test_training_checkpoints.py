"""Checkpoints: exact round trips, atomic writes, and damaged files detected, never loaded."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.train import checkpoints as C
from chainrule.serialization import write_atomic
from chainrule.train.checkpoints import CheckpointError


def _small_run():
    cr.nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    x, y = cr.randn(8, 3, seed=1), cr.tensor(np.array([0, 1, 0, 1, 1, 0, 0, 1]))
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(3):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return model, optimizer, (x, y, loss_fn)


def _save(directory, model, optimizer, epoch=1, **kwargs):
    return C.save_checkpoint(directory, epoch=epoch, model_state=model.state_dict(),
                             optimizer_state=optimizer.state_dict(), trainer_tree=kwargs.pop("tree", None),
                             state=kwargs.pop("state", {"history": []}), **kwargs)


def test_tree_round_trip_is_exact():
    tree = {"state": {0: {"step": 3, "exp_avg": cr.tensor([1.5, -2.0]), "mu": np.float32(0.1)}},
            "param_groups": [{"betas": (0.9, 0.999), "lr": 0.1, "params": [0, 1], "none": None,
                              "best": math.inf, "flag": True, "name": "x"}],
            "array": np.arange(6, dtype=np.int64).reshape(2, 3), 2.5: "float key"}
    structure, arrays = C.encode_tree(tree)
    back = C.decode_tree(json.loads(json.dumps(structure)), arrays)
    assert set(back) == set(tree)
    inner = back["state"][0]
    assert inner["step"] == 3 and type(inner["step"]) is int
    assert isinstance(inner["exp_avg"], cr.Tensor) and inner["exp_avg"].numpy().tolist() == [1.5, -2.0]
    assert inner["mu"] == np.float32(0.1) and inner["mu"].dtype == np.float32
    group = back["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and isinstance(group["betas"], tuple)
    assert group["best"] == math.inf and group["none"] is None and group["flag"] is True
    np.testing.assert_array_equal(back["array"], tree["array"])
    assert back[2.5] == "float key"


def test_tree_refuses_what_it_cannot_store():
    with pytest.raises(TypeError, match="cannot store a function at /callback"):
        C.encode_tree({"callback": lambda: 0})


def test_checkpoint_round_trip_continues_identically(tmp_path):
    model, optimizer, (x, y, loss_fn) = _small_run()
    path = _save(tmp_path, model, optimizer, epoch=3, state={"history": [{"epoch": 3, "loss": 0.125}]},
                 tree={"scheduler": {"last_epoch": 3}, "weights": cr.tensor([1.0, 2.0])})
    assert path.name == "epoch-0003"
    checkpoint = C.load_checkpoint(path)
    assert checkpoint.epoch == 3 and checkpoint.batches_done == 0
    assert checkpoint.state["history"] == [{"epoch": 3, "loss": 0.125}]
    assert checkpoint.trainer_tree["scheduler"] == {"last_epoch": 3}
    # a fresh model and optimizer loaded from the checkpoint take the same next step
    cr.nn.manual_seed(99)
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    other_optimizer = cr.optim.Adam(other.parameters(), lr=0.5)
    other.load_state_dict(checkpoint.model_state)
    other_optimizer.load_state_dict(checkpoint.optimizer_state)
    for m, opt in ((model, optimizer), (other, other_optimizer)):
        opt.zero_grad()
        loss_fn(m(x), y).backward()
        opt.step()
    for (name, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    # the model file is a plain safetensors state_dict that cr.load reads
    assert set(cr.load(path / C.MODEL_FILE)) == set(model.state_dict())


def _damaged(tmp_path, damage):
    model, optimizer, _ = _small_run()
    path = _save(tmp_path, model, optimizer)
    damage(path)
    return path


def test_corrupt_file_is_named_with_both_digests(tmp_path):
    def flip_a_byte(path):
        data = bytearray((path / C.MODEL_FILE).read_bytes())
        data[-3] ^= 0xFF
        (path / C.MODEL_FILE).write_bytes(bytes(data))
    path = _damaged(tmp_path, flip_a_byte)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: corrupt — SHA-256 [0-9a-f]{64}, the manifest "
                                              r"says [0-9a-f]{64}"):
        C.load_checkpoint(path)


def test_truncated_file_is_named(tmp_path):
    def truncate(path):
        data = (path / C.OPTIMIZER_FILE).read_bytes()
        (path / C.OPTIMIZER_FILE).write_bytes(data[:len(data) // 2])
    path = _damaged(tmp_path, truncate)
    with pytest.raises(CheckpointError, match=r"optimizer\.safetensors: \d+ bytes, the manifest says \d+ "
                                              r"\(truncated"):
        C.load_checkpoint(path)


def test_missing_manifest_or_file(tmp_path):
    path = _damaged(tmp_path / "a", lambda p: (p / C.MANIFEST_FILE).unlink())
    with pytest.raises(CheckpointError, match=r"manifest\.json: missing — the checkpoint is incomplete"):
        C.load_checkpoint(path)
    path = _damaged(tmp_path / "b", lambda p: (p / C.STATE_FILE).unlink())
    with pytest.raises(CheckpointError, match=r"state\.json: missing from the checkpoint"):
        C.load_checkpoint(path)
    path = _damaged(tmp_path / "c", lambda p: (p / C.MANIFEST_FILE).write_text("{not json"))
    with pytest.raises(CheckpointError, match=r"manifest\.json: not a chainrule checkpoint manifest"):
        C.load_checkpoint(path)


def test_latest_checkpoint_skips_and_reports_damaged_ones(tmp_path):
    model, optimizer, _ = _small_run()
    _save(tmp_path, model, optimizer, epoch=1)
    newest = _save(tmp_path, model, optimizer, epoch=2)
    (newest / C.TRAINER_FILE).write_bytes(b"garbage")
    reports = []
    checkpoint = C.latest_checkpoint(tmp_path, report=reports.append)
    assert checkpoint.epoch == 1
    assert len(reports) == 1 and "epoch-0002" in reports[0] and "trainer.safetensors" in reports[0]
    assert C.latest_checkpoint(tmp_path / "nothing-here") is None


def test_an_interrupted_write_leaves_no_checkpoint(tmp_path, monkeypatch):
    model, optimizer, _ = _small_run()
    _save(tmp_path, model, optimizer, epoch=1)
    calls = []

    def failing_write(path, contents):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        path.write_bytes(contents)
    monkeypatch.setattr(C, "_write_synced", failing_write)
    with pytest.raises(OSError, match="disk full"):
        _save(tmp_path, model, optimizer, epoch=2)
    assert [p.name for p in C.list_checkpoints(tmp_path)] == ["epoch-0001"]
    assert [p.name for p in tmp_path.iterdir()] == ["epoch-0001"]      # the temporary directory is gone


def test_leftover_temporary_directories_are_never_read(tmp_path):
    model, optimizer, _ = _small_run()
    _save(tmp_path, model, optimizer, epoch=1)
    partial = tmp_path / ".tmp-epoch-0002.abc"       # what a SIGKILL during a write leaves
    partial.mkdir()
    (partial / C.MODEL_FILE).write_bytes(b"half")
    assert C.latest_checkpoint(tmp_path).epoch == 1
    C.remove_temporary(tmp_path)
    assert not partial.exists()


def test_keep_prunes_old_checkpoints_and_names_order(tmp_path):
    model, optimizer, _ = _small_run()
    for epoch, batches in ((1, 0), (1, 5), (2, 0), (10, 0)):
        C.save_checkpoint(tmp_path, epoch=epoch, batches_done=batches, model_state=model.state_dict(),
                          optimizer_state=optimizer.state_dict(), state={}, keep=3)
    assert [p.name for p in C.list_checkpoints(tmp_path)] == ["epoch-0001.batch-000005", "epoch-0002",
                                                             "epoch-0010"]


def test_resolve_run_directory_and_files(tmp_path):
    model, optimizer, _ = _small_run()
    path = _save(tmp_path / "run" / "checkpoints", model, optimizer, epoch=4)
    assert C.resolve_checkpoint(tmp_path / "run") == path
    assert C.resolve_checkpoint(path / C.MODEL_FILE) == path
    with pytest.raises(CheckpointError, match="no checkpoint found"):
        C.resolve_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no such file"):
        C.resolve_checkpoint(tmp_path / "absent")


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "metrics.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
