"""Gong et al. 2014's three CNNs: softmax, pairwise ranking and WARP on one architecture."""

import keras
from keras import layers

from mlrank_keras.api import positive_int
from mlrank_keras.losses import MultilabelSoftmaxLoss, PairwiseHingeLoss, WARPLoss
from mlrank_keras.models.alexnet import backbone_features, gong_alexnet


def gong_optimizer(learning_rate=0.002, decay_steps=20_000, decay_rate=0.1, momentum=0.9):
    """Gong's optimiser: SGD with momentum 0.9, learning rate 0.002 with staircase decay.

    The paper does not give the decay schedule; this multiplies the rate by ``decay_rate``
    every ``decay_steps`` steps.
    """
    schedule = keras.optimizers.schedules.ExponentialDecay(
        learning_rate, decay_steps=decay_steps, decay_rate=decay_rate, staircase=True
    )
    return keras.optimizers.SGD(learning_rate=schedule, momentum=momentum)


def _build(loss, num_labels, backbone, compile, optimizer, metrics, name, backbone_kwargs):
    positive_int(num_labels, "num_labels")
    if backbone is None:
        backbone = gong_alexnet(**backbone_kwargs)
    elif backbone_kwargs:
        raise ValueError(
            f"Backbone sizes {sorted(backbone_kwargs)} apply to the default backbone only, "
            "not to a `backbone` you pass."
        )
    inputs, features = backbone_features(backbone)
    scores = layers.Dense(num_labels, name="scores")(features)
    model = keras.Model(inputs, scores, name=name)
    if compile:
        model.compile(optimizer=optimizer or gong_optimizer(), loss=loss, metrics=metrics)
    return model


def build_softmax_alexnet(
    num_labels=81,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    name="softmax_alexnet",
    **backbone_kwargs,
):
    """Gong's CNN with the multilabel softmax loss (section 3.2.1).

    Args:
        num_labels: the number of labels (81 for NUS-WIDE).
        backbone: None for :func:`mlrank_keras.models.gong_alexnet`, or any ``keras.Model``
            from images to features (feature maps are average-pooled).
        compile: compile with the paper's loss and optimiser (False skips it).
        optimizer: None for :func:`gong_optimizer` (SGD, momentum 0.9, learning rate
            0.002, staircase decay), or any Keras optimizer.
        metrics: passed to ``compile``, e.g. ``[mlrank_keras.metrics.PerClassRecall(k=3)]``.
        name: the model's name.
        **backbone_kwargs: sizes of the default backbone (``input_shape``, ``filters``,
            ``kernel_sizes``, ``strides``, ``pools``, ``dense_units``, ``dropout``).

    Returns:
        A functional ``keras.Model`` from images to one score per label (logits).

    Example:
    >>> model = build_softmax_alexnet(10, input_shape=(32, 32, 3), filters=(4,) * 5,
    ...     kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,))
    >>> model.output_shape
    (None, 10)
    """
    return _build(
        MultilabelSoftmaxLoss(),
        num_labels,
        backbone,
        compile,
        optimizer,
        metrics,
        name,
        backbone_kwargs,
    )


def build_ranking_alexnet(
    num_labels=81,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    margin=1.0,
    name="ranking_alexnet",
    **backbone_kwargs,
):
    """Gong's CNN with the pairwise ranking hinge loss (section 3.2.2).

    Args:
        num_labels: the number of labels (81 for NUS-WIDE).
        backbone: None for :func:`mlrank_keras.models.gong_alexnet`, or any ``keras.Model``
            from images to features (feature maps are average-pooled).
        compile: compile with the paper's loss and optimiser (False skips it).
        optimizer: None for :func:`gong_optimizer` (SGD, momentum 0.9, learning rate
            0.002, staircase decay), or any Keras optimizer.
        metrics: passed to ``compile``, e.g. ``[mlrank_keras.metrics.PerClassRecall(k=3)]``.
        margin: the hinge margin (1).
        name: the model's name.
        **backbone_kwargs: sizes of the default backbone (``input_shape``, ``filters``,
            ``kernel_sizes``, ``strides``, ``pools``, ``dense_units``, ``dropout``).

    Returns:
        A functional ``keras.Model`` from images to one score per label (logits).

    Example:
    >>> model = build_ranking_alexnet(10, input_shape=(32, 32, 3), filters=(4,) * 5,
    ...     kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,))
    >>> model.output_shape
    (None, 10)
    """
    return _build(
        PairwiseHingeLoss(margin=margin),
        num_labels,
        backbone,
        compile,
        optimizer,
        metrics,
        name,
        backbone_kwargs,
    )


def build_warp_alexnet(
    num_labels=81,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    rank_estimate="sampled",
    margin=1.0,
    seed=None,
    name="warp_alexnet",
    **backbone_kwargs,
):
    """Gong's CNN with the WARP loss (section 3.2.3), the paper's best model.

    ``rank_estimate="sampled"`` (the default) is the paper's sampled rank estimate;
    ``"exact"`` counts the violators exactly (see :class:`mlrank_keras.losses.WARPLoss`).

    Args:
        num_labels: the number of labels (81 for NUS-WIDE).
        backbone: None for :func:`mlrank_keras.models.gong_alexnet`, or any ``keras.Model``
            from images to features (feature maps are average-pooled).
        compile: compile with the paper's loss and optimiser (False skips it).
        optimizer: None for :func:`gong_optimizer` (SGD, momentum 0.9, learning rate
            0.002, staircase decay), or any Keras optimizer.
        metrics: passed to ``compile``, e.g. ``[mlrank_keras.metrics.PerClassRecall(k=3)]``.
        rank_estimate: ``"sampled"`` or ``"exact"``.
        margin: the hinge margin (1).
        seed: an int for the sampled rank estimate, or None.
        name: the model's name.
        **backbone_kwargs: sizes of the default backbone (``input_shape``, ``filters``,
            ``kernel_sizes``, ``strides``, ``pools``, ``dense_units``, ``dropout``).

    Returns:
        A functional ``keras.Model`` from images to one score per label (logits).

    Example:
    >>> model = build_warp_alexnet(10, input_shape=(32, 32, 3), filters=(4,) * 5,
    ...     kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,))
    >>> model.output_shape
    (None, 10)
    """
    return _build(
        WARPLoss(rank_estimate=rank_estimate, margin=margin, seed=seed),
        num_labels,
        backbone,
        compile,
        optimizer,
        metrics,
        name,
        backbone_kwargs,
    )
