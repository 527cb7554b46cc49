"""The image-dependent transformation's label scorer: ``-||A w||`` for every label vector."""

import numpy as np
from keras import layers, ops

from mlrank_keras.api import register
from mlrank_keras.validation import label_vectors_argument, positive_int

# sqrt(x + EPS) keeps the gradient of the norm finite at A w = 0.
EPS = 1e-12


@register
class LabelTransform(layers.Layer):
    """Scores labels by the norm of their transformed word vectors (transformation paper).

    The network outputs a ``k x d`` matrix ``A`` per image (flat ``(batch, k * d)`` or
    ``(batch, k, d)``); each label ``l`` has a fixed ``d``-dim word vector ``w_l``. The score
    is ``-||A w_l||_2``: relevant labels map near the origin, so they score highest. The
    label vectors are a non-trainable weight: replace them with
    :meth:`set_label_vectors` (same label count) or
    :func:`mlrank_keras.models.with_label_vectors` (any label set, zero-shot) with no
    retraining.

    Args:
        label_vectors: ``(num_labels, d)`` array of label (word) vectors, or None when
            ``num_labels`` and ``vector_dim`` are given (the weights are then loaded).
        k: the number of rows of ``A`` (100 in the paper).
        num_labels, vector_dim: the shape of the label vectors, when not given directly.

    Example:
    >>> import numpy as np
    >>> layer = LabelTransform(np.eye(2, dtype="float32"), k=1)
    >>> np.round(np.asarray(layer(np.array([[3.0, 4.0]], dtype="float32"))), 4).tolist()
    [[-3.0, -4.0]]
    """

    def __init__(self, label_vectors=None, k=100, num_labels=None, vector_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.k = positive_int(k, "k")
        if label_vectors is not None:
            label_vectors = label_vectors_argument(label_vectors)
            num_labels, vector_dim = label_vectors.shape
        self.num_labels = positive_int(num_labels, "num_labels")
        self.vector_dim = positive_int(vector_dim, "vector_dim")
        self._initial_vectors = label_vectors

    def build(self, input_shape):
        width = tuple(input_shape[1:])
        if width not in ((self.k * self.vector_dim,), (self.k, self.vector_dim)):
            raise ValueError(
                f"LabelTransform with k={self.k} and {self.vector_dim}-d label vectors expects "
                f"inputs of shape (batch, {self.k * self.vector_dim}) or (batch, {self.k}, "
                f"{self.vector_dim}). Received: {tuple(input_shape)}"
            )
        initial = self._initial_vectors
        self.label_vectors = self.add_weight(
            shape=(self.num_labels, self.vector_dim),
            initializer=(lambda shape, dtype=None: ops.cast(initial, dtype))
            if initial is not None
            else "zeros",
            trainable=False,
            name="label_vectors",
        )
        self._initial_vectors = None

    def transformed(self, inputs):
        """``A w_l`` for every label: ``(batch, k, num_labels)``."""
        matrices = ops.reshape(inputs, (-1, self.k, self.vector_dim))
        vectors = ops.cast(self.label_vectors, matrices.dtype)
        return ops.einsum("bkd,ld->bkl", matrices, vectors)

    def call(self, inputs):
        projected = self.transformed(inputs)
        return -ops.sqrt(ops.sum(ops.square(projected), axis=1) + EPS)

    def set_label_vectors(self, label_vectors):
        """Replaces the label vectors by others of the same shape (no retraining)."""
        label_vectors = np.asarray(label_vectors, dtype="float32")
        if label_vectors.shape != (self.num_labels, self.vector_dim):
            raise ValueError(
                f"`label_vectors` must have shape {(self.num_labels, self.vector_dim)}; use "
                "mlrank_keras.models.with_label_vectors for another label count. Received: "
                f"{label_vectors.shape}"
            )
        self.label_vectors.assign(label_vectors)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_labels)

    def get_config(self):
        config = super().get_config()
        config.update(k=self.k, num_labels=self.num_labels, vector_dim=self.vector_dim)
        return config
