#!/usr/bin/env bash
# Issue 24, item 5: the GPU figures, as one short run on a lent GPU machine (the device
# tool's `run`, 10 minutes a command). That machine's python3 has JAX (CUDA) and PyTorch
# but no Keras and no TensorFlow, and nothing can be fetched there: Keras and its two
# missing requirements travel as wheels. TensorFlow's GPU wheel is far over the 64 MiB a
# call may carry, so the TensorFlow rows stay CPU-only.
#
# Here, once (the wheels for the machine's Python 3.12):
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#     --platform manylinux2014_x86_64 -d .whl keras==3.15.1 optree namex
# Then the device tool's run, with carry [".whl"] and a timeout of 600 s:
#   bash benchmarks/gpu_check.sh
# Each section has its own time limit (at most 9 minutes in all), so that one slow section
# leaves the others their time; everything printed is also written to $OUT/gpu_check.txt (it comes back).
set -u
cd "$(dirname "$0")/.."
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
LOG="${OUT:-/tmp}/gpu_check.txt"
section() { echo "=== $* ===" | tee -a "$LOG"; }
run() { local limit=$1; shift; timeout "$limit" "$@" 2>&1 | grep -v Warning | tee -a "$LOG"; }

section "machine"
run 30 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
run 60 python3 -c "import jax, torch; print(jax.devices(), torch.cuda.get_device_name())"
for backend in jax torch; do
  export KERAS_BACKEND=$backend
  section "$backend: losses, 8 positives and about 2 %"
  run 60 python3 benchmarks/losses.py --sizes 10000 100000 --positives 8
  run 50 python3 benchmarks/losses.py --sizes 10000 100000
  section "$backend: the fit step"
  run 80 python3 benchmarks/fit_step.py --sizes 10000 100000 --positives 8 2% --repeats 10
  section "$backend: images per second on Gong's backbone"
  run 45 python3 benchmarks/throughput.py --image-size 224 --batch 128 --steps 20
done
