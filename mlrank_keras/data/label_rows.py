"""Label rows for ``tf.data``: multi-hot matrices or label-index lists, made multi-hot inside
``map()`` (never ragged: JAX would pad ragged label lists with 0, a real class)."""

import numpy as np
import tensorflow as tf

from mlrank_keras.validation import positive_int


def label_matrix(labels, num_labels=None, num_examples=None):
    """Labels as a 2-D array ready for ``from_tensor_slices``, the label count, and whether dense.

    ``labels`` is either a 2-D NumPy multi-hot matrix ``(examples, num_labels)`` (1 positive, 0
    negative, -1 unknown), or a list with one sequence of label indices per example, which is
    padded here with -1 into an int32 matrix that ``multi_hot`` turns into a multi-hot row
    inside ``map()``. A list whose rows all look like multi-hot rows (``num_labels`` entries
    of 0, 1 and -1, as from ``y.tolist()``) is refused, at every width: read as indices it
    would silently mean other labels.

    >>> ids, n, dense = label_matrix([[2], [0, 3], []], num_labels=4)
    >>> ids.tolist(), n, dense
    ([[2, -1], [0, 3], [-1, -1]], 4, False)
    """
    if num_labels is not None:
        num_labels = positive_int(num_labels, "num_labels")
    if isinstance(labels, np.ndarray) and labels.dtype != object:
        if labels.ndim != 2:
            raise ValueError(
                "`labels` must be a 2-D (examples, num_labels) multi-hot array or a list of "
                f"label-index sequences, got an array of shape {labels.shape}."
            )
        if num_labels is not None and labels.shape[1] != num_labels:
            raise ValueError(
                f"`labels` has {labels.shape[1]} columns but `num_labels` is {num_labels}."
            )
        values = np.unique(labels)
        wrong = values[~np.isin(values, (-1, 0, 1))]
        if wrong.size:
            raise ValueError(
                "A multi-hot `labels` array may hold only 1 (positive), 0 (negative) and -1 "
                f"(unknown), got {wrong[:5].tolist()}."
            )
        matrix, num_labels, dense = labels.astype(np.float32), labels.shape[1], True
    else:
        if num_labels is None:
            raise ValueError("`num_labels` is required when `labels` are lists of indices.")
        rows = [np.asarray(row).ravel() for row in labels]
        # A list whose every row has num_labels entries of 0, 1 and -1 could be multi-hot
        # rows (``y.tolist()``): read as indices it would silently mean other labels. At
        # three labels or more such a row repeats an entry, which no index list does; at one
        # or two it may not ([1, 0] is label 0, or labels 1 and 0), so it is refused at every
        # width rather than guessed.
        looks_multi_hot = rows and all(
            len(row) == num_labels and np.isin(row, (-1, 0, 1)).all() for row in rows
        )
        if looks_multi_hot:
            raise ValueError(
                "`labels` is a list whose rows look like multi-hot rows (each has "
                f"num_labels={num_labels} entries of 0, 1 or -1), e.g. labels[0]="
                f"{rows[0].tolist()}, but a list is read as label indices. Pass multi-hot "
                "rows as a NumPy array (`np.asarray(labels)`), or label indices as lists of "
                "the positive labels' indices (an index list in which every image has every "
                "label is refused too: pass `np.ones((examples, num_labels))`)."
            )
        width = max([len(row) for row in rows] + [1])
        matrix = np.full((len(rows), width), -1, np.int32)
        for i, row in enumerate(rows):
            if row.size and (
                row.dtype.kind not in "iu" or row.min() < 0 or row.max() >= num_labels
            ):
                raise ValueError(
                    f"`labels[{i}]` is {row.tolist()}: label indices must be integers in "
                    f"[0, {num_labels})."
                )
            matrix[i, : len(row)] = row
        dense = False
    if num_examples is not None and len(matrix) != num_examples:
        raise ValueError(f"Got {num_examples} images but {len(matrix)} label rows.")
    return matrix, num_labels, dense


def multi_hot(label_ids, num_labels):
    """A float32 multi-hot vector from a vector of label indices (-1 entries are padding).

    >>> multi_hot(tf.constant([3, 0, -1, 3]), 5).numpy().tolist()
    [1.0, 0.0, 0.0, 1.0, 0.0]
    """
    one_hot = tf.one_hot(tf.cast(label_ids, tf.int32), num_labels, dtype=tf.float32)
    return tf.minimum(tf.reduce_sum(one_hot, axis=0), 1.0)


def label_encoder(num_labels, dense):
    """A label row -> the multi-hot vector (a dense row is one already)."""

    def from_indices(row):
        return multi_hot(row, num_labels)

    def as_is(row):
        return row

    return as_is if dense else from_indices


def select_labels(dataset, indices):
    """A ``(images, labels)`` dataset keeping only the label columns ``indices``, in order.

    For training on a subset of the labels, e.g. the seen labels of a zero-shot split or the
    old tags before new ones arrive.

    >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((2, 1)), [[1.0, 0.0, 1.0]] * 2))
    >>> [y.tolist() for _, y in select_labels(ds, [2, 0]).as_numpy_iterator()]
    [[1.0, 1.0], [1.0, 1.0]]
    """
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"`indices` must be a non-empty 1-D sequence of ints; received indices={indices!r}"
        )
    num_labels = dataset.element_spec[1].shape[-1]
    if indices.min() < 0 or (num_labels is not None and indices.max() >= num_labels):
        raise ValueError(
            f"`indices` must be label columns from 0 to {num_labels - 1}; "
            f"received indices={indices.tolist()}"
        )
    columns = tf.constant(indices, dtype=tf.int32)
    return dataset.map(
        lambda images, labels: (images, tf.gather(labels, columns, axis=-1)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
