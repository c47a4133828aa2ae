"""DistributedDataParallel training: one process per device (nccl on CUDA, gloo on CPU).

Each process runs the same loop on its share of every batch; DDP averages the gradients, so
all replicas stay equal. Rank 0 runs the hooks and hands its weights and history back.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def available_devices() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else (os.cpu_count() or 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_distributed(trainer, world_size: int, kwargs: dict):
    n = available_devices()
    kind = "CUDA devices" if torch.cuda.is_available() else "CPU cores"
    if world_size > n:
        raise ValueError(f"world_size={world_size} but only {n} {kind} are available")
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rank0.pt"
        mp.start_processes(
            _worker,
            args=(world_size, port, trainer, kwargs, str(out)),
            nprocs=world_size,
            start_method="spawn",
            join=True,
        )
        state = torch.load(out, weights_only=False)
    trainer.model.load_state_dict(state["model"])
    trainer.model.eval()
    return state["result"]


def _worker(rank: int, world_size: int, port: int, trainer, kwargs: dict, out: str) -> None:
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
        trainer.rank, trainer.world_size = rank, world_size
        trainer.model = DDP(model, device_ids=[rank] if cuda else None)
        k = kwargs
        result = trainer._train(
            k["dataset"],
            k["n_epochs"],
            k["n_steps"],
            k["batch_size"],
            k["memory"],
            k["lr"],
            k["valid"],
            k["hooks"],
            k["accumulate_grad"],
            k["resume"],
            k["seed"],
        )
        if rank == 0:
            torch.save(
                {"model": {k2: v.cpu() for k2, v in trainer.model.module.state_dict().items()}, "result": result}, out
            )
    finally:
        dist.destroy_process_group()
