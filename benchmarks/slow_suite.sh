#!/usr/bin/env bash
# Issue 24, item 4, emulated: the suite on a machine RATIO times slower than this one. A fresh
# clone's `CI=true bash .ci/run` (as CI runs it, with a new JAX cache folder) under a CPU
# quota of (cores / RATIO) cores, through the kernel's CFS bandwidth control (cgroup v1 `cpu`
# or cgroup v2 `cpu.max`; needs root and a writable cgroup file system).
#
#   bash benchmarks/slow_suite.sh [RATIO]      # RATIO defaults to 1.66
#
# What it is and is not: a quota slows the work that keeps every core busy (the two test
# processes a backend, the compiles) by RATIO, but a phase on one thread alone runs at full
# speed while the quota allows more than one core (pip, ruff, a test process's last test), so
# the figure is a little optimistic for those. It is no stand-in for the slower machine
# itself: that one differs in its instruction set and caches, not only in its speed.
set -euo pipefail
RATIO=${1:-1.66}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CORES=$(nproc)
PERIOD=100000
QUOTA=$(python3 - "$RATIO" "$CORES" "$PERIOD" <<'EOF'
import sys
ratio, cores, period = sys.argv[1:]
try:
    assert float(ratio) >= 1
except (ValueError, AssertionError):
    sys.exit(f"slow_suite.sh: RATIO must be a number of at least 1 (times slower), got {ratio!r}")
print(int(int(cores) * int(period) / float(ratio)))
EOF
)
if [ -d /sys/fs/cgroup/cpu ] && [ -w /sys/fs/cgroup/cpu ]; then
  GROUP=/sys/fs/cgroup/cpu/mlrank_keras_slow_$$
  mkdir "$GROUP"
  echo "$PERIOD" > "$GROUP/cpu.cfs_period_us"
  echo "$QUOTA" > "$GROUP/cpu.cfs_quota_us"
elif [ -w /sys/fs/cgroup/cgroup.subtree_control ]; then
  GROUP=/sys/fs/cgroup/mlrank_keras_slow_$$
  echo +cpu > /sys/fs/cgroup/cgroup.subtree_control  # the cpu controller for the new group
  mkdir "$GROUP"
  echo "$QUOTA $PERIOD" > "$GROUP/cpu.max"
else
  echo "slow_suite.sh: no writable cgroup cpu controller (run as root)" >&2
  exit 2
fi
trap 'rmdir "$GROUP" 2>/dev/null || true' EXIT
WORK=$(mktemp -d /tmp/mlrank_keras_slow_suite.XXXXXX)
git clone -q "$REPO" "$WORK/clone"
echo "$(git -C "$WORK/clone" log --oneline -1); $CORES cores at a quota of $QUOTA/$PERIOD" \
  "(RATIO $RATIO); $(grep -c avx512f /proc/cpuinfo || true) cores with AVX-512"
LOG=${LOG:-$WORK.log}
# The subshell moves itself into the group; everything it starts stays there. Each line of
# the run's output goes to LOG with the seconds since the start.
(
  echo "$BASHPID" > "$GROUP/cgroup.procs"
  cd "$WORK/clone"
  start=$(date +%s)
  set +e
  JAX_COMPILATION_CACHE_DIR="$WORK/jax_cache" CI=true bash .ci/run 2>&1 \
    | while IFS= read -r line; do printf '%5d s  %s\n' $(( $(date +%s) - start )) "$line"; done \
    > "$LOG"
  code=${PIPESTATUS[0]}
  echo "CI=true bash .ci/run: exit $code after $(( $(date +%s) - start )) s under the quota" \
    | tee -a "$LOG"
  exit "$code"
) || code=$?
grep -E "All checks passed|^ *[0-9]+ s  (=== pytest|[0-9]+ passed)" "$LOG" || true
echo "the whole output: $LOG"
rm -rf "$WORK"
exit "${code:-0}"
