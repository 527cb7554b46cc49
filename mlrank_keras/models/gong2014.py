"""Gong et al. 2014's three CNNs: softmax, pairwise ranking and WARP on one architecture.

Each builder is :func:`mlrank_keras.models.build_ranker` with the paper's loss, backbone
(:func:`gong_alexnet`) and optimiser (:func:`gong_optimizer`). Their common arguments:

* ``num_labels``: the number of labels (81 for NUS-WIDE).
* ``backbone``: None for :func:`gong_alexnet`, or any ``keras.Model`` from images to
  features (feature maps are average-pooled).
* ``compile``: compile with the paper's loss and optimiser (False skips it).
* ``optimizer``: None for :func:`gong_optimizer`, or any Keras optimizer.
* ``metrics``: passed to ``compile``, e.g. ``[mlrank_keras.metrics.PerClassRecall(k=3)]``.
* ``name``: the model's name.
* ``**backbone_kwargs``: sizes of the default backbone (``input_shape``, ``filters``,
  ``kernel_sizes``, ``strides``, ``pools``, ``dense_units``, ``dropout``).

They return a functional ``keras.Model`` from images to one score per label (logits).
"""

import keras

from mlrank_keras.losses import MultilabelSoftmaxLoss, PairwiseHingeLoss, WARPLoss
from mlrank_keras.models.backbones import default_backbone, gong_alexnet
from mlrank_keras.models.ranker import build_ranker


def gong_optimizer(learning_rate=0.002, decay_steps=20_000, decay_rate=0.1, momentum=0.9):
    """Gong's optimiser: SGD with momentum 0.9, learning rate 0.002 with staircase decay.

    The paper does not give the decay schedule; this multiplies the rate by ``decay_rate``
    every ``decay_steps`` steps.
    """
    schedule = keras.optimizers.schedules.ExponentialDecay(
        learning_rate, decay_steps=decay_steps, decay_rate=decay_rate, staircase=True
    )
    return keras.optimizers.SGD(learning_rate=schedule, momentum=momentum)


def _gong(loss, num_labels, backbone, compile, optimizer, metrics, name, backbone_kwargs):
    return build_ranker(
        num_labels,
        loss,
        backbone=default_backbone(backbone, gong_alexnet, backbone_kwargs),
        optimizer=optimizer or gong_optimizer(),
        metrics=metrics,
        compile=compile,
        name=name,
    )


def build_softmax_alexnet(
    num_labels=81,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    name="softmax_alexnet",
    **backbone_kwargs,
):
    """Gong's CNN with the multilabel softmax loss (section 3.2.1); arguments as in the
    module docstring.

    Example:
    >>> model = build_softmax_alexnet(10, input_shape=(32, 32, 3), filters=(4,) * 5,
    ...     kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,))
    >>> model.output_shape
    (None, 10)
    """
    loss = MultilabelSoftmaxLoss()
    return _gong(loss, num_labels, backbone, compile, optimizer, metrics, name, backbone_kwargs)


def build_ranking_alexnet(
    num_labels=81,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    margin=1.0,
    name="ranking_alexnet",
    **backbone_kwargs,
):
    """Gong's CNN with the pairwise ranking hinge loss (section 3.2.2), of margin ``margin``
    (1); the other arguments as in the module docstring.

    Example:
    >>> build_ranking_alexnet(10, input_shape=(32, 32, 3), filters=(4,) * 5,
    ...     kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,)).output_shape
    (None, 10)
    """
    loss = PairwiseHingeLoss(margin=margin)
    return _gong(loss, num_labels, backbone, compile, optimizer, metrics, name, backbone_kwargs)


def build_warp_alexnet(
    num_labels=81,
    backbone=None,
    compile=True,
    optimizer=None,
    metrics=None,
    rank_estimate="exact",
    margin=1.0,
    seed=None,
    name="warp_alexnet",
    **backbone_kwargs,
):
    """Gong's CNN with the WARP loss (section 3.2.3), the paper's best model.

    ``rank_estimate="exact"`` (the default, as in :class:`mlrank_keras.losses.WARPLoss`)
    counts each positive's violators exactly, in the same ``O(L log L)`` as the rest of
    the batch; ``"sampled"`` is the paper's estimate ``floor((L - 1) / N)`` from the
    number ``N`` of draws until a violator, which exists to save time on a CPU of 2014 and
    gives one violator's gradient per positive where the exact form gives all of them.
    ``margin`` (1) is the hinge margin, ``seed`` the sampled estimate's seed; the other
    arguments as in the module docstring.

    Example:
    >>> build_warp_alexnet(10, input_shape=(32, 32, 3), filters=(4,) * 5,
    ...     kernel_sizes=(3,) * 5, strides=(1,) * 5, dense_units=(8,)).output_shape
    (None, 10)
    """
    loss = WARPLoss(rank_estimate=rank_estimate, margin=margin, seed=seed)
    return _gong(loss, num_labels, backbone, compile, optimizer, metrics, name, backbone_kwargs)
