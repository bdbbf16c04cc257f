"""The networks under comparison, as Keras functional models: one builder per architecture of
the registry (architectures.py), registered with @builds(name), fully convolutional, so each
profile's resolution works. Every builder takes the input shape, the BatchNorm momentum and the
architecture's settings from the profile (params/*.yaml, `architectures:`). The only module of
the axes that builds a network, and so the only one that imports Keras layers.
"""
from __future__ import annotations

from ..core.quiet_keras import keras, layers
from ..core.registry import Registry
from .architectures import ARCHITECTURES

BUILDERS = Registry("architecture builder", {})


def builds(name: str):
    """Registers the decorated function as the builder of the architecture `name`."""
    def register(builder):
        BUILDERS[name] = builder
        return builder
    return register


def conv_bn(x, filters, kernel, activation, bn_momentum, strides=1, transpose=False):
    """Convolution (or transposed convolution) with 'same' padding, BatchNorm, activation."""
    conv = layers.Conv2DTranspose if transpose else layers.Conv2D
    x = conv(filters, kernel, strides=strides, padding="same")(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    if activation == "prelu":
        # One slope per channel, shared over height and width (as in SRResNet).
        return layers.PReLU(shared_axes=[1, 2])(x)
    return layers.Activation(activation)(x) if activation else x


@builds("simple_cnn")
def build_simple_cnn(input_shape, bn_momentum: float, filters: int,
                     middle_layers: int) -> keras.Model:
    """Conv filters@9x9, then middle_layers x Conv filters@4x4, each with BatchNorm and ReLU;
    Conv 3@4x4 + sigmoid. The study: 128 filters, 3 middle layers."""
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, filters, 9, "relu", bn_momentum)
    for _ in range(middle_layers):
        x = conv_bn(x, filters, 4, "relu", bn_momentum)
    outputs = layers.Conv2D(3, 4, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="simple_cnn")


@builds("srresnet")
def build_srresnet(input_shape, bn_momentum: float, filters: int, blocks: int) -> keras.Model:
    """SRResNet (Ledig et al. 2017) without its two upsampling blocks: same-resolution output.
    The study: 64 filters, 5 residual blocks."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(filters, 9, padding="same")(inputs)
    head = layers.PReLU(shared_axes=[1, 2])(x)
    x = head
    for _ in range(blocks):
        y = conv_bn(x, filters, 3, "prelu", bn_momentum)
        y = conv_bn(y, filters, 3, None, bn_momentum)
        x = layers.Add()([x, y])
    x = conv_bn(x, filters, 9, None, bn_momentum)
    x = layers.Add()([head, x])
    outputs = layers.Conv2D(3, 9, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="srresnet")


@builds("residual_autoencoder")
def build_residual_autoencoder(input_shape, bn_momentum: float, widths, blocks: int,
                               output_activation: str = "sigmoid") -> keras.Model:
    """Conv widths[0]@9x9; Conv each width @4x4 stride 2; residual blocks at the last width;
    Transpose Conv each width in reverse @4x4 stride 2; Transpose Conv 3@9x9 + output activation.
    BatchNorm + ReLU after every hidden layer. The study: widths 64, 128, 256 and 3 blocks (the
    study lists 64-filter blocks, but an element-wise addition after a 256-channel encoder needs
    256; params/*.yaml makes that reading)."""
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, widths[0], 9, "relu", bn_momentum)
    for width in widths:
        x = conv_bn(x, width, 4, "relu", bn_momentum, strides=2)
    for _ in range(blocks):
        y = conv_bn(x, widths[-1], 3, "relu", bn_momentum)
        y = conv_bn(y, widths[-1], 3, None, bn_momentum)
        x = layers.Add()([x, y])
    for width in reversed(widths):
        x = conv_bn(x, width, 4, "relu", bn_momentum, strides=2, transpose=True)
    outputs = layers.Conv2DTranspose(3, 9, padding="same", activation=output_activation)(x)
    return keras.Model(inputs, outputs, name=f"residual_autoencoder_{output_activation}")


@builds("original_residual_autoencoder")
def build_original_residual_autoencoder(input_shape, bn_momentum: float, widths,
                                        blocks: int) -> keras.Model:
    """Trinidad's (2017) residual autoencoder: a tanh output for data scaled to [-1, 1]."""
    return build_residual_autoencoder(input_shape, bn_momentum, widths, blocks, "tanh")


def build_model(name: str, input_shape, bn_momentum: float, **settings) -> keras.Model:
    """The named network for inputs of input_shape, with its settings from a profile."""
    ARCHITECTURES[name]  # an unknown name: one line listing the valid ones
    return BUILDERS[name](tuple(input_shape), bn_momentum, **settings)


def build_for_profile(name: str, profile) -> keras.Model:
    """The named network as the profile sizes it, at the profile's resolution."""
    return build_model(name, profile.image_shape, profile.bn_momentum,
                       **profile.architectures[name])
