"""Using a trained tagger: :func:`evaluate_tagger` (the papers' table, mAP and the upper
bound on a labelled folder) and :func:`predict_tags` (tags by name for image files or
folders), both on a model from :func:`mlrank_keras.tagger.train_tagger` or any ranker that
carries its label names and takes raw pixels (``mlrank-keras evaluate`` and ``predict``)."""

import csv
import json
import os

import keras
import numpy as np

from mlrank_keras.metrics import (
    MeanAveragePrecision,
    annotation_report,
    format_reports,
    upper_bound,
)
from mlrank_keras.models import decide_tags, model_label_names, model_thresholds
from mlrank_keras.training import predict_with_labels

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")


def load_tagger(model):
    """``model`` itself, or the ``.keras`` file at that path, checked to carry label names
    and to take square RGB images. A model loaded from a file has ``jit_compile`` off where
    Keras's ``"auto"`` is off here (PyTorch, and TensorFlow without a GPU), whatever the file
    carries: one trained on JAX carries True."""
    if not isinstance(model, keras.Model):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise ValueError(f"`model` {path!r} is not a file (a .keras file from train).")
        try:
            import keras_hub  # noqa: F401  (its layers, if the backbone is keras-hub's)
        except ImportError:
            pass
        model = keras.saving.load_model(path)
        if not _auto_jit_compile():
            # A file compiled on JAX carries jit_compile=True. On PyTorch that starts
            # torch.compile: a ResNet50V2 ranker took 17 s before its first 40 images
            # against 1 s eagerly, and was no faster after; XLA on TensorFlow's CPU 3-5 s
            # against 1.5 s, and no faster after either (benchmarks/jit_on_load.py).
            model.jit_compile = False
    if model_label_names(model) is None:
        raise ValueError(f"Model {model.name!r} carries no label names: train it with "
                         "train_tagger, or wrap it with mlrank_keras.with_label_names.")
    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or shape[0] is None or shape[0] != shape[1] or shape[2] != 3:
        raise ValueError(f"Model {model.name!r} takes {shape} inputs; a tagger takes square "
                         "RGB images (side, side, 3).")
    return model


def _auto_jit_compile():
    """False where Keras's ``jit_compile="auto"`` is off whatever the model: on PyTorch, and
    on TensorFlow on a machine without a GPU or other accelerator (the model-free part of
    Keras's own rule, which is private: ``Trainer._resolve_auto_jit_compile``)."""
    backend = keras.backend.backend()
    if backend == "torch":
        return False
    if backend == "tensorflow":
        return any(not device.startswith("cpu") for device in keras.distribution.list_devices())
    return True


def image_dataset_for(model, paths, labels, batch_size=32):
    """The evaluation pipeline a tagger's images take (resize, centre crop, raw pixels)."""
    from mlrank_keras.data import image_dataset
    from mlrank_keras.tagger import pipeline_sizes

    return image_dataset(paths, labels, batch_size=batch_size,
                         **pipeline_sizes(model.input_shape[1]))


def _mean_average_precision(labels, scores):
    metric = MeanAveragePrecision(num_labels=labels.shape[1])
    metric.update_state(labels, scores)
    return float(metric.result())


def validation_reports(labels, scores, k=3, threshold=None):
    """The table's rows: top-``k``, the threshold decision (where given) and Gong's upper
    bound. The decision rows carry the scores' ``mAP`` too; the upper bound has none: it is
    a decision (``k`` labels an image, filled with wrong ones where an image has fewer true
    labels), not a ranking."""
    metric = MeanAveragePrecision(num_labels=labels.shape[1])
    metric.update_state(labels, scores)
    average_precision = float(metric.result())
    reports = {f"top-{k}": annotation_report(labels, scores, k=k)}
    if threshold is not None:
        reports["threshold"] = annotation_report(labels, scores, threshold=threshold)
    for report in reports.values():
        report["mAP"] = average_precision
    reports[f"upper bound (top-{k})"] = upper_bound(labels, k=k)
    return reports


def format_tagger_reports(reports):
    """The papers' table of :func:`validation_reports`, then the scores' mAP."""
    keys = ("C-P", "C-R", "C-F1", "O-P", "O-R", "O-F1", "N+")
    table = format_reports(reports, keys=keys, title="decision")
    maps = {report["mAP"] for report in reports.values() if "mAP" in report}
    return table + "".join(f"\nmAP of the scores: {100 * value:.2f}" for value in maps)


def evaluate_tagger(model, labels_file, images_dir=None, *, k=3, batch_size=32,
                    unknown_tags="error", **read_kwargs):
    """The table of a trained tagger on a labelled folder: ``{row: report}``. The tag file
    is read with the model's label names; a tag outside them is an error (or, with
    ``unknown_tags="ignore"``, left out and counted)."""
    from mlrank_keras.data import read_tags

    model = load_tagger(model)
    tagged = read_tags(labels_file, images_dir, label_names=model_label_names(model),
                       unknown_tags=unknown_tags, **read_kwargs)
    dataset = image_dataset_for(model, tagged.paths, tagged.labels, batch_size)
    scores, labels = predict_with_labels(model, dataset)
    if dataset.skipped.count:
        print(f"skipped {dataset.skipped.count} unreadable image(s): {dataset.skipped.paths[:5]}")
    return validation_reports(labels, scores, k=k, threshold=model_thresholds(model))


def image_files(paths):
    """The image files of ``paths``: files as given, folders' images (by extension, sorted).
    A path that does not exist, or no image at all, is an error."""
    files = []
    for path in [os.fspath(p) for p in paths]:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS))
            files += [os.path.join(path, n) for n in names]
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise ValueError(f"{path!r} is neither an image file nor a folder.")
    if not files:
        raise ValueError(f"No image file ({', '.join(IMAGE_EXTENSIONS)}) in {list(paths)}.")
    return files


def predict_tags(model, paths, *, k=3, threshold=False, batch_size=32):
    """Tags for image files or folders: one ``{"file_name", "tags", "scores"}`` per image
    that could be read (in file order; unreadable ones are left out and reported in
    ``skipped``), tags by name in score order: the top ``k``, or with ``threshold=True``
    those above the model's thresholds. Returns ``(rows, skipped paths)``."""
    model = load_tagger(model)
    files = image_files(paths)
    names = model_label_names(model)
    dataset = image_dataset_for(model, files, np.zeros((len(files), len(names)), "float32"),
                                batch_size)
    scores, _ = predict_with_labels(model, dataset)
    skipped = set(dataset.skipped.paths)
    kept = [f for f in files if f not in skipped]
    tags = decide_tags(model, scores, k=None if threshold else k)
    column = {name: j for j, name in enumerate(names)}
    rows = [
        {"file_name": f, "tags": t, "scores": [float(s[column[n]]) for n in t]}
        for f, t, s in zip(kept, tags, scores, strict=True)
    ]
    return rows, sorted(skipped)


def write_predictions(rows, output=None):
    """Writes :func:`predict_tags` rows as CSV (``file_name,tags,scores``, tags and scores
    separated by spaces) or, for a ``.jsonl`` path, JSON lines; to stdout without a path."""
    import sys

    jsonl = output is not None and os.fspath(output).endswith(".jsonl")
    stream = sys.stdout if output is None else open(output, "w", newline="", encoding="utf-8")
    try:
        if jsonl:
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(stream)
            writer.writerow(["file_name", "tags", "scores"])
            for row in rows:
                writer.writerow([row["file_name"], " ".join(row["tags"]),
                                 " ".join(f"{s:.4f}" for s in row["scores"])])
    finally:
        if output is not None:
            stream.close()


def write_reports(out, reports, best_epoch, threshold):
    """``report.txt`` (the papers' table) and ``report.json`` (the table, the best epoch and
    the threshold) in ``out``."""
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write(format_tagger_reports(reports) + "\n")
    clean = {name: {key: float(value) for key, value in report.items()}
             for name, report in reports.items()}
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump({"reports": clean, "best_epoch": int(best_epoch),
                   "threshold": float(threshold)}, f, indent=1)
