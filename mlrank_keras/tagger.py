"""A tagger from your own photos and tag file: :func:`train_tagger` trains a ranker with a
tuned loss on a folder of images and a tag file (:func:`mlrank_keras.data.read_tags`),
keeps the best epoch by validation C-F1, picks the decision threshold on the validation
split, and saves one ``.keras`` file that knows its label names and threshold
(``mlrank-keras train`` is this function on the command line).

Every model it builds takes raw RGB pixels in [0, 255] (the preprocessing is inside), at
a square input side ``image_size``; the data pipeline resizes each image to
``round(image_size * 8 / 7)`` (256 for 224, as Gong's 256 -> 220 crops) and crops
``image_size`` (a random one of five crops in training, the centre otherwise).
"""

import contextlib
import dataclasses
import json
import math
import os
import shutil

import keras

from mlrank_keras import distribute, tuned
from mlrank_keras.decisions import best_threshold
from mlrank_keras.fine_tuning import fine_tune, freeze_backbone
from mlrank_keras.layers.image_preprocessing import ImagePreprocessing
from mlrank_keras.models import (
    APPLICATIONS,
    application_backbone,
    build_ranker,
    cpu_convnet,
    hub_backbone,
    set_thresholds,
)
from mlrank_keras.training import AnnotationReport, predict_with_labels

CPU = "cpu"  # the from-scratch CPU network, mlrank_keras.models.cpu_convnet
CPU_IMAGE_SIZE = 112
RESIZE = 8 / 7
MODEL_FILE = "model.keras"


def pipeline_sizes(image_size):
    """The data pipeline's arguments for a tagger of input side ``image_size``: resized to
    8/7 of it, cropped to it, raw pixels (the model scales them)."""
    return dict(image_size=int(round(image_size * RESIZE)), crop_size=image_size,
                normalization=None)


def tagger_backbone(backbone=CPU, image_size=None, weights=None, width=0.5):
    """``(backbone, image_size, pretrained)`` for :func:`train_tagger`: ``"cpu"`` (the CPU
    network from scratch, ImageNet-statistics scaling inside), an application name (ImageNet
    weights, or the local ``weights`` file) or a keras-hub preset name or folder."""
    if backbone == CPU:
        if weights is not None:
            raise ValueError("`weights` applies to a keras.applications backbone, not 'cpu'.")
        side = image_size or CPU_IMAGE_SIZE
        inputs = keras.Input((side, side, 3), name="images")
        x = ImagePreprocessing("torch", name="preprocessing")(inputs)
        return keras.Model(inputs, cpu_convnet(side, width)(x), name="cpu_convnet"), side, False
    if backbone in APPLICATIONS:
        side = image_size or 224
        model = application_backbone(backbone, (side, side, 3), weights=weights or "imagenet")
        return model, side, True
    if weights is not None:
        raise ValueError("`weights` applies to a keras.applications backbone; a keras-hub "
                         f"preset has its own. Received: backbone={backbone!r}")
    model = hub_backbone(backbone, image_shape=None if image_size is None else
                         (image_size, image_size, 3))
    side = model.input_shape[1]
    if side is None or model.input_shape[2] != side:
        raise ValueError(f"Preset {backbone!r} takes {model.input_shape[1:3]} images: pass a "
                         "square `image_size`.")
    return model, side, True


class KeepBest(keras.callbacks.Callback):
    """Saves the model to ``path`` whenever ``monitor`` (a log key, higher is better; NaN
    counts as worst) beats its best so far, and keeps that best in ``path + ".best.json"``,
    so a resumed run (``BackupAndRestore``) goes on comparing with it. Keras's
    ``ModelCheckpoint`` forgets its best value when the process ends."""

    def __init__(self, path, monitor="val_C-F1"):
        super().__init__()
        self.path, self.monitor = os.fspath(path), monitor
        self.state_path = self.path + ".best.json"
        self.best_epoch, self.best = None, -math.inf
        if os.path.isfile(self.state_path):
            with open(self.state_path) as f:
                state = json.load(f)
            self.best_epoch, self.best = state["epoch"], state["value"]

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(f"KeepBest: the epoch's logs have no {self.monitor!r}; they have "
                             f"{sorted(logs or {})}. Put the callback that logs it first.")
        value = float(value)
        if math.isnan(value) or value <= self.best:
            return
        distribute.save_model(self.model, self.path)  # process 0 of a job writes
        self.best_epoch, self.best = epoch, value
        if distribute.is_chief():
            with open(self.state_path, "w") as f:
                json.dump({"epoch": epoch, "value": value, "monitor": self.monitor}, f)


@dataclasses.dataclass
class TrainedTagger:
    """What :func:`train_tagger` returns: the best model (thresholds set), its path, the best
    epoch (0-based), the chosen threshold and the validation reports."""

    model: keras.Model
    path: str
    best_epoch: int
    threshold: float
    reports: dict


def train_tagger(
    labels_file,
    out,
    images_dir=None,
    *,
    loss="warp",
    backbone=CPU,
    weights=None,
    epochs=None,
    frozen_epochs=None,
    image_size=None,
    validation_split=0.2,
    batch_size=64,
    learning_rate=None,
    seed=0,
    width=0.5,
    flip=True,
    cache=False,
    k=3,
    verbose=1,
    overwrite=False,
    coordinator=None,
    num_processes=None,
    process_id=None,
    **read_kwargs,
):
    """Trains a tagger on ``images_dir`` and ``labels_file`` and saves it as ``out/model.keras``.

    Args:
        labels_file, images_dir, **read_kwargs: the tag file and its images, read by
            :func:`mlrank_keras.data.read_tags` (``format``, ``label_delim``, ``min_count``,
            ...).
        out: the results folder: ``model.keras``, ``report.txt``, ``report.json``,
            ``label_names.json`` and, while training, ``backup/`` (a killed run started
            again with the same ``out`` resumes from its last finished epoch).
        loss: a key of :data:`mlrank_keras.tuned.LOSSES`; its tuned learning rate and
            margin are used (``learning_rate`` overrides the rate).
        backbone, weights, image_size, width: see :func:`tagger_backbone`.
        epochs: in all (default :data:`mlrank_keras.tuned.EPOCHS`); ``frozen_epochs`` of
            them train the head with a pretrained backbone frozen (default 1 for a pretrained
            backbone, 0 for ``"cpu"``), the rest everything, at a tenth of the rate
            (:func:`mlrank_keras.fine_tune`). Each phase warms up and decays as
            :func:`mlrank_keras.tuned.warmup_cosine_adam`.
        validation_split: the seeded share of images held out (unless the tag file has a
            validation column): the best epoch, the threshold and the report come from it.
        flip: mirror training images left-right at random (off for text, digits, glyphs).
        cache: keep the images decoded and resized in memory after the first epoch
            (``image_dataset(cache=True)``: faster epochs, ``images * side**2 * 3`` bytes).
        k: the top-k decision of the report and the best-epoch choice.
        overwrite: an ``out`` that holds a finished run is an error unless this is True
            (then the run starts afresh); an unfinished one is resumed.
        coordinator, num_processes, process_id: one process of a job of several (JAX; see
            :func:`mlrank_keras.distribute.data_parallel`; by default Keras's
            ``KERAS_DISTRIBUTION_*`` variables). Each process reads its own part of the
            training images at ``batch_size / num_processes`` (``batch_size`` stays the
            global batch) and the whole validation split; process 0 writes ``out``, which
            every process must be able to read (one host, or a shared file system).
    """
    key = loss
    if key not in tuned.LOSSES:
        raise ValueError(f"`loss` must be one of {sorted(tuned.LOSSES)}. Received: loss={key!r}")
    epochs = tuned.EPOCHS if epochs is None else int(epochs)
    coordinator, processes, process_id = distribute.job_settings(
        coordinator, num_processes, process_id)
    if batch_size % processes:
        raise ValueError(f"`batch_size` (the global batch) must divide by the {processes} "
                         f"processes. Received: batch_size={batch_size}")
    # Before the backbone's weights and the datasets (TensorFlow derives their seeded draws
    # from its global seed).
    keras.utils.set_random_seed(seed)
    job = contextlib.nullcontext()
    if processes > 1:  # before any weight: the job's devices hold them
        job = distribute.data_parallel(
            coordinator=coordinator, num_processes=processes, process_id=process_id)
        verbose = verbose if process_id == 0 else 0
    with job:
        return _train(labels_file, out, images_dir, key, backbone, weights, epochs,
                      frozen_epochs, image_size, validation_split, batch_size, learning_rate,
                      seed, width, flip, cache, k, verbose, overwrite, processes,
                      read_kwargs)


def _train(labels_file, out, images_dir, key, backbone, weights, epochs, frozen_epochs,
           image_size, validation_split, batch_size, learning_rate, seed, width, flip, cache,
           k, verbose, overwrite, processes, read_kwargs):
    from mlrank_keras.data import read_tags, save_label_names, tagged_dataset

    network, side, pretrained = tagger_backbone(backbone, image_size, weights, width)
    frozen_epochs = (1 if pretrained and epochs > 1 else 0) if frozen_epochs is None else int(
        frozen_epochs)
    tagged = read_tags(labels_file, images_dir, **read_kwargs)
    train, validation = tagged.split(validation_split, seed=seed)
    if verbose:
        print(describe(tagged, train, validation))
    if distribute.is_chief():
        _prepare_out(out, overwrite)
    distribute.barrier("mlrank_keras: out prepared")
    data = dict(batch_size=batch_size, cache=cache, **pipeline_sizes(side))
    validation_data = tagged_dataset(validation, **data)
    fit_kwargs = {}
    if processes > 1:  # this process's part of the images, at its part of the batch
        data.update(batch_size=batch_size // processes, drop_remainder=True,
                    shard=distribute.process_shard())
    train_data = tagged_dataset(train, training=True, seed=seed, flip=flip, **data)
    steps = getattr(train_data, "steps_per_epoch", None) or math.ceil(len(train) / batch_size)
    if processes > 1:
        fit_kwargs["steps_per_epoch"] = steps
    loss_object, rate = tuned.tuned_loss(key, learning_rate)
    model = build_ranker(
        len(tagged.label_names), loss_object, backbone=network, label_names=tagged.label_names,
        name=f"{key}_tagger",
        jit_compile=False if keras.backend.backend() == "tensorflow" else "auto",
    )
    path = os.path.join(out, MODEL_FILE)
    keep = KeepBest(path, monitor="val_C-F1")
    fine_tune(
        model, train_data, frozen_epochs=frozen_epochs, epochs=epochs,
        frozen_optimizer=(tuned.warmup_cosine_adam(rate, steps, frozen_epochs)
                          if frozen_epochs else None),
        optimizer=tuned.warmup_cosine_adam(rate / 10 if frozen_epochs else rate, steps,
                                           epochs - frozen_epochs),
        callbacks=[AnnotationReport(validation_data, k=k, verbose=0), keep],
        backup_dir=os.path.join(out, "backup"), seed=seed, verbose=verbose, shuffle=False,
        **fit_kwargs,
    )
    if keep.best_epoch is None:
        raise ValueError(f"No epoch had a finite validation C-F1 in {epochs} epoch(s).")
    from mlrank_keras.tag_predict import validation_reports, write_reports

    distribute.barrier("mlrank_keras: best model written")
    with distribute.undistributed():  # each process alone, on its own devices
        best = keras.saving.load_model(path)
        freeze_backbone(best, frozen=False)  # the best epoch may be one of the frozen phase
        scores, labels = predict_with_labels(best, validation_data)
        threshold = float(best_threshold(labels, scores))
        set_thresholds(best, threshold)
        reports = validation_reports(labels, scores, k=k, threshold=threshold)
        if distribute.is_chief():
            best.save(path)
            save_label_names(tagged.label_names, os.path.join(out, "label_names.json"))
            write_reports(out, reports, keep.best_epoch, threshold)
    distribute.barrier("mlrank_keras: tagger written")
    return TrainedTagger(best, path, keep.best_epoch, threshold, reports)


def describe(tagged, train, validation):
    """One line on what was read: images, labels, and everything left out or kept empty."""
    notes = [f"{len(tagged.missing)} missing file(s) left out" if tagged.missing else "",
             f"{len(tagged.duplicates)} duplicate row(s) kept once" if tagged.duplicates else "",
             f"{tagged.empty} image(s) with no tag (all negatives)" if tagged.empty else "",
             f"{len(tagged.rare_tags)} rare tag(s) left out" if tagged.rare_tags else ""]
    notes = "; ".join(n for n in notes if n)
    return (f"{len(tagged)} images ({len(train)} training, {len(validation)} validation), "
            f"{len(tagged.label_names)} labels" + (f"; {notes}" if notes else ""))


def _prepare_out(out, overwrite):
    """Makes ``out``; a finished run there (its ``report.json``) is an error unless
    ``overwrite``, which clears it so that nothing of it is resumed."""
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"`out` {out!r} is a file; it must be a folder (made if missing).")
    finished = os.path.isfile(os.path.join(out, "report.json"))
    if finished and not overwrite:
        raise ValueError(f"`out` {out!r} holds a finished run (report.json): pass another "
                         "folder, or overwrite=True (--overwrite) to train it again.")
    if overwrite:
        shutil.rmtree(os.path.join(out, "backup"), ignore_errors=True)
        for name in ("report.json", MODEL_FILE + ".best.json"):
            if os.path.isfile(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
    os.makedirs(out, exist_ok=True)

