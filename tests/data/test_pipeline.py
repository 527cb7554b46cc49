"""tf.data pipelines: crops, flips, normalisation, labels, determinism, and skipped files.

References are NumPy slices and formulas written here (and Keras's VGG16 preprocess_input), not
the pipeline's own helpers.
"""

import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from mlrank_keras.data import (
    SkippedImages,
    array_dataset,
    crop_offsets,
    decode_image,
    image_dataset,
    multi_hot,
    predict_five_crops,
)
from mlrank_keras.data.label_rows import label_matrix

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def imagenet(x):
    return ((np.asarray(x, np.float64) / 255.0 - MEAN) / STD).astype(np.float32)


def five_reference(image, crop):
    """Gong's five crops by hand: top-left, top-right, bottom-left, bottom-right, centre."""
    h, w = image.shape[:2]
    return [
        image[:crop, :crop],
        image[:crop, w - crop :],
        image[h - crop :, :crop],
        image[h - crop :, w - crop :],
        image[(h - crop) // 2 : (h - crop) // 2 + crop, (w - crop) // 2 : (w - crop) // 2 + crop],
    ]


def batches(dataset):
    xs, ys = zip(*dataset.as_numpy_iterator(), strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def test_multi_hot_and_label_lists():
    ids = [[3, 0], [], [1, 1, 4]]
    matrix, num_labels, dense = label_matrix(ids, num_labels=5)
    assert (num_labels, dense) == (5, False)
    expected = np.zeros((3, 5), np.float32)
    for i, row in enumerate(ids):
        expected[i, row] = 1.0
    got = np.stack([multi_hot(tf.constant(row), 5).numpy() for row in matrix])
    np.testing.assert_array_equal(got, expected)


def test_label_errors_name_the_argument():
    with pytest.raises(ValueError, match="num_labels"):
        label_matrix([[0]])
    with pytest.raises(ValueError, match=r"labels\[1\]"):
        label_matrix([[0], [7]], num_labels=5)
    with pytest.raises(ValueError, match="only 1 .* 0 .* -1"):
        label_matrix(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="3 columns but `num_labels` is 4"):
        label_matrix(np.zeros((2, 3)), num_labels=4)
    with pytest.raises(ValueError, match="2 images but 3 label rows"):
        label_matrix([[0]] * 3, num_labels=2, num_examples=2)


def test_crop_offsets_hand_worked():
    assert crop_offsets(256, 220) == ((0, 0), (0, 36), (36, 0), (36, 36), (18, 18))


# Square images at their size take the batched path (one crop op a batch), others the
# per-image one.
@pytest.mark.parametrize("shape", [(12, 10), (10, 10)], ids=["per_image", "batched"])
def test_centre_and_five_crops_equal_numpy_slices(shape):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, *shape, 3), dtype=np.uint8)
    labels = np.eye(5, dtype=np.float32)
    x, y = batches(array_dataset(images, labels, batch_size=2, crop_size=6))
    np.testing.assert_allclose(x, imagenet([five_reference(im, 6)[4] for im in images]), atol=1e-5)
    np.testing.assert_array_equal(y, labels)
    x, _ = batches(array_dataset(images, labels, batch_size=2, crop_size=6, eval_crops="five"))
    assert x.shape == (5, 5, 6, 6, 3)
    np.testing.assert_allclose(x, imagenet([five_reference(im, 6) for im in images]), atol=1e-5)


def test_training_crops_are_one_of_ten_and_all_occur():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    images = np.repeat(image[None], 200, axis=0)
    candidates = [imagenet(c) for c in five_reference(image, 5)]
    candidates += [c[:, ::-1] for c in candidates]
    ds = array_dataset(images, np.ones((200, 1)), training=True, crop_size=5, seed=3)
    x, _ = batches(ds)
    seen = set()
    for crop in x:
        matches = [k for k, c in enumerate(candidates) if np.allclose(crop, c, atol=1e-5)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == set(range(10))


def test_flip_false_draws_the_same_crops_never_mirrored():
    """Digits and glyphs: ``flip=False`` keeps the five crops (the same draws, seed for seed)
    and never mirrors one."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    images = np.repeat(image[None], 200, axis=0)
    candidates = [imagenet(c) for c in five_reference(image, 5)]
    labels = np.ones((200, 1))
    mirrored, _ = batches(array_dataset(images, labels, training=True, crop_size=5, seed=3))
    kept, _ = batches(
        array_dataset(images, labels, training=True, crop_size=5, seed=3, flip=False)
    )
    seen = set()
    for crop, other in zip(kept, mirrored, strict=True):
        matches = [k for k, c in enumerate(candidates) if np.allclose(crop, c, atol=1e-5)]
        assert len(matches) == 1
        seen.add(matches[0])
        # The same corner as with flips: the crop itself or its mirror.
        assert np.allclose(other, crop, atol=1e-5) or np.allclose(other, crop[:, ::-1], atol=1e-5)
    assert seen == set(range(5))


def test_normalizations_match_references():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (4, 6, 6, 3), dtype=np.uint8)
    labels = np.ones((4, 1))
    x, _ = batches(array_dataset(images, labels, normalization="caffe"))
    reference = keras.applications.vgg16.preprocess_input(images.astype("float32"))
    np.testing.assert_allclose(x, keras.ops.convert_to_numpy(reference), atol=1e-4)
    x, _ = batches(array_dataset(images, labels, normalization="unit"))
    np.testing.assert_allclose(x, images / 255.0, atol=1e-6)
    x, _ = batches(array_dataset(images, labels, normalization=lambda t: t * 0.0 + 7.0))
    np.testing.assert_array_equal(x, np.full(images.shape, 7.0))
    with pytest.raises(ValueError, match="`normalization` must be one of"):
        array_dataset(images, labels, normalization="bgr")


def test_a_users_normalization_keeps_autograph(tmp_path):
    """The package's own pipeline functions skip AutoGraph; a user's function, which may
    branch in Python on a tensor, is still converted (this one would raise without it)."""

    def unit_if_bytes(images):
        if tf.reduce_max(images) > 1.0:  # a tensor: AutoGraph makes this a tf.cond
            return images / 255.0
        return images

    rng = np.random.default_rng(3)
    images = rng.integers(2, 256, (4, 6, 6, 3), dtype=np.uint8)
    for square in (images, images[:, :, :5]):  # the batch path and the per-image path
        x, _ = batches(array_dataset(square, np.ones((4, 1)), normalization=unit_if_bytes))
        np.testing.assert_allclose(x, square / 255.0, atol=1e-6)
    paths, decoded = write_images(tmp_path, 3, size=(8, 8))
    for cache in (False, True):
        data = image_dataset(paths, np.ones((3, 2)), image_size=8, crop_size=None, batch_size=3,
                             normalization=unit_if_bytes, cache=cache)
        x, _ = batches(data)
        assert x.shape == (3, 8, 8, 3) and 0.0 <= x.min() and x.max() <= 1.0
        np.testing.assert_allclose(x * 255.0, np.stack(decoded).astype("float32"), atol=1.0)


def test_grey_images_become_rgb():
    grey = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    x, _ = batches(array_dataset(grey, np.ones((2, 1)), normalization=None))
    np.testing.assert_array_equal(x, np.repeat(grey[..., None], 3, axis=-1).astype(np.float32))


def test_argument_errors():
    x = np.zeros((2, 8, 8, 3), np.uint8)
    y = np.ones((2, 1))
    with pytest.raises(ValueError, match="`batch_size`"):
        array_dataset(x, y, batch_size=0)
    with pytest.raises(ValueError, match="`crop_size` must be at most the image side 8"):
        array_dataset(x, y, crop_size=9)
    with pytest.raises(ValueError, match="`crop_size` must be at most `image_size`=8"):
        array_dataset(x, y, image_size=8, crop_size=9)
    with pytest.raises(ValueError, match="`eval_crops` must be one of"):
        array_dataset(x, y, crop_size=4, eval_crops="ten")
    with pytest.raises(ValueError, match="uint8"):
        array_dataset(x.astype(np.float32), y)
    with pytest.raises(ValueError, match="`image_size` is required"):
        image_dataset(["a.jpg"], [[0]], num_labels=2, image_size=None)
    with pytest.raises(TypeError, match="`skipped` must be a SkippedImages"):
        image_dataset(["a.jpg"], [[0]], num_labels=2, skipped=[])


def test_shuffle_is_seeded_per_epoch_and_complete():
    n = 37
    images = np.zeros((n, 4, 4, 3), np.uint8)
    ds = array_dataset(images, [[i] for i in range(n)], num_labels=n, training=True, seed=5)
    first, second = batches(ds)[1].argmax(1), batches(ds)[1].argmax(1)
    assert sorted(first) == sorted(second) == list(range(n))
    assert list(first) != list(second)  # a new order each epoch
    again = array_dataset(images, [[i] for i in range(n)], num_labels=n, training=True, seed=5)
    assert list(batches(again)[1].argmax(1)) == list(first)  # the same seed, the same order
    other = array_dataset(images, [[i] for i in range(n)], num_labels=n, training=True, seed=6)
    assert list(batches(other)[1].argmax(1)) != list(first)


def write_images(folder, count, size=(40, 30), seed=0):
    """Smooth random images as JPEG and PNG files; returns the paths and the images."""
    rng = np.random.default_rng(seed)
    paths, images = [], []
    for i in range(count):
        small = rng.integers(0, 256, (4, 4, 3)).astype(np.float32)
        image = tf.cast(tf.image.resize(small, size, method="bilinear"), tf.uint8).numpy()
        suffix = "png" if i % 3 == 0 else "jpg"
        encoded = tf.io.encode_png(image) if suffix == "png" else tf.io.encode_jpeg(image)
        path = folder / f"{i:03d}.{suffix}"
        path.write_bytes(encoded.numpy())
        paths.append(str(path))
        images.append(tf.io.decode_image(encoded.numpy(), channels=3).numpy())
    return paths, images


def test_files_resize_then_centre_crop(tmp_path):
    paths, images = write_images(tmp_path, 4, size=(70, 50))
    labels = np.eye(4, dtype=np.float32)
    x, y = batches(image_dataset(paths, labels, image_size=32, crop_size=24))
    # Reference: resize the whole image to 32 x 32 (bilinear), then cut the centre 24 x 24.
    for got, image in zip(x, images, strict=True):
        resized = tf.image.resize(image.astype(np.float32), [32, 32]).numpy()
        expected = imagenet(resized[4:28, 4:28])
        assert np.abs(got - expected).mean() < 0.05  # within rounding the window to pixels
    np.testing.assert_array_equal(y, labels)


def test_file_training_crops_are_resized_crops_or_their_mirrors(tmp_path):
    """Training on a file: one of the five crops of the image resized to 32 x 32, mirrored
    or not (NumPy slices and reversal of TensorFlow's bilinear resize of the whole image)."""
    image = write_images(tmp_path, 1, size=(70, 50))[1][0]  # file 0 is a PNG: exact pixels
    resized = tf.image.resize(image.astype(np.float32), [32, 32]).numpy()
    candidates = [imagenet(c) for c in five_reference(resized, 24)]
    candidates += [c[:, ::-1] for c in candidates]
    ds = image_dataset(
        [str(tmp_path / "000.png")],
        np.ones((1, 1)),
        training=True,
        image_size=32,
        crop_size=24,
        seed=3,
    )
    seen = set()
    for _ in range(40):
        crop = batches(ds)[0][0]
        errors = [np.abs(crop - c).mean() for c in candidates]
        assert min(errors) < 0.05  # within rounding the window to whole source pixels
        seen.add(int(np.argmin(errors)))
    assert {k // 5 for k in seen} == {0, 1}  # mirrored and not
    assert len({k % 5 for k in seen}) == 5  # every one of the five crops


BAD_FILES = ("truncated.jpg", "not_an_image.jpg", "missing.jpg", "empty.png")


def write_bad_files(folder, good_path):
    data = open(good_path, "rb").read()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (folder / "not_an_image.jpg").write_bytes(b"<html>404 Not Found</html>")
    (folder / "empty.png").write_bytes(b"")
    return [str(folder / name) for name in BAD_FILES]


@pytest.mark.parametrize("where", ["start", "middle", "end", "all_bad_batch"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_bad_files_are_skipped_counted_and_named(tmp_path, caplog, where, shuffle):
    good, _ = write_images(tmp_path, 7)
    jpeg = next(p for p in good if p.endswith(".jpg"))
    bad = write_bad_files(tmp_path, jpeg)
    paths = {
        "start": bad + good,
        "middle": good[:3] + bad + good[3:],
        "end": good + bad,
        "all_bad_batch": good[:4] + bad + good[4:],
    }[where]
    index = {p: i for i, p in enumerate(paths)}
    ds = image_dataset(
        paths,
        [[index[p]] for p in paths],
        num_labels=len(paths),
        batch_size=4,
        image_size=16,
        crop_size=12,
        shuffle=shuffle,
        seed=0,
    )
    with caplog.at_level(logging.WARNING, logger="mlrank_keras.data"):
        for _ in range(2):  # two epochs
            x, y = batches(ds)
            assert x.shape == (len(good), 12, 12, 3)
            assert sorted(y.argmax(1)) == sorted(index[p] for p in good)
    assert ds.skipped.count == len(bad)
    assert sorted(ds.skipped.paths) == sorted(bad)
    assert ds.skipped.events == 2 * len(bad)
    logged = [r.getMessage() for r in caplog.records if r.name == "mlrank_keras.data"]
    assert len(logged) == len(bad)  # once per file, not once per epoch
    assert all(any(path in message for message in logged) for path in bad)


def test_drop_remainder_keeps_static_batches(tmp_path):
    good, _ = write_images(tmp_path, 9)
    bad = write_bad_files(tmp_path, next(p for p in good if p.endswith(".jpg")))
    paths = good + bad
    skipped = SkippedImages()
    ds = image_dataset(
        paths,
        np.ones((len(paths), 2)),
        batch_size=4,
        image_size=16,
        crop_size=12,
        drop_remainder=True,
        skipped=skipped,
    )
    assert ds.element_spec[0].shape == (4, 12, 12, 3)
    assert [len(x) for x, _ in ds.as_numpy_iterator()] == [4, 4]  # 9 good files: 2 full batches
    assert ds.skipped is skipped and skipped.count == len(bad)


def test_same_seed_same_augmented_batches(tmp_path):
    paths, _ = write_images(tmp_path, 6)
    kwargs = dict(training=True, batch_size=3, image_size=24, crop_size=16)
    a = image_dataset(paths, np.ones((6, 1)), seed=11, **kwargs)
    b = image_dataset(paths, np.ones((6, 1)), seed=11, **kwargs)
    first_a, first_b, second_a = batches(a)[0], batches(b)[0], batches(a)[0]
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, second_a)


def test_predict_five_crops_averages_the_five(tmp_path):
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, (6, 10, 10, 3), dtype=np.uint8)
    model = keras.Sequential(
        [keras.Input((7, 7, 3)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    ds = array_dataset(images, np.ones((6, 2)), batch_size=4, crop_size=7, eval_crops="five")
    scores, labels = predict_five_crops(model, ds, return_labels=True)
    crops = np.stack([imagenet(five_reference(im, 7)) for im in images])  # (6, 5, 7, 7, 3)
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in model.layers[-1].weights)
    expected = (crops.reshape(6, 5, -1) @ kernel + bias).mean(axis=1)
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(labels, np.ones((6, 2)))
    with pytest.raises(ValueError, match="five crops"):
        predict_five_crops(model, array_dataset(images, np.ones((6, 2)), crop_size=7))


def test_fit_runs_to_the_end_over_a_corrupt_jpeg(tmp_path):
    """A folder with a corrupt JPEG trains to the end and reports the file (each backend)."""
    good, _ = write_images(tmp_path, 10)
    corrupt = tmp_path / "corrupt.jpg"
    data = open(next(p for p in good if p.endswith(".jpg")), "rb").read()
    corrupt.write_bytes(data[: len(data) // 2])
    paths = sorted(good + [str(corrupt)])
    rng = np.random.default_rng(0)
    labels = (rng.random((len(paths), 3)) < 0.5).astype(np.float32)
    ds = image_dataset(
        paths, labels, training=True, batch_size=4, image_size=20, crop_size=16, seed=0
    )
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["loss"]).all()
    assert ds.skipped.paths == [str(corrupt)]


def test_jpeg_window_decoding_matches_whole_decoding(tmp_path):
    """JPEGs are decoded only over the crop's window: the crop equals that of the same pixels
    stored as PNG (always decoded whole)."""
    jpegs, images = write_images(tmp_path, 6, size=(60, 80))
    pngs = []
    for path, image in zip(jpegs, images, strict=True):
        png = tmp_path / (path.rsplit("/", 1)[-1] + ".png")
        png.write_bytes(tf.io.encode_png(image).numpy())
        pngs.append(str(png))
    kwargs = dict(batch_size=6, image_size=40, crop_size=30, shuffle=False, seed=2)
    for training in (False, True):
        a, _ = batches(image_dataset(jpegs, np.ones((6, 1)), training=training, **kwargs))
        b, _ = batches(image_dataset(pngs, np.ones((6, 1)), training=training, **kwargs))
        np.testing.assert_allclose(a, b, atol=0.1)  # a few levels at most, at a window edge


def test_a_jpeg_cut_short_is_skipped_whatever_the_crop(tmp_path):
    """Cut at 90%, the top of the image still decodes; the file must be skipped every epoch."""
    good, _ = write_images(tmp_path, 3, size=(64, 64))
    data = open(next(p for p in good if p.endswith(".jpg")), "rb").read()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: int(len(data) * 0.9)])
    ds = image_dataset(
        good + [str(cut)], np.ones((4, 1)), training=True, image_size=32, crop_size=16, seed=0
    )
    for _ in range(6):
        assert len(batches(ds)[0]) == 3
    assert ds.skipped.paths == [str(cut)] and ds.skipped.events == 6


def test_multi_hot_rows_given_as_a_list_are_refused_not_read_as_indices():
    """Issue 14, item 1: ``y.tolist()`` used to be read as label-index lists."""
    x = np.zeros((2, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"look like multi-hot rows.*np.asarray"):
        array_dataset(x, [[1, 0, 0], [0, 1, 0]], num_labels=3)
    with pytest.raises(ValueError, match="look like multi-hot rows"):
        label_matrix([[1, 0, -1, 0]], num_labels=4)
    # As a NumPy array they are multi-hot rows; index lists still work.
    ((_, y),) = array_dataset(x, np.array([[1, 0, 0], [0, 1, 0]]), batch_size=2)
    np.testing.assert_array_equal(np.asarray(y), [[1, 0, 0], [0, 1, 0]])
    ((_, y),) = array_dataset(x, [[2], [0, 1]], num_labels=3, batch_size=2)
    np.testing.assert_array_equal(np.asarray(y), [[0, 0, 1], [1, 1, 0]])


def cut_short_jpegs(folder):
    """Issue 14, item 3: JPEGs that libjpeg decodes, with a warning only, as flat gray."""
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    data = tf.io.encode_jpeg(image, quality=90).numpy()
    start_of_frame = data.find(b"\xff\xc0")  # height and width at bytes 5-8 after it
    patched = bytearray(data)
    patched[start_of_frame + 5 : start_of_frame + 9] = (12000).to_bytes(2, "big") * 2
    files = {
        "cut_with_end_marker.jpg": data[: len(data) // 2] + b"\xff\xd9",
        "cut_in_last_row.jpg": data[: len(data) - 400] + b"\xff\xd9",  # about 1.5 of 20 MCUs
        "header_12000x12000.jpg": bytes(patched),
    }
    for name, contents in files.items():
        (folder / name).write_bytes(contents)
    return [str(folder / name) for name in files]


@pytest.mark.parametrize(
    "options",
    [
        dict(training=True),  # a random crop's window, decoded alone
        dict(),  # the centre crop's window
        dict(eval_crops="five"),  # decoded whole
        dict(crop_size=None),  # decoded whole, no crop
    ],
    ids=["train_window", "centre_window", "five_crops", "whole"],
)
def test_a_jpeg_cut_short_is_skipped_even_with_an_end_marker(tmp_path, options):
    good, _ = write_images(tmp_path, 4, size=(48, 40))
    bad = cut_short_jpegs(tmp_path)
    for path in bad:  # libjpeg decodes them: the bytes alone do not fail
        contents = open(path, "rb").read()
        assert tf.io.is_jpeg(contents) and contents.endswith(b"\xff\xd9")
    with pytest.raises(tf.errors.InvalidArgumentError, match="cut short|more pixels"):
        decode_image(open(bad[0], "rb").read())
    kwargs = dict(batch_size=3, image_size=32, crop_size=24, seed=0)
    kwargs.update(options)
    ds = image_dataset(good + bad, np.ones((len(good) + len(bad), 2)), **kwargs)
    for _ in range(2 if options.get("training") else 1):  # random crops: every one checks
        x, _ = batches(ds)
        assert len(x) == len(good)
    assert sorted(ds.skipped.paths) == sorted(bad)


@pytest.mark.parametrize("kwargs", [dict(training=True, crop_size=6), dict(eval_crops="five",
                                                                           crop_size=6), {}])
def test_batched_array_path_keeps_static_batches(kwargs):
    x = np.zeros((10, 8, 8, 3), np.uint8)
    ds = array_dataset(x, [[1]] * 10, num_labels=3, batch_size=4, drop_remainder=True, **kwargs)
    assert ds.element_spec[0].shape[0] == 4 and ds.element_spec[1].shape == (4, 3)
    assert [len(images) for images, _ in ds.as_numpy_iterator()] == [4, 4]
