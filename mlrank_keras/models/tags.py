"""A model that knows its labels: the names and thresholds its :class:`LabelNames` layer
carries in the ``.keras`` file, and tags decided by name.

>>> import keras, numpy as np
>>> inputs = keras.Input((2,))
>>> model = with_label_names(keras.Model(inputs, inputs), ["cat", "dog"], thresholds=0.5)
>>> decide_tags(model, np.array([[0.9, 0.1], [0.7, 2.0]]))
[['cat'], ['dog', 'cat']]
>>> decide_tags(model, np.array([[0.9, 0.1]]), k=2)
[['cat', 'dog']]
"""

import keras
import numpy as np
from keras import ops

from mlrank_keras.layers.label_names import LabelNames, thresholds_argument


def label_names_layer(model):
    """The model's :class:`LabelNames` layer, or None."""
    for layer in model.layers:
        if isinstance(layer, LabelNames):
            return layer
    return None


def _layer_of(model):
    layer = label_names_layer(model)
    if layer is None:
        raise ValueError(
            f"Model {model.name!r} carries no label names: build it with `label_names=` "
            "(build_ranker) or wrap it with `with_label_names(model, names)`."
        )
    return layer


def model_label_names(model):
    """The label names a model carries (in score order), or None."""
    layer = label_names_layer(model)
    return None if layer is None else list(layer.label_names)


def model_thresholds(model):
    """The per-label decision thresholds a model carries, as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(_layer_of(model).thresholds))


def set_thresholds(model, thresholds):
    """Stores per-label decision thresholds (a number or one per label) in the model."""
    layer = _layer_of(model)
    layer.thresholds.assign(thresholds_argument(thresholds, len(layer.label_names)))


def with_label_names(model, label_names, thresholds=0.0):
    """A model with ``model``'s inputs whose scores pass through a :class:`LabelNames`
    layer (the same weights; compile it again to train)."""
    if len(model.outputs) != 1:
        raise ValueError(f"`model` must have one output (its scores); it has {len(model.outputs)}.")
    scores = LabelNames(label_names, thresholds, name="label_names")(model.outputs[0])
    return keras.Model(model.inputs, scores, name=model.name)


def decide_tags(model, scores, k=None):
    """The tags of each row of ``scores`` by name: the ``k`` best (in score order), or, with
    ``k=None``, those above the model's thresholds (in score order). A NaN score is never a
    tag."""
    names = _layer_of(model).label_names
    scores = np.asarray(scores, dtype="float64")
    if scores.ndim != 2 or scores.shape[1] != len(names):
        raise ValueError(
            f"`scores` must be (images, {len(names)}). Received: shape {scores.shape}"
        )
    keys = np.where(np.isnan(scores), -np.inf, scores)
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(names):
            raise ValueError(f"`k` must be an int in [1, {len(names)}]. Received: k={k!r}")
        order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
        return [[names[j] for j in row] for row in order]
    above = keys > model_thresholds(model)[None, :]
    tags = []
    for row, chosen in zip(keys, above, strict=True):
        order = [j for j in np.argsort(-row, kind="stable") if chosen[j]]
        tags.append([names[j] for j in order])
    return tags
