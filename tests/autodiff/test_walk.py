"""``cr.autograd.walk``: the reverse pass recorded node by node.

Each step's adjoint must be the gradient of the output with respect to that node's
output (checked with ``cr.autograd.grad``), what it sends must be the vector-Jacobian
product worked out by hand, the leaves' totals must be ``backward()``'s gradients, and the
walk must leave the graph and every ``.grad`` as it found them.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(3)
X = RNG.standard_normal(3)
W = RNG.standard_normal((3, 2))


def leaf(values):
    return cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def network():
    x, w = leaf(X), leaf(W)
    h = x @ w
    t = cr.tanh(h)
    y = (t * t).sum()
    return x, w, h, t, y


def test_one_step_per_node_outputs_first():
    x, w, h, t, y = network()
    walk = cr.autograd.walk(y, names={"x": x, "W": w})
    assert [s.assignment for s in walk] == ["%4 = sum(%3)", "%3 = multiply(%2, %2)", "%2 = tanh(%1)",
                                            "%1 = matmul(x, W)"]
    assert [s.number for s in walk] == [1, 2, 3, 4] and len(walk) == 4
    assert walk[3].shape == (2,) and walk[0].shape == ()


def test_each_adjoint_is_the_gradient_with_respect_to_that_node():
    x, w, h, t, y = network()
    walk = cr.autograd.walk(y)
    by_label = {s.label: s.adjoint for s in walk}
    gh, gt = cr.autograd.grad(y, [h, t], retain_graph=True)
    np.testing.assert_allclose(by_label["%1"], gh.numpy(), rtol=1e-12)
    np.testing.assert_allclose(by_label["%2"], gt.numpy(), rtol=1e-12)
    assert by_label["%4"] == 1.0


def test_what_each_rule_sends():
    x, w, h, t, y = network()
    walk = cr.autograd.walk(y, names={"x": x, "W": w})
    th = np.tanh(X @ W)
    square, tanh, matmul = walk[1], walk[2], walk[3]
    # t·t sends 2 t ȳ... once to each operand position: t̄ · t and t̄ · t
    assert [label for label, _ in square.sent] == ["%2", "%2"]
    for _, ct in square.sent:
        np.testing.assert_allclose(ct, th, rtol=1e-12)
    np.testing.assert_allclose(tanh.sent[0][1], 2 * th * (1 - th ** 2), rtol=1e-12)
    (lx, gx), (lw, gw) = matmul.sent
    gh = 2 * th * (1 - th ** 2)
    assert (lx, lw) == ("x", "W")
    np.testing.assert_allclose(gx, W @ gh, rtol=1e-12)
    np.testing.assert_allclose(gw, np.outer(X, gh), rtol=1e-12)


def test_leaf_gradients_equal_backward_and_nothing_changes():
    x, w, h, t, y = network()
    walk = cr.autograd.walk(y, names={"x": x, "W": w})
    assert x.grad is None and w.grad is None
    y.backward()                                         # the graph was kept
    np.testing.assert_allclose(walk.gradients["x"], x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(walk.gradients["W"], w.grad.numpy(), rtol=1e-12)
    assert list(walk.gradients) == ["x", "W"]


def test_retained_gradients_stay_untouched_and_hooks_show():
    x = leaf(X)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    y = (h * h).sum()
    walk = cr.autograd.walk(y, names={"x": x, "h": h})
    assert h.grad is None and x.grad is None
    np.testing.assert_allclose(walk.gradients["x"], 2 * 10 * 2 * (2 * X), rtol=1e-12)   # the hook shows
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 10 * 2 * (2 * X), rtol=1e-12)


def test_unnamed_leaves_constants_and_named_intermediates():
    x, w = leaf(X), leaf(W)
    c = cr.tensor(np.ones(2))
    h = x @ w
    y = ((h + c) ** 2).sum()
    walk = cr.autograd.walk(y, names={"h": h})
    assert walk[-1].assignment == "h = matmul(leaf1, leaf2)"
    assert any(s.assignment == "%2 = add(h, const(2))" for s in walk)
    assert list(walk.gradients) == ["leaf1", "leaf2"]


def test_grad_outputs_and_several_outputs():
    x = leaf(X)
    u = RNG.standard_normal(3)
    walk = cr.autograd.walk([cr.sin(x), (x * x).sum()], [u, None], names={"x": x})
    np.testing.assert_allclose(walk.gradients["x"], np.cos(X) * u + 2 * X, rtol=1e-12)


def test_a_multi_output_primitive():
    a = RNG.standard_normal((3, 3))
    A = leaf(a + a.T)
    w, V = cr.linalg.eigh(A)
    y = (w * w).sum()
    walk = cr.autograd.walk(y, names={"A": A})
    eigh = walk[-1]
    assert eigh.op == "eigh" and eigh.shape == ((3,), (3, 3))
    assert eigh.adjoint[1] is None                       # V was not used
    np.testing.assert_allclose(eigh.adjoint[0], 2 * w.numpy(), rtol=1e-12)
    assert "none (nothing reached it)" in walk.table()
    edges = re.findall(r'^  "([^"]+)" -> "([^"]+)"', walk.to_dot(), re.M)
    assert (eigh.label, walk[-2].label) in edges         # from w = %k[0]: an edge from eigh's vertex


def test_the_text_names_every_step_its_derivative_and_the_leaves():
    x, w, h, t, y = network()
    text = str(cr.autograd.walk(y, names={"x": x, "W": w}))
    assert text.startswith("reverse pass from %4: 4 step(s)")
    for line in ("step 4  %1 = matmul(x, W)", r"derivative         dy/dx = 1 - y^2", "sends to W"):
        assert line in text
    assert re.search(r"^    x\s+\[", text, re.M)          # the leaves' gradients, by name
    assert "(3×2), norm" not in text                     # six entries are shown as values


def test_large_arrays_are_summarized_by_shape_and_norm():
    x = leaf(RNG.standard_normal((4, 5)))
    walk = cr.autograd.walk((x * x).sum(), names={"x": x})
    assert f"(4×5), norm {np.linalg.norm(2 * x.numpy()):.4g}" in walk.table()


def test_dot_has_a_vertex_per_leaf_and_node_and_an_edge_per_cotangent_sent():
    x, w, h, t, y = network()
    walk = cr.autograd.walk(y, names={"x": x, "W": w})
    dot = walk.to_dot()
    assert dot.startswith("digraph backward {") and dot.rstrip().endswith("}")
    vertices = re.findall(r'^  "([^"]+)" \[shape=', dot, re.M)
    edges = re.findall(r'^  "([^"]+)" -> "([^"]+)"', dot, re.M)
    assert sorted(vertices) == sorted(["x", "W", "%1", "%2", "%3", "%4"])
    assert len(edges) == sum(len(s.sent) for s in walk) == 6         # t·t: an edge per operand
    assert ("x", "%1") in edges and ("W", "%1") in edges and ("%2", "%3") in edges


def test_bad_input():
    x = leaf(X)
    with pytest.raises(TypeError, match=r"names\['x'\] must be a tensor, got ndarray"):
        cr.autograd.walk((x * x).sum(), names={"x": X})
    with cr.no_grad():
        y = (x * x).sum()
    with pytest.raises(cr.GraphError, match="autograd.walk: output 0 does not require grad"):
        cr.autograd.walk(y)
    with pytest.raises(cr.GraphError, match="scalar outputs"):
        cr.autograd.walk(x * x)
