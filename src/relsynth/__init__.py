"""relsynth: a generative model of a whole relational database, and the synthetic database it samples.

The library is three modules (their names follow aindo.rdml's):

- `relsynth.relational`: `Schema`, `Table`, column kinds, `RelationalData` (validated tables);
- `relsynth.synth`: `TabularPreproc`, `TabularModel`, `TabularTrainer`, the text model, DP;
- `relsynth.eval`: `report` and the quality, text and privacy scores.

`import relsynth` stays light: each module is imported when first used (`relsynth.synth`).
The rest of the package is the Kedro project around the library.
"""

import importlib

__version__ = "0.1"

_LIBRARY = ("relational", "synth", "eval")


def __getattr__(name: str) -> object:
    # `import relsynth; relsynth.synth.TabularModel` works without importing torch up front
    if name in _LIBRARY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
