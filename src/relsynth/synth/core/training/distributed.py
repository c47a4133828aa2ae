"""DistributedDataParallel training: one process per device (nccl on CUDA, gloo on CPU).

Each process runs the same loop on its share of every batch (`DdpStrategy.shard`); DDP averages
the gradients, so all replicas stay equal. Two ways in:
- `train(..., world_size=N)` spawns N workers itself; rank 0 runs the hooks and hands its weights
  and result back through a safetensors file and a JSON file (nothing is unpickled);
- a script started by the standard launcher (`torchrun --nproc-per-node=N script.py`, any
  number of nodes) calls `train(...)` in every process as usual: each joins the launcher's
  process group (or one the script initialised), and every process ends with the same weights.
"""

from __future__ import annotations

import gc
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
    cuda = torch.cuda.is_available()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world_size)
    torch.set_num_threads(1)
    try:
        result = _ddp_run(trainer, run, rank, world_size, device=rank)
        if rank == 0:
            model = trainer.model
            save_model(model.cpu() if cuda else model, str(Path(out) / "model.safetensors"))
            (Path(out) / "result.json").write_text(json.dumps(asdict(result)))
        dist.barrier()  # no process tears the group down while another still talks to it
    finally:
        dist.destroy_process_group()


def launched_by_torchrun() -> bool:
    """True in a process started by `torchrun` (or any launcher setting RANK and WORLD_SIZE > 1),
    or when the script already initialised a process group of more than one process."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size() > 1
    return "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1


def train_launched(trainer, run: dict) -> TrainResult:
    """This process's part of a run started by `torchrun`: join (or reuse) the process group
    (env:// rendezvous from the launcher's MASTER_ADDR/PORT), train, and leave every process
    with the same trained weights."""
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        local = int(os.environ.get("LOCAL_RANK", dist.get_rank()))
        result = _ddp_run(trainer, run, dist.get_rank(), dist.get_world_size(), device=local)
        if created:
            dist.barrier()
    finally:
        if created:
            dist.destroy_process_group()
    trainer.model.eval()
    return result


def _ddp_run(trainer, run: dict, rank: int, world_size: int, device: int) -> TrainResult:
    """The loop on this process's shard of every batch, the model wrapped in DDP (on CUDA device
    `device` when there is one)."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    cuda = torch.cuda.is_available()
    model = trainer.model
    if cuda:
        torch.cuda.set_device(device)
        model.cuda(device)
    work = DDP(model, device_ids=[device] if cuda else None)
    try:
        return trainer._run(work=work, strategy=DdpStrategy(rank, world_size), **run)
    finally:
        # The DDP wrapper's reducer holds the process group: free it now, not at interpreter exit,
        # where gloo's threads die unjoined and abort the process (SIGABRT, 1 run in ~10).
        trainer._work = model
        del work
        gc.collect()
