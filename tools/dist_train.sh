#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NPROC_PER_NODE [train.py args]
#
# One node:   bash tools/dist_train.sh CONFIG 8
# Two nodes:  NNODES=2 NODE_RANK=0 MASTER_ADDR=<node 0 address> \
#                 bash tools/dist_train.sh CONFIG 8     (and NODE_RANK=1 on
#             the other node)
# Without CUDA the processes train on the CPU with the gloo backend
# (ifkd.compat.dist_cpu); nothing else needs to change.
# PYTHON selects the interpreter (default: python on PATH).
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
