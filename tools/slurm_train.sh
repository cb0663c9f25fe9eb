#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] bash tools/slurm_train.sh PARTITION \
#            JOB_NAME CONFIG WORK_DIR [train.py args]
#
# Starts GPUS tasks, GPUS_PER_NODE per node, one per GPU. On CPU-only
# nodes set GPUS_PER_NODE=0 and TASKS_PER_NODE=N: no GPU is requested and
# the tasks train on the CPU with gloo (ifkd.compat.dist_cpu).
# CPUS_PER_TASK (default 5), SRUN_ARGS (extra srun flags) and PYTHON
# (default: python) are read from the environment too.
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS_PER_NODE}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
GRES=()
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES=(--gres=gpu:"${GPUS_PER_NODE}")
fi

# shellcheck disable=SC2086  # SRUN_ARGS holds several flags
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    "${GRES[@]}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${TASKS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$(dirname "$0")/train.py" "${CONFIG}" \
    --work-dir="${WORK_DIR}" --launcher="slurm" "${@:5}"
