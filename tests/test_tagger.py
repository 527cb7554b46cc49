"""Tag your own photos (issue 21, item 4): ``mlrank-keras train``, ``evaluate`` and
``predict`` on a folder of GlyphTags JPEG files with a CSV, checked against the model's own
``predict`` and the metrics computed here; a killed ``train`` resumes to the same table."""

import csv
import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras import cli, tagger
from mlrank_keras.data import GLYPHTAGS_LABELS, load_glyphtags, write_tagged_folder
from mlrank_keras.metrics import annotation_report
from tests.helpers import only_on

ROOT = pathlib.Path(__file__).resolve().parents[1]
SIDE = 28  # the model's input; the files are 32 x 32, resized to 32 and centre-cropped


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    x, y = load_glyphtags("train", num_images=96, image_size=32)
    write_tagged_folder(root, x, y, [name.replace(" ", "_") for name in GLYPHTAGS_LABELS])
    return root


def _train(folder, out, *extra):
    cli.main(["train", "--labels", str(folder / "tags.csv"), "--out", str(out),
              "--image-size", str(SIDE), "--epochs", "2", "--no-flip", "--verbose", "0",
              "--batch-size", "16", *extra])


@pytest.fixture(scope="module")
def trained(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    _train(folder, out, "--cache")  # the killed-and-resumed run below reads the files
    return out


def _pipeline_images(paths):
    """The files decoded, resized to 32 and centre-cropped here, with TensorFlow's own ops."""
    import tensorflow as tf

    images = []
    for path in paths:
        image = tf.io.decode_jpeg(tf.io.read_file(str(path)), channels=3)
        image = tf.image.resize(tf.cast(image, "float32"), (32, 32))
        images.append(np.asarray(image)[2:30, 2:30])
    return np.stack(images)


def test_train_saves_a_model_that_knows_its_labels_and_threshold(folder, trained):
    model = keras.saving.load_model(trained / "model.keras")
    with open(folder / "tags.csv") as f:
        seen = {t for row in csv.DictReader(f) for t in row["tags"].split()}
    assert mk.model_label_names(model) == sorted(seen)
    report = json.loads((trained / "report.json").read_text())
    np.testing.assert_allclose(mk.model_thresholds(model), report["threshold"], rtol=1e-6)
    assert report["best_epoch"] in (0, 1)
    assert set(report["reports"]) == {"top-3", "threshold", "upper bound (top-3)"}
    assert "C-F1" in (trained / "report.txt").read_text()
    assert json.loads((trained / "label_names.json").read_text()) == sorted(seen)
    assert not (trained / "backup").exists()  # removed once training ended


def test_predict_gives_the_top_3_of_model_predict(folder, trained, tmp_path, capsys):
    files = sorted((folder / "images").iterdir())[:20]
    output = tmp_path / "tags.csv"
    cli.main(["predict", str(trained / "model.keras"), *map(str, files), "--output", str(output)])
    with open(output) as f:
        rows = list(csv.DictReader(f))
    model = keras.saving.load_model(trained / "model.keras")
    scores = np.asarray(model.predict(_pipeline_images(files), verbose=0))
    names = mk.model_label_names(model)
    expected = [[names[j] for j in np.argsort(-s, kind="stable")[:3]] for s in scores]
    assert [r["file_name"] for r in rows] == [str(f) for f in files]
    assert [r["tags"].split() for r in rows] == expected
    first = [float(v) for v in rows[0]["scores"].split()]
    np.testing.assert_allclose(first, np.sort(scores[0])[::-1][:3], rtol=1e-3, atol=1e-3)
    # A folder, JSON lines, the saved threshold.
    jsonl = tmp_path / "tags.jsonl"
    cli.main(["predict", str(trained / "model.keras"), str(folder / "images"), "--threshold",
              "--output", str(jsonl)])
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(rows) == 96
    threshold = mk.model_thresholds(model)[0]
    assert all(all(s > threshold for s in row["scores"]) for row in rows)
    assert all(row["scores"] == sorted(row["scores"], reverse=True) for row in rows)


def test_predict_skips_and_names_an_unreadable_file(folder, trained, tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    good = folder / "images" / "00000.jpg"
    cli.main(["predict", str(trained / "model.keras"), str(good), str(bad)])
    out = capsys.readouterr().out
    assert str(good) in out and f"skipped 1 unreadable image(s): ['{bad}']" in out
    assert sum(1 for line in out.splitlines() if line.startswith(str(good))) == 1


def test_evaluate_is_the_report_of_the_models_scores(folder, trained, capsys):
    cli.main(["evaluate", str(trained / "model.keras"), "--labels", str(folder / "tags.csv")])
    printed = capsys.readouterr().out
    model = keras.saving.load_model(trained / "model.keras")
    with open(folder / "tags.csv") as f:
        rows = list(csv.DictReader(f))
    names = mk.model_label_names(model)
    labels = np.array([[float(n in r["tags"].split()) for n in names] for r in rows])
    scores = model.predict(_pipeline_images([folder / r["file_name"] for r in rows]), verbose=0)
    report = annotation_report(labels, np.asarray(scores), k=3)
    line = next(row for row in printed.splitlines() if row.startswith("top-3"))
    cells = [float(v) for v in line.split()[1:]]
    np.testing.assert_allclose(cells[:3], [100 * report[k] for k in ("C-P", "C-R", "C-F1")],
                               atol=0.011)


def test_a_killed_train_resumes_to_the_uninterrupted_table(folder, tmp_path, monkeypatch):
    kwargs = dict(image_size=SIDE, epochs=3, flip=False, verbose=0, batch_size=16)
    whole = tagger.train_tagger(folder / "tags.csv", tmp_path / "whole", **kwargs)
    keep_epoch_end = tagger.KeepBest.on_epoch_end

    def killed_after_epoch_2(self, epoch, logs=None):
        keep_epoch_end(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(tagger.KeepBest, "on_epoch_end", killed_after_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        tagger.train_tagger(folder / "tags.csv", tmp_path / "resumed", **kwargs)
    monkeypatch.setattr(tagger.KeepBest, "on_epoch_end", keep_epoch_end)
    assert os.path.isdir(tmp_path / "resumed" / "backup")
    resumed = tagger.train_tagger(folder / "tags.csv", tmp_path / "resumed", **kwargs)
    assert resumed.best_epoch == whole.best_epoch
    for name, report in whole.reports.items():
        for key, value in report.items():
            assert resumed.reports[name][key] == pytest.approx(value, abs=1e-3), (name, key)


def _fails(capsys, argv, message):
    """The command ends with exit status 2 and one line (after argparse's usage) naming it."""
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert message in last, last


def test_a_file_compiled_on_jax_predicts_as_auto_would_here(folder, trained, tmp_path, capsys):
    """A tagger trained on JAX carries ``jit_compile=True``; ``evaluate`` and ``predict`` load
    it as ``"auto"`` would compile it here: eagerly on PyTorch (not under ``torch.compile``),
    without XLA on TensorFlow without a GPU, with XLA on JAX."""
    model = keras.saving.load_model(trained / "model.keras")
    model.compile(optimizer="adam", loss=model.loss, jit_compile=True)
    model.save(tmp_path / "jit.keras")
    loaded = keras.saving.load_model(tmp_path / "jit.keras")
    assert loaded.jit_compile  # what the file carries, on every backend
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        expected = bool(tf.config.list_physical_devices("GPU"))
    else:
        expected = keras.backend.backend() == "jax"
    assert mk.tag_predict.load_tagger(tmp_path / "jit.keras").jit_compile == expected
    assert mk.tag_predict.load_tagger(loaded) is loaded and loaded.jit_compile  # yours, as is
    image = sorted((folder / "images").iterdir())[0]
    cli.main(["predict", str(tmp_path / "jit.keras"), str(image)])
    assert image.name in capsys.readouterr().out


@only_on("torch", "option checks before any model is built")
def test_bad_train_options_are_refused_before_training(folder, tmp_path, capsys):
    labels = str(folder / "tags.csv")
    base = ["train", "--labels", labels, "--out", str(tmp_path / "o")]
    (tmp_path / "file").write_text("x")
    cases = [
        (["train", "--labels", str(tmp_path / "none.csv"), "--out", "o"], "--labels"),
        (base + ["--images", str(tmp_path / "none")], "--images"),
        (base + ["--validation-split", "1.5"], "--validation-split must be in (0, 1)"),
        (base + ["--epochs", "0"], "argument --epochs: must be > 0; received 0"),
        (base + ["--epochs", "2", "--frozen-epochs", "2"], "--frozen-epochs must be from 0"),
        (base + ["--loss", "hinge"], "argument --loss: invalid choice: 'hinge'"),
        (["train", "--labels", labels, "--out", str(tmp_path / "file")], "is a file"),
        (base + ["--image-size", "4"], "--image-size must be at least 8"),
        (base + ["--weights", str(tmp_path / "w.h5")], "--weights"),
        (base + ["--format", "xml"], "argument --format: invalid choice"),
        (base + ["--seed", "-1"], "--seed must be from 0"),
        (base + ["--backbone", "resnet_50_imagenett"], "close names: ['resnet_50_imagenet'"),
        (base + ["--num-processes", "2"], "needs --process-id"),
        (base + ["--num-processes", "2", "--process-id", "2", "--coordinator", "127.0.0.1:1"],
         "--process-id must be an int from 0 to 1"),
        (base + ["--num-processes", "2", "--process-id", "1", "--coordinator", "localhost"],
         "must be 'host:port'"),
        (base + ["--num-processes", "2", "--process-id", "0", "--coordinator", "127.0.0.1:1"],
         "runs on the JAX backend only"),
    ]
    for argv, message in cases:
        _fails(capsys, argv, message)
    assert not (tmp_path / "o").exists()  # nothing was made


def test_bad_tag_files_and_folders_end_in_one_line(folder, trained, tmp_path, capsys):
    model = str(trained / "model.keras")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("file_name,tags\nimages/00000.jpg,one unicorn\n")
    _fails(capsys, ["evaluate", model, "--labels", str(unknown), "--images", str(folder)],
           "has 1 tag(s) outside `label_names`: ['unicorn']")
    missing = tmp_path / "missing.csv"
    missing.write_text("file_name,tags\nnothere.jpg,one\n")
    _fails(capsys, ["train", "--labels", str(missing), "--out", str(tmp_path / "o")],
           "None of the 1 files of")
    twice = tmp_path / "twice.csv"
    twice.write_text("file_name,tags\nimages/00000.jpg,one\nimages/00000.jpg,two\n")
    _fails(capsys, ["train", "--labels", str(twice), "--images", str(folder), "--out",
                    str(tmp_path / "o")], "twice with different tags")
    _fails(capsys, ["train", "--labels", str(folder / "tags.csv"), "--out", str(trained)],
           "holds a finished run (report.json)")
    _fails(capsys, ["predict", model, str(tmp_path / "none.jpg")], "is neither an image file")
    _fails(capsys, ["predict", model, str(folder), "--output", "tags.txt"],
           "--output must end in .csv or .jsonl")
    _fails(capsys, ["predict", str(tmp_path / "none.keras"), str(folder)], "is not a file")
    empty = tmp_path / "empty"
    empty.mkdir()
    _fails(capsys, ["predict", model, str(empty)], "No image file")


@only_on("torch", "the summary of a tag file")
def test_train_says_what_it_left_out(folder, tmp_path):
    from mlrank_keras.data import read_tags

    path = tmp_path / "tags.csv"
    path.write_text("file_name,tags\nimages/00000.jpg,one\nimages/00000.jpg,one\n"
                    "images/00001.jpg,\nimages/00002.jpg,one two\ngone.jpg,two\n")
    tagged = read_tags(path, folder, min_count=2)
    assert tagged.rare_tags == {"two": 1}  # counted over the files found, not gone.jpg
    train, validation = tagged.split(0.5, seed=0)
    assert tagger.describe(tagged, train, validation) == (
        "3 images (1 training, 2 validation), 1 labels; 1 missing file(s) left out; "
        "1 duplicate row(s) kept once; 1 image(s) with no tag (all negatives); "
        "1 rare tag(s) left out")


@only_on("torch", "writing files")
def test_a_label_name_with_the_separator_is_refused(tmp_path):
    images = np.zeros((1, 8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"\['ankle boot'\] hold the tag separator ' '"):
        write_tagged_folder(tmp_path, images, np.ones((1, 2)), ["bag", "ankle boot"])
    path = write_tagged_folder(tmp_path, images, np.ones((1, 2)), ["bag", "ankle boot"],
                               label_delim="|")
    assert open(path).read().splitlines()[1] == "images/00000.jpg,bag|ankle boot"


@only_on("torch", "the table's rows from given scores")
def test_the_map_belongs_to_the_scores_not_to_the_upper_bound():
    """Hand-worked, k = 1: the scores rank every true label first (mAP 1). The upper bound
    is a decision (k labels an image), so its row has no mAP."""
    from mlrank_keras.tag_predict import format_tagger_reports, validation_reports

    labels = np.array([[1, 1], [1, 0]], np.float32)
    scores = np.array([[2.0, 1.0], [1.0, 0.0]], np.float32)
    reports = validation_reports(labels, scores, k=1, threshold=0.5)
    assert reports["top-1"]["mAP"] == reports["threshold"]["mAP"] == pytest.approx(1.0)
    assert "mAP" not in reports["upper bound (top-1)"]
    assert format_tagger_reports(reports).splitlines()[-1] == "mAP of the scores: 100.00"


def test_keep_best_goes_on_from_the_best_a_killed_run_saved(tmp_path):
    """After a restart, an epoch worse than the best before the kill must not replace the
    saved model (Keras's ModelCheckpoint forgets its best value across processes)."""
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    path = tmp_path / "model.keras"
    (tmp_path / "model.keras.best.json").write_text(json.dumps({"epoch": 3, "value": 0.9}))
    keep = tagger.KeepBest(path)
    keep.set_model(model)
    keep.on_epoch_end(4, {"val_C-F1": 0.5})
    keep.on_epoch_end(5, {"val_C-F1": float("nan")})
    assert not path.exists() and (keep.best_epoch, keep.best) == (3, 0.9)
    keep.on_epoch_end(6, {"val_C-F1": 0.95})
    assert path.exists() and (keep.best_epoch, keep.best) == (6, 0.95)
    assert json.loads((tmp_path / "model.keras.best.json").read_text())["epoch"] == 6
    with pytest.raises(ValueError, match="no 'val_C-F1'"):
        keep.on_epoch_end(7, {"loss": 1.0})


@only_on("jax", "a job of several processes runs on JAX")
def test_train_as_a_job_of_two_processes(folder, tmp_path):
    """`mlrank-keras train --num-processes 2` on 127.0.0.1: each process reads its own half of
    the training images; process 0 alone writes the tagger, which loads and knows its labels."""
    from tests.training.test_multiprocess import finish, free_port

    port = free_port()
    argv = ["train", "--labels", str(folder / "tags.csv"), "--out", str(tmp_path / "job"),
            "--image-size", str(SIDE), "--epochs", "2", "--no-flip", "--verbose", "0",
            "--batch-size", "16", "--num-processes", "2", "--coordinator", f"127.0.0.1:{port}"]
    env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "") +
               " --xla_force_host_platform_device_count=1")
    results = finish([
        subprocess.Popen([sys.executable, "-m", "mlrank_keras.cli", *argv, "--process-id",
                          str(process)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
        for process in (0, 1)
    ])
    for code, stderr in results:
        assert code == 0, stderr[-3000:]
    model = keras.saving.load_model(tmp_path / "job" / "model.keras")
    assert mk.model_label_names(model) == sorted(n.replace(" ", "_") for n in GLYPHTAGS_LABELS)
    report = json.loads((tmp_path / "job" / "report.json").read_text())
    assert report["best_epoch"] in (0, 1) and np.isfinite(report["reports"]["top-3"]["C-F1"])
    assert not (tmp_path / "job" / "backup").exists()
