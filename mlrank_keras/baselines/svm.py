"""One-vs-all linear SVMs on feature vectors, as a Keras model (Gong et al. 2014, section 4)."""

import keras

from mlrank_keras.losses.hinge import OneVsAllHingeLoss
from mlrank_keras.validation import finite_float, positive_int


def build_linear_svm(
    feature_dim, num_labels, num_samples, C=2.0, compile=True, optimizer=None, name="linear_svm"
):
    """``num_labels`` one-vs-all linear SVMs as one ``Dense`` layer (Gong: ``C = 2``).

    Training minimises ``mean_i sum_l max(0, 1 - t_il f_l(x_i)) + sum_l ||w_l||^2 / (2 C N)``
    (``t = +1`` for a tag, ``-1`` otherwise): each label's SVM primal ``1/2 ||w_l||^2 + C
    sum_i hinge_il`` divided by ``C N``, so the minimiser is the SVMs' (the bias is not
    penalised, as in LIBSVM). ``N`` is the number of training samples, which the penalty
    needs; the objective is convex, so the optimiser only changes how fast it gets there.
    Scores are the SVM outputs; rank them to annotate (Gong takes the top k).

    Args:
        feature_dim: the length of the feature vectors.
        num_labels: the number of labels (one SVM each).
        num_samples: ``N``, the number of training samples.
        C: the SVM regularisation parameter (``> 0``).
        compile: compile with the hinge loss and ``optimizer``.
        optimizer: defaults to ``keras.optimizers.Adam(0.01)``.
        name: the model's name.

    Returns:
        A functional ``keras.Model`` mapping ``(batch, feature_dim)`` to ``(batch, num_labels)``.

    Example:
    >>> model = build_linear_svm(feature_dim=8, num_labels=3, num_samples=100)
    >>> model.output_shape
    (None, 3)
    """
    feature_dim = positive_int(feature_dim, "feature_dim")
    num_labels = positive_int(num_labels, "num_labels")
    num_samples = positive_int(num_samples, "num_samples")
    if finite_float(C, "C") <= 0:
        raise ValueError(f"`C` must be a finite number > 0. Received: C={C!r}")
    inputs = keras.Input((feature_dim,), name="features")
    outputs = keras.layers.Dense(
        num_labels,
        kernel_regularizer=keras.regularizers.L2(1.0 / (2.0 * C * num_samples)),
        name="svm",
    )(inputs)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        model.compile(optimizer=optimizer or keras.optimizers.Adam(0.01), loss=OneVsAllHingeLoss())
    return model
