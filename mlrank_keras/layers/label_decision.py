"""Label decision as layers: scores in, a multi-hot label set out (Li et al. 2017, 3.3)."""

from keras import layers, ops

from mlrank_keras.api import register
from mlrank_keras.decisions import (
    k_argument,
    nan_last,
    take_first,
    threshold_argument,
    threshold_labels,
    top_k_labels,
)


@register
class TopKDecision(layers.Layer):
    """The ``k`` highest-scoring labels of each image, as a float multi-hot (ties: lower index).

    Example:
    >>> import numpy as np
    >>> np.asarray(TopKDecision(k=1)(np.array([[0.1, 0.7, 0.2]]))).tolist()
    [[0.0, 1.0, 0.0]]
    """

    def __init__(self, k=3, **kwargs):
        super().__init__(**kwargs)
        self.k = k_argument(k)

    def call(self, scores):
        return ops.cast(top_k_labels(scores, self.k), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "k": self.k}


@register
class ThresholdDecision(layers.Layer):
    """The labels scoring strictly above a global (or per-label) threshold, as multi-hot.

    Example:
    >>> import numpy as np
    >>> np.asarray(ThresholdDecision(0.5)(np.array([[0.1, 0.7, 0.6]]))).tolist()
    [[0.0, 1.0, 1.0]]
    """

    def __init__(self, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold_argument(threshold)

    def call(self, scores):
        return ops.cast(threshold_labels(scores, self.threshold), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        threshold = list(self.threshold) if isinstance(self.threshold, tuple) else self.threshold
        return {**super().get_config(), "threshold": threshold}


@register
class LabelCountDecision(layers.Layer):
    """Li's label-count decision: the top ``k^`` labels, ``k^`` the most likely count.

    Inputs ``[scores (batch, L), count_probabilities (batch, n)]``, where column ``j`` is the
    probability of ``j + 1`` labels. Output: the float multi-hot of each image's top
    ``argmax + 1`` labels (ties: lower index).

    Example:
    >>> import numpy as np
    >>> scores = np.array([[0.1, 0.7, 0.2], [0.9, 0.8, 0.0]])
    >>> counts = np.array([[0.6, 0.3, 0.1], [0.1, 0.7, 0.2]])
    >>> np.asarray(LabelCountDecision()([scores, counts])).tolist()
    [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
    """

    def call(self, inputs):
        scores, counts = inputs
        num_labels, max_count = scores.shape[-1], counts.shape[-1]
        count = ops.cast(ops.argmax(counts, axis=-1), "int32")[:, None] + 1
        count = ops.minimum(count, num_labels)
        # As top_k_labels, with a k per row.
        scores = nan_last(scores)
        values = ops.top_k(scores, min(max_count, num_labels), sorted=True)[0]
        kth = ops.take_along_axis(values, count - 1, axis=-1)
        return ops.cast(take_first(scores, kth, count), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]
