"""The scheduler base class: ``step()`` writes learning rates into an optimizer's groups."""
from __future__ import annotations

from typing import Any, Sequence

from ..optimizer import Optimizer

__all__ = ["LRScheduler", "check_optimizer", "per_group"]


def check_optimizer(name: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected a chainrule optimizer, got {type(optimizer).__name__}")


def per_group(name: str, what: str, optimizer: Optimizer, value) -> list:
    """A value per parameter group: a list of that length, or one value for every group."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name}: {what} has {len(value)} values but the optimizer has "
                             f"{len(optimizer.param_groups)} parameter groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    r"""Base class of the schedulers: ``step()`` advances :attr:`last_epoch` and writes the
    learning rates :meth:`get_lr` computes into the optimizer.

    Creating a scheduler records each group's ``initial_lr`` (its base rate
    :math:`\eta_0`) and performs the step to epoch 0.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for k, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: resuming with last_epoch={last_epoch}, but parameter "
                                   f"group {k} has no 'initial_lr'; load the optimizer's state first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for the current :attr:`last_epoch` (subclasses implement)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates of the last ``step()``, one per parameter group."""
        return self._last_lr

    def step(self) -> None:
        """Advance one epoch (or batch) and set the optimizer's learning rates."""
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs: Sequence[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    # -- saving and restoring --------------------------------------------------------------
    _not_saved = ("optimizer",)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute but the optimizer (and functions)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` of the same kind of scheduler."""
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {sorted(expected)} "
                             f"(from state_dict() of a {type(self).__name__}), got {got}")
        self.__dict__.update({k: v for k, v in state_dict.items() if k not in self._not_saved})
