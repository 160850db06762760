"""Kill-and-resume: a run killed with SIGKILL and resumed ends with bitwise the same weights.

Each test runs ``resume_child.py`` (a small training run in which every source of
randomness is in play) in subprocesses: once uninterrupted, once stalled mid-epoch and
killed with SIGKILL, then resumed from what is on disk.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

CHILD = Path(__file__).with_name("resume_child.py")
SOURCE = Path(cr.__file__).parents[1]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
    return env


def _run(*args, timeout=120):
    completed = subprocess.run([sys.executable, str(CHILD), *map(str, args)], check=False, env=_environment(),
                               capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, completed.stderr
    return completed


def _run_and_kill(*args, marker: Path, timeout=60):
    process = subprocess.Popen([sys.executable, str(CHILD), *map(str, args)], env=_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            if process.poll() is not None:
                raise AssertionError(f"the run ended before stalling: {process.stderr.read()}")
            if time.monotonic() > deadline:
                raise AssertionError("the run did not reach the stall point in time")
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def _assert_bitwise_equal(path_a, path_b):
    a, b = np.load(path_a), np.load(path_b)
    assert sorted(a.files) == sorted(b.files)
    different = [name for name in a.files if not np.array_equal(a[name], b[name])]
    assert not different, f"differ after resuming: {different}"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    directory = tmp_path_factory.mktemp("uninterrupted")
    _run(directory / "checkpoints", directory / "weights.npz")
    return directory / "weights.npz"


def test_killed_mid_epoch_resumes_from_the_epoch_checkpoint(tmp_path, uninterrupted):
    checkpoints, marker = tmp_path / "checkpoints", tmp_path / "stalled"
    _run_and_kill(checkpoints, tmp_path / "weights.npz", "--stall-at", "4:5", marker, marker=marker)
    assert [p.name for p in cr.train.list_checkpoints(checkpoints)] == ["epoch-0002", "epoch-0003"]
    assert not (tmp_path / "weights.npz").exists()
    _run(checkpoints, tmp_path / "weights.npz", "--resume")
    _assert_bitwise_equal(uninterrupted, tmp_path / "weights.npz")


def test_killed_mid_epoch_resumes_from_a_mid_epoch_checkpoint(tmp_path, uninterrupted):
    checkpoints, marker = tmp_path / "checkpoints", tmp_path / "stalled"
    _run_and_kill(checkpoints, tmp_path / "weights.npz", "--checkpoint-every", "4", "--stall-at", "3:11", marker,
                  marker=marker)
    assert cr.train.list_checkpoints(checkpoints)[-1].name == "epoch-0002.batch-000008"
    _run(checkpoints, tmp_path / "weights.npz", "--checkpoint-every", "4", "--resume")
    _assert_bitwise_equal(uninterrupted, tmp_path / "weights.npz")


def test_a_damaged_newest_checkpoint_is_skipped_and_the_result_still_exact(tmp_path, uninterrupted):
    checkpoints, marker = tmp_path / "checkpoints", tmp_path / "stalled"
    _run_and_kill(checkpoints, tmp_path / "weights.npz", "--stall-at", "5:2", marker, marker=marker)
    newest = cr.train.list_checkpoints(checkpoints)[-1]
    assert newest.name == "epoch-0004"
    (newest / "model.safetensors").write_bytes(b"\0" * 16)              # damaged after the kill
    completed = _run(checkpoints, tmp_path / "weights.npz", "--resume")
    assert "skipping a damaged checkpoint" in completed.stderr and "epoch-0004" in completed.stderr
    _assert_bitwise_equal(uninterrupted, tmp_path / "weights.npz")
