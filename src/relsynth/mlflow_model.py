"""The trained synthesizer as an MLflow model: a pyfunc whose `predict` generates a synthetic database.

One model holds the tabular model and every text model, each with its preprocessor (the schema and
the lookup tables are in the tabular preprocessor), saved as the library saves them. `predict`
takes a row count or the root table's context rows and returns the tables as one DataFrame
(`database_frame`): `table`, then `<table>.<column>` for every column of every table, each row
filling its own table's columns. `to_database` turns that frame (or its JSON) back into a
validated `RelationalData`. No training data goes into the model.

MLflow loads the model from code (`_mlflow_code.py`, no pickle); the relsynth package travels in
the model (`code_paths`) and its dependencies are pinned to the installed versions. This module
imports MLflow and not Kedro: the `mlflow_model` pipeline calls `log_synthesizer` at the end of
`kedro run`, and a notebook can call it too. The library (`relsynth.synth`) imports neither.
"""

from __future__ import annotations

import importlib.metadata
import logging
import numbers
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.model import ModelInfo
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema
from packaging.requirements import Requirement
from packaging.version import Version

from relsynth.relational import RelationalData
from relsynth.relational import Schema as DatabaseSchema
from relsynth.synth import TabularModel, TextModel, fill_texts

ARTIFACT = "synthesizer"  # the model's one artifact: a directory with the two parts below
TABULAR_DIR, TEXT_DIR = "tabular", "text"  # TabularModel.save; TextModel.save per table, text/<table>
TABLE = "table"  # the output column naming each row's table
N_SAMPLES = "n_samples"  # the input column of a row count (root entities to generate)
MODEL_CODE = Path(__file__).with_name("_mlflow_code.py")  # what MLflow runs to load the model
PACKAGE_DIR = Path(__file__).parent  # relsynth, copied into the model so it loads without an install

# What a request may set besides its input rows; None means the run's value (model_config).
PARAMS = ParamSchema(
    [
        ParamSpec("seed", "long", None),  # None: a fresh database each call; one seed, one database
        ParamSpec("temp", "double", None),  # the tabular model's sampling temperature
        ParamSpec("text_temp", "double", None),  # the text models' temperature
        ParamSpec("top_p", "double", None),  # the text models' nucleus
        ParamSpec(TABLE, "string", None),  # return this table's rows only (same layout)
    ]
)
# The generation options a logged model keeps from its run (a request sets seed, temps, top_p, table).
# of TabularModel.generate; not `workers`: a served model generates in the serving process
TABULAR_OPTIONS = ("temp", "batch_size", "max_block_size")
TEXT_OPTIONS = ("batch_size", "max_text_len", "temp", "top_p", "spell_words")  # of TextModel.generate


# ---- the pyfunc ---------------------------------------------------------------------------------
class SynthesizerModel(mlflow.pyfunc.PythonModel):
    """The tabular model and the text models of one database, as an MLflow pyfunc.

    `model_config` (set at logging) holds the text tables and the generation options of the run:
    `{"text_tables": [...], "tabular": {temp, batch_size, max_block_size}, "text": {...}}`.
    """

    tabular: TabularModel
    text: dict[str, TextModel]
    config: dict[str, Any]

    def load_context(self, context) -> None:
        self.load(Path(context.artifacts[ARTIFACT]), context.model_config or {})

    def load(self, path: Path, config: Mapping[str, Any]) -> SynthesizerModel:
        """The models saved under `path` (the artifact directory) with the run's `config`."""
        self.config = {"text_tables": [], "tabular": {}, "text": {}, **config}
        self.tabular = TabularModel.load(path / TABULAR_DIR)
        self.text = {table: TextModel.load(path / TEXT_DIR / table) for table in self.config["text_tables"]}
        return self

    @property
    def schema(self) -> DatabaseSchema:
        return self.tabular.preproc.schema

    def generate(
        self,
        n_samples: int | None = None,
        *,
        ctx: pd.DataFrame | None = None,
        seed: int | None = None,
        temp: float | None = None,
        text_temp: float | None = None,
        top_p: float | None = None,
    ) -> RelationalData:
        """A synthetic database: `n_samples` root entities, or one per row of `ctx` (the root
        table's context columns), with every text column written; None keeps the run's option."""
        tabular = {**self.config["tabular"], **_given(temp=temp)}
        text = {**self.config["text"], **_given(temp=text_temp, top_p=top_p)}
        data = self.tabular.generate(n_samples, ctx=ctx, seed=seed, progress=False, **tabular)
        return fill_texts(data, self.text.values(), seed=seed, **text)

    def predict(self, context, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """`{"n_samples": [n]}` (one row) or context rows in, the database out as `database_frame`."""
        params = dict(params or {})
        table = params.pop(TABLE, None)
        if table is not None and table not in self.schema.tables:
            raise ValueError(f"params {TABLE}={table!r} is not a table of this model ({sorted(self.schema.tables)})")
        n_samples, ctx = self.request(model_input)
        data = self.generate(n_samples, ctx=ctx, **{k: v for k, v in params.items() if v is not None})
        return database_frame(data, tables=None if table is None else [table])

    def request(self, model_input: pd.DataFrame | Mapping) -> tuple[int | None, pd.DataFrame | None]:
        """(n_samples, None) for a row count, (None, ctx) for context rows; anything else is an error
        that says what the model takes."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        ctx_cols = self.tabular.preproc.ctx_cols
        takes = f"{{{N_SAMPLES!r}: [<root entities>]}}" + (
            f" or rows of the context columns {ctx_cols}" if ctx_cols else ""
        )
        if N_SAMPLES in frame.columns and frame[N_SAMPLES].notna().any():
            n = frame[N_SAMPLES].iloc[0]
            whole = isinstance(n, numbers.Real) and not isinstance(n, bool) and float(n).is_integer()
            if len(frame) != 1 or not whole or n < 1:
                raise ValueError(f"{N_SAMPLES} must be one row holding an integer >= 1; this model takes {takes}")
            return int(n), None
        if not ctx_cols:
            raise ValueError(f"no {N_SAMPLES} in the input (columns {list(frame.columns)}); this model takes {takes}")
        return None, frame.drop(columns=[N_SAMPLES], errors="ignore").reset_index(drop=True)

    def to_database(self, frame: pd.DataFrame | list[dict]) -> RelationalData:
        """`predict`'s output (or its JSON records) as a validated `RelationalData` of this model's
        schema, with the source's formats (`to_source`, `to_dir` and `to_sql` write it as `generate`'s)."""
        return to_database(frame, self.schema, formats=self.tabular.preproc.stats.get("formats"))


def _given(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


# ---- the database as one frame --------------------------------------------------------------------
def database_frame(data: RelationalData, tables: Iterable[str] | None = None) -> pd.DataFrame:
    """`data` as one DataFrame: a `table` column, then `<table>.<column>` for every column of
    `tables` (default: all, schema order); each row fills its own table's columns, the others hold
    None. Values are Python objects, so the frame serialises to JSON as it is (ints stay ints)."""
    parts = []
    for table in data.schema.tables if tables is None else tables:
        df = data[table]
        part = df.astype(object).where(df.notna(), None).add_prefix(f"{table}.")
        parts.append(part.assign(**{TABLE: table})[[TABLE, *part.columns]])
    frame = pd.concat(parts, ignore_index=True)
    return frame.astype(object).where(frame.notna(), None)


def to_database(
    frame: pd.DataFrame | list[dict], schema: DatabaseSchema, formats: Mapping[str, Mapping[str, dict]] | None = None
) -> RelationalData:
    """The tables of a whole database's `database_frame` (or its JSON records), validated against
    `schema`: a value that does not fit its column or an orphan foreign key is a `DataError`. A
    table the frame lacks comes out empty (so a one-table frame validates only if that table
    references no other). `formats`: the source's (`RelationalData.formats`); without them the
    frame's are kept, every column an object and booleans spelled True/False."""
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame.from_records(frame)
    unknown = sorted(set(frame[TABLE].dropna()) - set(schema.tables))
    if unknown:
        raise ValueError(f"the frame holds rows of {unknown}, which are not tables of the schema")
    tables = {}
    for name, table in schema.tables.items():
        cols = [f"{name}.{c}" for c in table.columns]
        rows = frame.loc[frame[TABLE] == name].reindex(columns=cols)
        tables[name] = rows.set_axis(list(table.columns), axis=1).reset_index(drop=True)
    return RelationalData(tables, schema, formats=formats)


# ---- logging --------------------------------------------------------------------------------------
def log_synthesizer(
    tabular: TabularModel,
    text_models: Iterable[TextModel] = (),
    *,
    name: str = "synthesizer",
    registered_model_name: str | None = None,
    tabular_options: Mapping[str, Any] | None = None,
    text_options: Mapping[str, Any] | None = None,
) -> ModelInfo:
    """Log the models as one MLflow pyfunc in the active run (MLflow starts one if none is);
    with `registered_model_name`, also a new version of that registered model.

    `tabular_options` and `text_options` are the generation options a request does not set
    (`TABULAR_OPTIONS`, `TEXT_OPTIONS`; the run's values). The packaged model generates two entities
    before it is logged: a model that cannot generate is never logged."""
    text_models = list(text_models)
    config = {
        "text_tables": [m.preproc.table for m in text_models],
        "tabular": _options(tabular_options, TABULAR_OPTIONS, "tabular_options"),
        "text": _options(text_options, TEXT_OPTIONS, "text_options"),
    }
    with tempfile.TemporaryDirectory(prefix="relsynth-mlflow-") as tmp:
        path = Path(tmp) / ARTIFACT
        tabular.save(path / TABULAR_DIR)
        for model in text_models:
            model.save(path / TEXT_DIR / model.preproc.table)
        packaged = SynthesizerModel().load(path, config)
        example = pd.DataFrame({N_SAMPLES: [2]})
        with _generation_warnings_off():  # the run's generation gave them; two check entities would repeat them
            packaged.predict(None, example, {"seed": 0})  # fails here, before anything is logged
            return _log_model(packaged, path, name, config, example, registered_model_name)


def _log_model(packaged, path: Path, name: str, config: dict, example: pd.DataFrame, registered_model_name):
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=str(MODEL_CODE),
        artifacts={ARTIFACT: str(path)},
        model_config=config,
        code_paths=[str(PACKAGE_DIR)],
        pip_requirements=pinned_requirements(),
        signature=ModelSignature(inputs=input_schema(packaged), params=PARAMS),
        input_example=(example, {"seed": 0}),
        registered_model_name=registered_model_name,
    )


@contextmanager
def _generation_warnings_off() -> Iterator[None]:
    """Generation's warnings (texts cut at max_text_len, copies left) silenced, errors kept."""
    logger = logging.getLogger("relsynth.synth")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _options(options: Mapping[str, Any] | None, keys: tuple[str, ...], name: str) -> dict[str, Any]:
    options = dict(options or {})
    unknown = sorted(set(options) - set(keys))
    if unknown:
        raise ValueError(f"{name} has unknown key(s) {unknown}; a logged model keeps some of {list(keys)}")
    return options


def input_schema(model: SynthesizerModel) -> Schema:
    """`n_samples`, or the root table's context columns (types as generated), each optional: a
    request gives one or the other."""
    specs = [ColSpec("long", N_SAMPLES, required=False)]
    ctx_cols = model.tabular.preproc.ctx_cols
    if ctx_cols:
        sample = model.tabular.generate(2, seed=0, progress=False)[model.schema.roots[0]][ctx_cols]
        specs += [ColSpec(s.type, s.name, required=False) for s in infer_signature(sample.dropna()).inputs.inputs]
    return Schema(specs)


def pinned_requirements(package: str = "relsynth") -> list[str]:
    """`package`'s own dependencies (not its extras), pinned to the installed versions (local labels
    such as +cpu dropped: pip finds those on PyPI)."""
    out = []
    for line in importlib.metadata.requires(package) or []:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        out.append(f"{req.name}=={Version(importlib.metadata.version(req.name)).public}")
    return out
