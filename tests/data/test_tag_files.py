"""Tag files (issue 21, item 2): fastai-style CSV/TSV, wide 0/1 tables and JSON lines.

References are the rows written by hand here; the dataset check compares against
`image_dataset` fed the same files and hand-made multi-hot rows.
"""

import json
import logging

import numpy as np
import pytest
import tensorflow as tf

from mlrank_keras.data import (
    image_dataset,
    load_label_names,
    read_tags,
    save_label_names,
    tagged_dataset,
)
from tests.helpers import only_on

pytestmark = only_on("torch", "backend-free code (reading files)")


def make_images(folder, names, size=16):
    for i, name in enumerate(names):
        image = np.full((size, size, 3), 20 * i % 256, np.uint8)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(tf.io.encode_png(image).numpy())


NAMES = ["a.png", "b.png", "c.png", "d.png", "sub/e.png"]
TAGS = [["dog", "cat"], ["cat"], [], ["bird", "cat"], ["dog"]]
VOCAB = ["bird", "cat", "dog"]
EXPECTED = np.array([[0, 1, 1], [0, 1, 0], [0, 0, 0], [1, 1, 0], [0, 0, 1]], np.float32)


def write_csv(path, extra=()):
    """NAMES and TAGS as a fastai CSV (file name, space-separated tags), plus ``extra`` rows."""
    rows = [f"{n},{' '.join(t)}" for n, t in zip(NAMES, TAGS, strict=True)]
    path.write_text("\n".join(["fname,labels", *rows, *extra]) + "\n")


def test_fastai_csv_with_a_validation_column(tmp_path):
    make_images(tmp_path, NAMES)
    valid = [False, True, False, False, True]
    lines = ["fname,labels,is_valid"] + [
        f"{n},{' '.join(t)},{v}" for n, t, v in zip(NAMES, TAGS, valid, strict=True)
    ]
    (tmp_path / "tags.csv").write_text("\n".join(lines) + "\n")
    tags = read_tags(tmp_path / "tags.csv")
    assert tags.label_names == VOCAB
    np.testing.assert_array_equal(tags.labels, EXPECTED)
    assert tags.paths == [str(tmp_path / n) for n in NAMES]
    np.testing.assert_array_equal(tags.is_valid, valid)
    assert tags.empty == 1 and not tags.missing and not tags.duplicates
    train, validation = tags.split()
    assert [p.split("/")[-1] for p in validation.paths] == ["b.png", "e.png"]
    np.testing.assert_array_equal(train.labels, EXPECTED[[0, 2, 3]])


def test_tsv_named_columns_and_another_delimiter(tmp_path):
    make_images(tmp_path / "img", NAMES)
    lines = ["tags\tfile"] + [f"{'|'.join(t)}\t{n}" for n, t in zip(NAMES, TAGS, strict=True)]
    (tmp_path / "tags.tsv").write_text("\n".join(lines) + "\n")
    tags = read_tags(tmp_path / "tags.tsv", tmp_path / "img", file_column="file",
                     tags_column="tags", label_delim="|")
    np.testing.assert_array_equal(tags.labels, EXPECTED)
    assert tags.is_valid is None


def test_wide_table_with_unknown_labels(tmp_path):
    make_images(tmp_path, NAMES)
    rows = EXPECTED.astype(int).copy()
    rows[2, 0] = -1
    lines = ["file,bird,cat,dog"] + [
        f"{n}," + ",".join(str(v) for v in row) for n, row in zip(NAMES, rows, strict=True)
    ]
    (tmp_path / "wide.csv").write_text("\n".join(lines) + "\n")
    tags = read_tags(tmp_path / "wide.csv", format="wide")
    assert tags.label_names == VOCAB
    np.testing.assert_array_equal(tags.labels, rows.astype(np.float32))
    (tmp_path / "bad.csv").write_text("file,bird\na.png,2\n")
    with pytest.raises(ValueError, match=r"row 2, column 'bird'.*1, 0 or -1.*'2'"):
        read_tags(tmp_path / "bad.csv", format="wide")


def test_json_lines_like_hugging_face_metadata(tmp_path):
    make_images(tmp_path, NAMES)
    lines = [json.dumps({"file_name": n, "tags": t}) for n, t in zip(NAMES, TAGS, strict=True)]
    (tmp_path / "metadata.jsonl").write_text("\n".join(lines) + "\n")
    tags = read_tags(tmp_path / "metadata.jsonl")
    np.testing.assert_array_equal(tags.labels, EXPECTED)
    (tmp_path / "bad.jsonl").write_text('{"file_name": "a.png", "tags": "dog cat"}\n')
    with pytest.raises(ValueError, match=r"line 1.*\"tags\" must be a list"):
        read_tags(tmp_path / "bad.jsonl")
    (tmp_path / "bad2.jsonl").write_text('{"name": "a.png"}\n')
    with pytest.raises(ValueError, match="needs a \"file_name\""):
        read_tags(tmp_path / "bad2.jsonl")


def test_vocabulary_minimum_count_fixed_names_and_unknown_tags(tmp_path, caplog):
    make_images(tmp_path, NAMES)
    write_csv(tmp_path / "tags.csv")
    with caplog.at_level(logging.WARNING, logger="mlrank_keras.data"):
        tags = read_tags(tmp_path / "tags.csv", min_count=2)
    assert tags.label_names == ["cat", "dog"] and tags.rare_tags == {"bird": 1}
    assert "bird" in caplog.text
    np.testing.assert_array_equal(tags.labels, EXPECTED[:, 1:])
    # A model's vocabulary at test time: another order, and a tag it does not know.
    with pytest.raises(ValueError, match=r"1 tag\(s\) outside `label_names`: \['bird'\]"):
        read_tags(tmp_path / "tags.csv", label_names=["dog", "cat"])
    tags = read_tags(tmp_path / "tags.csv", label_names=["dog", "cat"], unknown_tags="ignore")
    assert tags.unknown_tags == {"bird": 1}
    np.testing.assert_array_equal(tags.labels, EXPECTED[:, [2, 1]])
    save_label_names(tags.label_names, tmp_path / "labels.json")
    assert load_label_names(tmp_path / "labels.json") == ["dog", "cat"]


def test_missing_files_duplicates_and_bad_tables_are_named(tmp_path, caplog):
    make_images(tmp_path, NAMES[:4])  # sub/e.png is missing
    write_csv(tmp_path / "tags.csv", extra=["a.png,cat dog"])  # the same tags again: kept once
    with caplog.at_level(logging.WARNING, logger="mlrank_keras.data"):
        tags = read_tags(tmp_path / "tags.csv")
    assert tags.missing == [str(tmp_path / "sub/e.png")] and tags.duplicates == ["a.png"]
    assert len(tags) == 4 and "not found" in caplog.text and "listed twice" in caplog.text
    np.testing.assert_array_equal(tags.labels, EXPECTED[:4])
    (tmp_path / "conflict.csv").write_text("fname,labels\na.png,cat\na.png,dog\n")
    with pytest.raises(ValueError, match=r"'a.png' twice with different tags"):
        read_tags(tmp_path / "conflict.csv")
    (tmp_path / "none.csv").write_text("fname,labels\nx.png,cat\n")
    with pytest.raises(ValueError, match=r"None of the 1 files.*images_dir"):
        read_tags(tmp_path / "none.csv")
    (tmp_path / "ragged.csv").write_text("fname,labels\na.png,cat,extra\n")
    with pytest.raises(ValueError, match="row 2 has 3 cells where the header has 2"):
        read_tags(tmp_path / "ragged.csv")
    (tmp_path / "cols.csv").write_text("fname,labels\na.png,cat\n")
    with pytest.raises(ValueError, match=r"`tags_column`='tags' is not a column"):
        read_tags(tmp_path / "cols.csv", tags_column="tags")
    with pytest.raises(ValueError, match="Cannot tell the format"):
        read_tags(_touch(tmp_path / "t.xlsx"))
    (tmp_path / "valid.csv").write_text("fname,labels,is_valid\na.png,cat,maybe\n")
    with pytest.raises(ValueError, match=r"row 2: the validation mark.*'maybe'"):
        read_tags(tmp_path / "valid.csv")


def _touch(path):
    path.write_text("x")
    return path


def test_seeded_split_without_a_validation_column(tmp_path):
    names = [f"{i}.png" for i in range(10)]
    make_images(tmp_path, names)
    (tmp_path / "t.csv").write_text("fname,labels\n" + "".join(f"{n},x\n" for n in names))
    tags = read_tags(tmp_path / "t.csv")
    train, validation = tags.split(0.3, seed=1)
    again = tags.split(0.3, seed=1)[1]
    assert len(validation) == 3 and validation.paths == again.paths
    assert sorted(train.paths + validation.paths) == sorted(tags.paths)
    with pytest.raises(ValueError, match="validation_split"):
        tags.split(1.5)


def test_tagged_dataset_is_image_dataset_of_the_same_rows(tmp_path):
    make_images(tmp_path, NAMES, size=24)
    write_csv(tmp_path / "tags.csv")
    (tmp_path / "c.png").write_bytes(b"not an image")  # unreadable: skipped, named
    tags = read_tags(tmp_path / "tags.csv")
    ds = tagged_dataset(tags, image_size=24, crop_size=20, batch_size=8)
    ref = image_dataset([str(tmp_path / n) for n in NAMES], EXPECTED, image_size=24,
                        crop_size=20, batch_size=8)
    (x, y), (rx, ry) = next(iter(ds)), next(iter(ref))
    np.testing.assert_array_equal(np.asarray(y), np.asarray(ry))
    np.testing.assert_allclose(np.asarray(x), np.asarray(rx))
    assert len(y) == 4 and ds.skipped.paths == [str(tmp_path / "c.png")]
