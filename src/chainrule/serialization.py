r"""Checkpoints on disk: ``cr.save(state_dict, path)`` and ``cr.load(path)``, in the safetensors format.

safetensors stores a JSON header (names, dtypes, shapes, byte offsets, optional string
metadata) followed by the raw bytes of each tensor.  Loading parses that header and
copies bytes; unlike a pickle, a checkpoint cannot run code when it is opened.  The
format is PyTorch's too: a ``state_dict`` written by ``safetensors.torch.save_file``
loads here, and since parameter names and layouts match PyTorch's, into the same
chainrule architecture with the same outputs.

Writing is atomic: the bytes go to a temporary file in the target's directory, are
flushed to the disk (``fsync``), and the file is then renamed over the target
(``os.replace``, atomic on POSIX and Windows).  A crash mid-write leaves the previous
checkpoint intact, never half of a new one.
"""
from __future__ import annotations

import os
import tempfile
from collections import OrderedDict

import numpy as np

from .errors import ChainruleError
from .tensor import Tensor


class CheckpointError(ChainruleError, ValueError):
    """A file that is not a readable safetensors checkpoint (corrupt, truncated, unsupported dtype)."""


def _arrays(state_dict) -> dict:
    if hasattr(state_dict, "state_dict") and callable(state_dict.state_dict):
        state_dict = state_dict.state_dict()
    if not hasattr(state_dict, "items"):
        raise TypeError(f"save: expected a state_dict (a mapping of names to tensors), got {type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: tensor names must be strings, got {name!r}")
        if isinstance(value, Tensor):
            array = value.detach().numpy()
        elif isinstance(value, (np.ndarray, np.generic, int, float, bool)):
            array = np.asarray(value)
        else:
            raise TypeError(f"save: entry {name!r} is a {type(value).__name__}, not a tensor or array")
        # (np.ascontiguousarray would turn a 0-d array into shape (1,))
        arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _check_metadata(metadata):
    if metadata is None:
        return None
    if not hasattr(metadata, "items") or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise TypeError("save: metadata must be a dict of strings to strings")
    return dict(metadata)


def save(state_dict, path, metadata: dict | None = None) -> None:
    """Write ``state_dict`` (name → tensor or array; a module's ``state_dict()``, or a module)
    to ``path`` in the safetensors format, atomically.  ``metadata`` is an optional
    ``dict[str, str]`` stored in the header (see :func:`load_metadata`)."""
    from safetensors.numpy import save as serialize
    write_atomic(path, serialize(_arrays(state_dict), metadata=_check_metadata(metadata)))


# ----------------------------------------------------------------------------- writing files safely
def write_atomic(path, contents: bytes) -> None:
    """Write ``contents`` to ``path`` so that readers see the old file or the new one, never
    a mix: a temporary file in the same directory, ``fsync``, then ``os.replace``, and the
    directory entry flushed too.  Every file chainrule writes (checkpoints, reports,
    pictures) goes through here."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        usual_permissions(temporary)
        with os.fdopen(fd, "wb") as f:
            f.write(contents)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    sync_directory(directory)


def usual_permissions(path, directory: bool = False) -> None:
    """mkstemp/mkdtemp make private files (0600/0700); give the ones we keep the permissions
    an ordinary ``open`` or ``mkdir`` would (0666/0777 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, (0o777 if directory else 0o666) & ~mask)


def sync_directory(directory) -> None:
    """Flush a directory's entries (a rename) to the disk where the system allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read(path):
    path = os.fspath(path)
    with open(path, "rb") as f:
        return path, f.read()


def load(path) -> OrderedDict:
    """Read a safetensors checkpoint: a dict of name → tensor (pass it to ``model.load_state_dict``;
    the format does not keep the order in which names were saved).  A corrupt or truncated file raises
    :class:`CheckpointError` naming it."""
    from safetensors.numpy import load as deserialize
    path, payload = _read(path)
    try:
        arrays = deserialize(payload)
    except Exception as e:  # noqa: BLE001  (safetensors raises its own error types, all meaning "unreadable")
        raise CheckpointError(f"load: {path!r} is not a readable safetensors checkpoint (corrupt or truncated "
                              f"file?): {e}") from None
    # np.array copies: the tensors own writable memory, independent of the file's bytes
    return OrderedDict((name, Tensor(np.array(array))) for name, array in arrays.items())


def load_metadata(path) -> dict:
    """The string metadata stored in a checkpoint's header (empty when none)."""
    import json
    import struct
    path, payload = _read(path)
    try:
        (length,) = struct.unpack("<Q", payload[:8])
        if length > len(payload) - 8:
            raise ValueError(f"the header claims {length} bytes but the file has {len(payload) - 8} after it")
        header = json.loads(payload[8:8 + length])
    except Exception as e:  # noqa: BLE001
        raise CheckpointError(f"load_metadata: {path!r} is not a readable safetensors checkpoint: {e}") from None
    return dict(header.get("__metadata__", {}))
