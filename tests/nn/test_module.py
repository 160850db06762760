"""The module system: registration, traversal, modes, state_dict, pytrees, containers, repr."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.testing import check_grads


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4, dtype=cr.float64)
        self.scale = nn.Parameter(cr.tensor(np.full(4, 2.0)))
        self.register_buffer("count", cr.zeros((), dtype=cr.float64))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)
        self.act = nn.Tanh()
        self.note = "plain attribute"

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


def test_registration_and_traversal():
    m = Block()
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in m.named_buffers()] == ["count", "scratch"]
    assert [n for n, _ in m.named_children()] == ["fc", "act"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "act"]
    assert list(m.state_dict()) == ["scale", "count", "fc.weight", "fc.bias"]   # non-persistent left out
    assert m.note == "plain attribute" and "note" not in dict(m.named_parameters())
    assert len(list(m.parameters(recurse=False))) == 1
    assert isinstance(m.fc.weight, nn.Parameter) and m.fc.weight.requires_grad and m.fc.weight.is_leaf


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]   # PyTorch keeps every name


def test_assignment_rules():
    m = Block()
    with pytest.raises(TypeError, match="parameter 'scale'"):
        m.scale = cr.ones(4)
    m.scale = None
    assert m.scale is None and "scale" not in dict(m.named_parameters())
    m.count = cr.ones((), dtype=cr.float64)          # a buffer takes a new tensor
    assert float(m.count) == 1.0
    with pytest.raises(TypeError, match="buffer 'count'"):
        m.count = 3.0
    del m.act
    assert "act" not in dict(m.named_children())
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        m.missing  # noqa: B018

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(cr.ones(2))
    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Early()


def test_train_eval_requires_grad_zero_grad_apply():
    m = nn.Sequential(Block(), nn.Dropout(0.5))
    assert m.training and m[1].training
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    x = cr.tensor(np.ones((2, 3)))
    m.eval()(x).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Tanh", "Block", "Dropout", "Sequential"]      # children first


def test_to_dtype_keeps_parameter_objects():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    weight = m[0].weight
    m.to(cr.float64)
    assert m[0].weight is weight and weight.dtype == np.float64
    assert m[1].running_mean.dtype == np.float64
    assert m[1].num_batches_tracked.dtype == np.int64                 # integers are not converted
    assert m.float()[0].weight.dtype == np.float32
    with pytest.raises(cr.DTypeError, match="floating"):
        m.to(np.int32)


def test_state_dict_round_trip_gives_same_outputs():
    a, b = Block(), Block()
    nn.init.normal_(b.fc.weight, generator=3)
    x = cr.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    # loading copies values: the modules do not share memory afterwards
    with cr.no_grad():
        a.fc.weight.add_(1.0)
    assert not np.allclose(a.fc.weight.numpy(), b.fc.weight.numpy())


def test_load_state_dict_errors_leave_the_model_unchanged():
    m = Block()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    bad = {k: v.numpy() + 1 for k, v in m.state_dict().items()}
    del bad["scale"]
    bad["extra"] = np.zeros(3)
    bad["fc.weight"] = np.zeros((3, 4))
    with pytest.raises(nn.StateDictError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys: 'scale'" in message and "unexpected keys: 'extra'" in message
    assert "size mismatch for 'fc.weight'" in message and "(3×4)" in message and "(4×3)" in message
    assert info.value.missing_keys == ["scale"] and info.value.unexpected_keys == ["extra"]
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])          # nothing was written
    # non-strict: missing and unexpected keys are reported, shapes still must match
    del bad["fc.weight"]
    result = m.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["scale", "fc.weight"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(m.fc.bias.numpy(), before["fc.bias"] + 1)


def test_grad_of_a_loss_has_the_model_structure():
    model = nn.Sequential(nn.Linear(3, 4, dtype=cr.float64), nn.Tanh(), nn.Linear(4, 1, dtype=cr.float64))
    rng = np.random.default_rng(0)
    x, y = cr.tensor(rng.standard_normal((6, 3))), cr.tensor(rng.standard_normal((6, 1)))

    def loss(m, x, y):
        return nn.functional.mse_loss(m(x), y)

    g = cr.grad(loss)(model, x, y)
    assert isinstance(g, nn.Sequential) and isinstance(g[0], nn.Linear)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in model.named_parameters()]
    loss(model, x, y).backward()
    for (name, p), (_, gp) in zip(model.named_parameters(), g.named_parameters()):
        np.testing.assert_allclose(gp.numpy(), p.grad.numpy(), rtol=1e-12, err_msg=name)
    # derivatives with respect to every parameter, against finite differences (order 2)
    check_grads(lambda m: loss(m, x, y), (model,), order=2)


def test_module_under_vmap_and_jvp():
    model = nn.Linear(3, 2, dtype=cr.float64)
    xs = cr.tensor(np.random.default_rng(1).standard_normal((4, 3)))
    batched = cr.vmap(lambda x: model(x))(xs)
    np.testing.assert_allclose(batched.numpy(), model(xs).numpy(), rtol=1e-12)
    tangent = cr.grad(lambda m: m(xs).sum())(model)          # a module-shaped tangent
    _, dy = cr.jvp(lambda m: m(xs).sum(), (model,), (tangent,))
    expected = sum(float((t.numpy() ** 2).sum()) for t in tangent.parameters())
    np.testing.assert_allclose(float(dy), expected, rtol=1e-10)


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    assert seq[1:][1] is seq[2]
    seq.append(nn.Sigmoid())
    assert list(dict(seq.named_children())) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(dict(seq.named_children())) == ["0", "1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    named = nn.Sequential({"enc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]

    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.insert(1, nn.Tanh())
    layers.extend([nn.ReLU()])
    assert len(layers) == 5 and isinstance(layers[1], nn.Tanh)
    assert len(list(layers.parameters())) == 6
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]

    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.Identity()
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    heads.pop("a")
    assert list(heads.keys()) == ["b", "c"]


def test_repr_is_nested_like_pytorch():
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert repr(m) == ("Sequential(\n"
                       "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                       "  (1): Sequential(\n"
                       "    (0): ReLU()\n"
                       "    (1): Dropout(p=0.1, inplace=False)\n"
                       "  )\n"
                       ")")
    assert repr(nn.Parameter(cr.ones(2))).startswith("Parameter containing:")


def test_deepcopy_makes_independent_modules():
    m = Block()
    c = copy.deepcopy(m)
    assert c.fc.weight is not m.fc.weight
    np.testing.assert_array_equal(c.fc.weight.numpy(), m.fc.weight.numpy())
    with cr.no_grad():
        c.fc.weight.add_(1.0)
    assert not np.allclose(c.fc.weight.numpy(), m.fc.weight.numpy())


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


def test_empty_parameter_and_weight_and_bias():
    from chainrule.nn.module import empty_parameter
    p = empty_parameter((2, 3))
    assert isinstance(p, nn.Parameter) and p.shape == (2, 3) and p.requires_grad
    assert p.dtype == cr.get_default_dtype()
    assert empty_parameter((4,), "float64").dtype == np.float64
    with_bias, without = nn.Linear(3, 2), nn.Linear(3, 2, bias=False)
    assert [name for name, _ in with_bias.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in without.named_parameters()] == ["weight"] and without.bias is None
    assert nn.Conv2d(1, 4, 3, dtype="float64").bias.shape == (4,)
