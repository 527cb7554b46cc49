"""A label-query head in the style of ML-Decoder (Ridnik et al., WACV 2023): each label is
a query that attends over the image's spatial features and gives that label's score."""

from keras import layers, ops

from mlrank_keras.api import register
from mlrank_keras.validation import label_vectors_argument, positive_int, rate_argument


@register
class LabelQueryHead(layers.Layer):
    """Label queries cross-attending over spatial features: one score per label.

    The features (``(batch, h, w, c)`` maps, or ``(batch, c)`` vectors as a single token)
    are projected to ``dim`` (with ReLU); each label's query attends over them with
    ``num_heads``-head attention, then passes a feed-forward block, each with a residual
    connection and layer normalisation (ML-Decoder's decoder layer without self-attention);
    the result ``h_l`` gives the label's score.

    Two kinds of queries:
    - learned (``num_labels=L``): a trainable ``(L, dim)`` query per label, scored by its
      own linear unit (ML-Decoder's group fully-connected layer with one label per group);
    - given (``label_vectors=``, e.g. word vectors from :mod:`mlrank_keras.embeddings`):
      a non-trainable ``(L, d)`` weight, turned into queries by a shared projection and
      scored by a shared linear unit, so a label never seen in training is scored from its
      vector alone (:func:`mlrank_keras.models.with_label_vectors`).

    Args:
        num_labels: the number of labels (learned queries), or None with ``label_vectors``.
        label_vectors: None, or a ``(num_labels, d)`` array of label vectors.
        dim: the width of the queries and the attention.
        num_heads: attention heads (``dim`` must be a multiple).
        ff_dim: the feed-forward block's hidden width (default ``2 * dim``).
        dropout: dropout in the attention and the feed-forward block.
        vector_dim: the width ``d`` of the label vectors, when they are not given directly
            (a loaded model: the weights then come from the file).

    Example:
    >>> import numpy as np
    >>> head = LabelQueryHead(num_labels=5, dim=8, num_heads=2)
    >>> tuple(head(np.zeros((2, 3, 3, 4), "float32")).shape)
    (2, 5)
    """

    takes_feature_maps = True  # build_ranker hands it the maps, not pooled vectors

    def __init__(self, num_labels=None, label_vectors=None, dim=128, num_heads=4, ff_dim=None,
                 dropout=0.1, vector_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.dim = positive_int(dim, "dim")
        self.num_heads = positive_int(num_heads, "num_heads")
        if self.dim % self.num_heads:
            raise ValueError(
                f"`dim` must be a multiple of `num_heads`. Received: dim={dim}, "
                f"num_heads={num_heads}"
            )
        self.ff_dim = positive_int(ff_dim if ff_dim is not None else 2 * self.dim, "ff_dim")
        self.dropout = rate_argument(dropout)
        if label_vectors is not None:
            label_vectors = label_vectors_argument(label_vectors)
            if num_labels is not None and num_labels != label_vectors.shape[0]:
                raise ValueError(
                    f"`num_labels` ({num_labels}) must match the {label_vectors.shape[0]} "
                    "`label_vectors`, or be left out."
                )
            num_labels, vector_dim = label_vectors.shape
        self.num_labels = positive_int(num_labels, "num_labels")
        self.vector_dim = None if vector_dim is None else positive_int(vector_dim, "vector_dim")
        self._initial_vectors = label_vectors
        self.token_projection = layers.Dense(self.dim, activation="relu", name="tokens")
        self.attention = layers.MultiHeadAttention(
            self.num_heads, self.dim // self.num_heads, dropout=self.dropout, name="attention"
        )
        self.attention_norm = layers.LayerNormalization(name="attention_norm")
        self.query_norm = layers.LayerNormalization(name="query_norm")
        self.feed_forward = [
            layers.Dense(self.ff_dim, activation="relu", name="ff1"),
            layers.Dropout(self.dropout, name="ff_dropout"),
            layers.Dense(self.dim, name="ff2"),
        ]
        self.output_norm = layers.LayerNormalization(name="output_norm")
        if self.vector_dim is not None:
            self.query_projection = layers.Dense(self.dim, activation="relu", name="queries")
            self.score = layers.Dense(1, name="score")

    def build(self, input_shape):
        if len(input_shape) not in (2, 4):
            raise ValueError(
                "LabelQueryHead expects feature maps (batch, h, w, c) or vectors (batch, c). "
                f"Received: {tuple(input_shape)}"
            )
        channels = input_shape[-1]
        self.token_projection.build((None, None, channels))
        if self.vector_dim is None:
            self.queries = self.add_weight(shape=(self.num_labels, self.dim),
                                           initializer="glorot_uniform", name="queries")
            self.label_kernel = self.add_weight(shape=(self.num_labels, self.dim),
                                                initializer="glorot_uniform", name="label_kernel")
            self.label_bias = self.add_weight(shape=(self.num_labels,), initializer="zeros",
                                              name="label_bias")
        else:
            initial = self._initial_vectors
            self.label_vectors = self.add_weight(
                shape=(self.num_labels, self.vector_dim),
                initializer=(lambda shape, dtype=None: ops.cast(initial, dtype))
                if initial is not None else "zeros",
                trainable=False,
                name="label_vectors",
            )
            self._initial_vectors = None
            self.query_projection.build((None, self.vector_dim))
            self.score.build((None, None, self.dim))
        sequence = (None, self.num_labels, self.dim)
        self.query_norm.build(sequence)
        self.attention.build(sequence, (None, None, self.dim))
        self.attention_norm.build(sequence)
        self.feed_forward[0].build(sequence)
        self.feed_forward[2].build((None, self.num_labels, self.ff_dim))
        self.output_norm.build(sequence)

    def call(self, inputs, training=None):
        channels = ops.shape(inputs)[-1]
        tokens = self.token_projection(ops.reshape(inputs, (ops.shape(inputs)[0], -1, channels)))
        if self.vector_dim is None:
            queries = ops.cast(self.queries, tokens.dtype)
        else:
            queries = self.query_projection(ops.cast(self.label_vectors, tokens.dtype))
        queries = ops.broadcast_to(queries[None], (ops.shape(tokens)[0], self.num_labels,
                                                   self.dim))
        x = self.query_norm(queries)
        x = self.attention_norm(x + self.attention(x, tokens, tokens, training=training))
        y = x
        for layer in self.feed_forward:
            y = layer(y, training=training) if isinstance(layer, layers.Dropout) else layer(y)
        x = self.output_norm(x + y)
        if self.vector_dim is None:
            kernel = ops.cast(self.label_kernel, x.dtype)
            return ops.sum(x * kernel[None], axis=-1) + ops.cast(self.label_bias, x.dtype)
        return ops.squeeze(self.score(x), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_labels)

    def get_config(self):
        config = super().get_config()
        config.update(num_labels=self.num_labels, dim=self.dim, num_heads=self.num_heads,
                      ff_dim=self.ff_dim, dropout=self.dropout, vector_dim=self.vector_dim)
        return config
