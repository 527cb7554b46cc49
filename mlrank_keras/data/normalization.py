"""The normalisations a backbone expects, applied to float32 RGB images in ``[0, 255]``."""

import numpy as np
import tensorflow as tf

from mlrank_keras.layers.image_preprocessing import CAFFE_BGR_MEAN, IMAGENET_MEAN, IMAGENET_STD


def _affine(images, scale, shift):
    """``images * scale + shift`` per channel, with the constants spelt out to the full image
    shape when it is static: TensorFlow's broadcasting of a (3,) vector is several times slower
    on CPU than a plain elementwise product."""
    scale = np.asarray(scale, np.float32)
    shift = np.asarray(shift, np.float32)
    if images.shape.is_fully_defined():
        scale = np.broadcast_to(scale, images.shape)
        shift = np.broadcast_to(shift, images.shape)
    return images * tf.constant(scale) + tf.constant(shift)


def _imagenet(images):
    std = np.asarray(IMAGENET_STD)
    return _affine(images, 1.0 / (255.0 * std), -np.asarray(IMAGENET_MEAN) / std)


def _caffe(images):
    return _affine(images[..., ::-1], (1.0, 1.0, 1.0), -np.asarray(CAFFE_BGR_MEAN))


# Name -> function of float32 RGB images in [0, 255].
NORMALIZATIONS = {
    # (x / 255 - ImageNet mean) / ImageNet std per channel: the AlexNet-style backbones here.
    "imagenet": _imagenet,
    # RGB -> BGR minus the ImageNet BGR mean, as keras.applications.vgg16.preprocess_input.
    "caffe": _caffe,
    "unit": lambda images: images * (1.0 / 255.0),
    "symmetric": lambda images: images * (1.0 / 127.5) - 1.0,
    "none": lambda images: images,
}


def get_normalization(normalization):
    """A name in ``NORMALIZATIONS``, None (no change) or a function -> the function."""
    if callable(normalization):
        return normalization
    if normalization is None:
        return NORMALIZATIONS["none"]
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"`normalization` must be one of {sorted(NORMALIZATIONS)}, None or a function, "
            f"got {normalization!r}."
        )
    return NORMALIZATIONS[normalization]
