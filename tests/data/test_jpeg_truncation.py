"""JPEGs cut short at photo sizes, and valid photos on gray backgrounds (issue 20, item 1).

The photos are the ones scikit-learn and matplotlib ship, encoded here by Pillow at VOC's and
COCO's common sizes with 4:2:0 and 4:4:4 chroma. The reference for "cut short" is the cut
itself (a prefix of the file with an end marker appended), and for "valid" the file Pillow
wrote; `jpeg_data_complete` is also checked against libjpeg's own verdict (Pillow decoding
without an end marker: a cut file fails there).
"""

import io

import matplotlib.cbook
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from sklearn.datasets import load_sample_images

from mlrank_keras.data import decode_image, image_dataset
from mlrank_keras.data.jpeg_scan import jpeg_data_complete
from tests.helpers import only_on

pytestmark = only_on("torch", "backend-free code (the tf.data decoder)")
SIZES = [(500, 375), (375, 500), (640, 427), (640, 480)]
SUBSAMPLING = {"4:2:0": 2, "4:4:4": 0}
CUTS = [0.95, 0.97, 0.98, 0.99, 0.995]


def photos():
    """The RGB photos the two packages ship (two from scikit-learn, one from matplotlib)."""
    images = list(load_sample_images().images)
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        images.append(np.asarray(Image.open(f).convert("RGB")))
    return images


def encode(image, size, subsampling, quality=90, **options):
    buf = io.BytesIO()
    Image.fromarray(image).resize(size).save(
        buf, "JPEG", quality=quality, subsampling=subsampling, **options
    )
    return buf.getvalue()


def cut(data, fraction):
    return data[: int(len(data) * fraction)] + b"\xff\xd9"


def on_gray(image, size, background, noise, rng):
    """A product photo: the photo shrunk into the middle of a gray canvas, with sensor noise."""
    width, height = size
    canvas = background + noise * rng.standard_normal((height, width, 3))
    small = np.asarray(Image.fromarray(image).resize((width // 2, height // 2)))
    top, left = height // 4, width // 4
    canvas[top : top + height // 2, left : left + width // 2] = small
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def write(folder, files):
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    return paths


def kept_and_skipped(paths, **options):
    kwargs = dict(batch_size=16, image_size=64, crop_size=56, seed=0)
    kwargs.update(options)
    ds = image_dataset(paths, np.ones((len(paths), 1)), **kwargs)
    kept = sum(len(x) for x, _ in ds.as_numpy_iterator())
    return kept, set(ds.skipped.paths)


@pytest.mark.parametrize("chroma", list(SUBSAMPLING))
def test_cuts_at_photo_sizes_are_skipped_and_the_photos_kept(tmp_path, chroma):
    """A 500 x 375 photo cut at 97-99.5 % with FF D9 appended used to be kept."""
    good, bad = {}, {}
    for i, image in enumerate(photos()):
        for width, height in SIZES:
            data = encode(image, (width, height), SUBSAMPLING[chroma])
            good[f"{i}_{width}x{height}.jpg"] = data
            for fraction in CUTS:
                bad[f"{i}_{width}x{height}_cut{fraction}.jpg"] = cut(data, fraction)
    good_paths, bad_paths = write(tmp_path, good), write(tmp_path, bad)
    for options in (dict(), dict(training=True), dict(crop_size=None)):
        kept, skipped = kept_and_skipped(good_paths + bad_paths, **options)
        assert skipped == set(bad_paths), sorted(set(bad_paths) ^ skipped)[:5]
        assert kept == len(good_paths)


def test_valid_photos_on_flat_and_noisy_gray_backgrounds_are_kept(tmp_path):
    """The gray check refused 12 of 108 such photos; now the data decides, and their cuts
    are still caught."""
    rng = np.random.default_rng(20)
    good, bad = {}, {}
    cases = [(128, 0, 90), (128, 1, 75), (128, 2, 75), (128, 1, 50), (127, 1, 50),
             (129, 2, 50), (128, 0, 30)]
    for i, image in enumerate(photos()):
        for width, height in SIZES[:2]:
            for background, noise, quality in cases:
                for chroma, subsampling in SUBSAMPLING.items():
                    name = f"{i}_{width}x{height}_{background}_{noise}_{quality}_{chroma}"
                    canvas = on_gray(image, (width, height), background, noise, rng)
                    data = encode(canvas, (width, height), subsampling, quality)
                    good[name + ".jpg"] = data
                    bad[name + "_cut.jpg"] = cut(data, 0.97)
    good_paths, bad_paths = write(tmp_path, good), write(tmp_path, bad)
    # Most of these corners decode as exact gray: the data walk is what keeps them.
    gray = [p for p in good_paths if (tf.io.decode_jpeg(open(p, "rb").read())[-6:, -6:] == 128)
            .numpy().all()]
    assert len(gray) > len(good_paths) // 3
    kept, skipped = kept_and_skipped(good_paths + bad_paths)
    assert not skipped & set(good_paths)
    assert kept == len(good_paths)
    # A cut in a flat gray background leaves the image as it was: nothing can tell it from
    # the valid file but the data. Every cut here is caught by it.
    assert skipped == set(bad_paths)


@pytest.mark.parametrize("subsampling", [0, 1, 2])
@pytest.mark.parametrize("options", [{}, {"optimize": True}, {"progressive": True}])
def test_data_walk_agrees_with_libjpeg(subsampling, options):
    """Odd sizes, every chroma layout, optimised Huffman tables and progressive files:
    complete files are complete, and cuts without an end marker (which libjpeg, through
    Pillow, refuses to decode) are cut short."""
    rng = np.random.default_rng(subsampling)
    image = photos()[0]
    for size in [(17, 9), (33, 17), (97, 65), (161, 121)]:
        data = encode(image, size, subsampling, **options)
        assert jpeg_data_complete(data) is True
        for fraction in rng.uniform(0.3, 0.99, 4):
            prefix = data[: int(len(data) * fraction)]
            with pytest.raises(OSError):
                Image.open(io.BytesIO(prefix)).load()
            assert jpeg_data_complete(prefix) is False
            if not options.get("progressive"):  # a cut in a refinement scan is not read
                assert jpeg_data_complete(prefix + b"\xff\xd9") is False


def test_restart_intervals_and_non_jpeg_bytes():
    image = photos()[1]
    # TensorFlow's encoder writes no restart markers; write a DRI segment by hand: one MCU
    # row per interval needs RST markers in the data, so check the parser refuses a DRI
    # without them rather than misreading it.
    data = encode(image, (64, 48), 0)
    assert jpeg_data_complete(data) is True
    sos = data.find(b"\xff\xda")
    with_dri = data[:sos] + b"\xff\xdd\x00\x04\x00\x08" + data[sos:]
    assert jpeg_data_complete(with_dri) is False  # 8-MCU intervals, but no RST markers
    assert jpeg_data_complete(b"not a jpeg") is None
    assert jpeg_data_complete(b"\xff\xd8\xff\xd9") is False  # no scan at all


def test_decode_image_refuses_the_issue_example():
    image = photos()[0]
    data = encode(image, (500, 375), 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="cut short"):
        decode_image(cut(data, 0.97))
    np.testing.assert_array_equal(decode_image(data).numpy(), tf.io.decode_jpeg(data).numpy())


def test_exif_orientation_is_not_applied_as_in_keras_loaders():
    """The documented rule (README): pixels come out as stored, like keras.utils.load_img."""
    import keras

    image = np.asarray(Image.fromarray(photos()[0]).resize((48, 32)))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=95, exif=exif.tobytes())
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).getexif()[0x0112] == 6
    ours = decode_image(data).numpy()
    assert ours.shape == (32, 48, 3)  # stored landscape, not the displayed portrait
    theirs = np.asarray(keras.utils.load_img(io.BytesIO(data)))
    np.testing.assert_array_equal(ours.shape, theirs.shape)
