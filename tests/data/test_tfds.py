"""VOC 2007, COCO 2014 (TFDS mock data) and NUS-WIDE (a dummy manual-download folder), offline."""

import logging

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from mlrank_keras.data import nus_wide
from mlrank_keras.data.datasets import label_names, tfds_dataset


def multi_hot_reference(label_lists, num_labels):
    out = np.zeros((len(label_lists), num_labels), np.float32)
    for i, labels in enumerate(label_lists):
        for label in labels:
            out[i, label] = 1.0
    return out


@pytest.mark.parametrize(
    "name, tfds_name, key, num_labels",
    [("voc2007", "voc/2007", ("labels",), 20), ("coco2014", "coco/2014", ("objects", "label"), 80)],
)
def test_tfds_labels_become_multi_hot(name, tfds_name, key, num_labels):
    with tfds.testing.mock_data(num_examples=6):
        raw = []
        for example in tfds.load(tfds_name, split="train").as_numpy_iterator():
            value = example
            for k in key:
                value = value[k]
            raw.append(value.tolist())
        ds = tfds_dataset(name, "train", training=False, batch_size=4, image_size=32, crop_size=28)
        x, y = (np.concatenate(t) for t in zip(*ds.as_numpy_iterator(), strict=True))
        train = tfds_dataset(name, "train", batch_size=4, image_size=32, crop_size=28, seed=0)
        xt, yt = next(iter(train))
    assert x.shape == (6, 28, 28, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(y, multi_hot_reference(raw, num_labels))
    assert tuple(xt.shape) == (4, 28, 28, 3) and tuple(yt.shape) == (4, num_labels)
    assert len(label_names(name)) == num_labels


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="`name` must be one of"):
        tfds_dataset("imagenet", "train")


def make_nus_wide_folder(root, rng):
    """A NUS-WIDE-shaped folder: 6 train images (one missing, one corrupt), 3 test images."""
    (root / "ImageList").mkdir(parents=True)
    (root / "Groundtruth" / "TrainTestLabels").mkdir(parents=True)
    (root / "Flickr" / "actor").mkdir(parents=True)
    (root / "Concepts81.txt").write_text("\n".join(nus_wide.CONCEPTS) + "\n")
    labels, bad = {}, []
    for suffix, count in (("Train", 6), ("Test", 3)):
        names = [f"actor\\{i:04d}_{suffix}.jpg" for i in range(count)]
        (root / "ImageList" / f"{suffix}Imagelist.txt").write_text("\r\n".join(names) + "\r\n")
        y = (rng.random((count, 81)) < 0.1).astype(int)
        labels[suffix] = y
        for c, concept in enumerate(nus_wide.CONCEPTS):
            lines = "".join(f"{v} \n" for v in y[:, c])
            (
                root / "Groundtruth" / "TrainTestLabels" / f"Labels_{concept}_{suffix}.txt"
            ).write_text(lines)
        for i, name in enumerate(names):
            path = root / "Flickr" / name.replace("\\", "/")
            if suffix == "Train" and i == 1:
                bad.append(name.replace("\\", "/"))  # missing
                continue
            image = rng.integers(0, 256, (24, 30, 3), dtype=np.uint8)
            data = tf.io.encode_jpeg(image).numpy()
            if suffix == "Train" and i == 4:
                data = data[: len(data) // 3]  # corrupt
                bad.append(name.replace("\\", "/"))
            path.write_bytes(data)
    return labels, bad


def test_nus_wide_from_a_manual_folder(tmp_path, caplog):
    rng = np.random.default_rng(0)
    labels, bad = make_nus_wide_folder(tmp_path / "download", rng)
    with caplog.at_level(logging.WARNING, logger="mlrank_keras.data"):
        train = tfds_dataset(
            "nuswide",
            "train",
            data_dir=str(tmp_path / "tfds"),
            manual_dir=tmp_path / "download",
            training=False,
            batch_size=8,
            image_size=32,
            crop_size=28,
        )
    x, y = (np.concatenate(t) for t in zip(*train.as_numpy_iterator(), strict=True))
    keep = [i for i in range(6) if i not in (1, 4)]
    assert x.shape == (4, 28, 28, 3) and y.shape == (4, 81)
    # Order may differ from the list (TFDS shuffles on writing): compare as sets of rows.
    assert sorted(map(tuple, y)) == sorted(map(tuple, labels["Train"][keep].astype(np.float32)))
    builder = tfds.builder("nus_wide", data_dir=str(tmp_path / "tfds"))
    assert sorted(builder.info.metadata["skipped"]["train"]) == sorted(bad)
    assert builder.info.metadata["skipped"]["test"] == []
    assert any("skipped 2 of 6" in r.getMessage() for r in caplog.records)
    test = tfds_dataset(
        "nuswide",
        "test",
        data_dir=str(tmp_path / "tfds"),
        batch_size=8,
        image_size=32,
        crop_size=28,
    )
    _, y_test = (np.concatenate(t) for t in zip(*test.as_numpy_iterator(), strict=True))
    assert sorted(map(tuple, y_test)) == sorted(map(tuple, labels["Test"].astype(np.float32)))


def test_nus_wide_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="TrainImagelist.txt"):
        nus_wide.read_split(tmp_path, "train")
    rng = np.random.default_rng(1)
    make_nus_wide_folder(tmp_path, rng)
    (tmp_path / "Concepts81.txt").write_text("cat\ndog\n")
    with pytest.raises(ValueError, match="Concepts81.txt does not list the 81"):
        nus_wide.read_split(tmp_path, "train")


def test_label_names_match_tfds():
    """VOC's names are in TFDS's builder code; COCO's come only with prepared data, so they
    are checked here against the 80 COCO category names written out independently."""
    voc = tfds.builder("voc/2007").info.features["labels"].feature.names
    assert label_names("voc2007") == list(voc)
    coco = (
        "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant "
        "stop_sign parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe "
        "backpack umbrella handbag tie suitcase frisbee skis snowboard sports_ball kite "
        "baseball_bat baseball_glove skateboard surfboard tennis_racket bottle wine_glass cup "
        "fork knife spoon bowl banana apple sandwich orange broccoli carrot hot_dog pizza donut "
        "cake chair couch potted_plant bed dining_table toilet tv laptop mouse remote keyboard "
        "cell_phone microwave oven toaster sink refrigerator book clock vase scissors "
        "teddy_bear hair_drier toothbrush"
    )
    assert label_names("coco2014") == [w.replace("_", " ") for w in coco.split()]
    assert label_names("nuswide")[:3] == ["airport", "animal", "beach"]
