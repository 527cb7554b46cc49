"""Training helpers: the papers' annotation report on validation data after every epoch.

>>> callback = AnnotationReport(validation_data=None, k=3)
>>> callback.prefix
'val_'
"""

import keras
import numpy as np

from mlrank_keras.distribute import jobs
from mlrank_keras.metrics.report import REPORT_KEYS, annotation_report, format_reports
from mlrank_keras.validation import positive_int


def _batches(validation_data):
    """(inputs, labels) pairs from an (x, y) tuple of arrays or an iterable of batches."""
    if isinstance(validation_data, tuple) and len(validation_data) == 2:
        yield validation_data
        return
    for batch in validation_data:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(
                "`validation_data` must yield (inputs, labels) batches; got a batch of type "
                f"{type(batch).__name__}."
            )
        yield batch[0], batch[1]


def predict_with_labels(model, data):
    """``(scores, labels)`` of ``model`` on ``data``: ``(x, y)`` arrays or a dataset of
    ``(inputs, labels)`` batches (a file the pipeline skipped is in neither).

    In a job of several processes each process predicts all of ``data`` on its own devices
    (Keras cannot fetch the predictions of a batch split over processes), so every process
    gets the same scores."""
    if jobs.process_count() > 1:
        with jobs.undistributed():
            return _predict_with_labels(model, data)
    return _predict_with_labels(model, data)


def _predict_with_labels(model, data):
    if isinstance(data, tuple) and len(data) == 2:  # arrays: predict batches them
        return np.asarray(model.predict(data[0], verbose=0), "float32"), np.asarray(data[1])
    scores, labels = [], []
    for inputs, batch_labels in _batches(data):
        scores.append(np.asarray(model.predict_on_batch(np.asarray(inputs)), dtype="float32"))
        labels.append(np.asarray(batch_labels))
    if not scores:
        raise ValueError("`data` gave no batch (no image of it could be read?).")
    return np.concatenate(scores), np.concatenate(labels)


class AnnotationReport(keras.callbacks.Callback):
    """Computes the papers' annotation report on validation data after each epoch.

    The report (``C-P, C-R, C-F1, O-P, O-R, O-F1, F1, N+, 0-1``, see
    ``mlrank_keras.metrics.annotation_report``) goes into the epoch's logs as
    ``val_C-P``, ... (so ``History``, ``ModelCheckpoint(monitor="val_C-F1", mode="max")`` and
    ``EarlyStopping`` see it) and, with ``verbose``, is printed as the papers' table row.

    Args:
        validation_data: ``(x, y)`` arrays, or a dataset (e.g. ``tf.data``) of
            ``(images, labels)`` batches; evaluated without augmentation as given.
        k: label the top ``k`` scores (default 3 when ``threshold`` is not given).
        threshold: or label the scores above it (a float or one per label).
        every: compute it every this many epochs (and always after the last one).
        prefix: of the log keys.
        verbose: print the row.
    """

    def __init__(self, validation_data, k=None, threshold=None, every=1, prefix="val_", verbose=1):
        super().__init__()
        if k is None and threshold is None:
            k = 3
        self.validation_data = validation_data
        self.k = k
        self.threshold = threshold
        self.every = positive_int(every, "every")
        self.prefix = prefix
        self.verbose = verbose
        self.history = []

    def report(self):
        """The report of the model on the validation data now."""
        scores, labels = predict_with_labels(self.model, self.validation_data)
        return annotation_report(labels, scores, k=self.k, threshold=self.threshold)

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every and epoch + 1 != last:
            return
        result = self.report()
        self.history.append((epoch, result))
        if logs is not None:
            for key in REPORT_KEYS:
                logs[f"{self.prefix}{key}"] = result[key]
        if self.verbose:
            decision = f"top-{self.k}" if self.threshold is None else "threshold"
            table = format_reports({f"epoch {epoch + 1}": result}, title=decision)
            print("\n" + table)
