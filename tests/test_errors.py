"""Bad input (issue 2, §7): clear exceptions that state the algebra, raised before any
state changes, subclassing the built-in exception a Python user would catch."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


# ----------------------------------------------------------------------------- hierarchy
def test_errors_subclass_builtin_exceptions():
    assert issubclass(cr.ShapeError, ValueError)
    assert issubclass(cr.DTypeError, TypeError)
    assert issubclass(cr.GraphError, RuntimeError)
    assert issubclass(cr.AnomalyError, ArithmeticError)
    for e in (cr.ShapeError, cr.DTypeError, cr.GraphError, cr.AnomalyError):
        assert issubclass(e, cr.errors.ChainruleError)


def test_fmt_shape():
    assert cr.errors.fmt_shape((2, 3)) == "(2×3)"
    assert cr.errors.fmt_shape(()) == "()"
    assert cr.errors.fmt_shape((5,)) == "(5)"


# ----------------------------------------------------------------------------- shapes
class TestShapeErrors:
    def test_matmul_states_the_algebra(self):
        with pytest.raises(cr.ShapeError, match=r"^matmul: \(2×3\)·\(4×5\) is undefined, inner dimensions 3 ≠ 4$"):
            cr.ones(2, 3) @ cr.ones(4, 5)
        with pytest.raises(ValueError, match=r"inner dimensions 3 ≠ 4"):          # catchable as ValueError
            cr.matmul(cr.ones(3), cr.ones(4))

    def test_matmul_with_numpy_operand_and_batches(self):
        with pytest.raises(cr.ShapeError, match=r"\(2×3\)·\(2×3\) is undefined, inner dimensions 3 ≠ 2"):
            cr.ones(2, 3) @ np.ones((2, 3))
        with pytest.raises(cr.ShapeError, match=r"\(5×2×3\).*\(4×3×5\)"):
            cr.ones(5, 2, 3) @ cr.ones(4, 3, 5)

    def test_matmul_of_scalars(self):
        with pytest.raises(cr.ShapeError, match="at least one dimension"):
            cr.tensor(2.0) @ cr.ones(3)

    @pytest.mark.parametrize("op,name", [(lambda a, b: a + b, "add"), (lambda a, b: a * b, "multiply"),
                                         (lambda a, b: a - b, "subtract"), (lambda a, b: a / b, "divide"),
                                         (lambda a, b: cr.maximum(a, b), "maximum")])
    def test_broadcasting_failure_names_both_shapes(self, op, name):
        with pytest.raises(cr.ShapeError, match=rf"{name}: .*\(2×3\) and \(4×3\)"):
            op(cr.ones(2, 3), cr.ones(4, 3))

    def test_broadcasting_failure_with_a_numpy_operand(self):
        with pytest.raises(cr.ShapeError, match=r"\(2×3\) and \(2\)"):
            cr.ones(2, 3) + np.ones(2)

    def test_broadcasting_failure_inside_transforms(self):
        with pytest.raises(cr.ShapeError, match=r"\(3\) and \(4\)"):
            cr.grad(lambda x: (x * cr.ones(4)).sum())(cr.ones(3))
        with pytest.raises(cr.ShapeError, match=r"\(3\) and \(4\)"):
            cr.jvp(lambda x: x + cr.ones(4), (cr.ones(3),), (cr.ones(3),))

    def test_reshape_states_the_sizes(self):
        with pytest.raises(cr.ShapeError, match=r"\(6\).*\(4×2\)"):
            cr.ones(6).reshape(4, 2)

    def test_concatenate_and_stack(self):
        with pytest.raises(cr.ShapeError, match=r"\(2×3\).*\(2×4\)"):
            cr.concatenate([cr.ones(2, 3), cr.ones(2, 4)])
        with pytest.raises(cr.ShapeError, match=r"\(2\).*\(3\)"):
            cr.stack([cr.ones(2), cr.ones(3)])

    def test_axis_out_of_range(self):
        with pytest.raises(cr.ShapeError, match="axis 2 is out of range"):
            cr.ones(2, 3).sum(axis=2)

    def test_inplace_shape_error_changes_nothing(self):
        t = cr.tensor(np.arange(3.0))
        with pytest.raises(cr.ShapeError):
            t += np.ones((2, 3))
        np.testing.assert_array_equal(t.numpy(), np.arange(3.0))


# ----------------------------------------------------------------------------- graph misuse
class TestGraphErrors:
    def test_non_scalar_backward_without_grad(self):
        x = cr.ones(3, requires_grad=True)
        y = x * 2
        with pytest.raises(cr.GraphError, match=r"scalar outputs.*\(3\).*grad="):
            y.backward()
        assert x.grad is None
        y.backward(cr.ones(3))                     # the graph is still intact
        np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 2.0))

    def test_backward_grad_of_the_wrong_shape(self):
        y = cr.ones(3, requires_grad=True) * 2
        with pytest.raises(cr.GraphError, match=r"grad has shape \(4\) but the output has shape \(3\)"):
            y.backward(cr.ones(4))

    def test_one_element_non_scalar_backward_is_allowed(self):
        x = cr.ones(1, 1, requires_grad=True)
        (x * 3).backward()
        np.testing.assert_array_equal(x.grad.numpy(), [[3.0]])

    def test_grad_of_a_non_scalar_function(self):
        with pytest.raises(cr.GraphError, match=r"must return a scalar.*\(3\).*jacobian"):
            cr.grad(lambda x: x * 2)(cr.ones(3))
        with pytest.raises(RuntimeError, match="must return a scalar"):
            cr.value_and_grad(lambda x: (x, x))(cr.ones(3))

    def test_backward_inside_a_transform(self):
        def f(x):
            y = (x * x).sum()
            y.backward()
            return y

        with pytest.raises(cr.GraphError, match="inside a transform"):
            cr.grad(f)(cr.ones(3))

    def test_vjp_cotangent_structure(self):
        _, pull = cr.vjp(lambda x: x * 2, cr.ones(3))
        with pytest.raises(cr.GraphError, match="structure"):
            pull((cr.ones(3), cr.ones(3)))


# ----------------------------------------------------------------------------- dtypes
class TestDTypeErrors:
    @pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "jvp", "vjp", "hessian"])
    def test_differentiating_with_respect_to_an_integer_tensor(self, transform):
        x = cr.arange(3)
        calls = {
            "grad": lambda: cr.grad(lambda t: t.sum())(x),
            "jacrev": lambda: cr.jacrev(lambda t: t * 2)(x),
            "jacfwd": lambda: cr.jacfwd(lambda t: t * 2)(x),
            "jvp": lambda: cr.jvp(lambda t: t * 2, (x,), (x,)),
            "vjp": lambda: cr.vjp(lambda t: t * 2, x),
            "hessian": lambda: cr.hessian(lambda t: t.sum())(x),
        }
        with pytest.raises(cr.DTypeError, match=r"differentiate with respect to a tensor of dtype int64"):
            calls[transform]()

    def test_error_names_the_transform_called(self):
        with pytest.raises(cr.DTypeError, match=r"^grad: "):
            cr.grad(lambda t: t.sum())(cr.arange(3))
        with pytest.raises(cr.DTypeError, match=r"^jacrev: "):
            cr.jacrev(lambda t: t)(cr.arange(3))

    def test_requires_grad_on_an_integer_tensor(self):
        with pytest.raises(cr.DTypeError, match="only floating tensors can require gradients"):
            cr.tensor([1, 2], requires_grad=True)
        with pytest.raises(TypeError):
            cr.zeros(3, dtype=cr.int64, requires_grad=True)
        t = cr.arange(3)
        with pytest.raises(cr.DTypeError):
            t.requires_grad_()
        assert not t.requires_grad

    def test_non_numeric_data(self):
        with pytest.raises(cr.DTypeError, match="<U3"):
            cr.tensor("abc")
        with pytest.raises(TypeError):
            cr.tensor(np.array(["a", "b"]))

    def test_unsupported_argument_type_for_a_transform(self):
        with pytest.raises(TypeError, match="got str"):
            cr.grad(lambda x: x)("abc")


# ----------------------------------------------------------------------------- transforms
class TestTransformArguments:
    def test_unknown_jacobian_mode(self):
        with pytest.raises(ValueError, match=r"unknown mode 'forward'.*'rev', 'fwd' or 'auto'"):
            cr.jacobian(lambda x: x, mode="forward")

    def test_argnums_out_of_range(self):
        with pytest.raises(ValueError, match=r"argnums=2.*1 positional"):
            cr.grad(lambda x: x, argnums=2)(1.0)

    def test_vmap_errors(self):
        with pytest.raises(ValueError, match="0-d"):
            cr.vmap(lambda x: x)(cr.tensor(1.0))
        with pytest.raises(ValueError, match="in_axes has 2 entries for 1 arguments"):
            cr.vmap(lambda x: x, in_axes=(0, 0))(cr.ones(3))
        with pytest.raises(ValueError, match="no argument is mapped"):
            cr.vmap(lambda x: x, in_axes=None)(cr.ones(3))
        with pytest.raises(cr.ShapeError, match=r"in_axes=2 is out of range for an argument of shape \(3\)"):
            cr.vmap(lambda x: x, in_axes=2)(cr.ones(3))

    def test_jvp_argument_errors(self):
        with pytest.raises(TypeError, match="tuples"):
            cr.jvp(lambda x: x, cr.ones(3), cr.ones(3))
        with pytest.raises(ValueError, match=r"tangent of shape \(2\)"):
            cr.jvp(lambda x: x, (cr.ones(3),), (cr.ones(2),))

    def test_set_default_dtype_rejects_integers(self):
        with pytest.raises(TypeError):
            cr.set_default_dtype(np.int32)
        assert cr.get_default_dtype() == np.float32


class TestConversionErrors:
    def test_item_of_many_elements(self):
        with pytest.raises(ValueError, match=r"one-element.*\(3,\)|one-element.*\(3\)"):
            cr.ones(3).item()

    def test_truth_value_is_ambiguous(self):
        with pytest.raises(ValueError, match="ambiguous"):
            if cr.ones(3):
                pass

    def test_index_with_a_float_tensor(self):
        with pytest.raises(TypeError, match="integer"):
            [1, 2, 3][cr.tensor(1.0)]
