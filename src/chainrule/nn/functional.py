r"""Functions of neural networks: ``cr.nn.functional`` (PyTorch's ``torch.nn.functional`` names).

The same mathematics as the layers of ``cr.nn``, with parameters passed explicitly
(``F.linear(x, W, b)``), so a model can also be written as a plain function of its
weights.  Each function lives in the chapter of its mathematics and is re-exported here.
"""
from __future__ import annotations

from ..ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold  # noqa: F401
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.piecewise import relu  # noqa: F401
from ..ops.log_sum_exp import log_softmax, softmax  # noqa: F401
from .activations import (elu, gelu, hardtanh, leaky_relu, logsigmoid, relu6, selu, silu,  # noqa: F401
                          softplus)
from .cross_entropy import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,  # noqa: F401
                            kl_div, nll_loss)
from .dropout import dropout  # noqa: F401
from .embedding import embedding  # noqa: F401
from .linear import bilinear, linear  # noqa: F401
from .losses import (cosine_embedding_loss, gaussian_nll_loss, huber_loss, l1_loss, margin_ranking_loss,  # noqa: F401
                     mse_loss, smooth_l1_loss)
from .normalization import batch_norm, group_norm, layer_norm  # noqa: F401
from .pooling import adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d  # noqa: F401
