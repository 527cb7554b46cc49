"""Label rows as users pass them (issue 20, items 2 and 3): multi-hot lists of every width
are refused, negative label indices are refused, and a dense -1 (unknown) reaches the
batches as -1. References are hand-written rows."""

import numpy as np
import pytest

from mlrank_keras.data import array_dataset, image_dataset
from mlrank_keras.data.label_rows import label_matrix

X = np.zeros((3, 8, 8, 3), np.uint8)


@pytest.mark.parametrize(
    "rows, num_labels",
    [
        ([[0], [0], [0]], 1),  # read as indices: every row positive
        ([[1], [0], [1]], 1),
        ([[1, 0], [0, 1], [0, 1]], 2),  # read as indices: [[1, 1]] * 3
        ([[0, 1], [1, 0], [-1, 1]], 2),
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], 3),
        ([[True, False], [False, True], [True, True]], 2),  # booleans too
    ],
)
def test_multi_hot_lists_are_refused_at_every_width(rows, num_labels):
    with pytest.raises(ValueError, match=r"look like multi-hot rows.*np\.asarray"):
        array_dataset(X, rows, num_labels=num_labels)
    # The same rows as a NumPy array are multi-hot rows, read as such.
    ((_, y),) = array_dataset(X, np.asarray(rows, np.float32), batch_size=3)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(rows, np.float32))


@pytest.mark.parametrize(
    "rows, num_labels, expected",
    [
        ([[0], [], [0]], 1, [[1], [0], [1]]),
        ([[1], [0, 1], []], 2, [[0, 1], [1, 1], [0, 0]]),
        ([[0, 1], [1], [0]], 2, [[1, 1], [0, 1], [1, 0]]),
    ],
)
def test_index_lists_of_one_or_two_labels_are_read_as_indices(rows, num_labels, expected):
    ((_, y),) = array_dataset(X, rows, num_labels=num_labels, batch_size=3)
    np.testing.assert_array_equal(np.asarray(y), expected)


@pytest.mark.parametrize("row", [[-1], [0, -1], [-2, 1], [-1, -1]])
def test_negative_label_indices_are_refused(row):
    """-1 is the pipeline's padding of index rows: a negative index must not vanish."""
    rows = [[0], row, [1]]
    with pytest.raises(ValueError, match=r"labels\[1\].*integers in \[0, 3\)"):
        label_matrix(rows, num_labels=3)
    with pytest.raises(ValueError, match=r"labels\[1\]"):
        array_dataset(X, rows, num_labels=3)


def test_dense_unknown_labels_reach_the_batches_as_minus_one(tmp_path):
    y = np.array([[1, -1, 0], [-1, -1, 1], [0, 0, -1]], np.int64)
    ((_, got),) = array_dataset(X, y, batch_size=3)
    np.testing.assert_array_equal(np.asarray(got), y.astype(np.float32))
    # From files too (the tag-file path), in file order.
    import tensorflow as tf

    paths = []
    for i in range(3):
        path = tmp_path / f"{i}.png"
        path.write_bytes(tf.io.encode_png(np.full((8, 8, 3), 40 * i, np.uint8)).numpy())
        paths.append(str(path))
    ((_, got),) = image_dataset(paths, y, image_size=8, crop_size=None, batch_size=3)
    np.testing.assert_array_equal(np.asarray(got), y.astype(np.float32))
    assert np.asarray(got).min() == -1
