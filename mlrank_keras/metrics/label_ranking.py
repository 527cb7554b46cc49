"""The ranking metrics of multilabel learning and extreme classification, streaming.

Per image, from its scores: label ranking average precision (LRAP), ranking loss and
coverage error (scikit-learn's ``label_ranking_average_precision_score``,
``label_ranking_loss``, ``coverage_error``), one-error, and the extreme-classification
precision and nDCG at ``k``. Each keeps a weighted sum of its per-image values and the sum
of the weights (two scalars), so it adds up over batches and replicas; each costs
``O(L log L)`` per image (a sort and a binary search), never an ``L x L`` tensor, so it is
exact at any label count.

Unknown labels (-1) are left out of the ranking, as the losses leave them out: each image
is ranked over its known labels only. Ties: LRAP, ranking loss and coverage count a tie
against the true label, as scikit-learn does (a true label tied with a false one is ranked
below it); one-error, P@k and nDCG@k take the top ``k`` with ties to the lower index (as
:func:`mlrank_keras.decisions.top_k_labels`). The NaN rule is the annotation metrics'.
"""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.decisions import k_argument, top_k_labels
from mlrank_keras.labels import label_masks
from mlrank_keras.losses.kernels import searchsorted_rows
from mlrank_keras.metrics.base import NaNAwareMetric, safe_divide, standardize_inputs

_INF = float("inf")


def _count_below(scores, members, queries):
    """Per row, how many ``members`` score strictly below each query (``O(L log L)``)."""
    keys = ops.sort(ops.where(members, scores, ops.full_like(scores, _INF)), axis=-1)
    return ops.cast(searchsorted_rows(keys, queries, side="left"), scores.dtype)


def _counts(members):
    return ops.sum(ops.cast(members, "float32"), axis=-1)


class ImageRankingMetric(NaNAwareMetric):
    """Base: the weighted mean over images of a per-image value.

    Subclasses give ``image_values(true, known, scores) -> (values, counted)``: ``(n,)``
    values and a boolean mask of the images that count (the others are left out of the
    mean).
    """

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, scores, weights = standardize_inputs(y_true, y_pred, sample_weight, self.dtype)
        nan_row = ops.any(ops.logical_or(ops.isnan(scores), ops.isnan(y_true)), axis=-1)
        self.nan_rows.assign_add(
            ops.sum(ops.cast(ops.logical_and(nan_row, weights != 0), self.dtype))
        )
        true, known = label_masks(y_true)
        scores = ops.cast(ops.where(ops.isnan(scores), ops.zeros_like(scores), scores),
                          "float32")
        values, counted = self.image_values(true, known, scores)
        weights = weights * ops.cast(counted, self.dtype)
        values = ops.where(counted, ops.cast(values, self.dtype), ops.zeros_like(weights))
        self.total.assign_add(ops.sum(weights * values))
        self.count.assign_add(ops.sum(weights))

    def image_values(self, true, known, scores):
        raise NotImplementedError

    def state_result(self):
        return safe_divide(self.total.value, self.count.value)


@register
class LabelRankingAveragePrecision(ImageRankingMetric):
    """Label ranking average precision: per image, the mean over its true labels ``j`` of
    ``|{true k: f_k >= f_j}| / |{k: f_k >= f_j}|``; an image whose known labels are all
    true or all false scores 1 (scikit-learn's convention). Higher is better.

    Example:
    >>> m = LabelRankingAveragePrecision()
    >>> m.update_state([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    >>> round(float(m.result()), 4)  # (1/2 + 1/3) / 2
    0.4167
    """

    def __init__(self, name="label_ranking_average_precision", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def image_values(self, true, known, scores):
        num_known, num_true = _counts(known), _counts(true)
        # Per label j: the known labels, and the true ones, scoring >= f_j.
        rank = num_known[:, None] - _count_below(scores, known, scores)
        above_true = num_true[:, None] - _count_below(scores, true, scores)
        precision = ops.where(true, above_true / ops.maximum(rank, 1.0), ops.zeros_like(rank))
        value = ops.sum(precision, axis=-1) / ops.maximum(num_true, 1.0)
        trivial = ops.logical_or(num_true == 0, num_true == num_known)
        return ops.where(trivial, ops.ones_like(value), value), ops.ones_like(trivial)


@register
class RankingLoss(ImageRankingMetric):
    """Ranking loss: per image, the share of (true, false) label pairs with the false label
    scored at or above the true one; 0 for an image with no true or no false label
    (scikit-learn's convention). Lower is better.

    Example:
    >>> m = RankingLoss()
    >>> m.update_state([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    >>> float(m.result())  # (1/2 + 2/2) / 2
    0.75
    """

    def __init__(self, name="ranking_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def image_values(self, true, known, scores):
        false = ops.logical_and(known, ~true)
        num_true, num_false = _counts(true), _counts(false)
        at_or_above = num_false[:, None] - _count_below(scores, false, scores)  # >= f_j
        wrong = ops.sum(ops.where(true, at_or_above, ops.zeros_like(at_or_above)), axis=-1)
        return safe_divide(wrong, num_true * num_false), ops.ones_like(num_true > 0)


@register
class CoverageError(ImageRankingMetric):
    """Coverage error: per image, how far down its ranking one must go to cover every true
    label (the number of known labels scored at or above its lowest-scored true label); 0
    for an image with no true label (scikit-learn's convention). Lower is better.

    Example:
    >>> m = CoverageError()
    >>> m.update_state([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    >>> float(m.result())  # (2 + 3) / 2
    2.5
    """

    def __init__(self, name="coverage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def image_values(self, true, known, scores):
        lowest = ops.min(ops.where(true, scores, ops.full_like(scores, _INF)), axis=-1,
                         keepdims=True)
        covered = _counts(known) - ops.squeeze(_count_below(scores, known, lowest), -1)
        has_true = _counts(true) > 0
        return ops.where(has_true, covered, ops.zeros_like(covered)), ops.ones_like(has_true)


def _ranking_keys(known, scores):
    """Scores for a top-k over the known labels: an unknown label ranks below every known
    one, a known ``-inf`` just above it."""
    lowest = ops.full_like(scores, -3.0e38)
    scores = ops.where(scores == -_INF, lowest, scores)
    return ops.where(known, scores, ops.full_like(scores, -_INF))


class TopKRankingMetric(ImageRankingMetric):
    def __init__(self, k, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.k = k_argument(k)

    def _top_k(self, known, scores):
        num_labels = scores.shape[-1]
        if self.k > num_labels:
            raise ValueError(
                f"`k` must be at most the number of labels ({num_labels}) of "
                f"{type(self).__name__}. Received: k={self.k}"
            )
        return top_k_labels(_ranking_keys(known, scores), self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


@register
class OneError(TopKRankingMetric):
    """One-error: the share of images, among those with a true label, whose top-ranked
    label is not a true one. Lower is better.

    Example:
    >>> m = OneError()
    >>> m.update_state([[1, 0, 0], [0, 0, 1], [0, 0, 0]], [[0.75, 0.5, 1.0], [1, 0.2, 0.1],
    ...                                                   [1, 2, 3]])
    >>> float(m.result())
    1.0
    """

    def __init__(self, name="one_error", dtype=None):
        super().__init__(k=1, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        config.pop("k")
        return config

    def image_values(self, true, known, scores):
        top = self._top_k(known, scores)
        hit = ops.any(ops.logical_and(top, true), axis=-1)
        return 1.0 - ops.cast(hit, "float32"), _counts(true) > 0


@register
class PrecisionAtK(TopKRankingMetric):
    """P@k of extreme classification: per image, its true labels among its top ``k``,
    divided by ``k`` (an image with fewer than ``k`` true labels cannot reach 1); every
    image counts. Higher is better.

    Args:
        k: the ranks looked at. Defaults to 3.

    Example:
    >>> m = PrecisionAtK(k=2)
    >>> m.update_state([[1, 0, 0], [0, 1, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    >>> float(m.result())  # (1/2 + 1/2) / 2
    0.5
    """

    def __init__(self, k=3, name=None, dtype=None):
        super().__init__(k=k, name=name or f"precision_at_{k}", dtype=dtype)

    def image_values(self, true, known, scores):
        hits = _counts(ops.logical_and(self._top_k(known, scores), true))
        return hits / float(self.k), ops.ones_like(hits > 0)


@register
class NDCGAtK(TopKRankingMetric):
    """nDCG@k: per image, ``sum_{r <= k} rel_r / log2(r + 1)`` over its top ``k`` (ties to
    the lower index) divided by the same sum for its ideal ranking (``min(k, |P|)`` true
    labels first); 0 for an image with no true label, which counts (scikit-learn's
    ``ndcg_score`` convention). Higher is better.

    Args:
        k: the ranks looked at. Defaults to 3.

    Example:
    >>> m = NDCGAtK(k=2)
    >>> m.update_state([[0, 1, 0]], [[0.75, 0.5, 1.0]])
    >>> round(float(m.result()), 4)  # nothing relevant in the top 2
    0.0
    """

    def __init__(self, k=3, name=None, dtype=None):
        super().__init__(k=k, name=name or f"ndcg_at_{k}", dtype=dtype)

    def image_values(self, true, known, scores):
        top = self._top_k(known, scores)
        keys = _ranking_keys(known, scores)
        # The k chosen labels (any order), then each one's place among them.
        _, chosen = ops.top_k(ops.cast(top, "float32"), self.k, sorted=False)
        chosen_keys = ops.take_along_axis(keys, chosen, axis=-1)
        chosen_true = ops.take_along_axis(ops.cast(true, "float32"), chosen, axis=-1)
        a_keys, b_keys = chosen_keys[..., :, None], chosen_keys[..., None, :]
        a_index, b_index = chosen[..., :, None], chosen[..., None, :]
        before = ops.logical_or(b_keys > a_keys,
                                ops.logical_and(b_keys == a_keys, b_index < a_index))
        place = 1.0 + ops.sum(ops.cast(before, "float32"), axis=-1)  # k x k: k is small
        discount = 1.0 / (ops.log(place + 1.0) / ops.log(2.0))
        dcg = ops.sum(chosen_true * discount, axis=-1)
        ranks = ops.arange(1, self.k + 1, dtype="float32")
        ideal_discounts = 1.0 / (ops.log(ranks + 1.0) / ops.log(2.0))
        ideal_count = ops.minimum(_counts(true), float(self.k))[..., None]
        ideal = ops.sum(ops.where(ranks[None, :] <= ideal_count, ideal_discounts[None, :],
                                  ops.zeros_like(ideal_discounts[None, :])), axis=-1)
        return safe_divide(dcg, ideal), ops.ones_like(ideal >= 0)
