"""The arithmetic a training step runs in: float32, or bfloat16 autocast (`train(precision=...)`).

"fp32" (the default) computes everything in float32. "bf16" runs the forward pass under
`torch.autocast(dtype=torch.bfloat16)`: matrix products and attention in bfloat16, losses,
softmax and the weights (and so the optimizer) in float32; no gradient scaler is needed, bf16 has
float32's range. "auto" is "bf16" on a CUDA device that supports it and "fp32" elsewhere: on the
CPU measured (AMD EPYC, AVX2, no bf16 instructions) autocast made a step 3-10x slower (see
benchmarks/README.md, `gpu_check.sh`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

PRECISIONS = ("fp32", "bf16", "auto")


@dataclass(frozen=True)
class Precision:
    """How the forward pass of a step runs on `device_type`; `autocast()` is the context to run it in."""

    name: str = "fp32"  # "fp32" or "bf16": what was resolved
    device_type: str = "cpu"

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.name == "bf16":
            return torch.autocast(self.device_type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


FP32 = Precision()


def check_precision(name: object) -> None:
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {name!r}")


def resolve_precision(name: str, device: torch.device | str) -> Precision:
    """The precision a run asked for (`PRECISIONS`) on the device its model lives on."""
    check_precision(name)
    device = torch.device(device)
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if name == "auto":
        name = "bf16" if cuda_bf16 else "fp32"
    if name == "bf16" and device.type == "cuda" and not cuda_bf16:
        raise ValueError(
            f"precision='bf16' but the CUDA device {torch.cuda.get_device_name(device)} has no bfloat16 support: "
            "use precision='fp32' (or 'auto', which chooses it there)"
        )
    if name == "bf16" and device.type not in ("cuda", "cpu"):
        raise ValueError(f"precision='bf16' runs on CUDA or CPU, not on {device.type}: use precision='fp32'")
    return Precision(name, device.type)
