"""Data files on disk: the IDX format, checksums, and downloading with verification.

The IDX format (used by MNIST and Fashion-MNIST) is a tiny self-describing array file:

====================  ==========================================================
bytes 0–1             zero
byte 2                element type: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16,
                      ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64
byte 3                number of dimensions :math:`d \\ge 1`
next :math:`4d` bytes  the dimensions, big-endian unsigned 32-bit integers
the rest              the elements, big-endian, row-major (C order)
====================  ==========================================================

Files may be gzip-compressed (as they are distributed); :func:`read_idx` recognises a
gzip stream by its magic bytes, whatever the file is called.

Checksums are SHA-256 digests of the *decompressed* contents, so the same data
compressed differently (Debian recompresses the Fashion-MNIST archives, for one)
still verifies.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ChainruleError


class DataFileError(ChainruleError, ValueError):
    """A data file is corrupt, truncated, not in the expected format, or fails its checksum."""


class ChecksumError(DataFileError):
    """A data file's SHA-256 digest differs from the expected one."""


class DataNotFoundError(ChainruleError, FileNotFoundError):
    """A dataset's files are not on this machine and could not be downloaded."""


# IDX element-type codes and their big-endian NumPy dtypes.
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path) -> bytes:
    """The contents of ``path``, decompressed when it is a gzip stream.

    Raises
    ------
    DataFileError
        The gzip stream is truncated or corrupt (the message names the file).
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataFileError(f"{path}: the gzip stream is truncated or corrupt ({exc}); "
                            f"delete the file and fetch it again") from None


def sha256_hex(contents: bytes) -> str:
    """The SHA-256 digest of ``contents`` as 64 hexadecimal digits."""
    return hashlib.sha256(contents).hexdigest()


def verify_sha256(contents: bytes, expected: str, path) -> None:
    """Raise :class:`ChecksumError` naming ``path`` and both digests when they differ."""
    actual = sha256_hex(contents)
    if actual != expected.lower():
        raise ChecksumError(f"{path}: SHA-256 checksum mismatch: the (decompressed) contents hash to "
                            f"{actual}, expected {expected.lower()}; the file is corrupt or not the "
                            f"official one: delete it and fetch it again")


def parse_idx(contents: bytes, path="<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into a native-endian array.

    Every field is validated before any element is read: the two zero bytes, the
    element-type code, the number of dimensions, and that the payload holds exactly
    :math:`\\prod_i n_i` elements.
    """
    if len(contents) < 4:
        raise DataFileError(f"{path}: not an IDX file: {len(contents)} bytes, shorter than the "
                            f"4-byte header")
    if contents[0] != 0 or contents[1] != 0:
        raise DataFileError(f"{path}: not an IDX file: the magic number starts with bytes "
                            f"{contents[0]:#04x} {contents[1]:#04x}, expected 0x00 0x00")
    code, ndim = contents[2], contents[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"{c:#04x} ({d.name})" for c, d in IDX_DTYPES.items())
        raise DataFileError(f"{path}: unknown IDX element type {code:#04x}; known types are {known}")
    if ndim == 0:
        raise DataFileError(f"{path}: the IDX header declares 0 dimensions; at least 1 is needed")
    header_length = 4 + 4 * ndim
    if len(contents) < header_length:
        raise DataFileError(f"{path}: truncated IDX header: {ndim} dimensions need {header_length} "
                            f"header bytes, the file has {len(contents)}")
    shape = tuple(int(n) for n in np.frombuffer(contents, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(contents) - header_length
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        shape_text = "×".join(str(n) for n in shape)
        raise DataFileError(f"{path}: IDX file {problem}: a {shape_text} array of {dtype.name} "
                            f"needs {expected} data bytes, found {found}")
    array = np.frombuffer(contents, dtype=dtype, offset=header_length).reshape(shape)
    # Native byte order (a no-op for bytes), and a writable array that owns its memory.
    return array.astype(dtype.newbyteorder("="))


def read_idx(path, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or plain) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file; gzip compression is detected from its first bytes.
    sha256 : str, optional
        Expected SHA-256 of the decompressed contents, checked before decoding.

    Returns
    -------
    numpy.ndarray
        The array, in native byte order, with the element type the file declares
        (``uint8`` for MNIST-style images and labels).

    Raises
    ------
    DataFileError
        A corrupt or truncated file, or an invalid header (the message names the file).
    ChecksumError
        The contents do not hash to ``sha256`` (the message names the file and both digests).
    """
    contents = read_bytes(path)
    if sha256 is not None:
        verify_sha256(contents, sha256, path)
    return parse_idx(contents, path)


def download_file(url: str, destination, sha256: str | None = None, *, opener=None,
                  progress: bool = True, chunk_size: int = 1 << 16) -> Path:
    """Download ``url`` to ``destination``, verified, written atomically.

    The file is streamed into a temporary file beside ``destination`` (with a tqdm
    progress bar when ``progress``), its decompressed contents are checked against
    ``sha256``, and only then is it renamed into place, so an interrupted or corrupt
    download never leaves a file that a later run would trust.

    Parameters
    ----------
    url : str
        Where to fetch from.
    destination : path
        Where the file ends up; its directory is created.
    sha256 : str, optional
        Expected SHA-256 of the decompressed contents.
    opener : callable, optional
        ``opener(url)`` returning a file-like response with ``read(n)`` (and optionally
        ``headers``), ``urllib.request.urlopen`` by default; tests inject a fake.

    Raises
    ------
    urllib.error.URLError, OSError
        The download failed (offline, server error); nothing is left at ``destination``.
    ChecksumError
        The downloaded contents do not match ``sha256``; the download is discarded.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if opener is None:
        import urllib.request                     # only when downloading (a slow import)
        opener = urllib.request.urlopen
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name + ".",
                                         suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, _closing(opener(url)) as response:
            total = _content_length(response)
            bar = _progress_bar(total, destination.name) if progress else None
            try:
                while True:
                    chunk = response.read(chunk_size)
                    if not chunk:
                        break
                    out.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
        if sha256 is not None:
            verify_sha256(read_bytes(temporary), sha256, f"{destination} (downloaded from {url})")
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination


class _closing:
    """``with`` support for responses that may lack ``__enter__`` (injected fakes)."""

    def __init__(self, response):
        self.response = response

    def __enter__(self):
        return self.response

    def __exit__(self, *exc_info):
        close = getattr(self.response, "close", None)
        if close is not None:
            close()


def _content_length(response) -> int | None:
    headers = getattr(response, "headers", None)
    length = headers.get("Content-Length") if headers is not None else None
    return int(length) if length else None


def _progress_bar(total, description):
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=description,
                leave=False)


__all__ = ["ChecksumError", "DataFileError", "DataNotFoundError", "IDX_DTYPES", "download_file",
           "parse_idx", "read_bytes", "read_idx", "sha256_hex", "verify_sha256"]

