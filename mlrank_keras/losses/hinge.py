"""One-vs-all hinge loss: ``c`` independent linear SVMs (Gong et al. 2014, section 4)."""

from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.kernels import masked
from mlrank_keras.validation import margin_argument


@register
@per_sample
def one_vs_all_hinge_loss(y_true, y_pred, margin=1.0):
    """``sum_l max(0, margin - t_l f_l)`` per sample, with ``t_l = +1`` (true) or ``-1``.

    The SVM hinge of every label's own binary problem, summed over labels: minimising its
    mean plus an L2 penalty trains ``c`` one-vs-all SVMs at once. Unlike the ranking
    losses, labels do not interact, so a row with no positive (or no negative) label still
    has a loss; unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (SVM outputs) of the same shape.
        margin: the hinge margin (1 for the SVM).

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> float(one_vs_all_hinge_loss([[1.0, 0.0, -1.0]], [[0.25, -2.0, 5.0]])[0])
    0.75
    """
    margin = margin_argument(margin)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    signs = pos - neg  # +1, -1, and 0 for unknown labels
    return ops.sum(masked(ops.relu(margin - signs * scores), pos + neg), axis=-1)


@register
class OneVsAllHingeLoss(MultilabelLoss):
    """The hinge loss of ``c`` independent one-vs-all linear SVMs (Gong section 4).

    See :func:`one_vs_all_hinge_loss`.
    :func:`mlrank_keras.baselines.build_linear_svm` adds the matching L2 penalty.

    Args:
        margin: the hinge margin. Defaults to 1.
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"one_vs_all_hinge_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> float(OneVsAllHingeLoss()([[1.0, 0.0]], [[0.5, 0.5]]))
    2.0
    """

    def __init__(
        self, margin=1.0, reduction="sum_over_batch_size", name="one_vs_all_hinge_loss", dtype=None
    ):
        super().__init__(
            one_vs_all_hinge_loss,
            name=name,
            reduction=reduction,
            dtype=dtype,
            margin=margin_argument(margin),
        )
