"""The papers' annotation metrics as stateful Keras metrics.

Gong et al. 2014 (section 5.4), the transformation paper (4.1), He et al. 2015 (3.4) and
Li et al. 2017 (5.1) all judge a model by the label sets it predicts: the top ``k`` labels
of each image, or those scoring above a threshold. For every label ``l`` over the evaluation
set, ``Nc_l`` counts the images where ``l`` is predicted and true, ``Np_l`` where it is
predicted and ``Ng_l`` where it is true. Then

* per-class precision ``C-P = mean_l Nc_l / Np_l``, recall ``C-R = mean_l Nc_l / Ng_l``,
  and ``C-F1``, their harmonic mean;
* overall precision ``O-P = sum_l Nc_l / sum_l Np_l``, recall ``O-R = sum_l Nc_l / sum_l
  Ng_l``, and ``O-F1``, their harmonic mean;
* ``F1`` (Li), the macro F1: the mean over labels of ``2 Nc_l / (Np_l + Ng_l)``;
* ``N+``, the number of labels with recall above 0 (``Nc_l > 0``);
* ``0-1`` (Li), exact match: the share of images whose predicted set is the true set
  (:class:`ExactMatch`, in :mod:`.exact_match`).

Means run over all labels, and 0/0 counts as 0 (scikit-learn's ``zero_division=0``): a label
never predicted has precision 0 and a label never true has recall 0, so a perfect model
reaches C-R = 1 only if every label occurs in the evaluation set.

A NaN score makes every metric NaN (:mod:`.base`: the package's NaN rule). The state is
the per-label counts (weighted by ``sample_weight``), so the metrics add up
exactly across batches and across the replicas of a distribution strategy.
"""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.metrics.base import DecisionMetric, safe_divide


def _harmonic_mean(a, b):
    return safe_divide(2.0 * a * b, a + b)


# Each metric is a function of the per-label counts (Nc, Np, Ng).
def per_class_precision(nc, np_, ng):
    return ops.mean(safe_divide(nc, np_))


def per_class_recall(nc, np_, ng):
    return ops.mean(safe_divide(nc, ng))


def per_class_f1(nc, np_, ng):
    return _harmonic_mean(per_class_precision(nc, np_, ng), per_class_recall(nc, np_, ng))


def overall_precision(nc, np_, ng):
    return safe_divide(ops.sum(nc), ops.sum(np_))


def overall_recall(nc, np_, ng):
    return safe_divide(ops.sum(nc), ops.sum(ng))


def overall_f1(nc, np_, ng):
    return _harmonic_mean(overall_precision(nc, np_, ng), overall_recall(nc, np_, ng))


def macro_f1(nc, np_, ng):
    return ops.mean(safe_divide(2.0 * nc, np_ + ng))


def n_plus(nc, np_, ng):
    return ops.sum(ops.cast(nc > 0, nc.dtype))


class PerLabelCountMetric(DecisionMetric):
    """Base of the metrics computed from the per-label counts ``Nc``, ``Np`` and ``Ng``.

    A subclass sets ``compute``, a function of the three count vectors, and
    ``default_name``.

    Args:
        k: annotate each image with its ``k`` highest-scoring labels (ties at the ``k``-th
            place go to the lower label index). With neither ``k`` nor ``threshold`` given,
            ``k=3``.
        threshold: instead of ``k``, annotate with the labels scoring strictly above this
            float (or above their own entry of a sequence of per-label thresholds).
        num_labels: the number of labels; None takes it from the first batch.
        name: the metric's name; None gives the class's ``default_name``.
        dtype: the dtype of the state and result. Defaults to ``keras.backend.floatx()``.
    """

    compute = None
    default_name = None

    def __init__(self, k=None, threshold=None, num_labels=None, name=None, dtype=None):
        super().__init__(
            k=k,
            threshold=threshold,
            num_labels=num_labels,
            name=name or self.default_name,
            dtype=dtype,
        )

    def build_state(self, num_labels):
        def counts(name):
            return self.add_variable(
                shape=(num_labels,), initializer="zeros", dtype=self.dtype, name=name
            )

        self.true_positives = counts("true_positives")  # Nc
        self.predicted_positives = counts("predicted_positives")  # Np
        self.actual_positives = counts("actual_positives")  # Ng

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted, true, known, weights = self.prepare(y_true, y_pred, sample_weight)
        weights = weights[:, None]
        self.true_positives.assign_add(ops.sum(weights * predicted * true, axis=0))
        self.predicted_positives.assign_add(ops.sum(weights * predicted * known, axis=0))
        self.actual_positives.assign_add(ops.sum(weights * true, axis=0))

    def state_result(self):
        if type(self).compute is None:
            raise NotImplementedError(
                f"{type(self).__name__} has no `compute`: use one of its subclasses, or set "
                "`compute` to a function of the counts (Nc, Np, Ng)."
            )
        if self.num_labels is None:  # nothing seen yet
            return ops.zeros((), dtype=self.dtype)
        return type(self).compute(
            self.true_positives.value,
            self.predicted_positives.value,
            self.actual_positives.value,
        )


# The examples share one hand-worked case: 3 images, 3 labels, top-1 decisions.
# Predicted labels 0, 1, 0; true sets {0}, {0, 2}, {1}: Nc = (1, 0, 0), Np = (2, 1, 0),
# Ng = (2, 1, 1).


@register
class PerClassPrecision(PerLabelCountMetric):
    """Per-class precision C-P: the mean over labels of ``Nc_l / Np_l`` (Gong 5.4).

    A label never predicted counts as precision 0 in the mean. Arguments as for
    :class:`PerLabelCountMetric` (``k=3`` or ``threshold=``, ``num_labels``, ``name``, ``dtype``).

    Example:
    >>> m = PerClassPrecision(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> round(float(m.result()), 4)  # (1/2 + 0/1 + 0) / 3
    0.1667
    """

    compute = staticmethod(per_class_precision)
    default_name = "per_class_precision"


@register
class PerClassRecall(PerLabelCountMetric):
    """Per-class recall C-R: the mean over labels of ``Nc_l / Ng_l`` (Gong 5.4).

    A label never true counts as recall 0 in the mean. Arguments as for
    :class:`PerLabelCountMetric`.

    Example:
    >>> m = PerClassRecall(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> round(float(m.result()), 4)  # (1/2 + 0/1 + 0/1) / 3
    0.1667
    """

    compute = staticmethod(per_class_recall)
    default_name = "per_class_recall"


@register
class PerClassF1(PerLabelCountMetric):
    """Per-class F1 C-F1: the harmonic mean of C-P and C-R (transformation paper 4.1).

    Not the mean of per-label F1s (that is :class:`MacroF1`); 0 when C-P = C-R = 0.
    Arguments as for :class:`PerLabelCountMetric`.

    Example:
    >>> m = PerClassF1(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> round(float(m.result()), 4)  # C-P = C-R = 1/6
    0.1667
    """

    compute = staticmethod(per_class_f1)
    default_name = "per_class_f1"


@register
class OverallPrecision(PerLabelCountMetric):
    """Overall precision O-P: ``sum_l Nc_l / sum_l Np_l`` (Gong 5.4; scikit-learn's micro).

    Arguments as for :class:`PerLabelCountMetric`.

    Example:
    >>> m = OverallPrecision(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> round(float(m.result()), 4)  # 1 / 3
    0.3333
    """

    compute = staticmethod(overall_precision)
    default_name = "overall_precision"


@register
class OverallRecall(PerLabelCountMetric):
    """Overall recall O-R: ``sum_l Nc_l / sum_l Ng_l`` (Gong 5.4; scikit-learn's micro).

    Arguments as for :class:`PerLabelCountMetric`.

    Example:
    >>> m = OverallRecall(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> float(m.result())  # 1 / 4
    0.25
    """

    compute = staticmethod(overall_recall)
    default_name = "overall_recall"


@register
class OverallF1(PerLabelCountMetric):
    """Overall F1 O-F1: the harmonic mean of O-P and O-R (scikit-learn's micro F1).

    Arguments as for :class:`PerLabelCountMetric`.

    Example:
    >>> m = OverallF1(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> round(float(m.result()), 4)  # 2 (1/3)(1/4) / (1/3 + 1/4)
    0.2857
    """

    compute = staticmethod(overall_f1)
    default_name = "overall_f1"


@register
class MacroF1(PerLabelCountMetric):
    """Macro F1 (Li's F1): the mean over labels of ``2 Nc_l / (Np_l + Ng_l)``.

    A label never predicted and never true counts as 0 in the mean (scikit-learn's
    ``f1_score(average="macro", zero_division=0)``). Arguments as for
    :class:`PerLabelCountMetric`.

    Example:
    >>> m = MacroF1(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> round(float(m.result()), 4)  # (2/4 + 0/2 + 0/1) / 3
    0.1667
    """

    compute = staticmethod(macro_f1)
    default_name = "macro_f1"


@register
class NPlus(PerLabelCountMetric):
    """N+: the number of labels with recall above 0 (predicted correctly at least once).

    A count, as He et al. print it; divide by the number of labels for Gong's percentage.
    Arguments as for :class:`PerLabelCountMetric`.

    Example:
    >>> m = NPlus(k=1)
    >>> m.update_state([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]])
    >>> float(m.result())  # only label 0
    1.0
    """

    compute = staticmethod(n_plus)
    default_name = "n_plus"
