"""Li et al. 2017: VGG16 with the LSEP loss, and the label decision heads (section 3.3)."""

import keras
from keras import layers

from mlrank_keras.api import positive_int
from mlrank_keras.layers.decision import LabelCountDecision, ThresholdDecision, TopKDecision
from mlrank_keras.losses.decision import LabelCountLoss, ThresholdEstimationLoss
from mlrank_keras.losses.lsep import LSEPLoss
from mlrank_keras.models.alexnet import backbone_features, vgg16


def build_lsep_vgg16(
    num_labels=81,
    backbone=None,
    weights=None,
    compile=True,
    optimizer=None,
    metrics=None,
    num_pairs=None,
    seed=None,
    name="lsep_vgg16",
    **backbone_kwargs,
):
    """Li et al.'s ranker: VGG16 and a linear layer of label scores, trained with LSEP.

    Compiled with SGD (momentum 0.9, learning rate 0.001, weight decay 5e-5, as in the
    paper) and :class:`mlrank_keras.losses.LSEPLoss`. ``num_pairs=None`` sums over all
    positive-negative pairs exactly (``O(L)`` here, so the paper's sampling of ``t = 1000``
    pairs is optional: pass ``num_pairs=1000`` for it).

    Args:
        num_labels: the number of labels.
        backbone: None for :func:`mlrank_keras.models.vgg16`, or any ``keras.Model``.
        weights: a local VGG16 "notop" weights file for the default backbone, or None.
        compile, optimizer, metrics: as for the other builders.
        num_pairs, seed: of the LSEP loss.
        name: the model's name.
        **backbone_kwargs: ``input_shape``, ``dense_units``, ``dropout`` of the backbone.

    Example:
    >>> build_lsep_vgg16(6, input_shape=(32, 32, 3), dense_units=(8,)).output_shape
    (None, 6)
    """
    positive_int(num_labels, "num_labels")
    if backbone is None:
        backbone = vgg16(weights=weights, **backbone_kwargs)
    elif backbone_kwargs or weights is not None:
        raise ValueError("`weights` and backbone sizes apply to the default backbone only.")
    inputs, features = backbone_features(backbone)
    scores = layers.Dense(num_labels, name="scores")(features)
    model = keras.Model(inputs, scores, name=name)
    if compile:
        model.compile(
            optimizer=optimizer
            or keras.optimizers.SGD(learning_rate=0.001, momentum=0.9, weight_decay=5e-5),
            loss=LSEPLoss(num_pairs=num_pairs, seed=seed),
            metrics=metrics,
        )
    return model


def ranker_features(ranker):
    """The frozen-feature extractor of a trained ranker: images to its penultimate layer.

    The heads of Li section 3.3 train on these features with the CNN frozen; compute them
    once with ``ranker_features(ranker).predict(images)``. The extractor shares the
    ranker's layers.
    """
    scores_layer = ranker.layers[-1]
    return keras.Model(ranker.input, scores_layer.input, name=f"{ranker.name}_features")


def _mlp(x, hidden_units, prefix):
    for i, units in enumerate(hidden_units):
        x = layers.Dense(
            positive_int(units, "hidden_units"), activation="relu", name=f"{prefix}_dense_{i}"
        )(x)
    return x


def build_label_count_head(
    feature_dim,
    max_count=4,
    hidden_units=(100, 10),
    compile=True,
    optimizer=None,
    name="label_count_head",
):
    """Li's label-count estimator: an MLP (100, 10, ReLU) and an ``n``-way softmax over the
    counts ``1..n`` (``n = 4``), trained by cross-entropy on the ranker's features.

    Input: ``(batch, feature_dim)`` features of a trained ranker (:func:`ranker_features`).
    Output: the probabilities of ``1..max_count`` labels. Fit it with the multi-hot labels
    as targets (:class:`mlrank_keras.losses.LabelCountLoss` caps the counts).

    Example:
    >>> build_label_count_head(16).output_shape
    (None, 4)
    """
    positive_int(feature_dim, "feature_dim")
    positive_int(max_count, "max_count")
    inputs = keras.Input((feature_dim,), name="features")
    probs = layers.Dense(max_count, activation="softmax", name="count_probabilities")(
        _mlp(inputs, hidden_units, "count")
    )
    model = keras.Model(inputs, probs, name=name)
    if compile:
        model.compile(optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=LabelCountLoss())
    return model


def build_threshold_head(
    feature_dim,
    num_labels,
    hidden_units=(100,),
    compile=True,
    optimizer=None,
    name="threshold_head",
):
    """Li's per-class threshold estimator: an MLP from the features to thresholds ``theta``.

    Inputs ``[features (batch, feature_dim), scores (batch, num_labels)]`` of a trained
    ranker; output ``f - theta``, trained with binary cross-entropy of ``y`` against
    ``sigmoid(f - theta)`` (:class:`mlrank_keras.losses.ThresholdEstimationLoss`). A label
    is predicted where ``f > theta``, i.e. the output is above 0. The paper gives no hidden
    size; one hidden layer of 100 ReLU units is the default here.

    Example:
    >>> build_threshold_head(16, 5).output_shape
    (None, 5)
    """
    positive_int(feature_dim, "feature_dim")
    positive_int(num_labels, "num_labels")
    features = keras.Input((feature_dim,), name="features")
    scores = keras.Input((num_labels,), name="scores")
    thresholds = layers.Dense(num_labels, name="thresholds")(
        _mlp(features, hidden_units, "threshold")
    )
    margins = layers.Subtract(name="score_minus_threshold")([scores, thresholds])
    model = keras.Model([features, scores], margins, name=name)
    if compile:
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(1e-3), loss=ThresholdEstimationLoss()
        )
    return model


def build_label_decision_model(
    ranker,
    count_head=None,
    threshold_head=None,
    k=None,
    threshold=None,
    name="label_decision",
):
    """Images to multi-hot label sets: a ranker plus one decision (Li section 3.3).

    Exactly one of: ``count_head`` (top ``k^`` labels, ``k^`` the most likely count),
    ``threshold_head`` (labels with ``f > theta``), ``k`` (top k) or ``threshold`` (labels
    scoring above it). The composed model shares the ranker's and the head's layers and
    saves and loads as one ``.keras`` file.

    Example:
    >>> ranker = build_lsep_vgg16(5, input_shape=(32, 32, 3), dense_units=(8,))
    >>> head = build_label_count_head(8)
    >>> build_label_decision_model(ranker, count_head=head).output_shape
    (None, 5)
    """
    given = [x is not None for x in (count_head, threshold_head, k, threshold)]
    if sum(given) != 1:
        raise ValueError(
            "Pass exactly one of `count_head`, `threshold_head`, `k` and `threshold`. "
            f"Received {sum(given)}."
        )
    images = ranker.input
    scores = ranker.outputs[0]
    features = ranker.layers[-1].input
    if count_head is not None:
        labels = LabelCountDecision(name="decision")([scores, count_head(features)])
    elif threshold_head is not None:
        labels = ThresholdDecision(0.0, name="decision")(threshold_head([features, scores]))
    elif k is not None:
        labels = TopKDecision(k, name="decision")(scores)
    else:
        labels = ThresholdDecision(threshold, name="decision")(scores)
    return keras.Model(images, labels, name=name)
