r"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``).

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups each time its
:meth:`~LRScheduler.step` is called (once per epoch or per batch, after
``optimizer.step()``).  With :math:`\eta_0` the initial learning rate of a group and
:math:`t` the number of ``step()`` calls so far:

===============================  ===============================================================
``LambdaLR``                      :math:`\eta_t = \eta_0\, \lambda(t)`
``StepLR``                        :math:`\eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}`
``MultiStepLR``                   :math:`\eta_t = \eta_0\, \gamma^{\#\{m_i \le t\}}`
``ExponentialLR``                 :math:`\eta_t = \eta_0\, \gamma^t`
``CosineAnnealingLR``             :math:`\eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi t / T))`
``CosineAnnealingWarmRestarts``   the same with :math:`t` counted from the last restart and periods :math:`T_0, T_0 T_{mult}, \ldots`
``LinearLR``                      :math:`\eta_t = \eta_0\,(s + (e - s)\min(t, T)/T)`
``OneCycleLR``                    warm up to ``max_lr`` then anneal far below the start (per batch)
``SequentialLR``                  one schedule after another, switching at milestones
``ReduceLROnPlateau``             multiply by ``factor`` when a metric stops improving
===============================  ===============================================================

As in PyTorch, the multiplicative schedules are *chainable*: each ``step()`` multiplies
the current rate by the ratio :math:`\eta_t / \eta_{t-1}` of the formula above, so two
schedulers on one optimizer compose (their factors multiply), and the closed forms
hold when a scheduler works alone.  Every scheduler has ``state_dict()`` and
``load_state_dict()``.
"""
from __future__ import annotations

from .decay import (CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR,  # noqa: F401
                    MultiStepLR, StepLR)
from .policies import OneCycleLR, ReduceLROnPlateau, SequentialLR  # noqa: F401
from .scheduler import LRScheduler  # noqa: F401

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "LinearLR", "OneCycleLR", "SequentialLR", "ReduceLROnPlateau"]
