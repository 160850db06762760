"""Data preparation for the commands: statistics, splits, image files, resizing, named models."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.train import preparation as P


def test_normalization_statistics_per_channel_and_feature():
    rng = np.random.default_rng(0)
    images = (rng.random((9000, 3, 4, 5)) * np.array([1, 5, 20])[:, None, None]).astype(np.float32)
    stats = P.normalization_of(images)
    np.testing.assert_allclose(stats["mean"], images.astype(np.float64).mean(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(stats["std"], images.astype(np.float64).std(axis=(0, 2, 3)), rtol=1e-10)
    normalized = P.normalize(images, stats)
    assert normalized.dtype == np.float32
    np.testing.assert_allclose(normalized.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(normalized.std(axis=(0, 2, 3)), 1, atol=1e-5)
    points = np.column_stack([rng.normal(3, 2, 500), np.full(500, 7.0)]).astype(np.float32)
    stats = P.normalization_of(points)
    assert stats["std"][1] == 1.0                       # a constant feature is only shifted
    np.testing.assert_allclose(P.normalize(points, stats)[:, 1], 0)


def test_prepare_holds_out_validation_from_training_statistics():
    prepared = P.prepare("digits", val_fraction=0.1, seed=0, progress=False)
    assert len(prepared.train[1]) + len(prepared.val[1]) == 1437 and len(prepared.val[1]) == 144
    assert prepared.input_shape == (1, 8, 8) and prepared.is_image and len(prepared.classes) == 10
    np.testing.assert_allclose(prepared.train[0].mean(), 0, atol=1e-5)       # training statistics
    assert prepared.raw_test_inputs.min() >= 0 and prepared.raw_test_inputs.max() <= 1
    again = P.prepare("digits", val_fraction=0.1, seed=0, progress=False)
    np.testing.assert_array_equal(again.val[1], prepared.val[1])             # the split is seeded


def test_area_resize():
    image = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(P.resize(np.kron(image, np.ones((4, 4))), 3, 4), image)   # exact for 4× blocks
    a, b, c = 1.0, 4.0, 10.0
    np.testing.assert_allclose(P.resize(np.array([[a, b, c]]), 1, 2), [[(a + b / 2) / 1.5, (b / 2 + c) / 1.5]])
    np.testing.assert_allclose(P.resize(np.full((7, 9), 0.25), 8, 8), 0.25)


def test_read_image_png_colour_alpha_and_npy(tmp_path):
    import matplotlib.image
    rgb = np.zeros((4, 4, 3))
    rgb[..., 0] = 1.0                                                   # pure red
    matplotlib.image.imsave(tmp_path / "red.png", rgb)
    np.testing.assert_allclose(P.read_image(tmp_path / "red.png"), 0.299, atol=1 / 255)
    rgba = np.zeros((4, 4, 4))
    rgba[..., 3] = 0.0                                                  # fully transparent: white
    matplotlib.image.imsave(tmp_path / "clear.png", rgba)
    np.testing.assert_allclose(P.read_image(tmp_path / "clear.png"), 1.0)
    np.save(tmp_path / "bytes.npy", np.array([[0, 255]], dtype=np.uint8))
    np.testing.assert_allclose(P.read_image(tmp_path / "bytes.npy"), [[0.0, 1.0]])
    np.save(tmp_path / "counts.npy", np.array([[0, 8], [16, 4]]))
    np.testing.assert_allclose(P.read_image(tmp_path / "counts.npy"), [[0, 0.5], [1, 0.25]])
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(cr.data.DataFileError, match="broken.png: cannot read the image"):
        P.read_image(tmp_path / "broken.png")


def test_image_input_inverts_dark_ink_on_white(tmp_path):
    stats = {"mean": [0.0], "std": [1.0]}
    ink = np.ones((8, 8))
    ink[2:6, 3:5] = 0.0                                                 # dark stroke on white paper
    np.save(tmp_path / "scan.npy", ink)
    automatic = P.image_input(tmp_path / "scan.npy", (1, 8, 8), stats)
    assert automatic.shape == (1, 1, 8, 8) and automatic[0, 0, 3, 3] == 1.0 and automatic[0, 0, 0, 0] == 0.0
    kept = P.image_input(tmp_path / "scan.npy", (1, 8, 8), stats, invert="no")
    np.testing.assert_array_equal(kept[0, 0], ink)


def test_build_model_names_and_shapes():
    lenet = cr.train.build_model("lenet", (1, 28, 28), 10)
    assert lenet(cr.zeros((2, 1, 28, 28))).shape == (2, 10)
    assert cr.train.build_model("LeNet", (3, 8, 8), 4)(cr.zeros((2, 3, 8, 8))).shape == (2, 4)
    assert cr.train.build_model("mlp", (2,), 3)(cr.zeros((5, 2))).shape == (5, 3)
    linear = cr.train.build_model("linear", (1, 8, 8), 10)
    assert cr.train.parameter_count(linear) == 64 * 10 + 10
    with pytest.raises(ValueError, match="unknown model 'vgg'; valid models are lenet, mlp, linear"):
        cr.train.build_model("vgg", (2,), 2)
    with pytest.raises(ValueError, match="lenet is a convolutional network for images"):
        cr.train.build_model("lenet", (2,), 2)
    with pytest.raises(ValueError, match="unknown dataset 'mnist'; valid datasets are digits"):
        P.dataset_name("mnist")
