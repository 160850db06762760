"""Sorting: values, stability at ties, the permutation as the derivative, topk, vmap."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_sort_and_argsort_match_numpy(axis):
    a = np.random.default_rng(0).standard_normal((4, 5))
    np.testing.assert_array_equal(cr.sort(t64(a), axis).numpy(), np.sort(a, axis=axis))
    np.testing.assert_array_equal(cr.argsort(t64(a), axis).numpy(), np.argsort(a, axis=axis, kind="stable"))


def test_descending_keeps_ties_in_their_original_order():
    x = np.array([2.0, 5.0, 2.0, 5.0, 1.0])
    np.testing.assert_array_equal(cr.argsort(t64(x), descending=True).numpy(), [1, 3, 0, 2, 4])
    np.testing.assert_array_equal(cr.argsort(t64(x)).numpy(), [4, 0, 2, 1, 3])
    u = np.array([3, 0, 3, 7], dtype=np.uint8)                     # negation would wrap around
    np.testing.assert_array_equal(cr.argsort(cr.tensor(u), descending=True).numpy(), [3, 0, 2, 1])


def test_the_derivative_of_sort_is_its_permutation():
    x = t64([3.0, 1.0, 2.0])
    jac = cr.jacobian(cr.sort)(x).numpy()
    np.testing.assert_array_equal(jac, np.eye(3)[[1, 2, 0]])
    cr.testing.check_grads(lambda v: cr.sort(v, 0, descending=True) ** 2, [np.array([[0.3, -1.2], [2.0, 0.7]])])


def test_at_ties_each_output_takes_the_derivative_of_the_element_placed_there():
    x = cr.tensor([1.0, 1.0, 0.0], dtype=cr.float64, requires_grad=True)
    weights = t64([10.0, 20.0, 30.0])
    (cr.sort(x) * weights).sum().backward()
    # sorted: x[2], x[0], x[1] (stable), so x[0] gets weight 20 and x[1] weight 30
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 30.0, 10.0])


def test_sort_under_vmap_and_hessian():
    a = np.random.default_rng(1).standard_normal((3, 6))
    np.testing.assert_array_equal(cr.vmap(cr.sort)(t64(a)).numpy(), np.sort(a, axis=-1))
    f = lambda v: (cr.sort(v) * t64(np.arange(6.0))).sum() ** 2     # noqa: E731
    h = cr.hessian(f)(t64(a[0])).numpy()
    p = np.argsort(a[0], kind="stable")
    w = np.empty(6)
    w[p] = np.arange(6.0)
    np.testing.assert_allclose(h, 2 * np.outer(w, w))


def test_topk():
    x = t64([1.0, 5.0, 3.0, 5.0, -2.0])
    values, indices = cr.topk(x, 3)
    np.testing.assert_array_equal(values.numpy(), [5.0, 5.0, 3.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 3, 2])
    small = cr.topk(x, 2, largest=False)
    np.testing.assert_array_equal(small.values.numpy(), [-2.0, 1.0])
    np.testing.assert_array_equal(small.indices.numpy(), [4, 0])


def test_tensor_methods():
    x = t64([[3.0, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(x.sort().numpy(), [[1.0, 3.0], [0.0, 2.0]])
    np.testing.assert_array_equal(x.argsort(axis=0).numpy(), [[1, 0], [0, 1]])
    assert x.topk(1).values.shape == (2, 1)


def test_errors():
    with pytest.raises(cr.ShapeError, match="argsort: a 0-d tensor"):
        cr.argsort(t64(1.0))
    with pytest.raises(cr.ShapeError, match="topk: k=4 is out of range for axis 0 of length 3"):
        cr.topk(t64([1.0, 2.0, 3.0]), 4)
    with pytest.raises(cr.ShapeError, match="axis 2 is out of range"):
        cr.sort(t64([[1.0]]), 2)


def test_against_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((4, 6))
    x = cr.tensor(a, requires_grad=True)
    w = np.random.default_rng(3).standard_normal((4, 3))
    (cr.topk(x, 3, axis=1).values * t64(w)).sum().backward()
    xt = torch.tensor(a, requires_grad=True)
    (torch.topk(xt, 3, dim=1).values * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(cr.sort(t64(a), 0, descending=True).numpy(),
                               torch.sort(torch.tensor(a), dim=0, descending=True).values.numpy())
