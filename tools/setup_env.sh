#!/usr/bin/env bash
# One-command environment for ifkd: creates .venv (Python 3.11) with the pinned
# OpenMMLab stack. Safe to re-run: every step is skipped when already satisfied.
#
#   bash tools/setup_env.sh                # mmcv-lite: nothing is compiled
#   IFKD_MMCV=full bash tools/setup_env.sh # mmcv with its compiled ops
#
# mmcv 2.1.0 ships no wheel for torch 2.14. By default mmcv-lite (the same
# Python package without compiled ops) is installed and `import ifkd` backs
# the kernels ifkd uses with torchvision. IFKD_MMCV=full compiles the ops
# once from the sdist and caches the wheel under $IFKD_WHEEL_CACHE, keyed by
# mmcv, torch, python and CPU/CUDA flavour.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${IFKD_PYTHON:-python3.11}
VENV=$ROOT/.venv
CACHE=${IFKD_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ifkd/wheels}
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
MMCV_KIND=${IFKD_MMCV:-lite}
if [[ $MMCV_KIND != lite && $MMCV_KIND != full ]]; then
  echo "IFKD_MMCV must be 'lite' (default) or 'full', not '$MMCV_KIND'" >&2; exit 2
fi

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pip_q() { "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
  | grep -v "^WARNING: Location" || true; }
have() { "$VENV/bin/python" - "$@" <<'PY'
import sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, _, want = spec.partition('==')
    try:
        got = metadata.version(name)
    except metadata.PackageNotFoundError:
        sys.exit(1)
    if want and got.split('+')[0] != want:
        sys.exit(1)
PY
}

start=$(date +%s)
if [[ ! -x $VENV/bin/python ]]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi

if ! have torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION; then
  log "installing torch $TORCH_VERSION / torchvision $TORCHVISION_VERSION"
  pip_q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi
# Every later install is constrained to these, so nothing can swap torch for
# another release under the compiled mmcv ops.
PINS=$(mktemp)
printf 'torch==%s\ntorchvision==%s\n' "$TORCH_VERSION" "$TORCHVISION_VERSION" > "$PINS"

if [[ $MMCV_KIND == lite ]]; then
  # mmcv's Python package without compiled ops; `import ifkd` provides the
  # kernels ifkd's models use (ifkd/compat/mmcv_ext.py).
  if ! have mmcv-lite==$MMCV_VERSION; then
    if have mmcv; then
      log "replacing the compiled mmcv by mmcv-lite $MMCV_VERSION (IFKD_MMCV=full keeps it)"
      "$VENV/bin/python" -m pip uninstall -q -y mmcv
    fi
    log "installing mmcv-lite $MMCV_VERSION (no compile)"
    pip_q -c "$PINS" "mmcv-lite==$MMCV_VERSION"
  fi
elif ! have mmcv==$MMCV_VERSION || ! "$VENV/bin/python" -c "import mmcv._ext" 2>/dev/null; then
  if have mmcv-lite; then
    "$VENV/bin/python" -m pip uninstall -q -y mmcv-lite
  fi
  if command -v nvcc >/dev/null && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    flavour=cu$("$VENV/bin/python" -c "import torch; print(torch.version.cuda.replace('.', ''))"); force_cuda=1
  else
    flavour=cpu; force_cuda=0
  fi
  key=mmcv-${MMCV_VERSION}_torch-${TORCH_VERSION}_py$("$VENV/bin/python" -c "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')")_${flavour}
  wheel_dir=$CACHE/$key
  if ! ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
    log "building mmcv $MMCV_VERSION ops ($flavour); 15-25 min on 2 cores, cached in $wheel_dir"
    build=$(mktemp -d)
    # mmcv's setup.py imports pkg_resources (gone from setuptools >= 70), but
    # torch 2.14 needs setuptools >= 77: build in a throwaway venv.
    "$PYTHON" -m venv "$build/venv"
    "$build/venv/bin/python" -m pip install -q --disable-pip-version-check \
      "setuptools<70" wheel ninja 2>&1 | grep -v "^WARNING: Location" || true
    echo "$VENV/lib/python3.11/site-packages" > \
      "$("$build/venv/bin/python" -c 'import site; print(site.getsitepackages()[0])')/ifkd-build.pth"
    "$build/venv/bin/python" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
      "mmcv==$MMCV_VERSION" -d "$build" 2>&1 | grep -v "^WARNING: Location" || true
    tar -xzf "$build/mmcv-$MMCV_VERSION.tar.gz" -C "$build"
    # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes c++14/17.
    sed -i -E "s/(-std=c\+\+)1[47]/\120/g" "$build/mmcv-$MMCV_VERSION/setup.py"
    mkdir -p "$wheel_dir.tmp"
    (cd "$build/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 FORCE_CUDA=$force_cuda \
      MAX_JOBS=${MAX_JOBS:-$(nproc)} "$build/venv/bin/python" -m pip wheel -q --no-deps \
      --no-build-isolation . -w "$wheel_dir.tmp")
    rm -rf "$wheel_dir" && mv "$wheel_dir.tmp" "$wheel_dir" && rm -rf "$build"
  fi
  log "installing cached $(basename "$wheel_dir"/mmcv-*.whl)"
  pip_q --no-deps --force-reinstall "$wheel_dir"/mmcv-*.whl
  # the wheel's own requirements (opencv, yapf, ...), pinned torch untouched
  pip_q -c "$PINS" "mmcv==$MMCV_VERSION"
fi

log "installing the OpenMMLab stack and ifkd"
pip_q -c "$PINS" -r "$ROOT/requirements/mminstall.txt" \
  -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" "setuptools>=77"
have ifkd || pip_q -c "$PINS" --no-deps -e "$ROOT"
"$VENV/bin/python" -c "import ifkd, mmcv.ops; from ifkd.compat.mmcv_ext import compiled_ext_available as c; print('ifkd', ifkd.__version__, 'ready with', 'compiled mmcv ops' if c() else 'mmcv-lite')"
log "done in $(( $(date +%s) - start )) s"
