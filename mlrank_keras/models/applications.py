"""``keras.applications`` networks as backbones, their input preprocessing inside the model.

A pretrained network expects its own input scaling (``preprocess_input``): ResNet50 and VGG16
BGR minus the ImageNet mean ("caffe"), MobileNetV2 [-1, 1] ("tf"), DenseNet the ImageNet mean
and standard deviation ("torch"); EfficientNet and ConvNeXt scale inside themselves.
:func:`application_backbone` puts that step in the model (:class:`ImagePreprocessing`), so
the model and a saved ``.keras`` file take raw RGB pixels in [0, 255] on every backend: feed
it from the data pipeline with ``normalization=None``.

Weights: None (random), ``"imagenet"`` (Keras downloads and caches the file on a machine with
network access) or the path of a local weights file for the application without its top
(``include_top=False``, e.g. one saved with ``model.save_weights``).
"""

import os

import keras

from mlrank_keras.layers.image_preprocessing import ImagePreprocessing

# name: (constructor in keras.applications, preprocessing mode)
APPLICATIONS = {
    "resnet50": ("ResNet50", "caffe"),
    "resnet101": ("ResNet101", "caffe"),
    "vgg16": ("VGG16", "caffe"),
    "mobilenet_v2": ("MobileNetV2", "tf"),
    "densenet121": ("DenseNet121", "torch"),
    "efficientnet_b0": ("EfficientNetB0", None),
    "convnext_tiny": ("ConvNeXtTiny", None),
}
def application_backbone(name, input_shape=(224, 224, 3), weights=None, **kwargs):
    """A ``keras.applications`` network without its top, as a backbone from raw RGB pixels
    ([0, 255]) to its pooled features, with its preprocessing inside.

    Args:
        name: one of :data:`APPLICATIONS` (``"resnet50"``, ``"mobilenet_v2"``, ...).
        input_shape: the image shape the model takes.
        weights: None (random), ``"imagenet"`` (downloaded by Keras and cached) or the path
            of a local weights file of the application with ``include_top=False``.
        **kwargs: further arguments of the application (e.g. ``alpha`` for MobileNetV2).

    Returns:
        A functional ``keras.Model`` (named after the application) from images to feature
        vectors, for ``build_ranker(..., backbone=...)``.
    """
    if name not in APPLICATIONS:
        raise ValueError(
            f"`name` must be one of {sorted(APPLICATIONS)}. Received: name={name!r}"
        )
    if weights not in (None, "imagenet"):
        if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
            raise ValueError(
                "`weights` must be None, 'imagenet' (downloaded by Keras) or the path of a "
                f"local weights file. Received: weights={weights!r}"
            )
        weights = os.fspath(weights)
    constructor, mode = APPLICATIONS[name]
    network = getattr(keras.applications, constructor)(
        include_top=False, weights=weights, input_shape=tuple(input_shape), pooling="avg",
        **kwargs,
    )
    inputs = keras.Input(tuple(input_shape), name="images")
    x = ImagePreprocessing(mode, name="preprocessing")(inputs) if mode else inputs
    return keras.Model(inputs, network(x), name=name)
