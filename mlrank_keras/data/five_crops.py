"""Prediction over Gong's five crops: a model's scores averaged over the crops of each image."""

import numpy as np


def predict_five_crops(model, dataset, return_labels=False, verbose=0):
    """Scores averaged over Gong's five crops, for a dataset made with ``eval_crops="five"``.

    Args:
        model: a Keras model taking one crop.
        dataset: batches of ``(images (batch, 5, crop, crop, 3), labels)``.
        return_labels: also return the labels, gathered in the same pass.

    Returns:
        NumPy scores ``(examples, num_labels)``, the mean of the five crops' scores; with
        ``return_labels``, ``(scores, labels)``.
    """
    scores, labels = [], []
    for images, batch_labels in dataset.as_numpy_iterator():
        if images.ndim != 5 or images.shape[1] != 5:
            raise ValueError(
                'predict_five_crops needs batches of five crops (eval_crops="five"), got '
                f"images of shape {images.shape}."
            )
        flat = images.reshape((-1,) + images.shape[2:])
        batch_scores = np.asarray(model.predict(flat, verbose=verbose))
        scores.append(batch_scores.reshape((len(images), 5, -1)).mean(axis=1))
        labels.append(batch_labels)
    scores = np.concatenate(scores)
    return (scores, np.concatenate(labels)) if return_labels else scores
