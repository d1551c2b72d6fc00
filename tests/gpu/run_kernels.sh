#!/usr/bin/env bash
# Builds and runs the kernel timings (tests/gpu/kernels.cu, tests/gpu/attn_torch.py)
# on a machine with an NVIDIA GPU, writing DIR/kernels-GPU.csv (the kernel
# table's schema, docs/validation-kernels.md) and DIR/env-GPU.txt (the GPU, driver,
# library versions and clocks). Needs nvcc, cuBLASLt and PyTorch; never run by
# the tests. Usage: tests/gpu/run_kernels.sh GPU DIR [SOURCE] [--quick]
# (GPU: the catalogue's name, h100-sxm or h200).
set -euo pipefail
gpu=$1 dir=$2 source=${3:-"measured by tests/gpu/run_kernels.sh"} quick=${4:-}
mkdir -p "$dir"
env_file=$dir/env-$gpu.txt csv=$dir/kernels-$gpu.csv
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit --format=csv
  nvcc --version | tail -2
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
} >"$env_file" 2>&1 || true
bin=$(mktemp -d)/kernels
nvcc -O3 -std=c++17 -gencode=arch=compute_90,code=sm_90 "$(dirname "$0")/kernels.cu" -lcublasLt -o "$bin"
KERNELS_SOURCE=$source KERNELS_GPU=$gpu timeout 300 "$bin" $quick >"$csv" 2>>"$env_file" || echo "kernels: exit $?" >>"$env_file"
last=$(tail -1 "$csv" | cut -d, -f1 | tr -dc 0-9)
timeout 200 python3 "$(dirname "$0")/attn_torch.py" --first-id $((10#${last:-0} + 1)) --source "$source" --gpu "$gpu" $quick >>"$csv" 2>>"$env_file" || echo "attn_torch: exit $?" >>"$env_file"
nvidia-smi --query-gpu=clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv >>"$env_file" 2>&1 || true
wc -l "$csv"
# PyTorch's decode attention, a reference for the kernel written here (a file apart).
timeout 120 python3 "$(dirname "$0")/attn_torch.py" --decode --first-id 1 --source "$source" --gpu "$gpu" $quick \
  >"$dir/sdpa-decode-$gpu.csv" 2>>"$env_file" || echo "attn_torch --decode: exit $?" >>"$env_file"
# Whole Llama-3.1-8B iterations, CUDA graph and eager (tests/data/published/steps.csv).
timeout 240 python3 "$(dirname "$0")/step_torch.py" --source "$source" --gpu "$gpu" $quick \
  >"$dir/steps-$gpu.csv" 2>>"$env_file" || echo "step_torch: exit $?" >>"$env_file"
