"""keras-hub backbones: a preset name or a local preset folder as a ranker's backbone.

``hub_backbone("resnet_50_imagenet")`` loads ``keras_hub.models.Backbone.from_preset`` and,
where the preset has one, its image converter (the resize and scaling the network was
trained with), and puts both in one functional model from raw RGB pixels ([0, 255]) to the
backbone's features: feed it from the data pipeline with ``normalization=None``. A preset
name downloads on first use (keras-hub caches it); a local folder (``save_to_preset``) does
not. keras-hub is the ``[hub]`` extra and is imported only here; import ``keras_hub`` before
``keras.saving.load_model`` of a model built on it (its layers are keras-hub's).
"""

from mlrank_keras.extras import require


def hub_backbone(preset, image_shape=None, load_weights=True, image_converter=True):
    """A keras-hub backbone from ``preset``, its image converter inside the model.

    Args:
        preset: a keras-hub preset name (``"resnet_50_imagenet"``) or a local preset folder.
        image_shape: the shape of the images the model takes, e.g. ``(256, 256, 3)``; None
            for the converter's image size (or the backbone's input shape where it has none).
        load_weights: load the preset's weights (False: random initialisation).
        image_converter: put the preset's image converter (resize and scaling) in the model
            where the preset has one; without one the model takes the pixels as they come.

    Returns:
        A functional ``keras.Model`` from images to the backbone's output (feature maps are
        average-pooled by ``build_ranker``).
    """
    require("keras_hub", "mlrank_keras.models.hub_backbone (keras-hub backbones)")
    import keras
    import keras_hub

    backbone = keras_hub.models.Backbone.from_preset(preset, load_weights=load_weights)
    converter = None
    if image_converter:
        try:
            converter = keras_hub.layers.ImageConverter.from_preset(preset)
        except (FileNotFoundError, ValueError):
            converter = None  # a backbone saved alone has no converter
    if image_shape is None:
        size = getattr(converter, "image_size", None)
        image_shape = (*size, 3) if size else tuple(backbone.inputs[0].shape[1:])
    if any(side is None for side in image_shape):
        raise ValueError(
            f"`image_shape` must be given for preset {preset!r}: its backbone takes any size. "
            "Received: image_shape=None"
        )
    inputs = keras.Input(tuple(image_shape), name="images")
    x = converter(inputs) if converter is not None else inputs
    return keras.Model(inputs, backbone(x), name="hub_backbone")
