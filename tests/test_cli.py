"""The ``chainrule`` command: check, explain, docs, --version, and its exit statuses."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import catalogue, cli, specs
from chainrule.autodiff.primitive import REGISTRY, elementwise
from chainrule.specs import OpSpec

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "derivatives.md"


@pytest.fixture
def broken_op(monkeypatch):
    """A primitive whose stated derivative is wrong (1 + y² instead of 1 - y²), with a spec;
    removed from the registry afterwards so that no other test sees it."""
    @elementwise(name="broken_tanh")
    def broken_tanh(x):
        return np.tanh(x)

    broken_tanh.partials(lambda y, x: 1 + y * y)
    spec = OpSpec("broken_tanh", broken_tanh, [specs.real], [((3,),)], np.tanh)
    monkeypatch.setattr(specs.elementwise, "SPECS", [*specs.elementwise.SPECS, spec])
    try:
        yield broken_tanh
    finally:
        REGISTRY.pop("broken_tanh", None)


def run(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# ----------------------------------------------------------------------------- check
def test_check_one_op_passes(capsys, tanh_spec):
    status, out, err = run(capsys, "check", "tanh")
    assert status == 0
    lines = out.splitlines()
    assert re.fullmatch(r"\d+ passed, 0 failed", lines[-1])
    assert any(line.startswith("tanh") and line.endswith("PASS") for line in lines)
    assert "tanh" in err                                  # progress goes to standard error


def test_check_fails_with_status_1_and_names_the_op(capsys, tanh_spec, broken_op):
    status, out, _ = run(capsys, "check", "tanh", "broken_tanh", "--quiet")
    assert status == 1
    lines = out.splitlines()
    assert lines[-1] == f"{len(specs_for('tanh'))} passed, 1 failed"
    assert any(line.startswith("broken_tanh") and line.endswith("FAIL") for line in lines)
    assert any(line.startswith("FAIL broken_tanh:") and "mode" in line for line in lines)


def specs_for(name):
    return [s for s in specs.all_specs() if s.name == name]


def test_check_modes(capsys, tanh_spec, broken_op):
    status, out, _ = run(capsys, "check", "tanh", "--modes", "rev", "-q")
    assert status == 0 and out.splitlines()[-1].endswith("0 failed")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "--modes", "sideways"])
    assert exit_info.value.code == 2
    assert "fwd" in capsys.readouterr().err


def test_unknown_op_is_a_usage_error_with_suggestions(capsys, tanh_spec):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "tnah"])
    assert exit_info.value.code == 2
    assert "did you mean tanh" in capsys.readouterr().err


# ----------------------------------------------------------------------------- explain
def test_explain_prints_formula_and_verification(capsys, tanh_spec):
    status, out, _ = run(capsys, "explain", "tanh")
    assert status == 0
    assert "dy/dx = 1 - y^2" in out and "verified" in out


def test_explain_of_a_broken_op_fails(capsys, broken_op):
    status, out, _ = run(capsys, "explain", "broken_tanh")
    assert status == 1 and "FAILED" in out


# ----------------------------------------------------------------------------- docs
def test_committed_catalogue_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == catalogue.markdown(), (
        "docs/derivatives.md is out of date: run `make docs` (or `chainrule docs`) and commit it")


def test_docs_writes_and_checks(capsys, tmp_path):
    target = tmp_path / "out" / "derivatives.md"
    assert run(capsys, "docs", "--output", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == catalogue.markdown()
    assert run(capsys, "docs", "--output", str(target), "--check")[0] == 0
    target.write_text("stale\n", encoding="utf-8")
    status, _, err = run(capsys, "docs", "--output", str(target), "--check")
    assert status == 1 and "out of date" in err


# ----------------------------------------------------------------------------- the installed command
def test_version_and_module_entry_point():
    done = subprocess.run([sys.executable, "-m", "chainrule", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0
    assert done.stdout.strip() == f"chainrule {cr.__version__}"


def test_no_command_prints_usage():
    done = subprocess.run([sys.executable, "-m", "chainrule"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "usage: chainrule" in done.stderr


def test_number_in_states_the_interval_it_wants():
    import argparse

    from chainrule.cli import number_in
    positive, seed, fraction = number_in(int, "the batch size"), number_in(int, "the seed", 0, low_included=True), \
        number_in(float, "the validation fraction", 0, 1, low_included=True)
    assert positive("3") == 3 and seed("0") == 0 and fraction("0.25") == 0.25 and fraction("0") == 0.0
    for parse, text, message in [(positive, "0", "the batch size must be positive, got 0 (expected a positive integer)"),
                                 (positive, "2.5", "the batch size must be a whole number, got '2.5'"),
                                 (seed, "-1", "the seed must be non-negative, got -1"),
                                 (fraction, "1", "the validation fraction must be in [0, 1), got 1"),
                                 (fraction, "nan", "must be in [0, 1), got nan")]:
        with pytest.raises(argparse.ArgumentTypeError) as caught:
            parse(text)
        assert message in str(caught.value)
