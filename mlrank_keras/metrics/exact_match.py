"""Li et al. 2017's exact-match rate (``0-1``): the share of images whose predicted label set
is exactly the true set, unknown labels (-1) left out; and the Hamming loss, the share of
wrong (image, label) cells."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.metrics.base import DecisionMetric, safe_divide


@register
class ExactMatch(DecisionMetric):
    """0-1 exact match (Li eq. 1): the share of images whose predicted set is the true set.

    Unknown labels (-1) are left out of the comparison. With a top-``k`` decision an image
    with other than ``k`` true labels can never match. Arguments as for
    :class:`PerLabelCountMetric`.

    Example:
    >>> m = ExactMatch(threshold=0.5)
    >>> m.update_state([[1, 0, 1], [0, 1, 0]], [[0.9, 0.2, 0.6], [0.7, 0.8, 0.1]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=None, threshold=None, num_labels=None, name="exact_match", dtype=None):
        super().__init__(k=k, threshold=threshold, num_labels=num_labels, name=name, dtype=dtype)

    def build_state(self, num_labels):
        self.matches = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="matches"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="count"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted, true, known, weights = self.prepare(y_true, y_pred, sample_weight)
        wrong = ops.sum(ops.abs(predicted - true) * known, axis=-1)
        match = ops.cast(wrong == 0, self.dtype)
        self.matches.assign_add(ops.sum(weights * match))
        self.count.assign_add(ops.sum(weights))

    def state_result(self):
        if self.num_labels is None:
            return ops.zeros((), dtype=self.dtype)
        return safe_divide(self.matches.value, self.count.value)


@register
class HammingLoss(DecisionMetric):
    """Hamming loss: the share of (image, label) cells the decision gets wrong, among the
    known cells (unknown labels, -1, are left out); with every label known it is
    scikit-learn's ``hamming_loss`` of the decided labels. Lower is better. Arguments as
    for :class:`PerLabelCountMetric` (a top-``k`` decision, or ``threshold=``).

    Example:
    >>> m = HammingLoss(threshold=0.5)
    >>> m.update_state([[1, 0, 1], [0, 1, 0]], [[0.9, 0.2, 0.6], [0.7, 0.8, 0.1]])
    >>> round(float(m.result()), 4)  # 1 wrong cell of 6
    0.1667
    """

    def __init__(self, k=None, threshold=None, num_labels=None, name="hamming_loss",
                 dtype=None):
        super().__init__(k=k, threshold=threshold, num_labels=num_labels, name=name, dtype=dtype)

    def build_state(self, num_labels):
        self.wrong = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="wrong")
        self.cells = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="cells")

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted, true, known, weights = self.prepare(y_true, y_pred, sample_weight)
        wrong = ops.sum(ops.abs(predicted - true) * known, axis=-1)
        self.wrong.assign_add(ops.sum(weights * wrong))
        self.cells.assign_add(ops.sum(weights * ops.sum(known, axis=-1)))

    def state_result(self):
        if self.num_labels is None:
            return ops.zeros((), dtype=self.dtype)
        return safe_divide(self.wrong.value, self.cells.value)
