"""The built-in datasets: embedded digits, Fashion-MNIST lookup/download, load_dataset by name."""
from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import socket
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ChecksumError, DataNotFoundError, ImageDataset
from chainrule.data import datasets as datasets_module

# -- digits -------------------------------------------------------------------------------
# The first image of UCI's optdigits.tes (scikit-learn's load_digits().images[0], a zero), as
# printed in scikit-learn's tutorial.
FIRST_DIGIT = [[0, 0, 5, 13, 9, 1, 0, 0], [0, 0, 13, 15, 10, 15, 5, 0], [0, 3, 15, 2, 0, 11, 8, 0],
               [0, 4, 12, 0, 0, 8, 8, 0], [0, 5, 8, 0, 0, 9, 8, 0], [0, 4, 11, 0, 1, 12, 7, 0],
               [0, 2, 14, 5, 10, 12, 0, 0], [0, 0, 6, 13, 10, 0, 0, 0]]
# Class counts of the 1,797 digits (scikit-learn's DESCR / np.bincount(load_digits().target)).
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_layout_and_split():
    train, test = cr.data.digits("train"), cr.data.digits("test")
    assert isinstance(train, ImageDataset)
    assert train.images.shape == (1437, 1, 8, 8) and test.images.shape == (360, 1, 8, 8)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    assert train.images.min() == 0.0 and train.images.max() == 1.0
    np.testing.assert_array_equal(train.images * 16, np.round(train.images * 16))   # counts 0..16
    np.testing.assert_array_equal(np.bincount(test.labels), [36] * 10)               # stratified
    np.testing.assert_array_equal(np.bincount(train.labels) + np.bincount(test.labels), DIGIT_COUNTS)
    np.testing.assert_array_equal(test.images[0, 0] * 16, FIRST_DIGIT)
    assert test.labels[0] == 0
    assert train.classes == tuple("0123456789")


def test_digits_train_and_test_partition_the_1797_records():
    from collections import Counter
    images, labels, _ = datasets_module._digits_arrays()

    def records(images, labels):
        return Counter((image.tobytes(), int(label)) for image, label in zip(images, labels))

    def as_counts(dataset):
        return np.round(dataset.images[:, 0] * 16).astype(np.uint8)

    train, test = cr.data.digits("train"), cr.data.digits("test")
    assert (records(as_counts(train), train.labels) + records(as_counts(test), test.labels)
            == records(images, labels))


def test_digits_file_is_package_data_and_its_checksum_is_recorded():
    resource = importlib.resources.files("chainrule.data") / "digits.npz"
    contents = resource.read_bytes()
    assert len(contents) < 100_000
    assert hashlib.sha256(contents).hexdigest() == datasets_module.DIGITS_SHA256


def test_digits_work_offline(monkeypatch):
    datasets_module._digits_arrays.cache_clear()

    def no_network(*args, **kwargs):
        raise AssertionError("digits must not touch the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert len(cr.data.digits("test")) == 360


def test_digits_checksum_is_checked_at_load_time(monkeypatch):
    datasets_module._digits_arrays.cache_clear()
    monkeypatch.setattr(datasets_module, "DIGITS_SHA256", "f" * 64)
    try:
        with pytest.raises(ChecksumError, match="digits.npz: SHA-256 checksum mismatch.*" + "f" * 64):
            cr.data.digits("train")
    finally:
        datasets_module._digits_arrays.cache_clear()


def test_digits_batches_through_a_loader():
    loader = cr.data.DataLoader(cr.data.digits("train"), batch_size=500, shuffle=True, seed=0)
    sizes = [x.shape for x, _ in loader]
    assert sizes == [(500, 1, 8, 8), (500, 1, 8, 8), (437, 1, 8, 8)]


# -- Fashion-MNIST ---------------------------------------------------------------------------
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def _idx(array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _fake_files(version: int):
    """Tiny stand-ins for the four files; `version` is written into every pixel and label."""
    rng = np.random.default_rng(version)
    contents = {}
    for prefix, n in (("train", 6), ("t10k", 3)):
        contents[f"{prefix}-images-idx3-ubyte"] = _idx(np.full((n, 4, 4), version, np.uint8))
        contents[f"{prefix}-labels-idx1-ubyte"] = _idx(rng.integers(0, 10, n).astype(np.uint8))
    return contents


def _write(directory, contents, compress=True):
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        if compress:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)


def _trust(monkeypatch, contents):
    for name, data in contents.items():
        monkeypatch.setitem(datasets_module.FASHION_MNIST_SHA256, name, hashlib.sha256(data).hexdigest())


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Search path pointing at temporary directories only; no network."""
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets_module, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "debian")
    monkeypatch.setattr(datasets_module, "FASHION_MNIST_MIRRORS", ("file:///nonexistent/mirror/",))
    return tmp_path


def test_search_path_order(isolated):
    assert cr.data.fashion_mnist_search_path() == [
        isolated / "data" / "fashion-mnist", isolated / "data",
        isolated / "cache" / "chainrule" / "fashion-mnist", isolated / "debian"]


def test_lookup_order_chainrule_data_then_cache_then_debian(isolated, monkeypatch):
    places = {1: isolated / "data" / "fashion-mnist", 2: isolated / "cache" / "chainrule" / "fashion-mnist",
              3: isolated / "debian"}
    for version, directory in places.items():
        _write(directory, _fake_files(version), compress=version != 2)
    for version, directory in places.items():
        # Only this version's checksums are trusted: finding another version would fail.
        _trust(monkeypatch, _fake_files(version))
        train = cr.data.fashion_mnist("train", progress=False)
        assert train.images.shape == (6, 1, 4, 4) and train.images.dtype == np.float32
        np.testing.assert_allclose(train.images, version / 255, rtol=1e-6)
        assert cr.data.fashion_mnist("test", raw=True).images.shape == (3, 4, 4)
        for path in directory.iterdir():
            path.unlink()


def test_files_directly_in_chainrule_data_are_found(isolated, monkeypatch):
    contents = _fake_files(4)
    _write(isolated / "data", contents, compress=False)
    _trust(monkeypatch, contents)
    test = cr.data.fashion_mnist("test", raw=True, download=False)
    assert test.images.dtype == np.uint8 and (test.images == 4).all()
    assert test.labels.dtype == np.int64 and test.classes[9] == "Ankle boot"


def test_missing_files_without_download_say_where_to_put_them(isolated):
    with pytest.raises(DataNotFoundError) as caught:
        cr.data.fashion_mnist("train", download=False)
    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz not found" in message
    for directory in cr.data.fashion_mnist_search_path():
        assert str(directory) in message
    assert "CHAINRULE_DATA" in message and "apt-get install dataset-fashion-mnist" in message


def test_offline_download_failure_is_a_clear_message(isolated):
    with pytest.raises(DataNotFoundError, match=r"(?s)downloading it failed \(offline\?\).*"
                                                r"file:///nonexistent/mirror/train-images-idx3-ubyte\.gz"):
        cr.data.fashion_mnist("train", progress=False)


def test_download_from_a_mirror_into_chainrule_data(isolated, monkeypatch):
    contents = _fake_files(5)
    served = isolated / "served"
    _write(served, contents)
    _trust(monkeypatch, contents)
    monkeypatch.setattr(datasets_module, "FASHION_MNIST_MIRRORS",
                        ("file:///nonexistent/mirror/", served.as_uri() + "/"))
    test = cr.data.fashion_mnist("test", progress=False)
    assert len(test) == 3
    downloaded = sorted(p.name for p in (isolated / "data" / "fashion-mnist").iterdir())
    assert downloaded == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_corrupt_file_names_the_file_and_both_checksums(isolated, monkeypatch):
    contents = _fake_files(6)
    _write(isolated / "data", contents)
    _trust(monkeypatch, contents)
    monkeypatch.setitem(datasets_module.FASHION_MNIST_SHA256, "t10k-labels-idx1-ubyte", "0" * 64)
    with pytest.raises(ChecksumError) as caught:
        cr.data.fashion_mnist("test")
    message = str(caught.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and "0" * 64 in message
    assert hashlib.sha256(contents["t10k-labels-idx1-ubyte"]).hexdigest() in message


def test_root_argument_overrides_the_search_path(isolated, monkeypatch, tmp_path):
    contents = _fake_files(7)
    _write(tmp_path / "mine", contents)
    _trust(monkeypatch, contents)
    assert len(cr.data.fashion_mnist("train", root=tmp_path / "mine", download=False)) == 6


@pytest.mark.skipif(not (datasets_module.DEBIAN_FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_test_split_from_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))               # nothing cached: Debian's files
    test = cr.data.fashion_mnist("test", download=False, raw=True)
    assert test.images.shape == (10000, 28, 28) and test.images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(test.labels), [1000] * 10)   # the published balance


# -- by name ---------------------------------------------------------------------------------
def test_load_dataset_by_name():
    assert len(cr.data.load_dataset("digits", "test")) == 360
    train = cr.data.load_dataset("moons")
    test = cr.data.load_dataset("moons", "test")
    assert (len(train), len(test)) == (800, 200)
    x, y = train.get_batch(np.arange(4))
    assert x.shape == (4, 2) and y.dtype == np.int64
    spirals = cr.data.load_dataset("spirals", "train", n_samples=50, n_classes=5)
    assert len(spirals) == 40
    line = cr.data.load_dataset("regression_line", "test", n_samples=10)
    assert line.tensors[0].shape == (2, 1) and line.tensors[1].dtype == np.float32


def test_load_dataset_bad_names():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'; valid names are digits, fashion-mnist, "
                                         "moons, circles, spirals, blobs, regression-line"):
        cr.data.load_dataset("mnist")
    with pytest.raises(ValueError, match="unknown split 'validation'; valid splits are train, test"):
        cr.data.load_dataset("digits", "validation")
    with pytest.raises(ValueError, match="unknown split"):
        cr.data.digits("val")
