"""``image_dataset(cache=True)``: images decoded and resized once, kept in memory, and cropped,
mirrored and normalised per batch.

References: the image resized to ``image_size`` by ``tf.image.resize`` (bilinear), rounded to
uint8, then Gong's five crops cut by hand (``five_reference``) and mirrored by NumPy.
"""

import numpy as np
import pytest
import tensorflow as tf

from mlrank_keras.data import image_dataset
from tests.data.test_pipeline import (
    batches,
    cut_short_jpegs,
    five_reference,
    imagenet,
    write_bad_files,
    write_images,
)

SIZE, CROP = 16, 12


def noise_pngs(folder, count, size=(20, 18), seed=0):
    """Lossless noise images: every crop and mirror of one differs from the others."""
    rng = np.random.default_rng(seed)
    paths, images = [], []
    for i in range(count):
        image = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        path = folder / f"noise_{i:03d}.png"
        path.write_bytes(tf.io.encode_png(image).numpy())
        paths.append(str(path))
        images.append(image)
    return paths, images


def resized(image, size=SIZE):
    out = tf.image.resize(image.astype(np.float32), [size, size]).numpy()
    return np.clip(np.round(out), 0, 255)


def candidates(image):
    """The ten crops training may give: the five, each as is and mirrored (normalised)."""
    crops = five_reference(resized(image), CROP)
    return [imagenet(c) for c in crops] + [imagenet(c[:, ::-1]) for c in crops]


@pytest.mark.parametrize("eval_crops", ["center", "five"])
def test_cached_evaluation_is_the_resized_image_cropped(tmp_path, eval_crops):
    paths, images = noise_pngs(tmp_path, 5)
    ds = image_dataset(paths, np.eye(5), batch_size=2, image_size=SIZE, crop_size=CROP,
                       eval_crops=eval_crops, cache=True)
    for _ in range(2):  # the first pass fills the cache, the second reads it
        x, y = batches(ds)
        np.testing.assert_array_equal(y, np.eye(5, dtype=np.float32))
        for got, image in zip(x, images, strict=True):
            crops = [imagenet(c) for c in five_reference(resized(image), CROP)]
            want = crops[4] if eval_crops == "center" else np.stack(crops)
            np.testing.assert_allclose(got, want, atol=1e-5)


def test_cached_training_draws_each_crop_and_mirror(tmp_path):
    n = 40
    paths, images = noise_pngs(tmp_path, n)
    ds = image_dataset(paths, np.eye(n), training=True, batch_size=8, image_size=SIZE,
                       crop_size=CROP, seed=3, cache=True)
    counts = np.zeros(10, int)
    passes = [batches(ds) for _ in range(3)]
    for x, y in passes:
        assert sorted(y.argmax(1)) == list(range(n))  # each image once a pass
        for got, label in zip(x, y.argmax(1), strict=True):
            matches = [k for k, c in enumerate(candidates(images[label]))
                       if np.allclose(got, c, atol=1e-5)]
            assert len(matches) == 1, "not one of the image's five crops, mirrored or not"
            counts[matches[0]] += 1
    assert (counts > 0).all(), counts  # 120 draws of 10 kinds: P(one unseen) < 3e-5
    assert not np.array_equal(passes[0][0], passes[1][0])  # redrawn (and reshuffled) a pass
    again = image_dataset(paths, np.eye(n), training=True, batch_size=8, image_size=SIZE,
                          crop_size=CROP, seed=3, cache=True)
    np.testing.assert_array_equal(batches(again)[0], passes[0][0])


def test_cached_training_without_flip_never_mirrors(tmp_path):
    paths, images = noise_pngs(tmp_path, 12)
    ds = image_dataset(paths, np.eye(12), training=True, batch_size=5, image_size=SIZE,
                       crop_size=CROP, seed=0, flip=False, cache=True)
    for x, y in [batches(ds), batches(ds)]:
        for got, label in zip(x, y.argmax(1), strict=True):
            assert any(np.allclose(got, c, atol=1e-5) for c in candidates(images[label])[:5])


def test_cached_without_crop_flips_the_whole_image(tmp_path):
    paths, images = noise_pngs(tmp_path, 12)
    ds = image_dataset(paths, np.eye(12), training=True, batch_size=5, image_size=SIZE,
                       crop_size=None, seed=1, cache=True)
    x, y = batches(ds)
    mirrored = 0
    for got, label in zip(x, y.argmax(1), strict=True):
        image = resized(images[label])
        if np.allclose(got, imagenet(image[:, ::-1]), atol=1e-5):
            mirrored += 1
        else:
            np.testing.assert_allclose(got, imagenet(image), atol=1e-5)
    assert 0 < mirrored < 12


def test_cached_bad_files_are_skipped_and_named_every_pass(tmp_path):
    good, images = write_images(tmp_path, 7)
    bad = write_bad_files(tmp_path, next(p for p in good if p.endswith(".jpg")))
    bad += cut_short_jpegs(tmp_path)
    paths = good[:3] + bad + good[3:]
    labels = np.zeros((len(paths), len(good)))
    for i, path in enumerate(paths):
        if path in good:
            labels[i, good.index(path)] = 1
    ds = image_dataset(paths, labels, batch_size=3, image_size=SIZE, crop_size=CROP,
                       cache=True)
    for passes in (1, 2):
        x, y = batches(ds)
        assert len(x) == len(good)
        for got, row in zip(x, y, strict=True):  # the labels stay with their images
            want = imagenet(five_reference(resized(images[row.argmax()]), CROP)[4])
            np.testing.assert_allclose(got, want, atol=1e-5)
        assert sorted(ds.skipped.paths) == sorted(bad)
        assert ds.skipped.events == passes * len(bad)


def test_cached_shard_reads_its_files_in_static_batches(tmp_path):
    paths, images = noise_pngs(tmp_path, 11)
    ds = image_dataset(paths, np.eye(11), batch_size=2, image_size=SIZE, crop_size=CROP,
                       drop_remainder=True, shard=(2, 1), cache=True)
    assert ds.element_spec[0].shape == (2, CROP, CROP, 3)
    assert ds.steps_per_epoch == 2
    seen = []
    for x, y in ds.take(2 * ds.steps_per_epoch).as_numpy_iterator():
        for got, label in zip(x, y.argmax(1), strict=True):
            assert label % 2 == 1  # this process's files: odd indices
            want = imagenet(five_reference(resized(images[label]), CROP)[4])
            np.testing.assert_allclose(got, want, atol=1e-5)
            seen.append(label)
    assert sorted(set(seen)) == [1, 3, 5, 7]
