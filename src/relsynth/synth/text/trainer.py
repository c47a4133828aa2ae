"""TextTrainer: the shared training loop, without differential privacy, with the text model's defaults."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from relsynth.relational.progress import progress as progress_display
from relsynth.synth.core.training import AutoEpochs, Trainer, TrainResult
from relsynth.synth.core.workers import WorkerHung, can_fork, can_spawn, run_forked, run_spawned

log = logging.getLogger(__name__)
DEFAULT_LR = 3e-3  # tuned on Chinook's names and titles (the range test chose rates that never end a text)
MIN_STEPS = 300  # a small table's epochs are few steps: 8 epochs of 250 artist names are 64, too few to end texts
# n_epochs="auto": the 8 epochs tuned on Chinook's 2,732 track names (benchmarks/text.py) up to 5,500 texts, then
# 44,000 texts' worth, down to one pass (at least MIN_STEPS steps, as any run given in epochs). TPC-H sf 0.01's
# 13,500 order comments: 3.3 epochs, 56 s against 161 s for 8, length KS 0.91 against 0.95 (22,000 texts' worth:
# 0.90 and 7 texts cut, not 4)
TEXT_AUTO_EPOCHS = AutoEpochs(samples=44_000, min_epochs=1.0, max_epochs=8.0)


class TextTrainer(Trainer):
    """`TextTrainer(text_model).train(dataset, n_epochs=..., batch_size=...)`; the loop of `Trainer`,
    with `lr=3e-3` by default (`lr=None` runs the range test) and at least `min_steps` steps.
    `n_epochs="auto"` (`TEXT_AUTO_EPOCHS`) is 8 epochs up to 5,500 texts, then as many as 44,000
    texts make, down to one pass."""

    supports_dp = False
    auto_epochs = TEXT_AUTO_EPOCHS
    model_class = "TextModel"

    def train(
        self, dataset, *, lr: float | None = DEFAULT_LR, min_steps: int = MIN_STEPS, **kwargs: Any
    ) -> TrainResult:
        """`Trainer.train` with the text model's default learning rate; see there for the options.

        `n_epochs` (a number, or "auto") that come to fewer than `min_steps` optimizer steps (a
        small table) train for `min_steps` steps instead (0: exactly the epochs asked)."""
        _check_min_steps(min_steps)
        self.min_steps = min_steps
        _check_windows_fit(dataset, self.model.max_block_size)
        return super().train(dataset, lr=lr, **kwargs)

    @classmethod
    def check_options(cls, options) -> None:
        super().check_options(options)
        _check_min_steps(options.get("min_steps", MIN_STEPS))

    @staticmethod
    def no_dp_message(what: str) -> str:
        return (
            "text models are trained without differential privacy: free text can hold identifying details that "
            f"DP-SGD on a language model does not protect well here; train the TextModel without {what}, or leave "
            "the text columns out of a DP release"
        )


def train_text_models(runs: Sequence[tuple[Any, Any, dict[str, Any]]], workers: int = 0) -> list[TrainResult]:
    """Train several text models (one per table) at once: `runs` holds (model, dataset, options of
    `TextTrainer.train`) each; the results come in the same order, each model trained in place.

    A text model's steps are too small for a second torch thread (Chinook's track names: 15.8 s at
    one thread, 15 at two), but a second process training another table's model runs beside it:
    the runs are shared out over `workers` processes (0: one per torch thread this process
    was given, `torch.get_num_threads()`, at most one per run), longest first, each training its
    share one after another with the threads shared out among the workers (one each on two cores;
    a bigger model on a bigger machine keeps its share). A model comes out exactly as
    `TextTrainer(model).train(dataset, **options)` at that many threads would train it. With one
    worker, one run or off Linux they are trained here, one after another, at this process's
    threads, as they are when a worker hangs (`WorkerHung`, logged). Workers of one thread are
    forked, of several spawned (`_run_parts`: a forked worker's OpenMP team can hang). Hooks
    cannot reach into the workers: give none, and read each result's `history` afterwards."""
    runs = list(runs)
    for model, _, options in runs:
        if options.get("hooks"):
            raise ValueError(
                f"train_text_models trains {model.preproc.table!r} in a worker process, where hooks would not "
                "reach this one: train without hooks and read the result's history"
            )
    threads = torch.get_num_threads()
    n = min(len(runs), workers or threads)
    if n <= 1 or not (can_fork() and can_spawn()):
        return _one_after_another(runs)
    shares = _shares([_cost(dataset, options) for _, dataset, options in runs], n)
    parts = [([(j, *runs[j]) for j in share], max(1, threads // n)) for share in shares]
    bar = progress_display(len(runs), "train text models", "models")
    try:
        trained = [item for share in _run_parts(parts, bar) for item in share]
    except WorkerHung as e:
        log.warning("%s; training the text models one after another in this process", e)
        return _one_after_another(runs)
    finally:
        bar.close()
    results: dict[int, TrainResult] = {}
    for j, state, result in trained:
        model = runs[j][0]
        model.load_state_dict(state)
        model.eval()
        model.trained = True
        results[j] = result
    return [results[j] for j in range(len(runs))]


def _one_after_another(runs: list[tuple[Any, Any, dict[str, Any]]]) -> list[TrainResult]:
    return [TextTrainer(model).train(dataset, **options) for model, dataset, options in runs]


def _run_parts(parts: list[tuple[list[tuple], int]], bar) -> list:
    """Each worker's share trained in a forked worker where each trains at one thread (no pickling,
    no start-up), else in a spawned one: a forked worker starting an OpenMP team of several threads
    hangs after this process ran one (`core.workers`), a spawned one costs an import of torch and
    relsynth (~4 CPU s) and the runs pickled, small beside a share worth several threads."""
    if all(threads == 1 for _, threads in parts):
        return run_forked(lambda i, bar: _train_share(parts[i][0], 1, bar), len(parts), bar)
    return run_spawned(_train_share, parts, bar)


def _train_share(share: list[tuple], threads: int, bar) -> list[tuple[int, dict, TrainResult]]:
    """In a worker: train each (index, model, dataset, options) of `share` at `threads`
    torch threads, one after another; their indices, weights and results back."""
    torch.set_num_threads(threads)  # the worker starts at one thread
    out = []
    for j, model, dataset, options in share:
        result = TextTrainer(model).train(dataset, **{"progress": False, **options})
        out.append((j, model.state_dict(), result))
        bar.update(1)
    return out


def _cost(dataset: Any, options: dict[str, Any]) -> float:
    """A run's work, to share the runs out evenly: the tokens of the steps it will train (`_planned_steps`
    batches of its windows' mean length). One epoch's tokens would rank a table of 2,700 texts (8 epochs) with one
    of 1,000 (300 steps), both under `min_steps` an epoch, and could put the two longest runs on one worker."""
    lengths = np.asarray(getattr(dataset, "lengths", np.ones(len(dataset))), dtype=np.float64)
    if not len(lengths):
        return 0.0
    batch = (options.get("batch_size") or 32) * options.get("accumulate_grad", 1)  # memory given: a guess
    return _planned_steps(len(lengths), batch, options) * batch * float(lengths.mean())


def _planned_steps(n_windows: int, batch: int, options: dict[str, Any]) -> int:
    """The optimizer steps `TextTrainer(model).train(dataset, **options)` plans for `n_windows` windows of batches of
    `batch`: `n_steps`, else its epochs (`"auto"`: `TEXT_AUTO_EPOCHS`), at least `min_steps`."""
    if options.get("n_steps") is not None:
        return int(options["n_steps"])
    per_epoch = max(1, math.ceil(n_windows / batch))
    epochs = options.get("n_epochs") or 1
    steps = TEXT_AUTO_EPOCHS.steps(n_windows, per_epoch) if epochs == "auto" else int(epochs) * per_epoch
    return max(steps, options.get("min_steps", MIN_STEPS))


def _shares(costs: list[float], n: int) -> list[list[int]]:
    """The run indices of each of `n` workers: the costliest run first, each to the least loaded
    worker (longest processing time first)."""
    shares: list[list[int]] = [[] for _ in range(n)]
    load = [0.0] * n
    for j in sorted(range(len(costs)), key=lambda j: -costs[j]):
        w = load.index(min(load))
        shares[w].append(j)
        load[w] += costs[j]
    return [sorted(share) for share in shares]


def _check_windows_fit(dataset: Any, block_size: int) -> None:
    """Refuse, before the first step, a dataset whose windows the model cannot read (else training
    fails at whichever step first draws a long one)."""
    lengths = getattr(dataset, "lengths", None)
    if lengths is not None and len(lengths) and int(max(lengths)) > block_size:
        raise ValueError(
            f"the dataset's windows are up to {int(max(lengths))} tokens (TextDataset block_size={dataset.block_size}), "
            f"longer than the model's block_size={block_size}: build the TextDataset with "
            f"block_size={block_size}, the model's"
        )


def _check_min_steps(min_steps: object) -> None:
    if isinstance(min_steps, bool) or not isinstance(min_steps, int) or min_steps < 0:
        raise ValueError(f"min_steps must be an integer >= 0, got {min_steps!r}")
