r"""The optimizer: parameter groups, per-parameter state, and one step at a time.

An optimizer holds the tensors it updates in *parameter groups* (each a dict: the
``params`` and the options that apply to them, such as ``lr``), and a *state* per
parameter (momentum buffers, running averages, step counts).  Training alternates

.. code-block:: python

    optimizer.zero_grad()          # forget the last gradients
    loss = model_loss()            # compute the objective ...
    loss.backward()                # ... and its gradient, into each p.grad
    optimizer.step()               # move each parameter using p.grad and its state

as in PyTorch, whose names, arguments, defaults and ``state_dict`` layout
chainrule follows, so that a user's PyTorch knowledge carries over.

Subclasses state their options (``defaults``), validate them (``_check_options``,
run for the constructor's arguments and for every group added later) and write
the update of one parameter (``_update``).  The base class runs the loop over the
groups and parameters, applies ``maximize`` (ascend instead of descend: the
gradient changes sign), and updates parameters in place under
:func:`chainrule.no_grad`.  The arithmetic of an update is vectorised NumPy work
on whole arrays: nothing loops over elements.
"""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from ..autodiff import enable_grad, no_grad
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor

__all__ = ["Optimizer", "required", "buffer_like", "check_betas", "check_interval", "check_nonnegative"]


class _RequiredParameter:
    """The default of an option that has no default (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# Keys a learning-rate scheduler writes into a parameter group (they are not options
# of the optimizer, but a group may carry them, e.g. one added after the scheduler).
SCHEDULER_KEYS = frozenset({"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"})


# ----------------------------------------------------------------------------- validation
def _real(where: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r} of type {type(value).__name__}")
    return float(value)


def check_nonnegative(where: str, name: str, value) -> None:
    """``value ≥ 0`` (a learning rate, a decay, an epsilon), else ValueError naming it."""
    if not _real(where, name, value) >= 0.0:
        raise ValueError(f"{where}: invalid {name}={value!r}; expected {name} ≥ 0")


def check_interval(where: str, name: str, value, low: float, high: float, *, high_closed: bool = False) -> None:
    """``low ≤ value < high`` (or ``≤ high`` with ``high_closed``), else ValueError naming it."""
    v = _real(where, name, value)
    inside = low <= v <= high if high_closed else low <= v < high
    if not inside:
        upper = "≤" if high_closed else "<"
        raise ValueError(f"{where}: invalid {name}={value!r}; expected {low:g} ≤ {name} {upper} {high:g}")


def check_betas(where: str, betas) -> None:
    """Two averaging coefficients, each in ``[0, 1)``."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
    for k, beta in enumerate(betas):
        check_interval(where, f"betas[{k}]", beta, 0.0, 1.0)


# ----------------------------------------------------------------------------- state
def divided_root(v, eps: float, correction: float = 1.0):
    r""":math:`\sqrt{v} / \sqrt{c} + \epsilon` (:math:`c` the ``correction``), the denominator of
    the adaptive methods, built in one new array (an array even when ``v`` is 0-d) that the
    caller may overwrite with the ratio :math:`g / (\sqrt{v/c} + \epsilon)`: one buffer
    instead of a temporary per operation."""
    ns = xp(v)
    root = ns.sqrt(v, out=ns.empty_like(v))
    if correction != 1.0:
        root /= correction ** 0.5
    root += eps
    return root


def buffer_like(param: Tensor, fill: float = 0.0) -> Tensor:
    """A new state buffer with the shape and dtype of ``param``, filled with ``fill``."""
    data = param.data
    return Tensor(xp(data).full_like(data, fill))


def _snapshot(value):
    """A deep copy of a state value: tensors and arrays get their own memory, so that a
    saved ``state_dict`` does not change when training goes on."""
    if isinstance(value, Tensor):
        return Tensor(xp(value.data).array(value.data, copy=True))
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    return copy.deepcopy(value)


def _cast_like(value, param: Tensor, key=None):
    """A copy of a loaded state value with floating tensors cast to the parameter's dtype
    (as PyTorch does; the step counter keeps its own type)."""
    if isinstance(value, Tensor):
        data = value.data
        if key != "step" and data.dtype.kind == "f" and param.dtype.kind == "f":
            data = data.astype(param.dtype)
        return Tensor(xp(data).array(data, copy=True))
    if isinstance(value, dict):
        return {k: _cast_like(v, param, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_like(v, param) for v in value)
    return copy.deepcopy(value)


# ----------------------------------------------------------------------------- the base class
class Optimizer:
    r"""Base class of the training optimizers (PyTorch's ``torch.optim.Optimizer``).

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to optimize (leaves with ``requires_grad=True``), or parameter
        groups: dicts with a ``"params"`` entry and any options that override the
        defaults for those tensors, e.g.
        ``[{"params": [w]}, {"params": [b], "lr": 1e-3}]``.
    defaults : dict
        The options of the optimizer and their values for groups that do not set them.

    Attributes
    ----------
    param_groups : list of dict
        The groups, each with its ``"params"`` and every option.
    state : dict
        Per-parameter state, keyed by the parameter tensor.
    defaults : dict
        The options given to the constructor.
    """

    # Per-parameter buffers (momentum, averages) have the parameter's shape; LBFGS keeps
    # flat vectors of all parameters instead and checks its own.
    _state_shaped_like_params = True

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of tensors or of dicts, got a single tensor; "
                            f"write [tensor]")
        if isinstance(params, dict):
            raise TypeError(f"{name}: params must be an iterable of tensors or of parameter-group dicts, got a "
                            f"dict; write [{{'params': ...}}]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # -- options -----------------------------------------------------------------------
    def _check_options(self, group: dict[str, Any]) -> None:
        """Raise ValueError for an option out of its range (subclasses override)."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with options that override the defaults.

        Useful when fine-tuning: frozen layers can be made trainable and added as
        training goes on.  Options not given take the optimizer's defaults.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be in an ordered collection (a list), not a set, so that "
                            f"their order (and a saved state) is the same from run to run")
        params = list(params)
        group_index = len(self.param_groups)
        for k, p in enumerate(params):
            where = f"parameter {k} of group {group_index}"
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize tensors, but {where} is a {type(p).__name__}")
            if p._level is not None:
                raise ValueError(f"{name}: {where} is a tensor inside a transform (grad, vmap, ...); "
                                 f"optimize the tensors outside it")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: {where} has dtype {p.dtype}; only floating tensors can be optimized")
            if not p.requires_grad:
                raise ValueError(f"{name}: {where} (shape {fmt_shape(p.shape)}) does not require gradients, so "
                                 f"it would never move; create it with requires_grad=True or leave it out")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor ({where} was computed by an "
                                 f"operation); optimize the leaf it comes from, or .detach().requires_grad_()")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter appears twice in group {group_index}")
        known = set(self.defaults) | SCHEDULER_KEYS | {"params", "param_names"}
        unknown = sorted(set(param_group) - known)
        if unknown:
            raise ValueError(f"{name}: unknown option {unknown[0]!r} in parameter group {group_index}; valid "
                             f"options: {', '.join(sorted(self.defaults))}")
        group = dict(param_group)
        group["params"] = params
        for option, default in self.defaults.items():
            if default is required and option not in group:
                raise ValueError(f"{name}: parameter group {group_index} didn't specify a value of the required "
                                 f"option {option!r}")
            group.setdefault(option, default)
        self._check_options(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # -- gradients -----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set each ``p.grad`` to None (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    # zero in place (others may hold the gradient tensor), unless the array is a
                    # read-only view that backward handed out
                    data = p.grad.data
                    if getattr(getattr(data, "flags", None), "writeable", True):
                        p.grad.detach().zero_()
                    else:
                        p.grad = Tensor(xp(data).zeros_like(data))

    def _gradient(self, param: Tensor, group: dict) -> Any:
        """The array the update descends: ``p.grad``, negated with ``maximize``."""
        grad = param.grad
        if grad.shape != param.shape:
            raise ShapeError(f"{type(self).__name__}: a parameter of shape {fmt_shape(param.shape)} has a gradient "
                             f"of shape {fmt_shape(grad.shape)}")
        g = grad.data
        return -g if group.get("maximize", False) else g

    # -- the step --------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; return the closure's loss (or None).

        ``closure``, when given, re-evaluates the objective and its gradient
        (``zero_grad``, forward, ``backward``) and returns the loss; it is called
        with gradient recording on, before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    self._update(param, self._gradient(param, group), group, self.state[param])
        return loss

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        """Update one parameter in place from its gradient (an array), its group's options and
        its state (subclasses implement)."""
        raise NotImplementedError

    # -- saving and restoring ----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict, in PyTorch's layout.

        ``{"state": {index: {...}}, "param_groups": [{option: value, ..., "params": [index, ...]}]}``:
        parameters are referred to by their position across the groups, so the state
        can be loaded into an optimizer built the same way on other tensors.  The
        result is a snapshot: later steps do not change it.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = _snapshot(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`.

        The saved groups must match this optimizer's (same number, same sizes, and the
        options of this optimizer) and each saved buffer the shape of its parameter;
        otherwise ValueError, and nothing is changed.  Floating state is cast to each
        parameter's dtype.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and 'param_groups' "
                             f"(from state_dict()), got {keys}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for k, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: saved parameter group {k} has {len(saved['params'])} "
                                 f"parameters, this optimizer's has {len(group['params'])}")
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}.load_state_dict: saved parameter group {k} lacks the option(s) "
                                 f"{', '.join(map(repr, missing))}; was it saved by another optimizer?")
            by_index.update(zip(saved["params"], group["params"]))
        new_state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key not in by_index:
                raise ValueError(f"{name}.load_state_dict: the saved state refers to parameter {key!r}, which no "
                                 f"saved group lists")
            param = by_index[key]
            if self._state_shaped_like_params:
                for buffer, v in value.items():
                    if isinstance(v, Tensor) and v.ndim > 0 and v.shape != param.shape:
                        raise ValueError(f"{name}.load_state_dict: saved {buffer!r} of parameter {key} has shape "
                                         f"{fmt_shape(v.shape)}, but the parameter has shape "
                                         f"{fmt_shape(param.shape)}")
            new_state[param] = _cast_like(value, param)
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            restored = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            restored["params"] = group["params"]
            self._check_options(restored)
            new_groups.append(restored)
        self._check_loaded_state(new_state)
        self.state = new_state
        self.param_groups = new_groups

    def _check_loaded_state(self, state: dict) -> None:
        """Further checks of a state about to be loaded (LBFGS checks its flat vectors)."""
