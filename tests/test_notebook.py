"""The quickstart notebook runs from top to bottom (in its FAST mode) and writes its report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"
KERNEL = "relsynth-test-python"


def _kernel_manager(kernels_dir: Path):
    """A kernel manager whose only kernel spec runs this interpreter (the project's venv), so no
    user-level `python3` spec can point the notebook at another Python."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec_dir = kernels_dir / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "relsynth test",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels_dir)]))


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("RELSYNTH_FAST", "1")
    monkeypatch.setenv("RELSYNTH_OUT", str(out))  # the report goes here, not into data/08_reporting
    monkeypatch.setenv("RELSYNTH_THREADS", "1")
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    monkeypatch.setenv("TQDM_DISABLE", "1")

    nb = nbformat.read(NOTEBOOK, as_version=4)  # the repository's copy is never written
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = nbclient.NotebookClient(
        nb,
        km=_kernel_manager(tmp_path / "kernels"),
        timeout=240,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},  # run from notebooks/, as a user would
    )
    client.execute()
    nbformat.write(nb, tmp_path / "quickstart.executed.ipynb")  # for debugging a failure

    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
    )
    assert "FAST=True" in text
    assert "synthetic rows:" in text  # the final synthetic database was built (and so validated)
    assert "quality" in text and "ceiling" in text

    html, js = out / "quickstart_report.html", out / "quickstart_report.json"
    assert html.is_file() and html.stat().st_size > 0
    overall = json.loads(js.read_text())["overall"]
    assert overall["quality"] is not None and 0 <= overall["quality"] <= 100
    n_rows = json.loads(js.read_text())["n_rows"]["synth"]
    assert n_rows["artist"] == 20 and n_rows["track"] >= 0
