"""DREL's tag side and score (He et al. 2015): learned tag embeddings, a sigmoid tag tower
and the metric-matrix score ``y~^T M x~`` for every tag at once."""

import keras
from keras import layers, ops

from mlrank_keras.api import register
from mlrank_keras.validation import positive_int, positive_ints


@register
class MetricMatrixTagScores(layers.Layer):
    """Scores every tag for each image latent ``x~``: ``s_t = y~_t^T M x~`` (He eq. 2).

    Holds the ``num_tags x tag_dim`` tag embeddings (randomly initialised and learned, as in
    the paper), the tag tower (Dense layers with sigmoid activations, ``tag_units``; its last
    size is the latent size) and the metric matrix ``M`` (``latent x latent``). The input is
    the image tower's output ``x~`` ``(batch, latent)``; the output ``(batch, num_tags)``.
    A tag's score depends on its own embedding and the shared weights only, so tags can be
    added to a trained model without changing the old tags' scores
    (:func:`mlrank_keras.models.add_tags`).

    Args:
        num_tags: the number of tags.
        tag_dim: the size of the tag embeddings (256 in the paper).
        tag_units: the tag tower's layer sizes (512, 1024 in the paper).
        embeddings_initializer: of the tag embeddings.

    Example:
    >>> import numpy as np
    >>> layer = MetricMatrixTagScores(num_tags=5, tag_dim=4, tag_units=(6, 3))
    >>> tuple(layer(np.zeros((2, 3), dtype="float32")).shape)
    (2, 5)
    """

    def __init__(
        self,
        num_tags,
        tag_dim=256,
        tag_units=(512, 1024),
        embeddings_initializer="random_normal",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_tags = positive_int(num_tags, "num_tags")
        self.tag_dim = positive_int(tag_dim, "tag_dim")
        self.tag_units = positive_ints(tag_units, "tag_units")
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.tag_tower = [
            layers.Dense(units, activation="sigmoid", name=f"tag_dense_{i}")
            for i, units in enumerate(self.tag_units)
        ]

    def build(self, input_shape):
        latent = input_shape[-1]
        if latent != self.tag_units[-1]:
            raise ValueError(
                f"The image latent size ({latent}) must equal the tag tower's last size "
                f"({self.tag_units[-1]}): `tag_units={self.tag_units}`."
            )
        self.tag_embeddings = self.add_weight(
            shape=(self.num_tags, self.tag_dim),
            initializer=self.embeddings_initializer,
            name="tag_embeddings",
        )
        size = self.tag_dim
        for dense in self.tag_tower:
            dense.build((None, size))
            size = dense.units
        self.metric_matrix = self.add_weight(
            shape=(latent, latent), initializer="identity", name="metric_matrix"
        )

    def tag_latents(self):
        """``y~`` of every tag: ``(num_tags, latent)``."""
        out = self.tag_embeddings
        for dense in self.tag_tower:
            out = dense(out)
        return out

    def call(self, image_latents):
        tags = ops.cast(self.tag_latents(), image_latents.dtype)
        metric = ops.cast(self.metric_matrix, image_latents.dtype)
        return ops.matmul(ops.matmul(image_latents, ops.transpose(metric)), ops.transpose(tags))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_tags)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_tags=self.num_tags,
            tag_dim=self.tag_dim,
            tag_units=list(self.tag_units),
            embeddings_initializer=keras.initializers.serialize(self.embeddings_initializer),
        )
        return config
