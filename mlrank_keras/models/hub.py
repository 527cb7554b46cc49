"""keras-hub backbones: a preset name or a local preset folder as a ranker's backbone.

``hub_backbone("resnet_50_imagenet")`` loads ``keras_hub.models.Backbone.from_preset`` and,
where the preset has one, its image converter (the resize and scaling the network was
trained with), and puts both in one functional model from raw RGB pixels ([0, 255]) to the
backbone's features: feed it from the data pipeline with ``normalization=None``. A preset
name downloads on first use (keras-hub caches it); a local folder (``save_to_preset``) does
not. keras-hub is the ``[hub]`` extra and is imported only here; import ``keras_hub`` before
``keras.saving.load_model`` of a model built on it (its layers are keras-hub's).
"""

import difflib
import os

from mlrank_keras.extras import require


def _preset_argument(preset, known):
    """A local folder, a ``kaggle://`` or ``hf://`` handle, or a preset keras-hub lists; a
    misspelt name is an error here, before keras-hub tries to download it."""
    preset = os.fspath(preset) if isinstance(preset, os.PathLike) else preset
    if not isinstance(preset, str) or not preset:
        raise ValueError(f"`preset` must be a preset name or folder. Received: {preset!r}")
    if os.path.isdir(preset) or "://" in preset or preset in known:
        return preset
    if os.sep in preset or preset.startswith("."):
        raise ValueError(f"`preset` {preset!r} looks like a path, but it is not a folder.")
    close = difflib.get_close_matches(preset, list(known), n=5, cutoff=0.6)
    raise ValueError(
        f"`preset` {preset!r} is neither a folder nor a keras-hub preset"
        + (f"; close names: {close}" if close else "")
        + ". keras_hub.models.Backbone.presets lists them all; the keras.applications names "
        "are mlrank_keras.models.APPLICATIONS."
    )


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

    preset = _preset_argument(preset, keras_hub.models.Backbone.presets)
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
