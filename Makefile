# Set-up and entry points. `make test` creates .venv when it is missing, installs
# everything, and runs the suite once per Keras backend.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BACKENDS ?= tensorflow jax torch
PYTEST_ARGS ?=
# Test processes per backend (pytest-xdist): JAX compiles on one core, so two halve its time.
JOBS ?= auto
DEMO_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 3
export TF_ENABLE_ONEDNN_OPTS ?= 0

.PHONY: install demo test test-% lint bench-losses bench-compare bench-fit bench-throughput bench-sort bench-input bench-knn bench-pipeline bench-quality bench-grid notebooks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install --no-compile torch==2.13.0
	$(PY) -m pip install --no-compile -e '.[all,tensorflow-cpu,jax,dev,hub]'
	# keras-hub without tensorflow-text (which would pull the full tensorflow wheel).
	$(PY) -m pip install --no-compile --no-deps keras-hub==0.32.0
	# The bytecode pip would write one file at a time, on every core at once (make install:
	# 52 -> 40 s here). A few files that are not Python 3.11 (torch's py312_intrinsics.py)
	# fail to compile, as they do, silently, under pip: they are never imported.
	$(PY) -m compileall -qq -j 0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" || true
	touch $@

# The demo trains, so it lets TensorFlow use its oneDNN kernels (2x faster on CPU here);
# the tests keep them off for bit-stable results.
demo: install
	KERAS_BACKEND=$${KERAS_BACKEND:-tensorflow} TF_ENABLE_ONEDNN_OPTS=1 $(PY) -m mlrank_keras.demo $(DEMO_ARGS)

test: install lint
	@set -e; for b in $(BACKENDS); do \
	  echo "=== pytest, KERAS_BACKEND=$$b ==="; \
	  KERAS_BACKEND=$$b $(PY) -m pytest -q -n $(JOBS) --dist worksteal $(PYTEST_ARGS); \
	done

test-%: install
	KERAS_BACKEND=$* $(PY) -m pytest -q -n $(JOBS) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .

bench-losses: install
	@for b in $(BACKENDS); do KERAS_BACKEND=$$b $(PY) benchmarks/losses.py; done

# Each loss of BASE (a commit) and of the working tree in one process: make bench-compare BASE=7040418
bench-compare: install
	@for b in $(BACKENDS); do for p in 8 2%; do KERAS_BACKEND=$$b $(PY) benchmarks/compare_commits.py --base $(BASE) --positives $$p; done; done

# A whole train_on_batch step with each loss against BCE (2,048 fixed features).
bench-fit: install
	@for b in $(BACKENDS); do KERAS_BACKEND=$$b $(PY) benchmarks/fit_step.py; done

# Images per second of training on Gong's backbone, each loss against BCE (CPU-sized here;
# benchmarks/gpu_check.sh runs it at 224 x 224 on a lent GPU).
bench-throughput: install
	@for b in $(BACKENDS); do KERAS_BACKEND=$$b $(PY) benchmarks/throughput.py --image-size 96 --batch 16 --steps 5; done

# The two exact sorted paths (top_k; the codes sorted alone and searched back) side by side.
bench-sort: install
	@for b in $(BACKENDS); do KERAS_BACKEND=$$b $(PY) benchmarks/sort_paths.py; done

# fit on JPEG files through the pipeline against tensors in memory.
bench-input: install
	KERAS_BACKEND=$${KERAS_BACKEND:-tensorflow} TF_ENABLE_ONEDNN_OPTS=1 $(PY) benchmarks/input_fit.py

bench-knn: install
	@for b in $(BACKENDS); do KERAS_BACKEND=$$b $(PY) benchmarks/knn.py; done

bench-pipeline: install
	$(PY) benchmarks/pipeline.py

bench-quality: install
	KERAS_BACKEND=$${KERAS_BACKEND:-tensorflow} TF_ENABLE_ONEDNN_OPTS=1 $(PY) benchmarks/quality.py --verbose 0

# Each loss's learning rate and margin on a validation split (the recipes' SETTINGS).
bench-grid: install
	KERAS_BACKEND=$${KERAS_BACKEND:-tensorflow} TF_ENABLE_ONEDNN_OPTS=1 $(PY) benchmarks/lr_grid.py

# Execute the four recipe notebooks (full runs) and commit them with their outputs.
notebooks: install
	KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=1 $(PY) scripts/make_notebooks.py --run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
