"""Each process's own part of the files (shard=): disjoint, covering, equal step counts."""

import logging

import numpy as np
import pytest
import tensorflow_datasets as tfds

from mlrank_keras.data import image_dataset, tfds_dataset
from tests.data.test_pipeline import write_bad_files, write_images


def shard_epoch(ds):
    """The label index of every image in one epoch (``steps_per_epoch`` batches)."""
    seen = []
    for _, y in ds.take(ds.steps_per_epoch).as_numpy_iterator():
        assert y.shape[0] == 3  # the per-process batch, static
        seen.extend(y.argmax(1).tolist())
    return seen


def sharded(paths, index, **kwargs):
    return image_dataset(
        paths,
        [[i] for i in range(len(paths))],
        num_labels=len(paths),
        batch_size=3,
        image_size=16,
        crop_size=12,
        training=True,
        seed=index,  # the processes need not share a seed
        drop_remainder=True,
        shard=(2, index),
        **kwargs,
    )


def test_two_shards_are_disjoint_cover_the_files_and_take_the_same_steps(tmp_path):
    paths, _ = write_images(tmp_path, 15)
    first, second = sharded(paths, 0), sharded(paths, 1)
    # 15 files: 8 and 7 in the two parts, 2 full batches of 3 each
    assert first.steps_per_epoch == second.steps_per_epoch == 2
    for _ in range(3):  # epochs: each reshuffles its part
        a, b = shard_epoch(first), shard_epoch(second)
        assert len(a) == len(b) == 6 and len(set(a)) == 6 and len(set(b)) == 6
        assert set(a) <= set(range(0, 15, 2)) and set(b) <= set(range(1, 15, 2))
    assert first.process_shard == (2, 0)


def test_a_shard_with_unreadable_files_still_takes_its_steps_and_names_only_its_own(
    tmp_path, caplog
):
    good, _ = write_images(tmp_path, 12)
    bad = write_bad_files(tmp_path, next(p for p in good if p.endswith(".jpg")))  # 4 files
    # the bad files at indices 0, 2, 4, 6: all in the first part, which keeps 4 readable
    # files of 8, one full batch a pass, so its epochs of 2 steps run into the next pass
    paths = [p for pair in zip(bad, good[:4], strict=True) for p in pair] + good[4:]
    parts = [sharded(paths, i) for i in (0, 1)]
    assert parts[0].steps_per_epoch == parts[1].steps_per_epoch == 2  # 16 // 2 // 3
    with caplog.at_level(logging.WARNING, logger="mlrank_keras.data"):
        for ds in parts:
            for _ in range(3):
                seen = shard_epoch(ds)
                assert len(seen) == 6 and set(seen) <= set(range(len(paths)))
    assert sorted(parts[0].skipped.paths) == sorted(bad)
    assert parts[1].skipped.count == 0  # the other part's bad files are not its own


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shard": (2, 0)}, "needs `drop_remainder=True`"),
        ({"shard": (2, 2), "drop_remainder": True}, r"shard\[1\] \(index\)"),
        ({"shard": (0, 0), "drop_remainder": True}, r"shard\[0\] \(num_shards\)"),
        ({"shard": 2, "drop_remainder": True}, "must be None or"),
        ({"shard": (4, 0), "drop_remainder": True, "batch_size": 4}, "fewer than one batch"),
    ],
)
def test_shard_errors(tmp_path, kwargs, message):
    paths, _ = write_images(tmp_path, 6)
    kwargs = {"batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        image_dataset(paths, np.eye(6), image_size=16, crop_size=12, **kwargs)


def test_tfds_shards_read_tfds_even_splits(monkeypatch):
    """Each process loads its own one of TFDS's equal parts of the split (the mock data of
    tfds.testing ignores split slices, so the split asked for is what is checked)."""
    asked = []
    load = tfds.load

    def spy(name, split, **kwargs):
        asked.append(str(split))
        return load(name, split=split, **kwargs)

    with tfds.testing.mock_data(num_examples=8):
        monkeypatch.setattr(tfds, "load", spy)
        parts = [
            tfds_dataset(
                "voc2007",
                "train[:90%]",
                batch_size=2,
                image_size=32,
                crop_size=28,
                drop_remainder=True,
                shard=(2, i),
            )
            for i in (0, 1)
        ]
        x, _ = next(iter(parts[1]))
    assert asked == [str(s) for s in tfds.even_splits("train[:90%]", n=2, drop_remainder=True)]
    assert asked[0] != asked[1]
    assert tuple(x.shape) == (2, 28, 28, 3) and parts[0].process_shard == (2, 0)
