"""Weighted kNN tag transfer on feature vectors (Gong et al. 2014, section 4)."""

import numpy as np
from keras import ops

from mlrank_keras.labels import numpy_label_masks
from mlrank_keras.validation import positive_int


class KNNTagTransfer:
    """Tags an image with the labels of its ``k`` nearest training images, weighted.

    Gong et al. (after Makadia et al. 2008) score label ``c`` of a query ``x_i`` by
    ``p(c | i) = 1/k sum_{j in kNN(i)} exp(-||x_i - x_j||^2 / sigma) y_jc`` over its ``k``
    nearest training images (``k = 50``, ``sigma = 1`` in the paper). This returns
    ``sum_j w_j y_jc`` with weights ``w_j = exp(-||x_i - x_j||^2 / sigma)`` normalised to sum
    to 1 over the ``k`` neighbours: ``p(c | i)`` times a factor that is constant per image,
    so the ranking, and every top-k metric, is the paper's, while a query far from all
    training images still gets finite, nonzero scores (the paper's weights underflow to 0
    there). A score is then the neighbours' weighted vote, in ``[0, 1]``.

    The search runs in blocks: ``query_batch_size`` queries against ``train_batch_size``
    training rows at a time, merging each block's nearest into a running top ``k``. Memory
    is the training features plus ``query_batch_size * (train_batch_size + k)`` distances and
    ``query_batch_size * k * num_labels`` gathered labels: never an ``N x N`` (or query by
    ``N``) matrix. Computed with ``keras.ops`` on the current backend.

    Args:
        k: the number of neighbours.
        sigma: the bandwidth (``> 0``).
        query_batch_size: queries per block.
        train_batch_size: training rows per block.

    Example:
    >>> knn = KNNTagTransfer(k=2).fit([[0.0], [1.0], [5.0]], [[1, 0], [1, 1], [0, 1]])
    >>> [round(float(s), 3) for s in knn.predict([[0.2]])[0]]
    [1.0, 0.354]
    """

    def __init__(self, k=50, sigma=1.0, query_batch_size=256, train_batch_size=8192):
        self.k = positive_int(k, "k")
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not sigma > 0:
            raise ValueError(f"`sigma` must be a number > 0. Received: sigma={sigma!r}")
        self.sigma = float(sigma)
        self.query_batch_size = positive_int(query_batch_size, "query_batch_size")
        self.train_batch_size = positive_int(train_batch_size, "train_batch_size")
        self.features = None

    def fit(self, features, labels):
        """Stores the training features ``(N, d)`` and labels ``(N, L)``; returns self.

        Labels follow the package convention: ``> 0.5`` is a tag; 0 and unknown (-1) are not.
        """
        features = np.asarray(features, dtype="float32")
        labels = np.asarray(labels)
        if features.ndim != 2 or labels.ndim != 2 or len(features) != len(labels):
            raise ValueError(
                "`features` must be (N, d) and `labels` (N, L) with the same N. Received: "
                f"features.shape={features.shape}, labels.shape={labels.shape}"
            )
        if len(features) < self.k:
            raise ValueError(
                f"`k` ({self.k}) must be at most the number of training rows ({len(features)})."
            )
        if not np.isfinite(features).all():
            raise ValueError("`features` must be finite; found NaN or infinite values.")
        self.features = ops.convert_to_tensor(features)
        self.squared_norms = ops.sum(ops.square(self.features), axis=-1)
        self.labels = ops.convert_to_tensor(numpy_label_masks(labels)[0].astype("float32"))
        return self

    def _check_fitted(self, queries):
        if self.features is None:
            raise ValueError("Call `fit(features, labels)` before searching or predicting.")
        queries = np.asarray(queries, dtype="float32")
        dim = self.features.shape[1]
        if queries.ndim != 2 or queries.shape[1] != dim:
            raise ValueError(
                f"`queries` must be (n, {dim}) like the training features. "
                f"Received: shape {queries.shape}"
            )
        return queries

    def _block_neighbors(self, queries):
        """Squared distances ``(q, k)``, nearest first, and training indices of one block."""
        queries = ops.convert_to_tensor(queries)
        query_norms = ops.sum(ops.square(queries), axis=-1, keepdims=True)
        best_neg = None
        best_idx = None
        total = self.features.shape[0]
        for start in range(0, total, self.train_batch_size):
            stop = min(start + self.train_batch_size, total)
            block = self.features[start:stop]
            squared = (
                query_norms
                + self.squared_norms[None, start:stop]
                - 2.0 * ops.matmul(queries, ops.transpose(block))
            )
            neg = -ops.maximum(squared, 0.0)
            idx = ops.broadcast_to(ops.arange(start, stop, dtype="int32")[None, :], ops.shape(neg))
            if best_neg is not None:  # earlier rows first: they win exact ties
                neg = ops.concatenate([best_neg, neg], axis=-1)
                idx = ops.concatenate([best_idx, idx], axis=-1)
            best_neg, position = ops.top_k(neg, min(self.k, neg.shape[-1]), sorted=True)
            best_idx = ops.take_along_axis(idx, position, axis=-1)
        return -best_neg, best_idx

    def kneighbors(self, queries):
        """The ``k`` nearest training rows of each query: ``(squared_distances, indices)``.

        Numpy arrays of shape ``(n, k)``, nearest first.
        """
        queries = self._check_fitted(queries)
        distances, indices = [], []
        for start in range(0, len(queries), self.query_batch_size):
            d, i = self._block_neighbors(queries[start : start + self.query_batch_size])
            distances.append(ops.convert_to_numpy(d))
            indices.append(ops.convert_to_numpy(i))
        if not distances:
            return np.zeros((0, self.k), "float32"), np.zeros((0, self.k), "int32")
        return np.concatenate(distances), np.concatenate(indices)

    def predict(self, queries):
        """Label scores ``(n, L)`` of the queries ``(n, d)``, as a numpy array."""
        queries = self._check_fitted(queries)
        out = []
        for start in range(0, len(queries), self.query_batch_size):
            squared, indices = self._block_neighbors(queries[start : start + self.query_batch_size])
            weights = ops.softmax(-squared / self.sigma, axis=-1)  # normalised exp(-d^2/sigma)
            votes = ops.take(self.labels, indices, axis=0)  # (q, k, L)
            out.append(ops.convert_to_numpy(ops.einsum("qk,qkl->ql", weights, votes)))
        if not out:
            return np.zeros((0, self.labels.shape[1]), "float32")
        return np.concatenate(out)
