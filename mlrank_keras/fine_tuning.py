"""Fine-tuning a pretrained backbone: the score head first with the backbone frozen, then the
whole network at a lower rate, resumable.

Gong et al. (2014) and Li et al. (2017) fine-tune an ImageNet network end to end with SGD
(Gong: momentum 0.9, learning rate 0.002; Li: 0.001, momentum 0.9, weight decay 5e-5). A
new, randomly initialised score head sends large gradients into the pretrained layers, so
today's practice (and Keras's transfer-learning guide) trains the head first with the
backbone frozen, its batch normalisation in inference mode, and then unfreezes everything
at a rate about ten times lower. :func:`fine_tune` does both phases with the optimizers you
give (``SGD(0.002, momentum=0.9)`` for the papers' settings in the second phase).

>>> import keras, numpy as np
>>> from mlrank_keras.losses import WARPLoss
>>> from mlrank_keras.models import build_ranker, cpu_convnet
>>> model = build_ranker(3, WARPLoss(), backbone=cpu_convnet(16, 0.25))
>>> x, y = np.zeros((4, 16, 16, 3), "float32"), np.eye(3, dtype="float32")[[0, 1, 2, 0]]
>>> frozen, full = fine_tune(model, x, y, frozen_epochs=1, epochs=2, verbose=0)
>>> len(frozen.epoch), full.epoch
(1, [1])
"""

import contextlib
import json
import os
import warnings

import keras

from mlrank_keras.distribute import jobs
from mlrank_keras.models.ranker import ranker_backbone
from mlrank_keras.validation import positive_int

# tf.data.UNKNOWN_CARDINALITY (this module does not import TensorFlow).
UNKNOWN_CARDINALITY = -2

FROZEN_WEIGHTS = "frozen_phase.weights.h5"


def freeze_backbone(ranker, frozen=True):
    """Freezes (or, with ``frozen=False``, unfreezes) the ranker's nested backbone; its batch
    normalisation then runs in inference mode. Compile again for it to take effect in
    training. Returns the backbone."""
    backbone = ranker_backbone(ranker)
    backbone.trainable = not frozen
    return backbone


def _recompile(model, optimizer):
    config = dict(model.get_compile_config() or {})
    if not config:
        raise ValueError("`model` must be compiled (its loss and metrics are kept).")
    config.pop("optimizer", None)
    model.compile(optimizer=optimizer, **keras.saving.deserialize_keras_object(config))


def fine_tune(
    model,
    x=None,
    y=None,
    *,
    frozen_epochs=1,
    epochs=6,
    frozen_optimizer=None,
    optimizer=None,
    callbacks=None,
    backup_dir=None,
    seed=None,
    **fit_kwargs,
):
    """Trains ``model`` (a compiled ranker) in two phases and returns their two ``History``
    objects (the first is None with ``frozen_epochs=0``).

    1. Epochs ``0 .. frozen_epochs - 1``: the backbone frozen (:func:`freeze_backbone`), the
       rest trained with ``frozen_optimizer`` (default ``Adam(1e-3)``).
    2. Epochs ``frozen_epochs .. epochs - 1``: everything trained with ``optimizer`` (default
       ``Adam(1e-4)``, ten times lower).

    The model keeps its loss and metrics; both phases are compiled again. ``callbacks`` and
    ``fit_kwargs`` (``validation_data``, ``batch_size``, ``verbose``, ...) go to both ``fit``
    calls; epoch numbers run on from one phase to the next (``initial_epoch``).

    With ``backup_dir``, a killed run started again resumes: each phase keeps a
    ``BackupAndRestore`` folder there, and a finished first phase leaves its weights there
    (``frozen_phase.weights.h5``), so it is not trained twice; a finished run removes what it
    left there (and ``backup_dir`` itself, if then empty). A ``tf.data`` input is moved
    on by the epochs already done (a seeded shuffle then deals the epochs the uninterrupted
    run would have dealt), and with ``seed`` every epoch starts from
    ``keras.utils.set_random_seed(seed + epoch)`` and sets the counter of every layer's
    seed generator from the epoch, so the random draws that no checkpoint holds (the
    seed generators of dropout on JAX and TensorFlow; PyTorch's dropout uses torch's global
    generator; Keras shuffles arrays with NumPy's) repeat too: a resumed run then ends with
    the uninterrupted run's weights, to float round-off.

    In a job of several processes (:func:`mlrank_keras.distribute.data_parallel`) only
    process 0 writes to ``backup_dir``, which every process must be able to read.
    """
    frozen_epochs = int(frozen_epochs)
    if frozen_epochs < 0:
        raise ValueError(f"`frozen_epochs` must be >= 0. Received: frozen_epochs={frozen_epochs}")
    epochs = positive_int(epochs, "epochs")
    if frozen_epochs >= epochs:
        raise ValueError(
            f"`frozen_epochs` ({frozen_epochs}) must be below `epochs` ({epochs}): the last "
            "phase trains the whole network."
        )
    callbacks = list(callbacks or [])
    if seed is not None:
        callbacks.insert(0, _Reseed(int(seed)))
    phases = []
    if frozen_epochs:
        done = backup_dir is not None and os.path.isfile(os.path.join(backup_dir, FROZEN_WEIGHTS))
        freeze_backbone(model)
        _recompile(model, frozen_optimizer or keras.optimizers.Adam(1e-3))
        if done:
            model.load_weights(os.path.join(backup_dir, FROZEN_WEIGHTS))
            phases.append(None)
        else:
            _skip_epochs(x, _epochs_done(backup_dir, "frozen_phase"))
            extra = _backup(backup_dir, "frozen_phase")
            with _quiet_end_of_unsized_data(x, fit_kwargs):
                phases.append(model.fit(x, y, epochs=frozen_epochs,
                                        callbacks=extra + callbacks, **fit_kwargs))
            if backup_dir is not None and jobs.is_chief():
                with jobs.undistributed():
                    model.save_weights(os.path.join(backup_dir, FROZEN_WEIGHTS))
    else:
        phases.append(None)
    freeze_backbone(model, frozen=False)
    _recompile(model, optimizer or keras.optimizers.Adam(1e-4))
    done = _epochs_done(backup_dir, "full_phase")
    _skip_epochs(x, done if done else (frozen_epochs if phases[0] is None else 0))
    extra = _backup(backup_dir, "full_phase")
    with _quiet_end_of_unsized_data(x, fit_kwargs):
        phases.append(model.fit(x, y, epochs=epochs, initial_epoch=frozen_epochs,
                                callbacks=extra + callbacks, **fit_kwargs))
    if backup_dir is not None and jobs.is_chief():  # BackupAndRestore removed its folders
        frozen = os.path.join(backup_dir, FROZEN_WEIGHTS)
        if os.path.isfile(frozen):
            os.remove(frozen)
        if not os.listdir(backup_dir):
            os.rmdir(backup_dir)
    return tuple(phases)


@contextlib.contextmanager
def _quiet_end_of_unsized_data(x, fit_kwargs):
    """Keras warns "Your input ran out of data; interrupting training" at the end of the
    first epoch of a dataset whose size tf.data cannot know (the image pipeline's skipping
    of unreadable files makes it unknown): that epoch has simply ended. The warning is
    silenced then only; with ``steps_per_epoch`` given, a dataset that runs short still
    warns."""
    unsized = (
        hasattr(x, "cardinality")
        and int(x.cardinality()) == UNKNOWN_CARDINALITY
        and fit_kwargs.get("steps_per_epoch") is None
    )
    with warnings.catch_warnings():
        if unsized:
            warnings.filterwarnings("ignore", message="Your input ran out of data",
                                    category=UserWarning)
        yield


def _backup(backup_dir, phase):
    if backup_dir is None:
        return []
    os.makedirs(backup_dir, exist_ok=True)
    return [jobs.BackupAndRestore(os.path.join(backup_dir, phase))]


class _Reseed(keras.callbacks.Callback):
    def __init__(self, seed):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        keras.utils.set_random_seed((self.seed + epoch) % 2**32)
        # The layers' seed generators (dropout on JAX and TensorFlow) are not in the saved
        # weights: their counters restart at a value set by the epoch alone.
        for variable in self.model.non_trainable_variables:
            if variable.name == "seed_generator_state":
                state = keras.ops.convert_to_numpy(variable).copy()
                state[-1] = (epoch << 20) % 2**31
                variable.assign(state)


def _epochs_done(backup_dir, phase):
    """The epoch count a ``BackupAndRestore`` folder of this phase holds (0 if none)."""
    if backup_dir is None:
        return 0
    path = os.path.join(backup_dir, phase, "training_metadata.json")
    if not os.path.isfile(path):
        return 0
    with open(path) as f:
        return int(json.load(f)["epoch"])


def _skip_epochs(x, epochs):
    """Moves a ``tf.data`` dataset on by ``epochs`` passes: each ``iter()`` of a dataset
    advances its reshuffling seed, as each epoch of ``fit`` does."""
    if epochs and hasattr(x, "element_spec"):
        for _ in range(epochs):
            iter(x)
