"""``keras.applications``' input preprocessing as a layer, so that a saved model takes raw
pixels (see :func:`mlrank_keras.models.application_backbone`)."""

import keras
from keras import ops

from mlrank_keras.api import register

MODES = ("caffe", "tf", "torch", None)
# The ImageNet statistics, here and in the data pipeline's normalisations.
IMAGENET_MEAN = (0.485, 0.456, 0.406)  # RGB, of pixels in [0, 1]
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)  # BGR, of pixels in [0, 255]


@register
class ImagePreprocessing(keras.layers.Layer):
    """``keras.applications``' ``preprocess_input`` as a layer (channels last), so that a
    model takes raw RGB pixels in [0, 255].

    Args:
        mode: ``"caffe"`` (RGB to BGR, minus the ImageNet mean), ``"tf"`` (to [-1, 1]),
            ``"torch"`` (to [0, 1], then the ImageNet mean and standard deviation) or None
            (unchanged). Defaults to ``"caffe"``.

    Example:
    >>> import numpy as np
    >>> x = np.full((1, 1, 1, 3), 255.0)
    >>> [round(float(v), 3) for v in np.asarray(ImagePreprocessing("tf")(x)).ravel()]
    [1.0, 1.0, 1.0]
    """

    def __init__(self, mode="caffe", **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
        self.mode = mode

    def call(self, images):
        x = ops.cast(images, self.compute_dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(IMAGENET_MEAN, dtype=x.dtype)
            std = ops.convert_to_tensor(IMAGENET_STD, dtype=x.dtype)
            return (x / 255.0 - mean) / std
        if self.mode == "caffe":
            mean = ops.convert_to_tensor(CAFFE_BGR_MEAN, dtype=x.dtype)
            return ops.flip(x, axis=-1) - mean
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config
