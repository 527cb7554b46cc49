"""DREL (He et al. 2015) and its shallow baseline WSABIE (Weston et al. 2011)."""

import keras
import numpy as np
from keras import layers

from mlrank_keras.layers.metric_matrix import MetricMatrixTagScores
from mlrank_keras.losses.triplet import TripletHingeLoss
from mlrank_keras.losses.warp import WARPLoss
from mlrank_keras.validation import finite_float, positive_int, positive_ints


def _compile_drel(model, optimizer, margin, metrics):
    model.compile(
        optimizer=optimizer or keras.optimizers.Adam(1e-3),
        loss=TripletHingeLoss(margin=margin),
        metrics=metrics,
    )


def build_drel(
    image_dim=4096,
    num_tags=81,
    tag_dim=256,
    image_units=(2048, 1024),
    tag_units=(512, 1024),
    compile=True,
    optimizer=None,
    metrics=None,
    margin=1.0,
    name="drel",
):
    """DREL: two sigmoid towers, learned tag embeddings and a metric-matrix score (He §2).

    Image features ``x`` (4096-d CNN features in the paper) go through the image tower
    (Dense layers ``image_units`` with sigmoid: 4096-2048-1024); randomly initialised,
    learned tag embeddings (``tag_dim`` = 256) through the tag tower (``tag_units``:
    256-512-1024); every tag scores ``s = y~^T M x~`` with a learned metric matrix ``M``
    (initialised to the identity), all tags at once. Compiled with the triplet hinge
    averaged over (image, relevant tag, irrelevant tag) triplets (margin 1) and
    ``Adam(1e-3)``: the paper trains with SGD but gives no rate, and SGD at the usual rates
    hardly moves the sigmoid towers (loss 0.953 to 0.949 in 30 epochs of a toy problem where
    Adam reaches 0.22). New tags can join a trained
    model with :func:`add_tags`, keeping every trained weight (the paper's online learning).

    Args:
        image_dim: the length of the image feature vectors.
        num_tags: the number of tags.
        tag_dim: the size of the learned tag embeddings.
        image_units, tag_units: the towers' layer sizes; both end at the latent size.
        compile: compile with the loss and optimiser (False skips it).
        optimizer: None for ``Adam(1e-3)``, or any Keras optimizer.
        metrics: passed to ``compile``.
        margin: of the triplet hinge.
        name: the model's name.

    Returns:
        A functional ``keras.Model`` from ``(batch, image_dim)`` features to tag scores.

    Example:
    >>> build_drel(image_dim=16, num_tags=5, tag_dim=4, image_units=(8, 6),
    ...            tag_units=(7, 6)).output_shape
    (None, 5)
    """
    image_dim = positive_int(image_dim, "image_dim")
    image_units = positive_ints(image_units, "image_units")
    if tuple(tag_units)[-1:] != image_units[-1:]:
        raise ValueError(
            "`image_units` and `tag_units` must end at the same latent size. Received: "
            f"image_units={image_units}, tag_units={tuple(tag_units)}"
        )
    inputs = keras.Input((image_dim,), name="image_features")
    x = inputs
    for i, units in enumerate(image_units):
        x = layers.Dense(units, activation="sigmoid", name=f"image_dense_{i}")(x)
    scores = MetricMatrixTagScores(
        num_tags, tag_dim=tag_dim, tag_units=tag_units, name="tag_scores"
    )(x)
    model = keras.Model(inputs, scores, name=name)
    if compile:
        _compile_drel(model, optimizer, margin, metrics)
    return model


def add_tags(
    model, num_new_tags, seed=None, compile=True, optimizer=None, metrics=None, margin=1.0
):
    """A DREL model with ``num_new_tags`` more tags, keeping every trained weight.

    The new model shares the image tower's layers with ``model`` (so training one trains
    both; clone ``model`` first to keep it apart); its tag layer is new, with copies of the
    tag tower, the metric matrix and the old tag embeddings, and new embeddings drawn from
    the layer's initializer appended. The old tags' scores are unchanged (a tag's score
    depends on its own embedding and the shared weights only), and the new tags are the
    columns from ``old_num_tags`` on. Fine-tune it on data with the new tags (the paper's
    online learning).

    Example:
    >>> model = build_drel(16, 5, tag_dim=4, image_units=(8, 6), tag_units=(7, 6))
    >>> add_tags(model, 3).output_shape
    (None, 8)
    """
    num_new_tags = positive_int(num_new_tags, "num_new_tags")
    found = [layer for layer in model.layers if isinstance(layer, MetricMatrixTagScores)]
    if len(found) != 1:
        raise ValueError("`model` must be a DREL model (one MetricMatrixTagScores layer).")
    old = found[0]
    config = old.get_config()
    config["num_tags"] = old.num_tags + num_new_tags
    new = MetricMatrixTagScores.from_config(config)
    outputs = new(old.input)
    initializer = keras.initializers.get(config["embeddings_initializer"])
    if seed is not None and "seed" in initializer.get_config():
        initializer = type(initializer).from_config({**initializer.get_config(), "seed": seed})
    fresh = keras.ops.convert_to_numpy(initializer((num_new_tags, old.tag_dim)))
    weights = old.get_weights()  # embeddings, tag tower (kernel, bias)..., metric matrix
    embeddings = np.concatenate([weights[0], fresh.astype(weights[0].dtype)], axis=0)
    new.set_weights([embeddings] + weights[1:])
    grown = keras.Model(model.input, outputs, name=model.name)
    if compile:
        _compile_drel(grown, optimizer, margin, metrics)
    return grown


def build_wsabie(
    image_dim,
    num_tags,
    embedding_dim=100,
    max_norm=1.0,
    compile=True,
    optimizer=None,
    metrics=None,
    rank_estimate="exact",
    seed=None,
    name="wsabie",
):
    """WSABIE (Weston et al. 2011), He's shallow baseline: a linear map of the image
    features into an ``embedding_dim`` space, scored against learned tag embeddings by inner
    product, trained with WARP.

    Both the projection's rows and the tag embeddings are kept to norm ``<= max_norm``
    (WSABIE's constraint; None drops it; otherwise a number > 0). Compiled with WARP
    (``rank_estimate``: exact by default, as everywhere in the package; ``"sampled"`` is
    Weston's estimate) and ``SGD(0.01)`` unless ``optimizer`` is given.

    Example:
    >>> build_wsabie(16, 5, embedding_dim=4).output_shape
    (None, 5)
    """
    image_dim = positive_int(image_dim, "image_dim")
    num_tags = positive_int(num_tags, "num_tags")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")

    if max_norm is not None:
        max_norm = finite_float(max_norm, "max_norm")
        if max_norm <= 0:
            raise ValueError(
                f"`max_norm` must be None or a number > 0. Received: max_norm={max_norm!r}"
            )

    def constraint(axis):
        return None if max_norm is None else keras.constraints.MaxNorm(max_norm, axis=axis)

    inputs = keras.Input((image_dim,), name="image_features")
    embedded = layers.Dense(
        embedding_dim, use_bias=False, kernel_constraint=constraint(1), name="image_projection"
    )(inputs)
    scores = layers.Dense(
        num_tags, use_bias=False, kernel_constraint=constraint(0), name="tag_embeddings"
    )(embedded)
    model = keras.Model(inputs, scores, name=name)
    if compile:
        model.compile(
            optimizer=optimizer or keras.optimizers.SGD(0.01),
            loss=WARPLoss(rank_estimate=rank_estimate, seed=seed),
            metrics=metrics,
        )
    return model
