"""Li et al. 2017's label decision (section 3.3): how many labels an image gets (a label-count
head) or which labels pass their own threshold (a threshold head), on a trained ranker's
frozen features, composed with the ranker into one model from images to label sets."""

import keras
from keras import layers

from mlrank_keras.layers.label_decision import LabelCountDecision, ThresholdDecision, TopKDecision
from mlrank_keras.losses import LabelCountLoss, ThresholdEstimationLoss
from mlrank_keras.models.ranker import ranker_features
from mlrank_keras.validation import positive_int


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
    feature_dim = positive_int(feature_dim, "feature_dim")
    max_count = positive_int(max_count, "max_count")
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
    feature_dim = positive_int(feature_dim, "feature_dim")
    num_labels = positive_int(num_labels, "num_labels")
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
    >>> from mlrank_keras.models import build_ranker, cpu_alexnet
    >>> ranker = build_ranker(5, "binary_crossentropy", backbone=cpu_alexnet(28, width=0.25))
    >>> head = build_label_count_head(64)
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
    features = ranker_features(ranker).output
    if count_head is not None:
        labels = LabelCountDecision(name="decision")([scores, count_head(features)])
    elif threshold_head is not None:
        labels = ThresholdDecision(0.0, name="decision")(threshold_head([features, scores]))
    elif k is not None:
        labels = TopKDecision(k, name="decision")(scores)
    else:
        labels = ThresholdDecision(threshold, name="decision")(scores)
    return keras.Model(images, labels, name=name)


def threshold_estimation(ranker, images, labels, epochs=20, scores=None, features=None):
    """Li's per-class threshold estimation on a trained ranker, end to end.

    Trains a :func:`build_threshold_head` on the frozen ranker's features and scores of
    ``images`` (training images, in the order of ``labels``; never the test set) and
    returns the composed model from images to multi-hot labels
    (:func:`build_label_decision_model`). ``scores`` and ``features``, when already
    computed for ``images``, are reused.

    Args:
        ranker: a trained ranker (:func:`mlrank_keras.models.build_ranker`).
        images: anything ``predict`` takes (an array, a ``tf.data`` dataset in order).
        labels: ``(n, num_labels)`` multi-hot labels of ``images``.
        epochs: of the head's training.
    """
    if features is None:
        features = ranker_features(ranker).predict(images, verbose=0)
    if scores is None:
        scores = ranker.predict(images, verbose=0)
    head = build_threshold_head(features.shape[1], scores.shape[1])
    head.fit([features, scores], labels, epochs=epochs, batch_size=256, verbose=0)
    return build_label_decision_model(ranker, threshold_head=head)
