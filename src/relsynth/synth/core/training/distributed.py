"""DistributedDataParallel training: one process per device (nccl on CUDA, gloo on CPU).

Each process runs the same loop on its share of every batch (`DdpStrategy.shard`); DDP averages
the gradients, so all replicas stay equal. Rank 0 runs the hooks and hands its weights and
result back through a safetensors file and a JSON file (nothing is unpickled).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_model, save_model

from relsynth.synth.core.training.config import TrainResult
from relsynth.synth.core.training.strategy import Strategy


class DdpStrategy(Strategy):
    """The plain step, each process computing its slice of every batch."""

    def __init__(self, rank: int, world_size: int):
        self.rank, self.world_size = rank, world_size

    def shard(self, idx: np.ndarray) -> np.ndarray:
        return idx[self.rank :: self.world_size]


def available_devices() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else (os.cpu_count() or 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_distributed(trainer, run: dict) -> TrainResult:
    """Run `trainer._run(**run)` in `world_size` processes; the model gets rank 0's weights."""
    world_size = run["config"].world_size
    n = available_devices()
    kind = "CUDA devices" if torch.cuda.is_available() else "CPU cores"
    if world_size > n:
        raise ValueError(f"world_size={world_size} but only {n} {kind} are available")
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        mp.start_processes(
            _worker, args=(world_size, port, trainer, run, str(out)), nprocs=world_size, start_method="spawn", join=True
        )
        load_model(trainer.model, str(out / "model.safetensors"))  # tied weights handled by safetensors
        result = TrainResult(**json.loads((out / "result.json").read_text()))
    trainer.model.eval()
    return result


def _worker(rank: int, world_size: int, port: int, trainer, run: dict, out: str) -> None:
    from torch.nn.parallel import DistributedDataParallel as DDP

    cuda = torch.cuda.is_available()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world_size)
    torch.set_num_threads(1)
    try:
        model = trainer.model
        if cuda:
            torch.cuda.set_device(rank)
            model = model.cuda(rank)
        work = DDP(model, device_ids=[rank] if cuda else None)
        result = trainer._run(work=work, strategy=DdpStrategy(rank, world_size), **run)
        if rank == 0:
            save_model(model.cpu() if cuda else model, str(Path(out) / "model.safetensors"))
            (Path(out) / "result.json").write_text(json.dumps(asdict(result)))
    finally:
        dist.destroy_process_group()
