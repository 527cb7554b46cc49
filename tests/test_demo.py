"""The main job, in its seconds-long smoke mode, on the current backend."""

import keras
import numpy as np

from mlrank_keras import cli, demo, metrics, tuned
from tests.helpers import only_on


@only_on("tensorflow", "the main job's default backend; its pieces are tested everywhere")
def test_demo_trains_four_models_prints_the_table_and_saves(tmp_path, capsys):
    out = tmp_path / "demo"
    reports = demo.main(["--smoke", "--out", str(out), "--verbose", "0"])
    text = capsys.readouterr().out.splitlines()
    header = text.index(next(line for line in text if line.startswith("method")))
    assert text[header].split()[1:] == list(metrics.REPORT_KEYS)
    rows = text[header + 1 : header + 6]
    assert rows[0].startswith("upper bound")
    assert [r.split("  ")[0] for r in rows[1:]] == [
        tuned.LOSSES[key][0] for key in demo.MODELS
    ]
    for line in rows:
        values = [float(v) for v in line.split()[-len(metrics.REPORT_KEYS) :]]
        assert all(0.0 <= v <= 100.0 for v in values[:7] + values[8:])
        assert 0 <= values[7] <= 20  # N+ of GlyphTags' 20 labels
    for key in demo.MODELS:
        assert (out / f"{key}.keras").stat().st_size > 0
    for name in ("table.txt", "per_class_recall.png", "precision_recall.png"):
        assert (out / name).stat().st_size > 0
    assert set(reports) == {"upper bound (Gong)"} | {
        tuned.LOSSES[key][0] for key in demo.MODELS
    }
    # The saved models load and score the 20 labels.
    model = keras.saving.load_model(out / "warp.keras")
    assert model.predict(np.zeros((1, 28, 28, 3), "float32"), verbose=0).shape == (1, 20)


@only_on("tensorflow", "the command line is backend-free")
def test_console_script_dispatches_to_the_demo(tmp_path, capsys):
    cli.main(["demo", "--smoke", "--models", "softmax", "--out", str(tmp_path), "--verbose", "0"])
    assert "multilabel softmax (Gong)" in capsys.readouterr().out


def test_bad_options_are_argparse_errors_before_any_training(capsys):
    """Issue 14, item 14: bad options ended in tracebacks, --k only after training."""
    import pytest

    for argv in (["--k", "0"], ["--epochs", "-1"], ["--seed", "-1"], ["--width", "nan"],
                 ["--dataset", "voc2007"]):
        with pytest.raises(SystemExit) as raised:
            demo.parse(argv)
        assert raised.value.code == 2, argv  # argparse's usage error
    with pytest.raises(SystemExit, match="--k must be at most the number of labels"):
        demo.main(["--smoke", "--k", "25", "--verbose", "1"])
    assert "Epoch 1/" not in capsys.readouterr().out  # Keras's progress: nothing trained


def test_a_dataset_missing_from_data_dir_says_how_to_prepare_it(tmp_path):
    import pytest

    args = demo.parse(["--dataset", "voc2007", "--data-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="not prepared in --data-dir"):
        demo.load_recipe_data(args)


def _stderr_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    return err[-1] if err else ""


def test_command_line_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    """Issue 20, item 8: these ended in tracebacks and left an empty --out folder."""
    import pytest

    a_file = tmp_path / "taken.txt"
    a_file.write_text("mine")
    cases = [
        (["--seed", "4294967296"], r"--seed must be from 0 to 2\*\*32 - 1"),
        (["--image-size", "16", "--crop-size", "28"], r"--crop-size \(28\) must be at most"),
        (["--crop-size", "40"], r"--crop-size \(40\).*--image-size \(32\) for --dataset"),
        (["--out", str(a_file)], "is a file"),
    ]
    for argv, message in cases:
        out = tmp_path / "never"
        # --smoke sets the image and crop sizes: those cases run without it.
        smoke = [] if "--crop-size" in argv else ["--smoke"]
        argv = [*smoke, "--verbose", "0", *(["--out", str(out)] * ("--out" not in argv)), *argv]
        with pytest.raises(SystemExit) as raised:
            cli.main(["demo", *argv])
        assert raised.value.code == 2, argv
        line = _stderr_line(capsys)
        assert line.startswith("mlrank-keras demo: error:"), line
        import re

        assert re.search(message, line), (message, line)
        assert not out.exists(), argv
    assert a_file.read_text() == "mine"


def test_an_unprepared_data_dir_writes_nothing(tmp_path):
    import pytest

    out = tmp_path / "never"
    with pytest.raises(SystemExit, match="not prepared in --data-dir") as raised:
        demo.main(["--dataset", "voc2007", "--data-dir", str(tmp_path / "tfds"), "--out",
                   str(out), "--verbose", "0"])
    assert "\n" not in str(raised.value.code)
    assert not out.exists()
