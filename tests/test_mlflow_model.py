"""relsynth.mlflow_model: the trained synthesizer as an MLflow pyfunc. In process: the database as one
frame and back, requests by row count and by context, the pinned requirements. Slow: logged and
registered in a temporary sqlite store, loaded by `models:/<name>/latest` in a fresh process, and
served by `mlflow models serve --env-manager local` on 127.0.0.1."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import torch
from mlflow.pyfunc.scoring_server import predictions_to_json

from relsynth.mlflow_model import (
    ARTIFACT,
    TABULAR_DIR,
    TEXT_DIR,
    SynthesizerModel,
    database_frame,
    input_schema,
    log_synthesizer,
    pinned_requirements,
    to_database,
)
from relsynth.relational import (
    Boolean,
    Categorical,
    ForeignKey,
    Integer,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
)
from relsynth.synth import (
    TabularDataset,
    TabularModel,
    TabularModelSize,
    TabularPreproc,
    TabularTrainer,
    TextDataset,
    TextModel,
    TextModelSize,
    TextPreproc,
    TextTrainer,
    fill_texts,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")
NAME = "tiny-relsynth"  # the registered model of the slow tests
COUNTRIES = ["de", "fr", "it"]
TEXT_CONFIG = {"max_text_len": 8}  # tiny models rarely end a text: keep them short


def small_database() -> RelationalData:
    """24 artists (with a country, the generation context) with 0-3 albums each; genre is a lookup."""
    artist = pd.DataFrame(
        {
            "id": range(1, 25),
            "name": [f"artist {i}" for i in range(1, 25)],
            "country": [COUNTRIES[i % 3] for i in range(24)],
        }
    )
    albums = [(a, n) for a in range(1, 25) for n in range(a % 4)]
    album = pd.DataFrame(
        {
            "id": range(1, len(albums) + 1),
            "artist": [a for a, _ in albums],
            "title": [f"album {n} of {a}" for a, n in albums],
            "year": [1990 + (a + n) % 20 for a, n in albums],
            "genre": [1 + (a + n) % 2 for a, n in albums],
        }
    )
    genre = pd.DataFrame({"id": [1, 2], "name": ["Rock", "Jazz"]})
    schema = Schema(
        artist=Table(id=PrimaryKey(), name=Text(), country=Categorical()),
        album=Table(
            id=PrimaryKey(),
            artist=ForeignKey(parent="artist"),
            title=Text(),
            year=Integer(),
            genre=ForeignKey(parent="genre"),
        ),
        genre=Table(id=PrimaryKey(), name=Categorical()),
        lookups=["genre"],
    )
    return RelationalData({"artist": artist, "album": album, "genre": genre}, schema)


@pytest.fixture(scope="module")
def database() -> RelationalData:
    return small_database()


@pytest.fixture(scope="module")
def models(database: RelationalData) -> tuple[TabularModel, list[TextModel]]:
    """A tabular model conditioned on the artist's country and text models for artist and album,
    each trained a few steps (the tests check packaging, not quality)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    pre = TabularPreproc.from_schema(database.schema, ctx_cols=["country"], n_bins=4, min_count=2).fit(database)
    tabular = TabularModel.build(pre, size=TabularModelSize(n_layers=1, h=2, d=16))
    TabularTrainer(model=tabular).train(TabularDataset.from_data(database, pre), n_steps=4, batch_size=4)
    texts = []
    for table in ("artist", "album"):
        text_pre = TextPreproc.from_schema_table(database.schema, table, vocab_size=300).fit(database)
        text = TextModel.build(text_pre, size=TextModelSize(n_layers=1, h=2, d=16), block_size=32)
        TextTrainer(model=text).train(TextDataset.from_data(database, text_pre, block_size=32), n_steps=2, batch_size=4)
        texts.append(text)
    torch.set_num_threads(threads)
    return tabular, texts


@pytest.fixture(scope="module")
def packaged(models, tmp_path_factory: pytest.TempPathFactory) -> SynthesizerModel:
    """The pyfunc loaded from an artifact directory laid out as `log_synthesizer` lays it out."""
    tabular, texts = models
    path = tmp_path_factory.mktemp("artifact") / ARTIFACT
    tabular.save(path / TABULAR_DIR)
    for text in texts:
        text.save(path / TEXT_DIR / text.preproc.table)
    return SynthesizerModel().load(path, {"text_tables": ["artist", "album"], "text": TEXT_CONFIG})


# ---- in process ---------------------------------------------------------------------------------
def test_database_frame_survives_the_serving_json(database: RelationalData) -> None:
    frame = database_frame(database)
    assert list(frame.columns) == [
        "table", "artist.id", "artist.name", "artist.country",
        "album.id", "album.artist", "album.title", "album.year", "album.genre", "genre.id", "genre.name",
    ]  # fmt: skip
    assert frame["table"].value_counts().to_dict() == {"album": len(database["album"]), "artist": 24, "genre": 2}
    assert frame.loc[frame["table"] == "artist", "album.title"].isna().all()  # other tables' columns are empty

    buffer = io.StringIO()
    predictions_to_json(frame, buffer)  # what `mlflow models serve` answers
    records = json.loads(buffer.getvalue())["predictions"]
    assert records[0]["artist.id"] == 1 and records[0]["album.id"] is None  # ints stay ints, nulls are null
    back = to_database(records, database.schema)
    for table in database.schema.tables:
        pd.testing.assert_frame_equal(back[table], database[table], check_dtype=True)


def test_to_database_refuses_rows_of_unknown_tables(database: RelationalData) -> None:
    frame = database_frame(database)
    frame.loc[0, "table"] = "label"
    with pytest.raises(ValueError, match=r"rows of \['label'\], which are not tables of the schema"):
        to_database(frame, database.schema)


def test_predict_a_row_count(packaged: SynthesizerModel) -> None:
    frame = packaged.predict(None, pd.DataFrame({"n_samples": [5]}), {"seed": 3})
    data = packaged.to_database(frame)  # validates: fresh keys, consistent foreign keys
    assert len(data["artist"]) == 5 and len(data["genre"]) == 2
    assert data["artist"]["name"].notna().all() and data["album"]["title"].notna().all()  # the text models wrote them
    again = packaged.predict(None, {"n_samples": [5]}, {"seed": 3})
    pd.testing.assert_frame_equal(frame, again)  # one seed, one database

    albums = packaged.predict(None, pd.DataFrame({"n_samples": [5]}), {"seed": 3, "table": "album"})
    assert set(albums["table"]) <= {"album"} and list(albums.columns) == [
        "table",
        *(f"album.{c}" for c in data["album"]),
    ]
    assert len(albums) == len(data["album"])  # the same database, one table of it


def test_predict_from_context_rows(packaged: SynthesizerModel) -> None:
    ctx = pd.DataFrame({"country": ["fr", "fr", "it"]})
    data = packaged.to_database(packaged.predict(None, ctx, {"seed": 0}))
    assert data["artist"]["country"].tolist() == ["fr", "fr", "it"]  # one entity per context row, in order


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (pd.DataFrame({"n_samples": [2, 3]}), "n_samples must be one row holding an integer >= 1"),
        (pd.DataFrame({"n_samples": [0]}), "n_samples must be one row holding an integer >= 1"),
        (pd.DataFrame({"n_samples": [2.5]}), "n_samples must be one row holding an integer >= 1"),
        (pd.DataFrame({"n_samples": ["ten"]}), "n_samples must be one row holding an integer >= 1"),
        (pd.DataFrame({"land": ["fr"]}), r"ctx must hold the preprocessor's ctx_cols \['country'\]; missing"),
    ],
)
def test_predict_refuses_bad_requests(packaged: SynthesizerModel, request_: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        packaged.predict(None, request_, {})


def test_predict_refuses_an_unknown_table(packaged: SynthesizerModel) -> None:
    with pytest.raises(
        ValueError, match=r"table='tracks' is not a table of this model \(\['album', 'artist', 'genre'\]\)"
    ):
        packaged.predict(None, pd.DataFrame({"n_samples": [1]}), {"table": "tracks"})


def test_a_model_without_context_asks_for_a_row_count(database: RelationalData, tmp_path: Path) -> None:
    pre = TabularPreproc.from_schema(database.schema, n_bins=4, min_count=2).fit(database)
    TabularModel.build(pre, size=TabularModelSize(n_layers=1, h=2, d=16)).save(tmp_path / TABULAR_DIR)
    model = SynthesizerModel().load(tmp_path, {})
    with pytest.raises(ValueError, match=r"no n_samples in the input \(columns \['country'\]\); this model takes"):
        model.predict(None, pd.DataFrame({"country": ["fr"]}), {})
    assert [c.name for c in input_schema(model).inputs] == ["n_samples"]


def test_input_schema_takes_a_count_or_the_context(packaged: SynthesizerModel) -> None:
    specs = {c.name: (c.type.name, c.required) for c in input_schema(packaged).inputs}
    assert specs == {"n_samples": ("long", False), "country": ("string", False)}


def test_log_refuses_unknown_options_before_logging(models) -> None:
    tabular, texts = models
    with pytest.raises(ValueError, match=r"text_options has unknown key\(s\) \['temperature'\]"):
        log_synthesizer(tabular, texts, text_options={"temperature": 0.5})


def test_requirements_pin_the_installed_dependencies() -> None:
    reqs = dict(r.split("==") for r in pinned_requirements())
    assert {"torch", "pandas", "numpy", "tokenizers", "safetensors", "mlflow"} <= set(reqs)
    assert "+" not in reqs["torch"]  # no local label such as +cpu: pip resolves it from PyPI
    assert "transformers" not in reqs  # an extra (relsynth[hf]), not a dependency


# ---- logged, registered, loaded elsewhere, served (slow) ----------------------------------------
@pytest.fixture(scope="module")
def registry(models, tmp_path_factory: pytest.TempPathFactory):
    """The models logged and registered as NAME in a temporary sqlite store; yields its URI."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    tabular, texts = models
    handler = RecordingHandler()
    logging.getLogger("relsynth").addHandler(handler)
    try:
        with mlflow.start_run():
            info = log_synthesizer(
                tabular, texts, name="synthesizer", registered_model_name=NAME, text_options=TEXT_CONFIG
            )
        assert info.registered_model_version == 1
        LOGGING_WARNINGS.extend(r.getMessage() for r in handler.records if r.levelno >= logging.WARNING)
        yield uri
    finally:
        logging.getLogger("relsynth").removeHandler(handler)
        mlflow.set_tracking_uri(previous)


LOGGING_WARNINGS: list[str] = []  # what relsynth warned of while the registry fixture logged the model


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.slow
def test_logging_the_model_repeats_no_generation_warning(registry: str, models) -> None:
    """The check generations of log_synthesizer (2-step text models: every text cut) warn of nothing;
    generating the same way outside it does, so the check can fail."""
    assert LOGGING_WARNINGS == []
    assert logging.getLogger("relsynth.synth").level == logging.NOTSET  # restored
    handler = RecordingHandler()
    logging.getLogger("relsynth").addHandler(handler)
    try:
        tabular, texts = models
        fill_texts(tabular.generate(2, seed=0, progress=False), texts, **TEXT_CONFIG, seed=0)
    finally:
        logging.getLogger("relsynth").removeHandler(handler)
    assert any("max_text_len" in r.getMessage() for r in handler.records)


FRESH_PROCESS = """
import json, sys
import mlflow

model = mlflow.pyfunc.load_model("models:/{name}/latest")
frame = model.predict({{"n_samples": [4]}}, params={{"seed": 0}})
data = model.unwrap_python_model().to_database(frame)  # validates keys and foreign keys
import relsynth
print(json.dumps({{
    "rows": {{t: len(df) for t, df in data.items()}},
    "texts": bool(data["artist"]["name"].notna().all() and data["album"]["title"].notna().all()),
    "relsynth": relsynth.__file__,
}}))
"""


def child_env(tracking_uri: str) -> dict[str, str]:
    """The environment of a fresh process: the tracking store, one torch thread, and this virtual
    environment's scripts first on the PATH (`mlflow models serve` runs `uvicorn` from there)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "OMP_NUM_THREADS": "1", "PATH": path}
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.slow
def test_registered_model_generates_in_a_fresh_process(registry: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS.format(name=NAME)],
        cwd=tmp_path,  # not the repository: nothing of it on the path
        env=child_env(registry),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rows"]["artist"] == 4 and result["rows"]["genre"] == 2 and result["texts"]
    assert f"{os.sep}code{os.sep}relsynth{os.sep}" in result["relsynth"]  # the package that travels in the model


@pytest.mark.slow
def test_registered_model_enforces_its_signature(registry: str) -> None:
    model = mlflow.pyfunc.load_model(f"models:/{NAME}/latest")
    data = model.unwrap_python_model().to_database(model.predict(pd.DataFrame({"country": ["de", "it"]})))
    assert data["artist"]["country"].tolist() == ["de", "it"]
    with pytest.raises(mlflow.exceptions.MlflowException, match="seed"):
        model.predict(pd.DataFrame({"n_samples": [1]}), params={"seed": "zero"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer on {url} within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_served_model_answers_on_localhost(registry: str, tmp_path: Path, database: RelationalData) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    output = log.open("w")
    cmd = [
        Path(sys.executable).with_name("mlflow"), "models", "serve", "-m", f"models:/{NAME}/latest",
        "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1",
    ]  # fmt: skip
    server = subprocess.Popen(
        cmd, cwd=tmp_path, env=child_env(registry), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/ping", server, log)
        url = f"http://127.0.0.1:{port}/invocations"
        status, body = post(url, {"dataframe_records": [{"n_samples": 3}], "params": {"seed": 0}})
        assert status == 200, body
        data = to_database(body["predictions"], database.schema)
        assert len(data["artist"]) == 3 and data["album"]["title"].notna().all()

        status, body = post(url, {"dataframe_records": [{"n_samples": 3}], "params": {"seed": 0, "table": "artist"}})
        assert status == 200 and [r["table"] for r in body["predictions"]] == ["artist"] * 3
        assert [r["artist.name"] for r in body["predictions"]] == data["artist"]["name"].tolist()  # same seed

        status, body = post(url, {"dataframe_records": [{"n_samples": 0}]})
        assert status == 400 and "n_samples must be one row holding an integer >= 1" in body.get("stack_trace", "")
    finally:
        stop(server)
        output.close()


def stop(server: subprocess.Popen) -> None:
    """End the server and the workers it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, None)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:  # the group is gone already
            break
        try:
            server.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def test_a_predicted_frame_comes_back_in_the_source_representation(packaged: SynthesizerModel) -> None:
    """`to_database(predict(...))` took the source's formats from the JSON-ready frame: every column
    'object' (keys and years written back as objects) and booleans spelled 'True'/'False', so a school
    database's yes/no column, VARCHAR(3) in its source, could not be written back by `to_sql`. The
    model's `to_database` restores what `generate` gives."""
    frame = packaged.predict(None, pd.DataFrame({"n_samples": [5]}), {"seed": 3})
    back, direct = packaged.to_database(frame), packaged.generate(5, seed=3)
    for table in direct.schema.tables:
        pd.testing.assert_frame_equal(back.to_source(table), direct.to_source(table))


def test_to_database_takes_the_formats_of_the_source() -> None:
    schema = Schema(pupil=Table(id=PrimaryKey(), lunch=Boolean()))
    source = RelationalData({"pupil": pd.DataFrame({"id": [1, 2], "lunch": ["yes", "no"]})}, schema)
    records = json.loads(database_frame(source).to_json(orient="records"))
    back = to_database(records, schema, formats=source.formats)
    assert back.to_source("pupil")["lunch"].tolist() == ["yes", "no"]
    assert back.to_source("pupil")["id"].dtype == "int64"
