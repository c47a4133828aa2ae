"""The code of the MLflow model that `relsynth.mlflow_model.log_synthesizer` logs (MLflow's "models
from code": no pickle). MLflow runs this file when it loads the model; nothing imports it."""

import mlflow

from relsynth.mlflow_model import SynthesizerModel

mlflow.models.set_model(SynthesizerModel())
