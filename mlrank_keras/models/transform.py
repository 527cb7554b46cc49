"""The image-dependent transformation model: a CNN outputs a k x d matrix A per image and
labels are ranked by the norm of their transformed word vectors, ``||A w||``."""

import keras
import numpy as np
from keras import layers

from mlrank_keras.layers.label_query import LabelQueryHead
from mlrank_keras.layers.label_transform import LabelTransform
from mlrank_keras.losses.hinge_rank import HingeRankLoss
from mlrank_keras.models.backbones import default_backbone, transform_alexnet
from mlrank_keras.models.ranker import build_ranker
from mlrank_keras.validation import int_in_range


def build_transform_alexnet(
    label_vectors,
    k=100,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    num_negatives=40,
    margin=1.0,
    seed=None,
    name="transform_alexnet",
    **backbone_kwargs,
):
    """The transformation paper's model: AlexNet (Table 1) whose last layer has ``k * d``
    units, read as ``A`` (``k x d``), scoring every label vector ``w`` by ``-||A w||``.

    Compiled with the hinge rank loss (eq. 3: the positives' mean norm against 40 sampled
    negatives, margin 1) and Adam. The paper fine-tunes an ImageNet-trained AlexNet with a
    learning rate of 1e-6; from scratch (this library never downloads weights) that is too
    small, so the default optimiser is ``Adam(1e-4)``: pass ``optimizer=`` to change it.
    With ``k=100`` and 300-d vectors the trainable parameters are Table 1's 181,191,344.

    The label vectors are a fixed (non-trainable) weight of the last layer: rank another
    label set, even labels never seen in training (zero-shot), with
    :func:`with_label_vectors`, no retraining.

    Args:
        label_vectors: ``(num_labels, d)`` label word vectors (300-d word2vec in the paper).
        k: the rows of ``A`` (100 in the paper).
        backbone: None for :func:`mlrank_keras.models.transform_alexnet`, or any
            ``keras.Model`` from images to features.
        compile: compile with the loss and optimiser (False skips it).
        optimizer: None for ``Adam(1e-4)``, or any Keras optimizer.
        metrics: passed to ``compile``.
        num_negatives, margin, seed: of :class:`mlrank_keras.losses.HingeRankLoss`.
        name: the model's name.
        **backbone_kwargs: sizes of the default backbone (``input_shape``, ``filters``, ...).

    Returns:
        A functional ``keras.Model`` from images to one score per label.

    Example:
    >>> import numpy as np
    >>> vectors = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    >>> model = build_transform_alexnet(vectors, k=2, input_shape=(32, 32, 3),
    ...     filters=(4,) * 5, kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,))
    >>> model.output_shape
    (None, 5)
    """
    label_vectors = np.asarray(label_vectors, dtype="float32")
    if label_vectors.ndim != 2:
        raise ValueError(
            f"`label_vectors` must be (num_labels, d). Received: shape {label_vectors.shape}"
        )
    transform = LabelTransform(label_vectors, k=k, name="label_transform")

    def head(features):  # features -> A (k x d, flat) -> -||A w|| for every label
        flat = layers.Dense(transform.k * transform.vector_dim, name="transform")(features)
        return transform(flat)

    return build_ranker(
        len(label_vectors),
        HingeRankLoss(num_negatives=num_negatives, margin=margin, seed=seed),
        backbone=default_backbone(backbone, transform_alexnet, backbone_kwargs),
        optimizer=optimizer or keras.optimizers.Adam(1e-4),
        metrics=metrics,
        head=head,
        compile=compile,
        name=name,
    )


def _label_transform(model):
    found = [layer for layer in model.layers if isinstance(layer, LabelTransform)]
    if len(found) != 1:
        raise ValueError(
            "`model` must contain exactly one LabelTransform layer (a model from "
            f"build_transform_alexnet). It has {len(found)}."
        )
    return found[0]


def with_label_vectors(model, label_vectors, name=None):
    """The same trained model ranking another label set (zero-shot), with no retraining.

    Returns a new functional model that shares every layer (and weight) of ``model`` up to
    ``A`` and scores the new ``label_vectors`` (any number of labels, the same ``d``).
    ``model`` itself is unchanged. A ranker with a
    :class:`~mlrank_keras.layers.LabelQueryHead` built on ``label_vectors`` works the same
    way: the new model shares its backbone and gets a new head with the trained head's
    weights, querying the new vectors.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> model = build_transform_alexnet(rng.normal(size=(5, 3)), k=2, input_shape=(32, 32, 3),
    ...     filters=(4,) * 5, kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,))
    >>> with_label_vectors(model, rng.normal(size=(7, 3))).output_shape
    (None, 7)
    """
    query_heads = [layer for layer in model.layers if isinstance(layer, LabelQueryHead)]
    if query_heads:
        return _with_query_vectors(model, query_heads[0], label_vectors, name)
    old = _label_transform(model)
    label_vectors = np.asarray(label_vectors, dtype="float32")
    if label_vectors.ndim != 2 or label_vectors.shape[1] != old.vector_dim:
        raise ValueError(
            f"`label_vectors` must be (num_labels, {old.vector_dim}) like the trained ones. "
            f"Received: shape {label_vectors.shape}"
        )
    new = LabelTransform(label_vectors, k=old.k, name=old.name)
    return keras.Model(model.input, new(old.input), name=name or model.name)


def _with_query_vectors(model, head, label_vectors, name):
    """A label-query model scoring other label vectors: a new head with the trained
    weights of ``head`` (only its non-trainable label vectors change)."""
    if head.vector_dim is None:
        raise ValueError(
            "This LabelQueryHead learned one query per label; only a head built with "
            "`label_vectors=` scores new labels from their vectors."
        )
    label_vectors = np.asarray(label_vectors, dtype="float32")
    if label_vectors.ndim != 2 or label_vectors.shape[1] != head.vector_dim:
        raise ValueError(
            f"`label_vectors` must be (num_labels, {head.vector_dim}) like the trained ones. "
            f"Received: shape {label_vectors.shape}"
        )
    config = head.get_config()
    config.update(num_labels=None, vector_dim=None, label_vectors=label_vectors)
    new = LabelQueryHead(**config)
    scores = new(head.input)
    for old_weight, new_weight in zip(head.weights, new.weights, strict=True):
        if old_weight.path.endswith("label_vectors"):
            continue
        new_weight.assign(old_weight)
    return keras.Model(model.input, scores, name=name or model.name)


def transform_matrices(model, images, batch_size=32):
    """The matrices ``A`` (``(n, k, d)`` numpy) that ``model`` computes for ``images``."""
    layer = _label_transform(model)
    extractor = keras.Model(model.input, layer.input)
    flat = extractor.predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(flat).reshape(-1, layer.k, layer.vector_dim)


def _row_rankings(matrices, label_vectors, top_n):
    """Each row classifier's ``top_n`` labels: those with the smallest ``|a_r . w|``."""
    matrices = np.asarray(matrices, dtype="float32")
    label_vectors = np.asarray(label_vectors, dtype="float32")
    if matrices.ndim != 3 or label_vectors.ndim != 2 or matrices.shape[2] != label_vectors.shape[1]:
        raise ValueError(
            "`matrices` must be (n, k, d) and `label_vectors` (num_labels, d). Received: "
            f"{matrices.shape} and {label_vectors.shape}"
        )
    top_n = int_in_range(top_n, "top_n", 1, len(label_vectors))
    closeness = -np.abs(np.einsum("nkd,ld->nkl", matrices, label_vectors))
    picked = np.argsort(-closeness, axis=-1, kind="stable")[..., :top_n]  # ties: lower index
    hot = np.zeros(closeness.shape, dtype="float32")
    np.put_along_axis(hot, picked, 1.0, axis=-1)
    return hot


def row_classifier_votes(matrices, label_vectors, top_n=1):
    """Votes of the ``k`` row classifiers (the transformation paper's Table 5).

    Each row ``a_r`` of ``A`` is a classifier ranking labels by ``|a_r . w|`` (smallest
    first, its share of ``||A w||``); each votes for its ``top_n`` labels. Returns the vote
    counts ``(n, num_labels)``; take the top k of them (Table 5: top 3) to annotate. Ties
    between equal vote counts can be broken by the full model's scores, e.g.
    ``votes + 1e-3 * (scores - scores.min()) / (scores.max() - scores.min() + 1e-12)``.

    Example:
    >>> import numpy as np
    >>> A = np.array([[[1.0, 0.0], [0.0, 1.0]]])   # two rows
    >>> W = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> row_classifier_votes(A, W, top_n=1).tolist()  # row 1 picks label 0, row 2 label 1
    [[1.0, 1.0, 0.0]]
    """
    return _row_rankings(matrices, label_vectors, top_n).sum(axis=1)


def row_classifier_jaccard(matrices, label_vectors, top_n=5):
    """Each image's mean Jaccard similarity of its row classifiers' top-``top_n`` label sets.

    The transformation paper's Fig. 9 (mean 0.1001 on NUS-WIDE): for every pair of distinct
    row classifiers ``r < s``, ``|T_r & T_s| / |T_r | T_s|``, averaged over the
    ``k (k - 1) / 2`` pairs. Returns ``(n,)``.

    Example:
    >>> import numpy as np
    >>> A = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> W = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> row_classifier_jaccard(A, W, top_n=1).tolist()  # {0} vs {1}
    [0.0]
    """
    hot = _row_rankings(matrices, label_vectors, top_n)
    k = hot.shape[1]
    if k < 2:
        raise ValueError("The Jaccard similarity of row classifiers needs k >= 2 rows.")
    inter = np.einsum("nrl,nsl->nrs", hot, hot)
    jaccard = inter / (2.0 * top_n - inter)
    upper = np.triu_indices(k, 1)
    return jaccard[:, upper[0], upper[1]].mean(axis=1)
