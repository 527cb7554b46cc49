"""Li et al. 2017's ranker: VGG16 with the LSEP loss (the label decision heads of its
section 3.3 are :mod:`mlrank_keras.models.decision_heads`)."""

import keras

from mlrank_keras.losses import LSEPLoss
from mlrank_keras.models.backbones import default_backbone, vgg16
from mlrank_keras.models.ranker import build_ranker


def build_lsep_vgg16(
    num_labels=81,
    backbone=None,
    weights=None,
    compile=True,
    optimizer=None,
    metrics=None,
    num_pairs=None,
    seed=None,
    name="lsep_vgg16",
    **backbone_kwargs,
):
    """Li et al.'s ranker: VGG16 and a linear layer of label scores, trained with LSEP.

    Compiled with SGD (momentum 0.9, learning rate 0.001, weight decay 5e-5, as in the
    paper) and :class:`mlrank_keras.losses.LSEPLoss`. ``num_pairs=None`` sums over all
    positive-negative pairs exactly (``O(L)`` here, so the paper's sampling of ``t = 1000``
    pairs is optional: pass ``num_pairs=1000`` for it).

    Args:
        num_labels: the number of labels.
        backbone: None for :func:`mlrank_keras.models.vgg16`, or any ``keras.Model``.
        weights: a local VGG16 "notop" weights file for the default backbone, or None.
        compile, optimizer, metrics: as for the other builders.
        num_pairs, seed: of the LSEP loss.
        name: the model's name.
        **backbone_kwargs: ``input_shape``, ``dense_units``, ``dropout`` of the backbone.

    Example:
    >>> build_lsep_vgg16(6, input_shape=(32, 32, 3), dense_units=(8,)).output_shape
    (None, 6)
    """
    return build_ranker(
        num_labels,
        LSEPLoss(num_pairs=num_pairs, seed=seed),
        backbone=default_backbone(backbone, vgg16, backbone_kwargs, weights=weights),
        optimizer=optimizer
        or keras.optimizers.SGD(learning_rate=0.001, momentum=0.9, weight_decay=5e-5),
        metrics=metrics,
        compile=compile,
        name=name,
    )
