"""The label names and decision thresholds a model carries in its ``.keras`` file.

A tagger is only useful by name: ``LabelNames`` is an identity layer on a model's scores
whose config holds the label names (in score order) and whose non-trainable weight holds one
decision threshold per label (chosen on a validation split: Li's threshold estimation or
``best_threshold``), so a loaded model tags an image by name with no side file.
"""

import keras
import numpy as np

from mlrank_keras.api import register


def _names_argument(label_names):
    if isinstance(label_names, str) or not hasattr(label_names, "__iter__"):
        raise ValueError(
            "`label_names` must be a sequence of strings, one per score. "
            f"Received: label_names={label_names!r}"
        )
    names = [str(name) for name in label_names]
    if not names:
        raise ValueError("`label_names` is empty.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"`label_names` repeats {repeated[:5]}: each label needs its own name.")
    return names


def thresholds_argument(thresholds, count):
    values = np.asarray(thresholds, dtype="float64")
    if values.ndim == 0:
        values = np.full(count, float(values))
    if values.shape != (count,) or not np.isfinite(values).all():
        raise ValueError(
            f"`thresholds` must be one finite number or {count} finite numbers (one per "
            f"label). Received: shape {values.shape}"
        )
    return values


@register
class LabelNames(keras.layers.Layer):
    """Passes the scores through; carries the label names and per-label thresholds.

    Args:
        label_names: one name per score, in order.
        thresholds: the scores above which each label is decided (a number or one per
            label), kept in a non-trainable weight so that it can be set after training
            (`set_thresholds`). Defaults to 0.0 (a logit of 0: probability 0.5).

    Example:
    >>> layer = LabelNames(["cat", "dog"])
    >>> tuple(layer(np.array([[0.5, -1.0]])).shape)
    (1, 2)
    """

    def __init__(self, label_names, thresholds=0.0, **kwargs):
        super().__init__(**kwargs)
        self.label_names = _names_argument(label_names)
        self._initial = thresholds_argument(thresholds, len(self.label_names))

    def build(self, input_shape):
        if input_shape[-1] != len(self.label_names):
            raise ValueError(
                f"`label_names` has {len(self.label_names)} names but the scores have "
                f"{input_shape[-1]} labels."
            )
        self.thresholds = self.add_weight(
            shape=(len(self.label_names),),
            initializer=keras.initializers.Constant(self._initial),
            trainable=False,
            name="thresholds",
        )

    def call(self, scores):
        return scores

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(label_names=self.label_names, thresholds=self._initial.tolist())
        return config
