"""The text model: writes a table's free-text columns conditioned on its tabular values.

`TextPreproc` (byte-level BPE tokenizer + context serialiser), `TextDataset` (token windows,
in memory or memory-mapped), `TextModel` (a GPT-style model on the shared transformer),
`TextTrainer` (the shared training loop, without DP).
"""

from relsynth.synth.text.dataset import TextDataset
from relsynth.synth.text.model import TextModel, TextModelConfig, TextModelSize
from relsynth.synth.text.preproc import TextColumnStats, TextPreproc, TextPreprocConfig
from relsynth.synth.text.trainer import TextTrainer

__all__ = [
    "TextColumnStats",
    "TextDataset",
    "TextModel",
    "TextModelConfig",
    "TextModelSize",
    "TextPreproc",
    "TextPreprocConfig",
    "TextTrainer",
]
