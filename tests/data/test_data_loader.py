"""DataLoader: coverage, determinism, saved-and-restored position, collation, errors."""
from __future__ import annotations

import json
from collections import namedtuple

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (Compose, DataLoader, Dataset, Normalize, RandomCrop, RandomHorizontalFlip,
                            TensorDataset, default_collate)


def _indexed_dataset(n=23):
    """Sample i is (features i, label i mod 3), so a batch tells which samples it holds."""
    features = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    return TensorDataset(features, np.arange(n) % 3)


def _sample_ids(batch):
    return batch[0].numpy()[:, 0].astype(int)


def _epoch(loader):
    return [_sample_ids(b) for b in loader]


# -- coverage -------------------------------------------------------------------
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("n, batch_size", [(23, 5), (20, 5), (3, 7), (1, 1)])
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle):
    loader = DataLoader(_indexed_dataset(n), batch_size=batch_size, shuffle=shuffle, seed=1)
    for _ in range(3):
        batches = _epoch(loader)
        assert len(batches) == len(loader) == -(-n // batch_size)
        assert all(len(b) == batch_size for b in batches[:-1])
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))


@pytest.mark.parametrize("shuffle", [False, True])
def test_drop_last_drops_only_the_short_batch(shuffle):
    n, batch_size = 23, 5
    loader = DataLoader(_indexed_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=True,
                        seed=2)
    batches = _epoch(loader)
    assert len(batches) == len(loader) == 4
    assert all(len(b) == batch_size for b in batches)
    seen = np.concatenate(batches)
    assert len(set(seen.tolist())) == len(seen) == 20          # no repeats, 3 samples left out


def test_without_shuffle_the_order_is_the_dataset_order():
    assert np.concatenate(_epoch(DataLoader(_indexed_dataset(11), batch_size=4))).tolist() == list(range(11))


def test_batches_are_tensors_with_int64_labels():
    x, y = next(iter(DataLoader(_indexed_dataset(), batch_size=4)))
    assert isinstance(x, cr.Tensor) and isinstance(y, cr.Tensor)
    assert x.shape == (4, 2) and x.dtype == np.float32
    assert y.shape == (4,) and y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), np.arange(4) % 3)


# -- determinism ------------------------------------------------------------------
def test_same_seed_same_batches_and_new_order_every_epoch():
    first = DataLoader(_indexed_dataset(), batch_size=4, shuffle=True, seed=7)
    second = DataLoader(_indexed_dataset(), batch_size=4, shuffle=True, seed=7)
    epochs_first = [np.concatenate(_epoch(first)) for _ in range(3)]
    epochs_second = [np.concatenate(_epoch(second)) for _ in range(3)]
    for a, b in zip(epochs_first, epochs_second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(epochs_first[0], epochs_first[1])     # a fresh permutation per epoch


def test_different_seeds_give_different_orders():
    a = np.concatenate(_epoch(DataLoader(_indexed_dataset(), batch_size=4, shuffle=True, seed=0)))
    b = np.concatenate(_epoch(DataLoader(_indexed_dataset(), batch_size=4, shuffle=True, seed=1)))
    assert not np.array_equal(a, b)


def test_generator_argument_is_used_directly():
    a = DataLoader(_indexed_dataset(), batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    b = DataLoader(_indexed_dataset(), batch_size=4, shuffle=True, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(np.concatenate(_epoch(a)), np.concatenate(_epoch(b)))


# -- saving and restoring the position ---------------------------------------------------
def _augmenting_loader(seed=5):
    images = np.arange(30 * 6 * 6, dtype=np.float32).reshape(30, 1, 6, 6)
    dataset = TensorDataset(images, np.arange(30), transform=RandomCrop(4, padding=1, seed=seed + 1))
    return DataLoader(dataset, batch_size=4, shuffle=True, seed=seed,
                      transform=Compose([RandomHorizontalFlip(seed=seed + 2), Normalize(1.0, 2.0)]))


@pytest.mark.parametrize("stop_after", [0, 1, 3, 7])
def test_resume_mid_epoch_reproduces_the_remaining_batches_exactly(stop_after):
    reference = _augmenting_loader()
    _epoch(reference)                                   # one full epoch first
    expected = [(x.numpy(), y.numpy()) for x, y in reference]
    expected_next_epoch = [(x.numpy(), y.numpy()) for x, y in reference]

    interrupted = _augmenting_loader()
    _epoch(interrupted)
    iterator = iter(interrupted)
    for _ in range(stop_after):
        next(iterator)
    state = json.loads(json.dumps(interrupted.state_dict()))    # survives a JSON round trip

    resumed = _augmenting_loader(seed=99)                          # other seeds: the state decides
    resumed.load_state_dict(state)
    remaining = [(x.numpy(), y.numpy()) for x, y in resumed]
    assert len(remaining) == len(expected) - stop_after
    for (x, y), (x_ref, y_ref) in zip(remaining, expected[stop_after:]):
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(y, y_ref)
    following = [(x.numpy(), y.numpy()) for x, y in resumed]
    for (x, y), (x_ref, y_ref) in zip(following, expected_next_epoch):
        np.testing.assert_array_equal(x, x_ref)
        np.testing.assert_array_equal(y, y_ref)
    assert resumed.epoch == 3


@pytest.mark.parametrize("exhausted", [True, False])
def test_resume_at_an_epoch_boundary_starts_the_next_epoch(exhausted):
    reference = _augmenting_loader()
    if exhausted:
        _epoch(reference)
    else:                                   # every batch taken, the iterator never finished
        iterator = iter(reference)
        for _ in range(len(reference)):
            next(iterator)
    state = reference.state_dict()
    assert state["epoch"] == 1 and not state["in_progress"]
    expected = [x.numpy() for x, _ in reference]
    resumed = _augmenting_loader(seed=42)
    resumed.load_state_dict(state)
    for x, x_ref in zip([x.numpy() for x, _ in resumed], expected):
        np.testing.assert_array_equal(x, x_ref)


def test_load_state_dict_rejects_a_different_loader():
    state = DataLoader(_indexed_dataset(23), batch_size=4, shuffle=True, seed=0).state_dict()
    with pytest.raises(ValueError, match="num_samples=23.*num_samples=20"):
        DataLoader(_indexed_dataset(20), batch_size=4, shuffle=True, seed=0).load_state_dict(state)
    with pytest.raises(ValueError, match="batch_size=4.*batch_size=5"):
        DataLoader(_indexed_dataset(23), batch_size=5, shuffle=True, seed=0).load_state_dict(state)
    with pytest.raises(ValueError, match="random-transform states"):
        loader = DataLoader(_indexed_dataset(23), batch_size=4, shuffle=True, seed=0,
                            transform=RandomHorizontalFlip(seed=0))
        loader.load_state_dict(state)
    with pytest.raises(ValueError, match="not a DataLoader state"):
        DataLoader(_indexed_dataset(23)).load_state_dict({"epoch": 1})


# -- collation ----------------------------------------------------------------------
class _DictDataset(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"image": np.full((2, 3), i, dtype=np.float32), "label": i % 4, "name": f"s{i}",
                "weight": float(i)}


def test_default_collate_of_dicts():
    batch = next(iter(DataLoader(_DictDataset(), batch_size=4)))
    assert set(batch) == {"image", "label", "name", "weight"}
    assert batch["image"].shape == (4, 2, 3) and batch["image"].dtype == np.float32
    np.testing.assert_array_equal(batch["image"].numpy()[:, 0, 0], [0, 1, 2, 3])
    assert batch["label"].dtype == np.int64
    np.testing.assert_array_equal(batch["label"].numpy(), [0, 1, 2, 3])
    assert batch["weight"].dtype == cr.get_default_dtype()
    assert batch["name"] == ["s0", "s1", "s2", "s3"]


def test_default_collate_of_tuples_lists_named_tuples_and_tensors():
    Pair = namedtuple("Pair", "x y")
    samples = [(cr.tensor([1.0, 2.0]), np.int32(1)), (cr.tensor([3.0, 4.0]), np.int32(0))]
    x, y = default_collate(samples)
    np.testing.assert_array_equal(x.numpy(), [[1, 2], [3, 4]])
    assert y.dtype == np.int64
    listed = default_collate([[1, 2.5], [3, 4.5]])
    assert isinstance(listed, list) and listed[0].dtype == np.int64
    named = default_collate([Pair(np.zeros(2), 1), Pair(np.ones(2), 2)])
    assert isinstance(named, Pair) and named.x.shape == (2, 2)


def test_default_collate_errors():
    with pytest.raises(cr.ShapeError, match=r"\(2\).*\(3\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="keys"):
        default_collate([{"a": 1}, {"b": 2}])
    with pytest.raises(ValueError, match="structure"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="cannot batch a leaf of type object"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


def test_custom_collate_fn_gets_the_list_of_samples():
    seen = []
    loader = DataLoader(_indexed_dataset(6), batch_size=4, collate_fn=lambda s: seen.append(len(s)) or len(s))
    assert list(loader) == [4, 2] and seen == [4, 2]


def test_a_dataset_with_get_batch_is_gathered_in_one_call():
    calls = []

    class Recording(TensorDataset):
        def get_batch(self, indices):
            calls.append(np.asarray(indices).copy())
            return super().get_batch(indices)

        def __getitem__(self, index):
            raise AssertionError("the loader must not fetch samples one by one")

    loader = DataLoader(Recording(np.arange(10.0)), batch_size=4, shuffle=True, seed=0)
    assert sum(b[0].shape[0] for b in loader) == 10
    assert [len(c) for c in calls] == [4, 4, 2]


def test_loader_transform_applies_to_the_inputs_only():
    loader = DataLoader(_indexed_dataset(4), batch_size=4,
                        transform=lambda x: x * 10, target_transform=lambda y: y + 100)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x.numpy()[:, 0], [0, 10, 20, 30])
    np.testing.assert_array_equal(y.numpy(), [100, 101, 102, 100])


# -- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, None])
def test_batch_size_must_be_a_positive_integer(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(_indexed_dataset(), batch_size=batch_size)


def test_seed_and_generator_are_exclusive_and_checked():
    with pytest.raises(TypeError, match="either seed= or generator="):
        DataLoader(_indexed_dataset(), seed=0, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="seed must be an int"):
        DataLoader(_indexed_dataset(), seed="zero")
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(42)
