"""The architectures under comparison, as Keras functional models.

Every builder takes input_shape and is fully convolutional, so each profile's resolution works.
`ARCHITECTURES` maps a name to its builder and to the range its output lives in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
from keras import layers

from .config import check_choice


# Keras' default. Short profiles lower it: with few steps the moving statistics that BatchNorm
# uses at inference would otherwise still sit near their initial values.
BN_MOMENTUM = 0.99


def conv_bn(x, filters, kernel, activation, strides=1, transpose=False, bn_momentum=BN_MOMENTUM):
    """Convolution (or transposed convolution) with 'same' padding, BatchNorm, activation."""
    conv = layers.Conv2DTranspose if transpose else layers.Conv2D
    x = conv(filters, kernel, strides=strides, padding="same")(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    if activation == "prelu":
        # One slope per channel, shared over height and width (as in SRResNet).
        return layers.PReLU(shared_axes=[1, 2])(x)
    return layers.Activation(activation)(x) if activation else x


def build_simple_cnn(input_shape=(112, 112, 3), bn_momentum=BN_MOMENTUM) -> keras.Model:
    """Conv 128@9x9, then 3 x Conv 128@4x4, each with BatchNorm and ReLU; Conv 3@4x4 + sigmoid."""
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, 128, 9, "relu", bn_momentum=bn_momentum)
    for _ in range(3):
        x = conv_bn(x, 128, 4, "relu", bn_momentum=bn_momentum)
    outputs = layers.Conv2D(3, 4, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="simple_cnn")


def build_srresnet(input_shape=(112, 112, 3), bn_momentum=BN_MOMENTUM, n_blocks: int = 5,
                   filters: int = 64) -> keras.Model:
    """SRResNet (Ledig et al. 2017) without its two upsampling blocks: same-resolution output."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(filters, 9, padding="same")(inputs)
    head = layers.PReLU(shared_axes=[1, 2])(x)
    x = head
    for _ in range(n_blocks):
        y = conv_bn(x, filters, 3, "prelu", bn_momentum=bn_momentum)
        y = conv_bn(y, filters, 3, None, bn_momentum=bn_momentum)
        x = layers.Add()([x, y])
    x = conv_bn(x, filters, 9, None, bn_momentum=bn_momentum)
    x = layers.Add()([head, x])
    outputs = layers.Conv2D(3, 9, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="srresnet")


# The study lists 64-filter residual blocks after an encoder that ends at 256 channels; an
# element-wise addition needs equal widths, so the blocks take the encoder's last width. This is
# the one place that reading is made.
RESIDUAL_AUTOENCODER_WIDTHS = (64, 128, 256)


def build_residual_autoencoder(input_shape=(112, 112, 3), bn_momentum=BN_MOMENTUM,
                               output_activation: str = "sigmoid", n_blocks: int = 3) -> keras.Model:
    """Conv 64@9x9; Conv 64,128,256 @4x4 stride 2; residual blocks at 256 channels; Transpose
    Conv 256,128,64 @4x4 stride 2; Transpose Conv 3@9x9 + output activation. BatchNorm + ReLU
    after every hidden layer."""
    inputs = keras.Input(input_shape)
    x = conv_bn(inputs, 64, 9, "relu", bn_momentum=bn_momentum)
    for width in RESIDUAL_AUTOENCODER_WIDTHS:
        x = conv_bn(x, width, 4, "relu", strides=2, bn_momentum=bn_momentum)
    width = RESIDUAL_AUTOENCODER_WIDTHS[-1]
    for _ in range(n_blocks):
        y = conv_bn(x, width, 3, "relu", bn_momentum=bn_momentum)
        y = conv_bn(y, width, 3, None, bn_momentum=bn_momentum)
        x = layers.Add()([x, y])
    for width in reversed(RESIDUAL_AUTOENCODER_WIDTHS):
        x = conv_bn(x, width, 4, "relu", strides=2, transpose=True, bn_momentum=bn_momentum)
    outputs = layers.Conv2DTranspose(3, 9, padding="same", activation=output_activation)(x)
    return keras.Model(inputs, outputs, name=f"residual_autoencoder_{output_activation}")


def build_original_residual_autoencoder(input_shape=(112, 112, 3),
                                        bn_momentum=BN_MOMENTUM) -> keras.Model:
    """Trinidad's (2017) residual autoencoder: a tanh output for data scaled to [-1, 1]."""
    return build_residual_autoencoder(input_shape, bn_momentum, output_activation="tanh")


@dataclass(frozen=True)
class Architecture:
    label: str
    build: Callable[..., keras.Model]
    output_range: tuple[float, float] = (0.0, 1.0)


ARCHITECTURES = {
    "simple_cnn": Architecture("Simple CNN", build_simple_cnn),
    "srresnet": Architecture("SRResNet", build_srresnet),
    "residual_autoencoder": Architecture("Residual Autoencoder", build_residual_autoencoder),
    "original_residual_autoencoder": Architecture(
        "Original Residual Autoencoder", build_original_residual_autoencoder, (-1.0, 1.0)),
}
STUDY_ARCHITECTURES = ("simple_cnn", "srresnet", "residual_autoencoder")


def get_architecture(name: str) -> Architecture:
    check_choice("architecture", name, list(ARCHITECTURES))
    return ARCHITECTURES[name]


def build_model(name: str, input_shape, bn_momentum=BN_MOMENTUM) -> keras.Model:
    return get_architecture(name).build(input_shape=tuple(input_shape), bn_momentum=bn_momentum)
