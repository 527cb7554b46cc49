"""The base class of the multilabel losses.

The label convention (positive, negative, unknown) is :mod:`mlrank_keras.labels`; argument
checks are :mod:`mlrank_keras.validation`; the numeric kernels :mod:`.kernels`, the sort
engine :mod:`.sorting` and the sampled losses' seeds :mod:`.seeds`.
"""

import keras

from mlrank_keras.validation import seed_argument


class MultilabelLoss(keras.losses.Loss):
    """Base of the multilabel losses: wraps a plain per-sample loss function.

    Subclasses pass their plain function and its keyword arguments; the ``keras.losses.Loss``
    base does the reduction, sample weights and masks. ``get_config`` lists every argument.
    A function that takes ``seed`` gets this loss's ``keras.random.SeedGenerator``, made
    from the int (or None) seed that the config saves.
    """

    def __init__(self, fn, name, reduction="sum_over_batch_size", dtype=None, **fn_kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if "seed" in fn_kwargs:
            seed = seed_argument(fn_kwargs["seed"])
            if isinstance(seed, keras.random.SeedGenerator):
                raise ValueError(
                    f"`seed` of {type(self).__name__} must be None or an int (it is saved "
                    f"in the config). Received: seed={seed!r}"
                )
            self.seed_generator = keras.random.SeedGenerator(seed)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true, y_pred):
        kwargs = dict(self.fn_kwargs)
        if "seed" in kwargs:
            kwargs["seed"] = self.seed_generator
        return self.fn(y_true, y_pred, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["dtype"] = self.dtype
        config.update(self.fn_kwargs)
        return config
