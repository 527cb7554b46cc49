"""The tuned training settings: each loss's learning rate (and margin), the schedule and the
epochs that the main job, the recipes and the ``mlrank-keras train`` command use.

The values were chosen by ``benchmarks/lr_grid.py`` on a validation split carved from
GlyphTags' training set, for Adam with a one-epoch warm-up and a cosine decay over
:data:`EPOCHS` epochs (the grid is in BENCHMARKS.md). They are a starting point for another
dataset, not a guarantee: tune them on your own validation split.

>>> loss, rate = tuned_loss("warp")
>>> type(loss).__name__, loss.get_config()["margin"], rate
('WARPLoss', 0.5, 0.01)
>>> sorted(LOSSES)
['asl', 'bpmll', 'lsep', 'ranking', 'softmax', 'two_way', 'warp', 'zlpr']
"""

import keras

from mlrank_keras import losses

# key: (title, the loss class)
LOSSES = {
    "softmax": ("multilabel softmax (Gong)", losses.MultilabelSoftmaxLoss),
    "ranking": ("pairwise ranking (Gong)", losses.PairwiseHingeLoss),
    "warp": ("WARP (Gong)", losses.WARPLoss),
    "bpmll": ("BP-MLL (Li)", losses.BPMLLLoss),
    "lsep": ("LSEP (Li)", losses.LSEPLoss),
    "asl": ("ASL (Ridnik)", losses.AsymmetricLoss),
    "two_way": ("two-way (Kobayashi)", losses.TwoWayLoss),
    "zlpr": ("ZLPR (Su)", losses.MultilabelCategoricalCrossentropy),
}

# Each loss's learning rate (and margin), chosen by `benchmarks/lr_grid.py` (BENCHMARKS.md).
# BP-MLL was not in the grid: it takes softmax's rate.
SETTINGS = {
    "softmax": {"learning_rate": 1e-2},
    "ranking": {"learning_rate": 5e-3, "margin": 1.0},
    "warp": {"learning_rate": 1e-2, "margin": 0.5},
    "bpmll": {"learning_rate": 1e-2},
    "lsep": {"learning_rate": 4e-2},
    "asl": {"learning_rate": 4e-2},  # its paper's gamma_neg=4, gamma_pos=0, clip=0.05
    "two_way": {"learning_rate": 1e-2},  # its paper's temperatures 4 and 1
    "zlpr": {"learning_rate": 4e-2},
}
WARMUP_EPOCHS = 1
# The main job's four models train within 10 minutes on the slowest 2-core CPU seen
# (BENCHMARKS.md); the learning rates above were tuned at this length.
EPOCHS = 6


def tuned_loss(key, learning_rate=None, **overrides):
    """``(loss, learning_rate)``: the loss of :data:`LOSSES` ``key`` with its tuned settings
    (:data:`SETTINGS`); ``learning_rate`` and ``overrides`` (loss arguments, e.g.
    ``margin=1.0``) replace them."""
    if key not in LOSSES:
        raise ValueError(f"`key` must be one of {sorted(LOSSES)}. Received: key={key!r}")
    settings = {**SETTINGS[key], **overrides}
    tuned_rate = settings.pop("learning_rate")
    return LOSSES[key][1](**settings), tuned_rate if learning_rate is None else learning_rate


def warmup_cosine_adam(
    learning_rate, steps_per_epoch, epochs, warmup_epochs=WARMUP_EPOCHS, schedule="cosine"
):
    """Adam with a linear warm-up over ``warmup_epochs`` to ``learning_rate``, then a
    cosine decay to 0 at the end of ``epochs`` (``schedule="constant"``: Adam at
    ``learning_rate`` throughout, for comparison).

    >>> optimizer = warmup_cosine_adam(1e-2, steps_per_epoch=10, epochs=3)
    >>> config = optimizer.get_config()["learning_rate"]
    >>> schedule = keras.optimizers.schedules.deserialize(config)
    >>> [round(float(schedule(s)), 4) for s in (0, 5, 10, 20, 30)]
    [0.0, 0.005, 0.01, 0.005, 0.0]
    """
    if schedule not in ("cosine", "constant"):
        raise ValueError(
            f"`schedule` must be 'cosine' or 'constant'. Received: schedule={schedule!r}"
        )
    if schedule == "constant":
        return keras.optimizers.Adam(learning_rate)
    total = max(1, int(steps_per_epoch) * int(epochs))
    warmup = min(total - 1, int(steps_per_epoch * warmup_epochs)) if epochs > 1 else 0
    decay = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else learning_rate,
        decay_steps=total - warmup,
        warmup_target=learning_rate if warmup else None,
        warmup_steps=warmup,
    )
    return keras.optimizers.Adam(decay)
