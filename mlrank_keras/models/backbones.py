"""Backbones: Gong's AlexNet-style network, the transformation paper's AlexNet (Table 1),
VGG16 through ``keras.applications`` (never downloading weights), and a small AlexNet-shaped
network for CPU runs.

Each returns a functional ``keras.Model`` from images ``(height, width, 3)`` to a feature
vector (the last hidden layer); the builders put the paper's head on top. Inputs are
expected already normalised (the data pipeline does it).
"""

import os

import keras
from keras import layers

from mlrank_keras.models.image_sides import alexnet_side, check_image_side, pooled_side
from mlrank_keras.validation import finite_float, positive_int, positive_ints, rate_argument


def alexnet_backbone(
    input_shape,
    filters,
    kernel_sizes,
    strides,
    pools,
    dense_units,
    dropout,
    padding=("valid", "same", "same", "same", "same"),
    name="alexnet",
    size_name="input_shape",
):
    """A five-convolution, AlexNet-shaped backbone; every size an argument.

    Convolutions with ReLU, each followed by 3 x 3 max pooling of stride 2 where ``pools``
    is True; then flatten and Dense layers of ``dense_units`` with ReLU, each followed by
    dropout. No local response normalisation (it has no parameters and is not in Keras).

    Returns:
        A ``keras.Model`` from images to the last Dense layer's features.
    """
    filters = positive_ints(filters, "filters", 5)
    kernel_sizes = positive_ints(kernel_sizes, "kernel_sizes", 5)
    strides = positive_ints(strides, "strides", 5)
    dense_units = positive_ints(dense_units, "dense_units")
    pools = tuple(bool(p) for p in pools)
    if len(pools) != 5 or len(tuple(padding)) != 5:
        raise ValueError("`pools` and `padding` must have one entry per convolution (5).")
    dropout = rate_argument(dropout)
    check_image_side(
        input_shape[0] if size_name == "crop_size" else input_shape, size_name, name,
        lambda side: alexnet_side(side, kernel_sizes, strides, pools, padding),
    )
    inputs = keras.Input(tuple(input_shape), name="images")
    x = inputs
    for i in range(5):
        x = layers.Conv2D(
            filters[i],
            kernel_sizes[i],
            strides=strides[i],
            padding=padding[i],
            activation="relu",
            name=f"conv{i + 1}",
        )(x)
        if pools[i]:
            x = layers.MaxPooling2D(3, strides=2, name=f"pool{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(dense_units):
        x = layers.Dense(units, activation="relu", name=f"fc{i + 6}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i + 6}")(x)
    return keras.Model(inputs, x, name=name)


def gong_alexnet(
    input_shape=(220, 220, 3),
    filters=(96, 256, 384, 384, 256),
    kernel_sizes=(11, 9, 5, 5, 5),
    strides=(4, 1, 1, 1, 1),
    pools=(True, True, False, False, True),
    dense_units=(4096, 4096, 4096),
    dropout=0.6,
    name="gong_alexnet",
):
    """Gong et al. 2014's network (section 3.1): five convolutions, three Dense(4096).

    The paper gives 220 x 220 crops, "filter sizes 11, 9 and 5 for the different
    convolutional layers", max pooling "in some of" them, three densely connected layers
    of 4096 each followed by dropout 0.6, and ReLU everywhere. Where it is vague this
    follows AlexNet: kernel sizes 11, 9, 5, 5, 5 with AlexNet's filter counts
    (96, 256, 384, 384, 256), stride 4 in the first layer, pooling after layers 1, 2 and 5.

    Example:
    >>> model = gong_alexnet(input_shape=(32, 32, 3), filters=(4, 4, 4, 4, 4),
    ...                      kernel_sizes=(3, 3, 3, 3, 3), strides=(1, 1, 1, 1, 1),
    ...                      dense_units=(8, 8, 8))
    >>> model.output_shape
    (None, 8)
    """
    return alexnet_backbone(
        input_shape, filters, kernel_sizes, strides, pools, dense_units, dropout, name=name
    )


def transform_alexnet(
    input_shape=(227, 227, 3),
    filters=(96, 256, 384, 384, 256),
    kernel_sizes=(11, 5, 3, 3, 3),
    strides=(4, 1, 1, 1, 1),
    pools=(True, True, False, False, True),
    dense_units=(4096, 4096),
    dropout=0.5,
    name="transform_alexnet",
):
    """The transformation paper's AlexNet, exactly as its Table 1 (227 x 227 input).

    conv1 96@55x55 (11 x 11, stride 4), pool to 27; conv2 256@27x27 (5 x 5); pool to 13;
    conv3 384, conv4 384, conv5 256 (3 x 3) at 13 x 13; pool to 6 x 6; fc6 and fc7 of 4096
    (AlexNet's dropout 0.5). The k x d output layer is the builder's.

    Example:
    At full size it has Table 1's parameters without its last row (58,281,344; tested).

    >>> transform_alexnet(input_shape=(67, 67, 3), filters=(4,) * 5).output_shape
    (None, 4096)
    """
    return alexnet_backbone(
        input_shape, filters, kernel_sizes, strides, pools, dense_units, dropout, name=name
    )


def cpu_alexnet(crop_size, width=0.5, name="cpu_alexnet"):
    """A small AlexNet-shaped backbone for CPU runs: five convolutions (32, 64, 96, 96 and
    64 filters times ``width``; kernels 5, 3, 3, 3, 3), max pooling after the 1st, 2nd and
    5th, then one Dense layer of ``256 * width`` units (ReLU, dropout 0.3), on
    ``crop_size x crop_size`` RGB images.

    >>> cpu_alexnet(28, width=0.25).output_shape
    (None, 64)
    """
    width = finite_float(width, "width")
    if width <= 0:
        raise ValueError(f"`width` must be a number > 0. Received: width={width!r}")
    filters = [max(4, int(round(f * width))) for f in (32, 64, 96, 96, 64)]
    return alexnet_backbone(
        (positive_int(crop_size, "crop_size"),) * 2 + (3,),
        size_name="crop_size",
        filters=filters,
        kernel_sizes=(5, 3, 3, 3, 3),
        strides=(1, 1, 1, 1, 1),
        pools=(True, True, False, False, True),
        dense_units=(max(8, int(round(256 * width))),),
        dropout=0.3,
        name=name,
    )


def cpu_convnet(
    crop_size, width=1.0, filters=(32, 64, 128), convs_per_stage=2, dropout=0.2,
    name="cpu_convnet", pooling=True,
):
    """A small VGG-style network with batch normalisation and global pooling, for CPU runs.

    One stage per entry of ``filters`` (times ``width``): ``convs_per_stage`` 3 x 3
    convolutions, each followed by batch normalisation and ReLU, and 2 x 2 max pooling
    between stages; then global average pooling and dropout. This is what a small CNN
    trained from scratch uses today (normalisation makes the training insensitive to the
    scale of the loss's gradient; global pooling keeps the head small and tolerant to where
    an object is), and it is what the main job and the recipes train on GlyphTags.
    ``pooling=False`` leaves out the global pooling: the network then outputs its last
    feature maps (after dropout), for a head that attends over them
    (:class:`mlrank_keras.layers.LabelQueryHead`).

    >>> cpu_convnet(28, width=0.25).output_shape
    (None, 32)
    >>> cpu_convnet(28, width=0.25, pooling=False).output_shape
    (None, 7, 7, 32)
    """
    width = finite_float(width, "width")
    if width <= 0:
        raise ValueError(f"`width` must be a number > 0. Received: width={width!r}")
    filters = positive_ints(filters, "filters")
    convs_per_stage = positive_int(convs_per_stage, "convs_per_stage")
    dropout = rate_argument(dropout)
    crop_size = positive_int(crop_size, "crop_size")
    check_image_side(crop_size, "crop_size", name, lambda side: pooled_side(side, len(filters)))
    inputs = keras.Input((crop_size,) * 2 + (3,), name="images")
    x = inputs
    for stage, count in enumerate(filters):
        if stage:
            x = layers.MaxPooling2D(2, name=f"pool{stage}")(x)
        for j in range(convs_per_stage):
            block = f"stage{stage + 1}_conv{j + 1}"
            x = layers.Conv2D(
                max(4, int(round(count * width))), 3, padding="same", use_bias=False,
                name=block,
            )(x)
            x = layers.BatchNormalization(name=f"{block}_bn")(x)
            x = layers.Activation("relu", name=f"{block}_relu")(x)
    if not isinstance(pooling, bool):
        raise ValueError(f"`pooling` must be True or False. Received: pooling={pooling!r}")
    if pooling:
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, x, name=name)


def vgg16(
    input_shape=(224, 224, 3), weights=None, dense_units=(4096, 4096), dropout=0.5, name="vgg16"
):
    """VGG16's convolutions from ``keras.applications`` plus Dense layers ``dense_units``.

    Args:
        input_shape: the image shape (224 x 224 x 3 in Li et al.).
        weights: None (random initialisation) or the path of a local weights file for
            ``keras.applications.VGG16(include_top=False)`` (the "notop" file). Never
            downloads: ``"imagenet"`` is refused with the way to get the file.
        dense_units: the fully connected layers (fc1, fc2) after the convolutions.
        dropout: after each Dense layer.

    Example:
    >>> vgg16(input_shape=(32, 32, 3), dense_units=(8,)).output_shape
    (None, 8)
    """
    if weights is not None:
        if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
            raise ValueError(
                "`weights` must be None or the path of a local weights file (this library "
                "never downloads). Get the file with keras.applications.VGG16(weights="
                "'imagenet', include_top=False) on a machine with network access, or from "
                f"the Keras releases. Received: weights={weights!r}"
            )
        weights = os.fspath(weights)
    dense_units = positive_ints(dense_units, "dense_units")
    dropout = rate_argument(dropout)
    convolutions = keras.applications.VGG16(
        include_top=False, weights=weights, input_shape=tuple(input_shape)
    )
    inputs = keras.Input(tuple(input_shape), name="images")
    x = layers.Flatten(name="flatten")(convolutions(inputs))
    for i, units in enumerate(dense_units):
        x = layers.Dense(units, activation="relu", name=f"fc{i + 1}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i + 1}")(x)
    return keras.Model(inputs, x, name=name)


def backbone_features(backbone, pool=True):
    """``(inputs, features)``: new inputs of ``backbone``'s shape, and its features with the
    backbone applied as one nested layer (so ``ranker_backbone`` finds it to freeze, swap or
    save it).

    Feature maps (rank 4) are average-pooled to vectors, unless ``pool=False`` (a head
    that attends over the maps, such as ``LabelQueryHead``).
    """
    if not isinstance(backbone, keras.Model):
        raise ValueError(f"`backbone` must be a keras.Model. Received: {type(backbone)!r}")
    try:
        outputs, given = backbone.outputs, backbone.inputs
    except AttributeError:  # a subclassed model has no symbolic inputs and outputs
        raise ValueError(
            f"`backbone` must be a functional or Sequential keras.Model (with inputs and "
            f"outputs); {type(backbone).__name__!r} is a subclassed model. Wrap it: "
            "`inputs = keras.Input((height, width, 3)); backbone = keras.Model(inputs, "
            "your_model(inputs))`."
        ) from None
    if len(outputs) != 1:
        raise ValueError(f"`backbone` must have one output. It has {len(outputs)}.")
    if len(outputs[0].shape) not in (2, 4):
        raise ValueError(
            "`backbone` must output feature vectors (batch, d) or maps (batch, h, w, c). "
            f"Received: {outputs[0].shape}"
        )
    inputs = [
        keras.Input(tuple(x.shape[1:]), dtype=x.dtype, name="images" if len(given) == 1 else None)
        for x in given
    ]
    inputs = inputs[0] if len(inputs) == 1 else inputs
    features = backbone(inputs)
    if pool and len(features.shape) == 4:
        features = layers.GlobalAveragePooling2D(name="pooled_features")(features)
    return inputs, features


def default_backbone(backbone, builder, backbone_kwargs, **builder_kwargs):
    """``backbone``, or, when it is None, ``builder(**builder_kwargs, **backbone_kwargs)``.

    The papers' builders take the sizes of their default backbone as keyword arguments;
    they mean nothing for a backbone the caller built.
    """
    if backbone is None:
        return builder(**builder_kwargs, **backbone_kwargs)
    given = sorted(backbone_kwargs) + sorted(k for k, v in builder_kwargs.items() if v is not None)
    if given:
        raise ValueError(
            f"{given} apply to the default backbone only, not to a `backbone` you pass."
        )
    return backbone
