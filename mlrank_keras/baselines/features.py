"""Fixed visual features for the papers' feature baselines (kNN, SVM, WSABIE, DREL)."""

import numpy as np


def thumbnail_features(dataset, size=8):
    """Hand-made visual features for the papers' feature baselines: each image averaged
    down to a ``size x size`` colour thumbnail, flattened (``3 * size**2`` values), as NumPy.

    A stand-in for the GIST and colour features of Gong's and He's baselines: the papers'
    point is what a model learns beyond fixed features, and these are fixed features.
    """
    rows = []
    for images, _ in dataset:
        images = np.asarray(images, dtype="float32")
        n, h, w, c = images.shape
        ys = np.linspace(0, h, size + 1).astype(int)
        xs = np.linspace(0, w, size + 1).astype(int)
        cells = [
            images[:, ys[i] : ys[i + 1], xs[j] : xs[j + 1]].mean(axis=(1, 2))
            for i in range(size)
            for j in range(size)
        ]
        rows.append(np.stack(cells, axis=1).reshape(n, -1))
    features = np.concatenate(rows)
    return (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)
