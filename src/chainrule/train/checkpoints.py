r"""Training checkpoints on disk: complete or absent, verified before they are loaded.

A checkpoint is a directory holding everything a training run needs to go on exactly
as if it had never stopped::

    checkpoints/epoch-0003/              after 3 complete epochs
    checkpoints/epoch-0003.batch-000120/ 120 batches into epoch 4 (``checkpoint_every``)
        model.safetensors       the model's state_dict (PyTorch's names; cr.load reads it)
        optimizer.safetensors   the optimizer's state_dict: buffers as tensors, the nesting
                                and the options as a JSON structure in the header
        trainer.safetensors     tensors of the scheduler, callbacks and the epoch in progress
        state.json              epoch, history, configuration, generator states (the data
                                loaders', cr.nn's default generator, every module's own
                                generator, NumPy's and Python's global ones), and the JSON
                                structure of trainer.safetensors
        manifest.json           size and SHA-256 of each file above, written last

Writing is atomic at the level of the whole checkpoint: the files are written into a
hidden temporary directory next to the final one, each flushed to the disk (``fsync``),
the manifest last, and the directory is then renamed into place (``os.replace``). A
process killed at any instant — even by SIGKILL — leaves either the complete new
checkpoint or none (a leftover ``.tmp-*`` directory is never read, and removed by the
next run). Loading checks every file's size and digest against the manifest first: a
corrupt or truncated file raises :class:`CheckpointError` naming it, and nothing is loaded.

Nested states (an optimizer's ``{"state": {0: {"exp_avg": Tensor, "step": 3}}, ...}``)
are stored as a tree: each tensor or array goes into the safetensors file under its
path (``state/0/exp_avg``), everything else into a JSON structure that records the
containers exactly (dict keys of any JSON type, tuples as tuples, NumPy scalars with
their dtype), so that a state read back equals the state written, bit for bit.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..serialization import CheckpointError, sync_directory, usual_permissions
from ..tensor import Tensor

FORMAT = "chainrule-checkpoint/1"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
TRAINER_FILE = "trainer.safetensors"
STATE_FILE = "state.json"
MANIFEST_FILE = "manifest.json"
FILES = (MODEL_FILE, OPTIMIZER_FILE, TRAINER_FILE, STATE_FILE)

_NAME = re.compile(r"^epoch-(\d{4,})(?:\.batch-(\d{6,}))?$")
_TEMPORARY_PREFIX = ".tmp-"


# ----------------------------------------------------------------------------- files
def _write_synced(path: Path, contents: bytes) -> None:
    with open(path, "wb") as f:
        f.write(contents)
        f.flush()
        os.fsync(f.fileno())


def json_bytes(value) -> bytes:
    """``value`` as JSON (floats written exactly: Python's shortest round-trip repr)."""
    return (json.dumps(value, indent=1, allow_nan=True) + "\n").encode("utf-8")


# ----------------------------------------------------------------------------- trees
def encode_tree(tree, prefix: str = "") -> tuple:
    """Split a nested state into a JSON structure and a dict of arrays.

    Returns ``(structure, arrays)``: tensors and arrays are replaced by references to
    entries of ``arrays`` (named by their path in the tree), NumPy scalars keep their
    dtype, and containers are tagged so that :func:`decode_tree` rebuilds them exactly.
    """
    arrays: dict = {}

    def encode(value, path):
        if isinstance(value, Tensor):
            arrays[path] = value.detach().numpy()
            return {"tensor": path}
        if isinstance(value, np.ndarray):
            arrays[path] = value
            return {"array": path}
        if isinstance(value, np.generic):
            arrays[path] = np.asarray(value)
            return {"scalar": path}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        if isinstance(value, dict):
            for key in value:
                if not (key is None or isinstance(key, (bool, int, float, str))):
                    raise TypeError(f"checkpoint: cannot store the dict key {key!r} at {path or '/'} "
                                    f"(keys must be strings, numbers, booleans or None)")
            return {"dict": [[key, encode(item, f"{path}/{key}")] for key, item in value.items()]}
        if isinstance(value, (list, tuple)):
            tag = "tuple" if isinstance(value, tuple) else "list"
            return {tag: [encode(item, f"{path}/{k}") for k, item in enumerate(value)]}
        raise TypeError(f"checkpoint: cannot store a {type(value).__name__} at {path or '/'}; a state "
                        f"must be made of tensors, arrays, numbers, strings, lists, tuples and dicts")

    structure = encode(tree, prefix)
    # safetensors needs C-contiguous arrays; a 0-d array stays 0-d
    arrays = {k: a if a.flags.c_contiguous else a.copy(order="C") for k, a in arrays.items()}
    return structure, arrays


def decode_tree(structure, arrays: dict):
    """Rebuild the tree that :func:`encode_tree` split (tensors come back as Tensors)."""
    (tag, content), = structure.items()
    if tag == "value":
        return content
    if tag == "tensor":
        return Tensor(np.array(arrays[content]))
    if tag == "array":
        return np.array(arrays[content])
    if tag == "scalar":
        return np.asarray(arrays[content])[()]
    if tag == "dict":
        return {key: decode_tree(item, arrays) for key, item in content}
    if tag == "list":
        return [decode_tree(item, arrays) for item in content]
    if tag == "tuple":
        return tuple(decode_tree(item, arrays) for item in content)
    raise CheckpointError(f"checkpoint: unknown entry {tag!r} in a stored structure")


def _safetensors_bytes(arrays: dict, metadata: dict | None = None) -> bytes:
    from safetensors.numpy import save as serialize
    return serialize(arrays, metadata=metadata)


def _read_safetensors(path: Path) -> tuple:
    from safetensors.numpy import load as deserialize
    payload = path.read_bytes()
    try:
        arrays = deserialize(payload)
        header_length = int.from_bytes(payload[:8], "little")
        header = json.loads(payload[8:8 + header_length])
    except Exception as exc:  # noqa: BLE001  (safetensors raises its own error types)
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None
    return arrays, header.get("__metadata__", {})


def _state_dict_arrays(state_dict) -> dict:
    """A flat state_dict (name → tensor or array) as C-contiguous NumPy arrays."""
    arrays = {}
    for name, value in state_dict.items():
        array = value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)
        arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _tree_file(tree) -> bytes:
    structure, arrays = encode_tree(tree)
    return _safetensors_bytes(arrays, {"format": FORMAT, "structure": json.dumps(structure)})


def _read_tree_file(path: Path):
    arrays, metadata = _read_safetensors(path)
    try:
        structure = json.loads(metadata["structure"])
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: its header has no readable 'structure' entry ({exc})") from None
    return decode_tree(structure, arrays)


# ----------------------------------------------------------------------------- the directory
def checkpoint_name(epoch: int, batches_done: int = 0) -> str:
    """``epoch-0003`` after 3 epochs; ``epoch-0003.batch-000120`` 120 batches into the 4th."""
    name = f"epoch-{epoch:04d}"
    return name if not batches_done else f"{name}.batch-{batches_done:06d}"


def _position(path: Path):
    match = _NAME.match(path.name)
    return None if match is None else (int(match.group(1)), int(match.group(2) or 0))


def list_checkpoints(directory) -> list:
    """The checkpoint directories in ``directory``, oldest first (none verified yet)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(position, path) for path in directory.iterdir()
             if path.is_dir() and (position := _position(path)) is not None]
    return [path for _, path in sorted(found)]


def remove_temporary(directory) -> None:
    """Delete the ``.tmp-*`` leftovers of writes that were interrupted."""
    directory = Path(directory)
    if directory.is_dir():
        for path in directory.iterdir():
            if path.name.startswith(_TEMPORARY_PREFIX):
                shutil.rmtree(path, ignore_errors=True)


def save_checkpoint(directory, *, epoch: int, batches_done: int = 0, model_state, optimizer_state=None,
                    trainer_tree=None, state: dict, keep: int | None = None) -> Path:
    """Write one checkpoint into ``directory`` atomically; return its path.

    Parameters
    ----------
    directory : path
        Where checkpoints live (created if needed).
    epoch, batches_done : int
        Complete epochs, and batches of the next epoch already done (0 at an epoch's end).
    model_state : mapping of str to Tensor
        ``model.state_dict()``.
    optimizer_state : dict, optional
        ``optimizer.state_dict()``.
    trainer_tree : optional
        Any further state with tensors (scheduler, callbacks, the epoch in progress);
        its structure goes into ``state.json``.
    state : dict
        JSON-serialisable data (history, generator states, configuration).
    keep : int, optional
        Keep only the newest ``keep`` checkpoints (older ones are deleted once the new
        one is complete).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / checkpoint_name(epoch, batches_done)
    temporary = Path(tempfile.mkdtemp(dir=directory, prefix=f"{_TEMPORARY_PREFIX}{final.name}."))
    try:
        usual_permissions(temporary, directory=True)
        trainer_structure, trainer_arrays = encode_tree(trainer_tree)
        contents = {
            MODEL_FILE: _safetensors_bytes(_state_dict_arrays(model_state), {"format": FORMAT}),
            OPTIMIZER_FILE: _tree_file(optimizer_state),
            TRAINER_FILE: _safetensors_bytes(trainer_arrays, {"format": FORMAT}),
            STATE_FILE: json_bytes({"format": FORMAT, "epoch": epoch, "batches_done": batches_done,
                                    **state, "trainer_structure": trainer_structure}),
        }
        manifest = {"format": FORMAT, "epoch": epoch, "batches_done": batches_done, "files": {}}
        for name, payload in contents.items():
            _write_synced(temporary / name, payload)
            manifest["files"][name] = {"bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
        _write_synced(temporary / MANIFEST_FILE, json_bytes(manifest))
        sync_directory(temporary)
        if final.exists():                 # the same position saved again (a repeated run)
            shutil.rmtree(final)
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    sync_directory(directory)
    if keep is not None:
        for old in list_checkpoints(directory)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def verify_checkpoint(path) -> dict:
    """Check a checkpoint directory against its manifest; return the manifest.

    Raises
    ------
    CheckpointError
        The manifest is missing or unreadable (an incomplete checkpoint), or a file is
        missing, has the wrong size (truncated) or the wrong SHA-256 (corrupt); the
        message names the file and both digests.
    """
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: no such checkpoint directory")
    manifest_path = path / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != FORMAT or set(files) != set(FILES):
            raise ValueError(f"format {manifest.get('format')!r}, files {sorted(files)}")
    except FileNotFoundError:
        raise CheckpointError(f"{manifest_path}: missing — the checkpoint is incomplete") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{manifest_path}: not a chainrule checkpoint manifest ({exc})") from None
    for name in FILES:
        file = path / name
        expected = files[name]
        try:
            payload = file.read_bytes()
        except FileNotFoundError:
            raise CheckpointError(f"{file}: missing from the checkpoint") from None
        if len(payload) != expected["bytes"]:
            raise CheckpointError(f"{file}: {len(payload)} bytes, the manifest says {expected['bytes']} "
                                  f"(truncated or overwritten); this checkpoint cannot be loaded")
        digest = hashlib.sha256(payload).hexdigest()
        if digest != expected["sha256"]:
            raise CheckpointError(f"{file}: corrupt — SHA-256 {digest}, the manifest says "
                                  f"{expected['sha256']}; this checkpoint cannot be loaded")
    return manifest


@dataclass
class Checkpoint:
    """A verified checkpoint, read into memory (see :func:`load_checkpoint`)."""

    path: Path
    epoch: int
    batches_done: int
    model_state: OrderedDict
    optimizer_state: dict | None
    trainer_tree: object
    state: dict = field(repr=False)

    @property
    def config(self) -> dict:
        """The configuration the run stored (model, data, options), or ``{}``."""
        return self.state.get("config") or {}


def resolve_checkpoint(path) -> Path:
    """The checkpoint directory that ``path`` names: a checkpoint directory itself, a
    file inside one, a ``checkpoints/`` directory or a run directory holding one (its
    newest checkpoint is taken)."""
    path = Path(path)
    if path.is_file():
        path = path.parent
    if not path.exists():
        raise CheckpointError(f"{path}: no such file or directory")
    if _position(path) is not None:
        return path
    for directory in (path / "checkpoints", path):
        found = list_checkpoints(directory)
        if found:
            return found[-1]
    raise CheckpointError(f"{path}: no checkpoint found (expected a directory epoch-NNNN with "
                          f"{MANIFEST_FILE}, or a run directory holding checkpoints/)")


def load_checkpoint(path) -> Checkpoint:
    """Verify a checkpoint (see :func:`verify_checkpoint`) and read it.

    ``path`` may be a checkpoint directory, a file in it, or a run directory (its newest
    checkpoint). A corrupt or partial checkpoint raises :class:`CheckpointError` naming
    the file; nothing is loaded.
    """
    path = resolve_checkpoint(path)
    manifest = verify_checkpoint(path)
    from ..serialization import load
    model_state = load(path / MODEL_FILE)
    optimizer_state = _read_tree_file(path / OPTIMIZER_FILE)
    trainer_arrays, _ = _read_safetensors(path / TRAINER_FILE)
    try:
        state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        trainer_tree = decode_tree(state.pop("trainer_structure"), trainer_arrays)
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"{path / STATE_FILE}: unreadable ({exc})") from None
    return Checkpoint(path=path, epoch=int(manifest["epoch"]), batches_done=int(manifest["batches_done"]),
                      model_state=model_state, optimizer_state=optimizer_state, trainer_tree=trainer_tree,
                      state=state)


def latest_checkpoint(directory, *, report=None) -> Checkpoint | None:
    """The newest checkpoint in ``directory`` that verifies, loaded; None when there is none.

    Newer checkpoints that fail verification are skipped, each reported by calling
    ``report(message)`` (for example ``warnings.warn`` or a print), never loaded.
    """
    for path in reversed(list_checkpoints(directory)):
        try:
            return load_checkpoint(path)
        except CheckpointError as exc:
            if report is not None:
                report(f"skipping a damaged checkpoint: {exc}")
    return None


__all__ = ["Checkpoint", "CheckpointError", "checkpoint_name", "decode_tree", "encode_tree",
           "latest_checkpoint", "list_checkpoints", "load_checkpoint", "remove_temporary",
           "resolve_checkpoint", "save_checkpoint", "verify_checkpoint"]
