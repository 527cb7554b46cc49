"""Shared machinery of the annotation metrics: inputs, labels, weights and lazy state.

NaN rule: a metric that has seen a NaN score (anywhere in a row of nonzero weight: the
decision is made from the whole row) reports NaN until ``reset_state``, never a plausible
number; ``+inf`` and ``-inf`` are scores like any other (they rank first and last).

Label convention (as for the losses): ``y_true`` has ``y_pred``'s shape; an entry ``> 0.5``
is a true label, one in ``[0, 0.5]`` a false one, and a negative entry (``-1``) an unknown
label. The decision is made from the scores alone (a deployed model does not know which
labels are unknown); a cell whose label is unknown then counts nowhere: not as a prediction,
not as a true label, not against an exact match.
"""

import keras
from keras import ops

from mlrank_keras.decisions import decide, decision_arguments
from mlrank_keras.labels import label_masks, scores_and_labels, squeeze_row_weights
from mlrank_keras.validation import optional_positive_int


def num_labels_argument(num_labels):
    return optional_positive_int(num_labels, "num_labels", "taken from the first batch")


def standardize_inputs(y_true, y_pred, sample_weight, dtype):
    """Returns ``(y_true, scores, weights)`` as ``(n, L)``, ``(n, L)`` and ``(n,)``.

    Leading axes are flattened into rows. ``sample_weight`` may be None, a scalar, or one
    weight per row (shape ``y_pred.shape[:-1]``, optionally with a trailing axis of 1).
    """
    y_true, scores = scores_and_labels(y_true, y_pred)
    pred_shape = tuple(scores.shape)
    if pred_shape[-1] is None:
        raise ValueError(
            "The number of labels (the last axis of `y_pred`) must be known. "
            f"Received: y_pred.shape={pred_shape}"
        )
    num_labels = pred_shape[-1]
    row_shape = ops.shape(scores)[:-1]
    scores = ops.reshape(scores, (-1, num_labels))
    y_true = ops.reshape(y_true, (-1, num_labels))
    if sample_weight is None:
        weights = ops.ones(ops.shape(scores)[:1], dtype=dtype)
    else:
        weights = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
        if squeeze_row_weights(tuple(weights.shape), pred_shape):
            weights = ops.squeeze(weights, axis=-1)
        weights = ops.reshape(ops.broadcast_to(weights, row_shape), (-1,))
    return y_true, scores, weights


def metric_inputs(metric, y_true, y_pred, sample_weight):
    """:func:`standardize_inputs` for a :class:`NaNAwareMetric` whose state is per label:
    builds the state on the first batch (``metric._build_for(num_labels)``), refuses a batch
    of another width and counts the rows with a NaN score or a NaN label (a NaN label is
    neither a label value nor the unknown mark -1)."""
    y_true, scores, weights = standardize_inputs(y_true, y_pred, sample_weight, metric.dtype)
    nan_row = ops.any(ops.logical_or(ops.isnan(scores), ops.isnan(y_true)), axis=-1)
    has_nan = ops.logical_and(nan_row, weights != 0)
    metric.nan_rows.assign_add(ops.sum(ops.cast(has_nan, metric.dtype)))
    num_labels = scores.shape[-1]
    if metric.num_labels is None:
        metric._build_for(num_labels)
    elif num_labels != metric.num_labels:
        raise ValueError(
            f"{type(metric).__name__} was built for {metric.num_labels} labels but "
            f"`y_pred` has {num_labels}. Received: y_pred.shape={tuple(scores.shape)}"
        )
    return y_true, scores, weights


def safe_divide(numerator, denominator):
    """``numerator / denominator``, with 0 where the denominator is 0."""
    positive = denominator > 0
    safe = ops.where(positive, denominator, ops.ones_like(denominator))
    return ops.where(positive, numerator / safe, ops.zeros_like(numerator))


class NaNAwareMetric(keras.metrics.Metric):
    """A metric whose result is NaN once it has seen a NaN score (the package's NaN rule).

    Subclasses compute their value in ``state_result()``; ``nan_rows`` counts the rows with
    a NaN score (kept up by :func:`metric_inputs`), and ``result()`` is NaN while it is
    above 0.
    """

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.nan_rows = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="nan_rows"
        )

    def state_result(self):
        raise NotImplementedError

    def result(self):
        value = ops.convert_to_tensor(self.state_result(), dtype=self.dtype)
        return ops.where(self.nan_rows.value > 0, ops.full_like(value, float("nan")), value)


class DecisionMetric(NaNAwareMetric):
    """Base of the metrics of a top-``k`` or thresholded decision.

    Subclasses create their state in ``build_state(num_labels)``: in ``__init__`` when
    ``num_labels`` is given, else on the first batch (as ``keras.metrics.F1Score`` does).
    """

    def __init__(self, k=None, threshold=None, num_labels=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.k, self.threshold = decision_arguments(k, threshold)
        self.num_labels = None
        num_labels = num_labels_argument(num_labels)
        if num_labels is not None:
            self._build_for(num_labels)

    def _build_for(self, num_labels):
        if self.k is not None and self.k > num_labels:
            raise ValueError(
                f"`k` must be at most the number of labels ({num_labels}) of "
                f"{type(self).__name__}. Received: k={self.k}"
            )
        if isinstance(self.threshold, tuple) and len(self.threshold) != num_labels:
            raise ValueError(
                f"`threshold` of {type(self).__name__} has {len(self.threshold)} per-label "
                f"values but there are {num_labels} labels."
            )
        self.num_labels = num_labels
        self.build_state(num_labels)

    def build_state(self, num_labels):
        raise NotImplementedError

    def prepare(self, y_true, y_pred, sample_weight):
        """Standardizes a batch, builds the state on the first one, and decides labels.

        Returns float ``(predicted, true, known, weights)``: three ``(n, L)`` 0/1 masks and
        ``(n,)`` sample weights.
        """
        y_true, scores, weights = metric_inputs(self, y_true, y_pred, sample_weight)
        predicted = decide(scores, k=self.k, threshold=self.threshold)
        true, known = label_masks(y_true)
        as_float = lambda mask: ops.cast(mask, self.dtype)  # noqa: E731
        return as_float(predicted), as_float(true), as_float(known), weights

    def get_config(self):
        config = super().get_config()
        threshold = list(self.threshold) if isinstance(self.threshold, tuple) else self.threshold
        config.update(k=self.k, threshold=threshold, num_labels=self.num_labels)
        return config
