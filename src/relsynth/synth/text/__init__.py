"""The text model: writes a table's free-text columns conditioned on its tabular values.

`TextPreproc` (byte-level BPE tokenizer + context serialiser), `TextDataset` (token windows,
in memory or memory-mapped), `TextModel` (a GPT-style model on the shared transformer),
`TextTrainer` (the shared training loop, without DP); `fill_texts` writes a whole database's
text columns with one model per table, parents first.
"""

from relsynth.synth.text.dataset import TextDataset
from relsynth.synth.text.fill import fill_texts
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
    "fill_texts",
]
