"""Memory (issue 2, §8 and DESIGN §1.5): training does not grow memory, and graphs —
including those recorded by ``create_graph=True`` and by nested transforms — hold no
reference cycles, so they are freed by reference counting alone.
"""
from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import chainrule as cr


def tiny_mlp(seed=0):
    rng = np.random.default_rng(seed)
    params = [cr.tensor(rng.standard_normal((4, 8)) * 0.5, requires_grad=True),
              cr.tensor(np.zeros(8), requires_grad=True),
              cr.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True)]
    x = cr.tensor(rng.standard_normal((16, 4)))
    y = cr.tensor(np.sin(rng.standard_normal((16, 1))))
    return params, x, y


def train_step(params, x, y, lr=0.05):
    """Forward, backward, in-place SGD under no_grad: a training step in miniature."""
    W1, b1, W2 = params
    loss = ((cr.tanh(x @ W1 + b1) @ W2 - y) ** 2).mean()
    loss.backward()
    with cr.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss.item()


@pytest.fixture
def gc_disabled():
    """With the cyclic collector off, only reference counting frees memory."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_ten_thousand_training_steps_do_not_grow_memory(gc_disabled):
    # Counting the interpreter's allocated blocks costs nothing per step, so all 10,000
    # steps run at full speed; with the collector off, a leaked tensor, node or cycle per
    # step would add ~9,000 blocks or more between step 1,000 and step 10,000.
    params, x, y = tiny_mlp()
    first_loss = train_step(params, x, y)
    for step in range(1, 10_000):
        loss = train_step(params, x, y)
        if step == 999:
            blocks_after_1000 = sys.getallocatedblocks()
    growth = sys.getallocatedblocks() - blocks_after_1000
    assert loss < 0.5 * first_loss                            # it really trained
    assert growth < 1000, f"{growth} more memory blocks in use after 10,000 steps than after 1,000"


def test_training_memory_is_flat_under_tracemalloc(gc_disabled):
    # tracemalloc sees every byte (NumPy buffers too) but slows each step down, so it
    # watches a shorter run: bytes in use after 200 and after 1,000 traced steps.  The
    # first ~1,000 steps fill bounded caches (NumPy's and the interpreter's), so they
    # run untraced first.
    params, x, y = tiny_mlp(seed=1)
    for _ in range(1000):
        train_step(params, x, y)
    tracemalloc.start()
    try:
        for step in range(1000):
            train_step(params, x, y)
            if step == 199:
                early, _ = tracemalloc.get_traced_memory()
        late, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = late - early
    # one leaked 16×8 float64 activation per step alone would be 800 × 1 KiB
    assert growth < 16 * 1024, f"memory grew by {growth} bytes over 800 training steps"


def test_a_step_leaves_no_garbage_for_the_collector():
    params, x, y = tiny_mlp()
    train_step(params, x, y)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(5):
            train_step(params, x, y)
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, cr.Tensor) or type(o).__name__ == "Node"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not cyclic, f"{len(cyclic)} tensors/nodes were only reachable through reference cycles"


def test_graph_is_freed_by_reference_counting(gc_disabled):
    x = cr.tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = cr.tanh(x)
    intermediate = weakref.ref(h)
    loss = (h * h).sum()
    del h
    assert intermediate() is not None                 # held by the graph of loss
    loss.backward()
    del loss
    assert intermediate() is None, "the graph survived its loss: a reference cycle"


def test_create_graph_leaves_no_reference_cycles(gc_disabled):
    x = cr.tensor(np.array([0.5, 1.5]), requires_grad=True)
    h = cr.tanh(x)
    intermediate = weakref.ref(h)
    loss = (h * h * h).sum()
    del h
    loss.backward(create_graph=True)
    g = x.grad
    grad_ref = weakref.ref(g)
    del loss
    x.grad = None
    g.sum().backward()                               # differentiate the recorded backward pass
    np.testing.assert_allclose(x.grad.numpy(), _third_power_of_tanh_second_derivative(np.array([0.5, 1.5])))
    del g
    assert grad_ref() is None, "the first gradient (with its graph) was not freed"
    assert intermediate() is None, "the forward graph was kept alive by the backward graph through a cycle"


def _third_power_of_tanh_second_derivative(x):
    # d²/dx² tanh³ = 6 t (1-t²)² - 6 t³ (1-t²)
    t = np.tanh(x)
    return 6 * t * (1 - t ** 2) ** 2 - 6 * t ** 3 * (1 - t ** 2)


def test_create_graph_garbage_is_not_cyclic():
    x = cr.tensor(np.array([0.5, 1.5]), requires_grad=True)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            (cr.sin(x) * x).sum().backward(create_graph=True)
            g = x.grad
            x.grad = None
            g.sum().backward()
            x.grad = None
            del g
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, cr.Tensor) or type(o).__name__ == "Node"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert not cyclic, f"{len(cyclic)} tensors/nodes in reference cycles after create_graph=True"


def test_nested_transforms_leave_no_cycles(gc_disabled):
    probe = []

    def f(t):
        h = cr.tanh(t)
        probe.append(weakref.ref(h))
        return (h ** 2).sum()

    H = cr.hessian(f)(cr.tensor(np.linspace(-1, 1, 4)))
    g = cr.grad(cr.grad(lambda s: f(s)))(cr.tensor(0.3, dtype=cr.float64))
    assert H.shape == (4, 4) and g.shape == ()
    alive = [r for r in probe if r() is not None]
    assert not alive, f"{len(alive)} intermediates of nested transforms were kept alive"


def test_vjp_pullback_releases_the_graph_when_dropped(gc_disabled):
    probe = []

    def f(t):
        h = cr.exp(t)
        probe.append(weakref.ref(h))
        return h * 2

    _, pull = cr.vjp(f, cr.tensor(np.ones(3)))
    pull(cr.tensor(np.ones(3)))
    assert probe[0]() is not None            # the pullback may be called again
    del pull
    assert probe[0]() is None
