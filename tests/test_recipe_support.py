"""What the demo and the recipes share (their options, the tuned losses and schedule of
``mlrank_keras.tuned``) and the pieces of the library they use: data loading, baseline
features, the threshold search."""

import sys
import types

import keras
import numpy as np
import pytest

from mlrank_keras import demo, tuned
from mlrank_keras.baselines import thumbnail_features
from mlrank_keras.data import array_dataset, load_data, select_labels
from mlrank_keras.decisions import best_threshold


def test_thumbnail_features_are_standardised_cell_means():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    ds = array_dataset(images, np.zeros((5, 2)), normalization=None, batch_size=2)
    features = thumbnail_features(ds, size=2)
    # Reference: plain loops over the 2 x 2 cells of 4 x 4 pixels.
    expected = np.zeros((5, 12))
    for n in range(5):
        for i in range(2):
            for j in range(2):
                for c in range(3):
                    cell = images[n, 4 * i : 4 * i + 4, 4 * j : 4 * j + 4, c].astype(float)
                    expected[n, (2 * i + j) * 3 + c] = cell.mean()
    expected = (expected - expected.mean(0)) / (expected.std(0) + 1e-6)
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-4)


def test_best_threshold_maximises_overall_f1_over_a_brute_force_search():
    rng = np.random.default_rng(1)
    y = (rng.random((40, 6)) < 0.3).astype(float)
    y[0, 0] = -1  # unknown: left out
    scores = y + rng.normal(scale=0.8, size=y.shape)

    def overall_f1(t):
        known = y >= 0
        tp = ((scores > t) & (y > 0)).sum()
        return 2 * tp / (((scores > t) & known).sum() + (y > 0).sum())

    t = best_threshold(y, scores, num_candidates=1000)
    grid = np.quantile(scores[y >= 0], np.linspace(0, 1, 1002)[1:-1])
    assert overall_f1(t) == pytest.approx(max(overall_f1(g) for g in grid))


def test_select_labels_keeps_the_chosen_columns_in_order():
    y = np.arange(12, dtype="float32").reshape(4, 3) % 2
    ds = array_dataset(np.zeros((4, 4, 4, 3), np.uint8), y, batch_size=4)
    ((_, kept),) = select_labels(ds, [2, 0]).as_numpy_iterator()
    np.testing.assert_array_equal(kept, y[:, [2, 0]])
    with pytest.raises(ValueError, match="indices"):
        select_labels(ds, [3])
    with pytest.raises(ValueError, match="indices"):
        select_labels(ds, [])


def test_load_data_gives_glyphtags_in_order_and_rejects_unknown_datasets():
    data = load_data(train_images=32, test_images=16, image_size=32, crop_size=28)
    assert data.num_labels == 20 and data.y_train.shape == (32, 20)
    labels = np.concatenate([y for _, y in data.test.as_numpy_iterator()])
    np.testing.assert_array_equal(labels, data.y_test)
    images, _ = next(data.train.as_numpy_iterator())
    assert images.shape[1:] == (28, 28, 3)
    with pytest.raises(ValueError, match="dataset='imagenet'"):
        load_data("imagenet")


def test_recipe_options_come_from_the_environment_in_a_notebook(monkeypatch):
    parser = demo.recipe_parser("demo")
    monkeypatch.setenv(demo.ARGS_ENV, "--smoke --epochs 3 --out 'a b'")
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    args = demo.parse_recipe_args(parser)
    assert (args.smoke, args.epochs, args.out, args.crop_size) == (True, 1, "a b", 28)
    for bad in (["--epochs", "0"], ["--seed", "-1"], ["--width", "nan"], ["--dataset", "voc2007"]):
        with pytest.raises(SystemExit):  # an argparse message, not a traceback
            demo.parse_recipe_args(parser, bad)


def test_recipes_refuse_to_run_as_one_process_of_a_job(monkeypatch, capsys):
    parser = demo.recipe_parser("gong2014")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "127.0.0.1:1234")
    with pytest.raises(SystemExit):
        demo.parse_recipe_args(parser, ["--smoke"])
    assert "KERAS_DISTRIBUTION_NUM_PROCESSES=2 is set" in capsys.readouterr().err
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "0")
    assert demo.parse_recipe_args(parser, ["--smoke"]).smoke  # a job of one is one process


def test_tuned_loss_names_the_allowed_keys():
    with pytest.raises(ValueError, match="'hinge'"):
        tuned.tuned_loss("hinge")
    loss, rate = tuned.tuned_loss("bpmll")
    assert loss.name == "bpmll_loss" and rate == 1e-2


def test_tuned_losses_take_the_tuned_settings_unless_overridden():
    loss, rate = tuned.tuned_loss("warp")
    assert (loss.get_config()["margin"], rate) == (0.5, 1e-2)  # BENCHMARKS.md's grid
    loss, rate = tuned.tuned_loss("warp", 0.1, margin=0.25, rank_estimate="sampled")
    config = loss.get_config()
    assert (config["margin"], config["rank_estimate"], rate) == (0.25, "sampled", 0.1)
    with pytest.raises(TypeError, match="margin"):  # softmax has no margin to override
        tuned.tuned_loss("softmax", margin=1.0)


def test_recipe_schedule_warms_up_then_follows_a_cosine_to_zero():
    schedule = tuned.warmup_cosine_adam(0.01, steps_per_epoch=4, epochs=5)._learning_rate
    # Hand-worked: 4 warm-up steps from 0, then 0.01 * (1 + cos(pi * t / 16)) / 2.
    expected = [0.01 * s / 4 for s in range(4)]
    expected += [0.005 * (1 + np.cos(np.pi * t / 16)) for t in range(17)]
    got = [float(schedule(s)) for s in range(21)]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9)
    one_epoch = tuned.warmup_cosine_adam(0.01, steps_per_epoch=4, epochs=1)._learning_rate
    assert float(one_epoch(0)) == pytest.approx(0.01)  # no warm-up in a single epoch
    constant = tuned.warmup_cosine_adam(0.01, steps_per_epoch=4, epochs=5, schedule="constant")
    assert float(keras.ops.convert_to_numpy(constant.learning_rate)) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="schedule='step'"):
        tuned.warmup_cosine_adam(0.01, steps_per_epoch=4, epochs=5, schedule="step")


def test_validation_images_are_the_end_of_the_training_split():
    full = load_data(train_images=40, test_images=8, image_size=32, crop_size=28)
    tuning = load_data(
        train_images=40, test_images=8, image_size=32, crop_size=28, validation_images=10
    )
    np.testing.assert_array_equal(tuning.y_train, full.y_train[:30])
    np.testing.assert_array_equal(tuning.y_test, full.y_train[30:])
    validation = np.concatenate([x for x, _ in tuning.test.as_numpy_iterator()])
    training = np.concatenate([x for x, _ in full.train_eval.as_numpy_iterator()])
    np.testing.assert_array_equal(validation, training[30:])
    for bad in (40, -1):
        with pytest.raises(ValueError, match=f"validation_images={bad}"):
            load_data(train_images=40, image_size=32, crop_size=28, validation_images=bad)
    with pytest.raises(ValueError, match="validation_images"):
        load_data("voc2007", data_dir="x", validation_images=10)


def test_every_access_to_data_train_starts_the_same_stream():
    data = load_data(train_images=24, test_images=8, image_size=32, crop_size=28)

    def two_epochs(ds):
        return [np.concatenate([x for x, _ in ds.as_numpy_iterator()]) for _ in range(2)]

    first, second = two_epochs(data.train), two_epochs(data.train)
    assert not np.array_equal(first[0], first[1])  # a new shuffle and new crops each epoch
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
