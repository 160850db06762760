"""TensorDataset, Subset, ConcatDataset, random_split."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_samples_and_batches():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = TensorDataset(cr.tensor(x), np.array([3, 1, 4, 1, 5, 9], dtype=np.int32))
    assert len(ds) == 6
    features, label = ds[2]
    np.testing.assert_array_equal(features.numpy(), [4, 5])
    assert label.shape == () and label.dtype == np.int64 and label.item() == 4
    np.testing.assert_array_equal(ds[-1][0].numpy(), [10, 11])
    bx, by = ds.get_batch(np.array([5, 0]))
    np.testing.assert_array_equal(bx.numpy(), x[[5, 0]])
    np.testing.assert_array_equal(by.numpy(), [9, 3])
    assert [t.shape for t in ds.tensors] == [(6, 2), (6,)]


def test_tensor_dataset_single_tensor_gives_one_tuples():
    ds = TensorDataset(np.arange(5.0))
    (value,) = ds[3]
    assert value.item() == 3.0


def test_tensor_dataset_transforms_are_called_batchwise():
    calls = []

    def record(batch):
        calls.append(batch.shape)
        return batch * 2

    ds = TensorDataset(np.ones((5, 3), np.float32), np.arange(5), transform=record,
                       target_transform=lambda y: y + 1)
    x, y = ds.get_batch(np.arange(4))
    assert calls == [(4, 3)]
    np.testing.assert_array_equal(x.numpy(), 2 * np.ones((4, 3)))
    np.testing.assert_array_equal(y.numpy(), [1, 2, 3, 4])
    x0, y0 = ds[0]                                         # a batch of one, then the sample
    assert calls[-1] == (1, 3) and x0.shape == (3,) and y0.item() == 1


def test_tensor_dataset_errors():
    with pytest.raises(cr.ShapeError, match=r"first \(sample\) dimension: \(5×2\), \(4\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(cr.ShapeError, match="scalar"):
        TensorDataset(np.float32(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    ds = TensorDataset(np.zeros(3))
    with pytest.raises(IndexError, match="index 3 is out of range for 3 samples"):
        ds[3]
    with pytest.raises(TypeError, match="get_batch"):
        ds[0:2]


def test_subset_views_the_parent():
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    sub = Subset(ds, [7, 2, -1])
    assert len(sub) == 3
    assert sub[1][1].item() == 2 and sub[2][1].item() == 9
    np.testing.assert_array_equal(sub.get_batch(np.array([0, 2]))[1].numpy(), [7, 9])
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of 10"):
        Subset(ds, [1, 10])


def test_concat_dataset_keeps_the_requested_order():
    a = TensorDataset(np.arange(3.0), np.arange(3))
    b = TensorDataset(np.arange(10.0, 14.0), np.arange(10, 14))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert both[4][1].item() == 11
    x, y = both.get_batch(np.array([5, 0, 3, 2, 6]))
    np.testing.assert_array_equal(y.numpy(), [12, 0, 10, 2, 13])
    np.testing.assert_array_equal(x.numpy(), [12.0, 0.0, 10.0, 2.0, 13.0])
    loader = DataLoader(both, batch_size=3, shuffle=True, seed=0)
    assert sorted(np.concatenate([y.numpy() for _, y in loader]).tolist()) == [0, 1, 2, 10, 11, 12, 13]


def test_concat_of_plain_datasets_collates_per_part():
    class Squares(Dataset):
        def __init__(self, n, start):
            self.n, self.start = n, start

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return {"value": (self.start + i) ** 2, "tag": f"t{self.start + i}"}

    both = ConcatDataset([Squares(2, 0), Squares(3, 5)])
    batch = both.get_batch(np.array([3, 0, 4]))
    np.testing.assert_array_equal(batch["value"].numpy(), [36, 0, 49])
    assert batch["tag"] == ["t6", "t0", "t7"]


@pytest.mark.parametrize("lengths, sizes", [([6, 3, 1], [6, 3, 1]), ([0.5, 0.3, 0.2], [5, 3, 2]),
                                            ([1 / 3, 1 / 3, 1 / 3], [4, 3, 3])])
def test_random_split_sizes_and_disjointness(lengths, sizes):
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    parts = random_split(ds, lengths, seed=0)
    assert [len(p) for p in parts] == sizes
    every = np.concatenate([p.indices for p in parts])
    assert sorted(every.tolist()) == list(range(10))


def test_random_split_is_seeded():
    ds = TensorDataset(np.arange(50.0))
    first = [p.indices for p in random_split(ds, [30, 20], seed=4)]
    again = [p.indices for p in random_split(ds, [30, 20], generator=np.random.default_rng(4))]
    other = [p.indices for p in random_split(ds, [30, 20], seed=5)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_random_split_errors():
    ds = TensorDataset(np.arange(10.0))
    with pytest.raises(ValueError, match=r"lengths \[6, 3\] sum to 9, but the dataset has 10 samples"):
        random_split(ds, [6, 3], seed=0)
    with pytest.raises(ValueError, match="fractional lengths must sum to 1"):
        random_split(ds, [0.5, 0.4], seed=0)
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [11, -1], seed=0)
