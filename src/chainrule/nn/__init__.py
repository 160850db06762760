r"""Neural networks: ``cr.nn`` (PyTorch's names, arguments and parameter layouts).

- modules: :class:`Module`, :class:`Parameter`, :class:`Sequential`, :class:`ModuleList`,
  :class:`ModuleDict` (``module.py``, ``containers.py``);
- layers: dense (``linear.py``), normalization (``normalization.py``), ``Dropout``,
  ``Embedding``, activations (``activations.py``), convolution, pooling and recurrent layers;
- losses (``losses.py``, ``cross_entropy.py``);
- ``cr.nn.functional`` (the same mathematics as functions), ``cr.nn.init`` (PyTorch's
  initializations), ``cr.nn.utils`` (gradient clipping, penalties, flat parameter vectors).

Random initializations and dropout masks come from a default generator that
:func:`manual_seed` resets, or from an explicit ``generator`` (an int seed or a
``numpy.random.Generator``).
"""
from __future__ import annotations

from . import functional, init, utils  # noqa: F401
from .activations import (ELU, GELU, SELU, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, ReLU, ReLU6,  # noqa: F401
                          Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .init import manual_seed  # noqa: F401
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from .losses import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,  # noqa: F401
                     HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, NLLLoss, SmoothL1Loss)
from .module import IncompatibleKeys, Module, Parameter, StateDictError  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # noqa: F401

from .conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
from .pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # noqa: F401
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
