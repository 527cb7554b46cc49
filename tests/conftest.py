import getpass
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# JAX compiles every new model's step anew, and the tests build the same tiny models many
# times: a persistent compilation cache (shared by the test processes and the
# subprocesses they start) cuts the JAX run by about a quarter. Keyed by the program and
# the JAX version, so a stale entry is never used.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR",
    os.path.join(tempfile.gettempdir(), f"mlrank_keras_jax_cache_{getpass.getuser()}"),
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
# The tests' programs are tiny: XLA's CPU optimisation passes cost more than they save
# (the JAX run takes a fifth less without them), and so do its newer fusion emitters (with
# the passes off, a tiny eager op compiles in half the time with the older ones: the JAX run
# went from 5:14-5:24 to 4:02, 2026-12-06). Most of the JAX run is compiling: about 2,400
# tiny programs in tests/losses/test_base.py alone. Users' programs are compiled as usual;
# TensorFlow does not use XLA on a CPU-only machine.
os.environ.setdefault(
    "XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
    " --xla_cpu_use_fusion_emitters=false"
)

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Each test starts from float32 and a fresh Keras session."""
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")
    # No full garbage collection after each test (Keras's default, free_memory=True): it
    # cost 0.2-0.4 s a test, a third of the suite's time, and the interpreter's own
    # collector frees the same cycles as they build up.
    keras.backend.clear_session(free_memory=False)


# Checks of backend-free code (the tf.data pipeline, file formats, figures, the recipes'
# option parsing, the package's layout) run once, on PyTorch, the fastest of the three
# runs; the tests in them that hand data to a Keras model run on every backend.
BACKEND_FREE = {
    "tests/data/test_pipeline.py",
    "tests/data/test_cache.py",
    "tests/data/test_tfds.py",
    "tests/data/test_shards.py",
    "tests/data/test_glyphtags.py",
    "tests/test_embeddings.py",
    "tests/test_plots.py",
    "tests/test_recipe_support.py",
    "tests/test_package.py",
}
MODEL_FACING = (
    "test_fit_runs_to_the_end_over_a_corrupt_jpeg",
    "test_predict_five_crops_averages_the_five",
    "test_a_tiny_model_trains_on_glyphtags",
    "test_docstring_examples_run",
    "test_backend_neutral_code_does_not_import_tensorflow",
)
BACKEND_FREE_HOST = "torch"


# The slowest tests (subprocesses, several models) first, so that no process is left
# running one of them alone at the end while the others are idle.
SLOW_FIRST = (
    "tests/training/test_multiprocess.py",
    "tests/training/test_training.py::test_a_killed_training_resumes",
    "tests/models/test_portability.py",
    "tests/models/test_decision.py::test_count_and_threshold_heads_compose",
    "tests/models/test_builders.py::test_keras_round_trip_gives_identical_predictions[lsep",
    "tests/models/test_builders.py::test_trains_and_the_loss_falls[lsep",
    "tests/core/",
    "tests/training/test_training.py::test_two_devices",
    "tests/metrics/test_distributed.py",
    "tests/test_recipes.py",
    "tests/test_demo.py",
    "tests/models/test_saved_files.py::test_an_old_file_trains_on",
    "tests/test_tagger.py::test_a_killed_train_resumes",
)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))  # stable
    if keras.backend.backend() == BACKEND_FREE_HOST:
        return
    skip = pytest.mark.skip(reason=f"backend-free code: runs on {BACKEND_FREE_HOST} only")
    for item in items:
        path = item.nodeid.split("::")[0]
        if path in BACKEND_FREE and not item.name.startswith(MODEL_FACING):
            item.add_marker(skip)
