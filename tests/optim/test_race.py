"""The optimizer race (`chainrule optimize`) end to end, and the observed order of convergence."""
from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import cli
from chainrule.optim import convergence_order, error_sequence, race, testfunctions


def test_optimize_command_prints_the_table_and_writes_the_plot(tmp_path, capsys):
    plot = tmp_path / "out" / "race.png"
    status = cli.main(["optimize", "--function", "rosenbrock", "--methods", "gd,momentum,adam,newton,lbfgs",
                       "--max-iter", "40", "--plot", str(plot)])
    assert status == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("method"))
    for column in ("iterations", "f evals", "‖x − x*‖", "f − f*", "order q"):
        assert column in header
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in ("gd", "momentum", "adam", "newton", "lbfgs")}
    assert set(rows) == {"gd", "momentum", "adam", "newton", "lbfgs"}
    assert rows["gd"][1] == "40" and rows["newton"][-1] == "converged"
    assert float(rows["newton"][3]) < 1e-6 < float(rows["gd"][3])         # the final errors
    assert "log(e[k+1]/e[k])" in out                                       # how the order is estimated
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000


def test_optimize_with_a_start_and_no_plot(capsys):
    assert cli.main(["optimize", "--function", "booth", "--methods", "bfgs,newton-cg", "--start=-1,2"]) == 0
    out = capsys.readouterr().out
    assert "from (-1, 2)" in out and "newton-cg" in out


@pytest.mark.parametrize("argv, message", [
    (["optimize", "--function", "sphere"], "invalid choice: 'sphere'"),
    (["optimize", "--methods", "gd,simplex"], "unknown method 'simplex'"),
    (["optimize", "--methods", "sqp"], "unknown method 'sqp'"),
    (["optimize", "--start", "1,2,3"], "expected two finite numbers"),
    (["optimize", "--max-iter", "0"], "expected a positive integer"),
])
def test_optimize_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_race_entries():
    f = testfunctions.himmelblau()
    entries = race.race(f, ["newton", "gd"], start=[-1.0, 0.5], max_iter=100)
    newton = entries[0]
    assert newton.method == "newton" and newton.result.success
    assert newton.error < 1e-8 and newton.gap < 1e-12
    np.testing.assert_allclose(f.nearest_minimizer(newton.result.x), f.minimizers[1])
    assert newton.order == pytest.approx(2.0, abs=0.3)


def test_convergence_order_of_model_sequences():
    linear = 0.5 ** np.arange(20)
    assert convergence_order(linear) == pytest.approx(1.0)
    quadratic = [1e-1, 1e-2, 1e-4, 1e-8]
    assert convergence_order(quadratic) == pytest.approx(2.0)
    cubic = [0.5, 0.125, 0.5 ** 9]
    assert convergence_order(cubic) == pytest.approx(3.0)
    assert math.isnan(convergence_order([1.0, 0.5]))
    assert convergence_order([1e-1, 1e-2, 1e-4, 1e-8, 1e-16, 0.0]) == pytest.approx(2.0)   # below the floor
    history = np.array([[1.0, 1.0], [0.5, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(error_sequence(history, [0.0, 1.0]), [1.0, 0.5, 0.0])
