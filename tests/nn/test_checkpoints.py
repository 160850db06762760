"""Checkpoints: cr.save / cr.load in safetensors, atomic writes, clear errors, and loading
a PyTorch state_dict into the same chainrule architecture."""
from __future__ import annotations

import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.serialization import CheckpointError, load_metadata


def _mlp(dtype=cr.float64):
    return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.BatchNorm1d(8, dtype=dtype), nn.ReLU(),
                         nn.Linear(8, 6, dtype=dtype), nn.LayerNorm(6, dtype=dtype), nn.GELU(),
                         nn.Linear(6, 3, dtype=dtype))


def test_save_load_round_trip_gives_same_outputs(tmp_path):
    model = _mlp()
    x = cr.tensor(np.random.default_rng(0).standard_normal((5, 4)))
    model(x)                                            # running statistics move away from their start
    model.eval()
    path = tmp_path / "model.safetensors"
    cr.save(model.state_dict(), path, metadata={"epoch": "3"})
    state = cr.load(path)
    assert set(state) == set(model.state_dict())
    assert state["1.num_batches_tracked"].dtype == np.int64 and state["1.num_batches_tracked"].shape == ()
    other = _mlp().eval()
    other.load_state_dict(state)
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())
    assert load_metadata(path) == {"epoch": "3"}
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]     # no temporary file left


def test_save_replaces_atomically_and_accepts_a_module(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    cr.save({"a": cr.ones(3)}, path)
    cr.save(nn.Linear(2, 2), path)                      # a module is saved through its state_dict
    assert set(cr.load(path)) == {"weight", "bias"}
    with pytest.raises(TypeError, match="not a tensor"):
        cr.save({"a": "text"}, path)
    assert set(cr.load(path)) == {"weight", "bias"}                          # the old file survives a failure
    with pytest.raises(TypeError, match="metadata"):
        cr.save({"a": cr.ones(1)}, path, metadata={"epoch": 3})
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]


def test_corrupt_and_truncated_files_name_the_file(tmp_path):
    path = tmp_path / "good.safetensors"
    cr.save(_mlp().state_dict(), path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[:-10])
    with pytest.raises(CheckpointError, match="truncated.safetensors"):
        cr.load(truncated)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00\x01not a checkpoint at all")
    with pytest.raises(CheckpointError, match="garbage.safetensors"):
        cr.load(garbage)
    with pytest.raises(CheckpointError, match="garbage.safetensors"):
        load_metadata(garbage)
    with pytest.raises(FileNotFoundError):
        cr.load(tmp_path / "missing.safetensors")


def test_loading_a_mismatched_checkpoint_changes_nothing(tmp_path):
    path = tmp_path / "small.safetensors"
    cr.save(nn.Sequential(nn.Linear(4, 5), nn.ReLU()).state_dict(), path)
    model = _mlp()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    with pytest.raises(nn.StateDictError, match=r"missing keys: .*size mismatch for '0.weight'"):
        model.load_state_dict(cr.load(path))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_pytorch_checkpoint_loads_and_gives_the_same_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                    torch.nn.Linear(8, 6), torch.nn.LayerNorm(6), torch.nn.GELU(),
                                    torch.nn.Linear(6, 3)).double()
    x = np.random.default_rng(1).standard_normal((7, 4))
    reference.train()(torch.tensor(x))                 # non-trivial running statistics
    with torch.no_grad():
        reference[4].weight.uniform_(0.5, 1.5)
    reference.eval()
    path = tmp_path / "torch.safetensors"
    save_file(reference.state_dict(), str(path))
    model = _mlp()
    model.load_state_dict(cr.load(path))
    model.eval()
    expected = reference(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(model(cr.tensor(x)).numpy(), expected, rtol=1e-10, atol=1e-12)
    # and back: a chainrule checkpoint loads into PyTorch
    ours = tmp_path / "ours.safetensors"
    cr.save(model.state_dict(), ours)
    from safetensors.torch import load_file
    reference.load_state_dict(load_file(str(ours)))
