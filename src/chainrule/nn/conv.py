r"""Convolutional layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose2d`` (PyTorch's layouts).

================  ===========================================================  ==========================
layer             computes                                                     weight
================  ===========================================================  ==========================
``Conv2d``        :math:`y_{n,o} = b_o + \sum_c W_{o,c} \star x_{n,c}`           (out, in/groups, kH, kW)
``Conv1d``        the same along one axis                                      (out, in/groups, k)
``ConvTranspose2d`` the adjoint of Conv2d in its input, plus a bias            (in, out/groups, kH, kW)
================  ===========================================================  ==========================

:math:`\star` is cross-correlation (:func:`chainrule.ops.conv.conv2d` gives the sum, the
output size and the derivatives).  Initialization is PyTorch's:
:math:`W, b \sim U(-1/\sqrt{\mathrm{fan_{in}}}, 1/\sqrt{\mathrm{fan_{in}}})` with
:math:`\mathrm{fan_{in}} = W\mathrm{.shape}[1] \cdot k_h k_w` (``kaiming_uniform_(a=√5)``).
"""
from __future__ import annotations


from ..ops.conv import (_conv2d_checked, _conv_padding, _pair, _spatial, conv1d, conv2d,  # noqa: F401
                        conv_transpose2d, fold, unfold)
from ..ops.padding import pad
from . import init
from .input_checks import describe
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_groups(name, in_channels, out_channels, groups) -> None:
    """Channel groups must divide both channel counts (each group convolves its own slice)."""
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: groups={groups} must be positive and divide in_channels={in_channels} "
                         f"and out_channels={out_channels}")


class _Convolution(Module):
    """What every convolution layer shares: a ``weight`` and an optional ``bias`` of
    ``out_channels``, and PyTorch's initialization of both."""

    def _create_parameters(self, weight_shape, bias, dtype, generator) -> None:
        self._weight_and_bias(weight_shape, self.out_channels, bias, dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.default_weight_and_bias_(self.weight, self.bias, generator)


class _ConvNd(_Convolution):
    """What Conv1d and Conv2d share: parameters, initialization, padding modes."""

    spatial = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, generator=None):
        super().__init__()
        name = type(self).__name__
        _check_groups(name, in_channels, out_channels, groups)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _spatial(kernel_size, "kernel_size", name, 1, self.spatial, 1)[2 - self.spatial:]
        self.stride = _spatial(stride, "stride", name, 1, self.spatial, 1)[2 - self.spatial:]
        self.dilation = _spatial(dilation, "dilation", name, 1, self.spatial, 1)[2 - self.spatial:]
        if isinstance(padding, str):
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _spatial(padding, "padding", name, 0, self.spatial, 0)[2 - self.spatial:]
        self.groups, self.padding_mode = int(groups), padding_mode
        self._create_parameters((self.out_channels, self.in_channels // self.groups) + self.kernel_size, bias,
                                dtype, generator)

    def forward(self, input):
        padding = self.padding
        if self.padding_mode != "zeros" and padding != "valid":
            # PyTorch pads the input with the mode first, then convolves without padding.
            lift = (1,) * (2 - self.spatial)
            pairs = _conv_padding(padding if isinstance(padding, str) else lift + tuple(padding),
                                  lift + self.kernel_size, lift + self.dilation, lift + self.stride, describe(self))
            widths = ((0, 0),) * (input.ndim - self.spatial) + tuple(pairs[2 - self.spatial:])
            input = pad(input, widths, mode=self.padding_mode)
            padding = 0
        return _conv2d_checked(describe(self), input, self.weight, self.bias, self.stride, padding, self.dilation,
                               self.groups, spatial=self.spatial)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.spatial:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode!r}"
        return text


class Conv2d(_ConvNd):
    r"""2-D convolution layer over (N, C_in, H, W) or (C_in, H, W) inputs (PyTorch's ``nn.Conv2d``).

    .. math:: y_{n,o,h,w} = b_o + \sum_{c=1}^{C_\mathrm{in}/G} \sum_{i,j}
              W_{o,c,i,j}\; x_{n,\; g(o)\frac{C_\mathrm{in}}{G} + c,\; s_h h + d_h i - p_h,\; s_w w + d_w j - p_w}

    :math:`H_\mathrm{out} = \lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1`.  ``weight`` is
    (out_channels, in_channels/groups, kH, kW) and ``bias`` (out_channels,).  ``padding``
    is an int, a pair, ``"valid"`` or ``"same"``; ``padding_mode`` is ``"zeros"``,
    ``"reflect"``, ``"replicate"`` or ``"circular"``.  Gradients: see
    :func:`chainrule.ops.conv.conv2d`.
    """

    spatial = 2


class Conv1d(_ConvNd):
    r"""1-D convolution layer over (N, C_in, L) or (C_in, L) inputs (PyTorch's ``nn.Conv1d``).

    .. math:: y_{n,o,t} = b_o + \sum_{c=1}^{C_\mathrm{in}/G} \sum_{i} W_{o,c,i}\;
              x_{n,\,g(o)\frac{C_\mathrm{in}}{G} + c,\,s t + d i - p}

    ``weight`` is (out_channels, in_channels/groups, kernel_size).
    """

    spatial = 1


class ConvTranspose2d(_Convolution):
    r"""Transposed 2-D convolution layer (PyTorch's ``nn.ConvTranspose2d``): the adjoint of a
    :class:`Conv2d` with the same geometry, applied to (N, C_in, H, W) inputs, plus a bias.

    .. math:: y_{n,o,u,v} = b_o + \sum_{c,h,w,i,j \,:\, s_h h + d_h i - p_h = u,\ s_w w + d_w j - p_w = v}
              W_{c,o,i,j}\, x_{n,c,h,w}

    .. math:: H_\mathrm{out} = (H - 1)s - 2p + d(k - 1) + p_\mathrm{out} + 1

    ``weight`` is (in_channels, out_channels/groups, kH, kW).  ``forward(input,
    output_size=None)``: an ``output_size`` chooses the output padding that reaches it.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None, generator=None):
        super().__init__()
        _check_groups("ConvTranspose2d", in_channels, out_channels, groups)
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only padding_mode='zeros' is supported (as in PyTorch), "
                             f"got {padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", "ConvTranspose2d", 1)
        self.stride = _pair(stride, "stride", "ConvTranspose2d", 1)
        self.padding = _pair(padding, "padding", "ConvTranspose2d", 0)
        self.output_padding = _pair(output_padding, "output_padding", "ConvTranspose2d", 0)
        self.dilation = _pair(dilation, "dilation", "ConvTranspose2d", 1)
        self.groups, self.padding_mode = int(groups), padding_mode
        # the adjoint's weight: input channels first
        self._create_parameters((self.in_channels, self.out_channels // self.groups) + self.kernel_size, bias,
                                dtype, generator)

    def _output_padding(self, input, output_size):
        """The output padding that gives ``output_size`` (PyTorch's rule and error)."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-2:]
        extra = []
        for a, want in enumerate(size):
            n = input.shape[-2 + a]
            least = (n - 1) * self.stride[a] - 2 * self.padding[a] + self.dilation[a] * (self.kernel_size[a] - 1) + 1
            if not least <= want < least + self.stride[a]:
                raise ValueError(f"{describe(self)}: requested output size {tuple(size)} is not reachable from "
                                 f"input {tuple(input.shape)}: along axis {a} it must lie in "
                                 f"[{least}, {least + self.stride[a] - 1}]")
            extra.append(want - least)
        return tuple(extra)

    def forward(self, input, output_size=None):
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            from ..errors import ShapeError, fmt_shape
            raise ShapeError(f"{describe(self)}: expected input (N×{self.in_channels}×H×W) or "
                             f"({self.in_channels}×H×W), got {fmt_shape(input.shape)}")
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups, self.dilation)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
