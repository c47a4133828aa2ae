#!/usr/bin/env bash
# The GPU path on a CUDA machine, in a few minutes: the device, the CUDA tests, a throughput figure.
#
#   bash benchmarks/gpu_check.sh            # from the repository root, the venv installed (.venv)
#   PYTHON=python bash benchmarks/gpu_check.sh   # another interpreter
#
# Steps (each under its own timeout): 1. nvidia-smi and the torch / CUDA / cuDNN versions;
# 2. `pytest -m cuda` (training fp32 and bf16, memory= from CUDA's allocator statistics, resume,
# generation of both models on the device); 3. benchmarks/throughput.py on Chinook (small and
# medium models, 200 steps, generation of 1x the training roots) on the GPU in fp32 and in bf16.
# Exit status: 0 when every step passed; 2 when there is no CUDA device (the CUDA tests are
# collected and skipped, to show they skip cleanly, and nothing is measured); otherwise the
# failing step's status (124: it ran past its timeout).
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export KEDRO_DISABLE_TELEMETRY=true DO_NOT_TRACK=true OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

step() { printf '\n== %s\n' "$*"; }

step "device"
if command -v nvidia-smi >/dev/null; then
  timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,utilization.gpu --format=csv
else
  echo "nvidia-smi: not found"
fi
timeout 60 "$PY" - <<'EOF'
import torch
print(f"torch {torch.__version__}, built for CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
if torch.cuda.is_available():
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        print(f"cuda:{i} {p.name}, {p.total_memory / 2**30:.0f} GiB, capability {p.major}.{p.minor}, "
              f"bf16 {torch.cuda.is_bf16_supported()}")
else:
    print("torch sees no CUDA device")
EOF
has_cuda=$(timeout 60 "$PY" -c 'import torch; print(int(torch.cuda.is_available()))')

step "CUDA tests (pytest -m cuda)"
timeout 300 "$PY" -m pytest tests/synth -m cuda -q -rs -p no:cacheprovider

if [[ "$has_cuda" != 1 ]]; then
  step "no CUDA device: the CUDA tests skipped and nothing was measured; run this on a machine with a GPU"
  exit 2
fi

for precision in fp32 bf16; do
  step "throughput on cuda, $precision (Chinook, 200 steps, batch 16)"
  timeout 240 "$PY" benchmarks/throughput.py --data chinook --sizes small medium --threads 1 --steps 200 \
    --gen-factors 1 --device cuda --precision "$precision"
done
step "GPU check passed"
