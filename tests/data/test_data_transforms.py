"""Batch-wise transforms: values, per-sample randomness, determinism, errors."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Compose, Lambda, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor


# -- ToTensor ---------------------------------------------------------------------------------
def test_to_tensor_grayscale_uint8():
    pixels = np.random.default_rng(0).integers(0, 256, (5, 3, 4), dtype=np.uint8)
    out = ToTensor()(pixels)
    assert isinstance(out, cr.Tensor) and out.shape == (5, 1, 3, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[:, 0], pixels / 255.0, rtol=1e-6)
    assert out.numpy().min() >= 0.0 and out.numpy().max() <= 1.0


def test_to_tensor_channels_last_to_nchw():
    pixels = np.random.default_rng(1).integers(0, 256, (2, 4, 5, 3), dtype=np.uint8)
    out = ToTensor()(pixels).numpy()
    assert out.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(out[1, 2, 3, 4], pixels[1, 3, 4, 2] / 255.0, rtol=1e-6)
    floats = ToTensor()(np.full((2, 3, 3), 0.25, dtype=np.float64))
    assert floats.dtype == np.float64 and floats.shape == (2, 1, 3, 3) and floats.numpy().max() == 0.25


def test_to_tensor_errors():
    with pytest.raises(cr.DTypeError, match="int32"):
        ToTensor()(np.zeros((2, 3, 3), np.int32))
    with pytest.raises(cr.ShapeError, match=r"N×H×W or N×H×W×C, got shape \(3×3\)"):
        ToTensor()(np.zeros((3, 3), np.uint8))


# -- Normalize --------------------------------------------------------------------------------
def test_normalize_per_channel_values():
    x = np.random.default_rng(2).random((4, 3, 5, 6)).astype(np.float32)
    mean, std = [0.1, 0.5, 0.9], [0.2, 0.25, 4.0]
    out = Normalize(mean, std)(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    for c in range(3):
        np.testing.assert_allclose(out[:, c], (x[:, c] - mean[c]) / std[c], rtol=1e-6, atol=1e-6)
    one = Normalize(0.5, 2.0)(x)
    np.testing.assert_allclose(one, (x - 0.5) / 2.0, rtol=1e-6)


def test_normalize_of_a_tensor_is_differentiable():
    x = cr.tensor(np.ones((2, 2, 3, 3)), dtype=np.float64, requires_grad=True)
    Normalize([0.0, 1.0], [2.0, 4.0])(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0], 0.5)
    np.testing.assert_allclose(x.grad.numpy()[:, 1], 0.25)


def test_normalize_errors():
    with pytest.raises(cr.ShapeError,
                       match=r"mean has 2 entries but the batch \(4×3×2×2\) has 3 channels"):
        Normalize([0.0, 0.0], [1.0, 1.0])(np.zeros((4, 3, 2, 2), np.float32))
    with pytest.raises(cr.DTypeError, match="apply ToTensor"):
        Normalize(0.0, 1.0)(np.zeros((1, 1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="every std must be positive"):
        Normalize(0.0, [1.0, 0.0])


# -- RandomCrop ---------------------------------------------------------------------------------
def _distinct_images(n, h=6, w=7, channels=2):
    return np.arange(n * channels * h * w, dtype=np.float32).reshape(n, channels, h, w)


def _offsets(images, cropped, padding, fill=0.0):
    """Brute force: for each sample, the (row, column) offset its crop came from."""
    padded = np.pad(images, [(0, 0), (0, 0), (padding, padding), (padding, padding)], constant_values=fill)
    h, w = cropped.shape[-2:]
    found = []
    for sample, crop in zip(padded, cropped):
        matches = [(i, j) for i in range(padded.shape[-2] - h + 1) for j in range(padded.shape[-1] - w + 1)
                   if np.array_equal(sample[..., i:i + h, j:j + w], crop)]
        assert matches, "a crop is not a window of its padded image"
        found.append(matches[0])
    return found


def test_random_crop_takes_a_window_per_sample():
    images = _distinct_images(40)
    cropped = RandomCrop(5, padding=2, seed=0)(images)
    assert cropped.shape == (40, 2, 5, 5) and cropped.dtype == images.dtype
    offsets = _offsets(images, cropped, padding=2)
    assert len(set(offsets)) > 10                       # each sample has its own offset
    rows, cols = zip(*offsets)
    assert min(rows) >= 0 and max(rows) <= 10 - 5 and max(cols) <= 11 - 5


def test_random_crop_is_deterministic_and_seed_dependent():
    images = _distinct_images(16)
    a = RandomCrop((4, 3), padding=1, seed=3)(images)
    b = RandomCrop((4, 3), padding=1, generator=np.random.default_rng(3))(images)
    c = RandomCrop((4, 3), padding=1, seed=4)(images)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_crop_padding_forms_and_tensors():
    images = _distinct_images(3, h=4, w=4, channels=1)[:, 0]             # N×H×W
    same = RandomCrop(4, seed=0)(images)
    np.testing.assert_array_equal(same, images)                           # nothing to choose
    padded = RandomCrop((6, 4), padding=(0, 1), fill=-1.0, seed=0)(images)   # (left/right, top/bottom)
    np.testing.assert_array_equal(padded[:, 0], -1.0)
    np.testing.assert_array_equal(padded[:, 1:5], images)
    asymmetric = RandomCrop((4, 6), padding=(2, 0, 0, 0), seed=0)(images)     # left only
    np.testing.assert_array_equal(asymmetric[..., 2:], images)
    as_tensor = RandomCrop(3, seed=1)(cr.tensor(images))
    assert isinstance(as_tensor, cr.Tensor) and as_tensor.shape == (3, 3, 3)


def test_random_crop_state_dict_repeats_the_draws():
    images = _distinct_images(8)
    crop = RandomCrop(4, padding=1, seed=0)
    crop(images)
    state = crop.state_dict()
    expected = crop(images)
    other = RandomCrop(4, padding=1, seed=123)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other(images), expected)


def test_random_crop_errors():
    with pytest.raises(cr.ShapeError, match="a 9×9 crop does not fit images of 8×9"):
        RandomCrop(9, padding=1, seed=0)(_distinct_images(2, h=6, w=7))
    with pytest.raises(ValueError, match="size must be positive"):
        RandomCrop(0)
    with pytest.raises(ValueError, match="padding must be non-negative"):
        RandomCrop(3, padding=-1)
    with pytest.raises(TypeError, match="padding must be an int"):
        RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(cr.ShapeError, match="N×...×H×W"):
        RandomCrop(2, seed=0)(np.zeros((3, 3)))


# -- RandomHorizontalFlip ------------------------------------------------------------------------
def test_flip_is_per_sample():
    images = _distinct_images(200, h=3, w=4)
    flipped = RandomHorizontalFlip(0.5, seed=0)(images)
    was_flipped = np.array([np.array_equal(f, x[..., ::-1]) for f, x in zip(flipped, images)])
    kept = np.array([np.array_equal(f, x) for f, x in zip(flipped, images)])
    assert (was_flipped ^ kept).all()                   # each sample: exactly one of the two
    assert 70 < was_flipped.sum() < 130                 # about half (binomial, 200 coins)
    np.testing.assert_array_equal(images, _distinct_images(200, h=3, w=4))    # input untouched


def test_flip_probability_extremes_and_determinism():
    images = _distinct_images(10)
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0, seed=0)(images), images)
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0, seed=0)(images), images[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(seed=5)(images), RandomHorizontalFlip(seed=5)(images))
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\]"):
        RandomHorizontalFlip(1.5)


# -- Compose, Lambda -----------------------------------------------------------------------------
def test_compose_applies_in_order():
    pipeline = Compose([ToTensor(), Lambda(lambda x: x * 2), Normalize(1.0, 0.5)])
    out = pipeline(np.full((2, 3, 3), 255, np.uint8))
    np.testing.assert_allclose(out.numpy(), (2.0 - 1.0) / 0.5)
    assert "ToTensor()" in repr(pipeline)
    with pytest.raises(TypeError, match="callable"):
        Lambda(3)


def test_transforms_on_a_dataset_and_a_loader_give_the_same_batches():
    images = np.random.default_rng(0).integers(0, 256, (20, 6, 6), dtype=np.uint8)
    labels = np.arange(20)

    def pipeline():
        return Compose([ToTensor(), RandomCrop(4, padding=1, seed=1), RandomHorizontalFlip(seed=2)])

    on_dataset = cr.data.DataLoader(cr.data.TensorDataset(images, labels, transform=pipeline()),
                                    batch_size=8, shuffle=True, seed=0)
    on_loader = cr.data.DataLoader(cr.data.TensorDataset(images, labels), batch_size=8, shuffle=True,
                                   seed=0, transform=pipeline())
    for (x1, y1), (x2, y2) in zip(on_dataset, on_loader):
        assert x1.shape[1:] == (1, 4, 4)
        np.testing.assert_array_equal(x1.numpy(), x2.numpy())
        np.testing.assert_array_equal(y1.numpy(), y2.numpy())
