"""mlflow_model: the node logs and registers the run's models (tagged with the evaluation) in an
active MLflow run, and nothing without one; the pipeline created for a list of text tables."""

from __future__ import annotations

import mlflow
import pytest

from relsynth.pipelines.mlflow_model import create_pipeline
from relsynth.pipelines.mlflow_model.nodes import log_synthesizer_model
from relsynth.synth import TabularDataset, TabularModel, TabularModelSize, TabularPreproc, TabularTrainer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")
SCORES = {"overall": {"quality": 80.5, "quality_ceiling": 82.0, "parent_child": None}}
TEXT_GENERATION = {"batch_size": 0, "max_text_len": 8, "temp": 1.0, "top_p": 0.9, "seed": 0}


@pytest.fixture
def tabular_model(tiny_parts, tiny_preproc: TabularPreproc) -> TabularModel:
    model = TabularModel.build(tiny_preproc, size=TabularModelSize(n_layers=1, h=2, d=16))
    TabularTrainer(model=model).train(TabularDataset.from_data(tiny_parts[0], tiny_preproc), n_steps=2, batch_size=4)
    return model


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    """One sqlite store for the module (creating one takes seconds)."""
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}")
    yield mlflow.MlflowClient()
    mlflow.set_tracking_uri(previous)


def log(tabular_model, text_models, params: dict, mlflow_model: dict) -> None:
    log_synthesizer_model(
        tabular_model, SCORES, mlflow_model, params["tabular_generation"], TEXT_GENERATION, *text_models.values()
    )


def logged_models(experiment_id: str = "0") -> int:
    return len(mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list"))


def test_logs_nothing_without_an_active_run(client, tabular_model, text_models, params) -> None:
    assert mlflow.active_run() is None
    log(tabular_model, text_models, params, {"name": "no-run"})
    assert mlflow.active_run() is None and logged_models() == 0
    assert not client.search_registered_models(filter_string="name = 'no-run'")


def test_log_false_logs_nothing(client, tabular_model, text_models, params) -> None:
    with mlflow.start_run():
        log(tabular_model, text_models, params, {"log": False, "name": "off"})
    assert logged_models() == 0 and not client.search_registered_models(filter_string="name = 'off'")


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ({"nmae": "x"}, r"params:mlflow_model has unknown key\(s\) \['nmae'\]"),
        ({"name": " "}, "params:mlflow_model name must be a non-empty string"),
        ({"register": "yes"}, "params:mlflow_model log and register must be true or false"),
    ],
)
def test_refuses_a_bad_parameter_group(tabular_model, text_models, params, group: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        log(tabular_model, text_models, params, group)


@pytest.mark.slow
def test_logs_and_registers_the_models_tagged_with_the_evaluation(client, tabular_model, text_models, params) -> None:
    with mlflow.start_run() as run:
        log(tabular_model, text_models, params, {"log": True, "register": True, "name": "tiny"})
    (version,) = client.search_model_versions("name = 'tiny'")
    assert int(version.version) == 1 and version.run_id == run.info.run_id
    assert version.tags == {"evaluation.quality": "80.5", "evaluation.quality_ceiling": "82.0"}  # nulls left out

    model = mlflow.pyfunc.load_model("models:/tiny/latest").unwrap_python_model()
    assert sorted(model.text) == ["album", "artist"]
    assert model.config["text"] == {"batch_size": 0, "max_text_len": 8, "temp": 1.0, "top_p": 0.9}  # not the seed
    assert model.config["tabular"] == {"temp": 1.0, "batch_size": 0, "max_block_size": 0}  # not n_samples nor seed


def test_pipeline_interface() -> None:
    pipe = create_pipeline(text_tables=["artist", "album"])
    assert pipe.inputs() == {
        "tabular_model",
        "evaluation_scores",
        "text_model_artist",
        "text_model_album",
        "params:mlflow_model",
        "params:tabular_generation",
        "params:text_generation",
    }
    assert pipe.outputs() == set()
    assert {n.name for n in pipe.nodes} == {"mlflow_model.log_synthesizer_model"}
    assert "text_model_artist" not in create_pipeline().inputs()
