"""The IDX reader, checksums and the verified download, on files the tests write themselves."""
from __future__ import annotations

import gzip
import hashlib
import io
import struct

import numpy as np
import pytest

from chainrule.data import ChecksumError, DataFileError, download_file, read_idx

# The IDX type codes, written out here from the format's definition (not imported).
TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
              np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: two zero bytes, the type code, the rank, big-endian dims, big-endian data."""
    header = struct.pack(">BBBB", 0, 0, TYPE_CODES[array.dtype.type], array.ndim)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, contents: bytes, compress: bool):
    path.write_bytes(gzip.compress(contents) if compress else contents)
    return path


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("array", [
    np.arange(7, dtype=np.uint8),                                          # 1-D labels
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),                 # 3-D images
    np.linspace(-2, 2, 24, dtype=np.float32).reshape(4, 6),
    np.array([[-1.5e300, 2.0]], dtype=np.float64),
    np.array([-3, 0, 70000], dtype=np.int32),
    np.array([-300, 5], dtype=np.int16),
    np.array([-7, 7], dtype=np.int8),
], ids=lambda a: f"{a.dtype}{a.shape}")
def test_read_idx_round_trips(tmp_path, array, compress):
    path = write(tmp_path / "data.idx", idx_bytes(array), compress)
    loaded = read_idx(path)
    assert loaded.dtype == array.dtype and loaded.dtype.isnative
    assert loaded.shape == array.shape
    np.testing.assert_array_equal(loaded, array)
    loaded[...] = 0                                  # a writable array of its own


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(5, dtype=np.uint8)
    path = write(tmp_path / "labels-idx1-ubyte", idx_bytes(array), compress=True)   # no .gz suffix
    np.testing.assert_array_equal(read_idx(path), array)


def test_checksum_of_the_decompressed_contents(tmp_path):
    contents = idx_bytes(np.arange(10, dtype=np.uint8))
    digest = hashlib.sha256(contents).hexdigest()
    plain = write(tmp_path / "a.idx", contents, compress=False)
    packed = write(tmp_path / "a.idx.gz", contents, compress=True)
    np.testing.assert_array_equal(read_idx(plain, sha256=digest), read_idx(packed, sha256=digest.upper()))


def test_checksum_mismatch_names_the_file_and_both_digests(tmp_path):
    contents = idx_bytes(np.arange(10, dtype=np.uint8))
    path = write(tmp_path / "labels.gz", contents, compress=True)
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as caught:
        read_idx(path, sha256=wrong)
    message = str(caught.value)
    assert str(path) in message and wrong in message
    assert hashlib.sha256(contents).hexdigest() in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_data_is_reported(tmp_path, compress):
    contents = idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5))[:-7]
    path = write(tmp_path / "images.idx", contents, compress)
    with pytest.raises(DataFileError, match=r"images\.idx: IDX file truncated: a 3×4×5 array of uint8 "
                                            r"needs 60 data bytes, found 53"):
        read_idx(path)


def test_truncated_gzip_stream_is_reported(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataFileError, match=r"cut\.gz: the gzip stream is truncated or corrupt"):
        read_idx(path)


@pytest.mark.parametrize("contents, message", [
    (b"\x00\x00", "shorter than the 4-byte header"),
    (b"\x01\x00\x08\x01" + b"\x00" * 8, "magic number starts with bytes 0x01 0x00"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX element type 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header: 3 dimensions need 16"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x02" + b"\x01\x02\x03", "has trailing bytes"),
    (b"\x00\x00\x0d\x01\x00\x00\x00\x02" + b"\x00" * 7, r"2 array of float32 needs 8 data bytes, found 7"),
])
def test_invalid_headers_are_reported_with_the_file_name(tmp_path, contents, message):
    path = write(tmp_path / "bad.idx", contents, compress=False)
    with pytest.raises(DataFileError, match=message) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


# -- download_file with an injected opener (no network) -------------------------------------
class FakeResponse(io.BytesIO):
    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def test_download_verifies_and_writes_atomically(tmp_path):
    contents = idx_bytes(np.arange(300, dtype=np.int16))
    payload = gzip.compress(contents)
    requested = []

    def opener(url):
        requested.append(url)
        return FakeResponse(payload)

    target = tmp_path / "sub" / "file.gz"
    result = download_file("https://example.invalid/file.gz", target,
                           hashlib.sha256(contents).hexdigest(), opener=opener, progress=False,
                           chunk_size=100)
    assert result == target and requested == ["https://example.invalid/file.gz"]
    assert target.read_bytes() == payload
    assert [p.name for p in target.parent.iterdir()] == ["file.gz"]        # no temporary left


def test_download_with_a_wrong_checksum_leaves_nothing(tmp_path):
    payload = gzip.compress(b"not what was promised")
    target = tmp_path / "file.gz"
    with pytest.raises(ChecksumError, match=r"file\.gz \(downloaded from https://example\.invalid/f\)"):
        download_file("https://example.invalid/f", target, "ab" * 32,
                      opener=lambda url: FakeResponse(payload), progress=True)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_leaves_nothing(tmp_path):
    class Broken(FakeResponse):
        def read(self, n=-1):
            raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        download_file("https://example.invalid/f", tmp_path / "f.gz", None,
                      opener=lambda url: Broken(b"x"), progress=False)
    assert list(tmp_path.iterdir()) == []
