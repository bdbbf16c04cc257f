"""Source notebooks: parameters equal the configuration fields, no outputs, bad parameters fail."""
import dataclasses
import json

import papermill
import pytest

from facerecon.app import execution, notebook, pipeline, views
from facerecon.app.pipeline import ArchitectureNotebookParams
from facerecon.core.checks import ConfigError
from facerecon.core.io import PROJECT_ROOT
from facerecon.experiment.config import STUDY_ARCHITECTURES, load_profile

from support import cell_defaults

NOTEBOOKS = sorted(pipeline.NOTEBOOKS.glob("*.ipynb"))


def test_every_notebook_is_known_to_the_pipeline():
    assert {pipeline.architecture_notebook(a) for a in STUDY_ARCHITECTURES} | set(
        pipeline.STEP_PARAMS) == {p.name for p in NOTEBOOKS}
    with pytest.raises(ConfigError, match="no notebook of the pipeline"):
        pipeline.params_of("50_other.ipynb")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_equal_the_configuration_fields_and_only_the_cell_has_defaults(path):
    declared = set(papermill.inspect_notebook(str(path)))
    fields = dataclasses.fields(pipeline.params_of(path.name))
    assert declared == {f.name for f in fields}
    assert all(f.default is dataclasses.MISSING for f in fields)  # written once: in the cell
    assert set(cell_defaults(path.name)) == declared


def architecture_parameters(**given):
    """An architecture notebook's parameters: its cell's defaults and `given`."""
    return {**cell_defaults("20_srresnet.ipynb"), **given}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_source_notebooks_carry_no_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_define_no_functions_or_classes(path):
    cells = json.loads(path.read_text())["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "\ndef " not in f"\n{source}" and "\nclass " not in f"\n{source}"


def test_a_misspelt_parameter_is_an_error():
    namespace = {"profile": "smoke", "losss": "l1", "notebook": notebook}
    with pytest.raises(ConfigError, match="unknown notebook parameter.*losss.*valid: profile"):
        notebook.notebook_parameters(namespace, ArchitectureNotebookParams)


def test_a_bad_parameter_value_is_an_error():
    with pytest.raises(ConfigError, match="unknown loss 'l3'"):
        notebook.notebook_parameters(architecture_parameters(loss="l3"),
                                     ArchitectureNotebookParams)


def test_lists_may_be_given_as_text():
    params = notebook.notebook_parameters(architecture_parameters(obfuscations="blur", seeds="1,2"),
                                          ArchitectureNotebookParams)
    assert params.obfuscations == ["blur"] and params.seeds == [1, 2]


def test_the_pipeline_refuses_a_parameter_a_notebook_lacks():
    with pytest.raises(ConfigError, match="has no parameter.*losss"):
        pipeline.check_parameters("20_srresnet.ipynb", {"losss": "l1"})


def test_a_misspelt_parameter_fails_the_executed_notebook(tmp_path):
    """papermill itself only warns; the notebook's own check stops it."""
    with pytest.raises(papermill.PapermillExecutionError, match="unknown notebook parameter"):
        papermill.execute_notebook(str(pipeline.NOTEBOOKS / "90_comparison.ipynb"),
                                   str(tmp_path / "out.ipynb"),
                                   parameters={"profile": "smoke", "figures_rot": "x"},
                                   cwd=str(pipeline.NOTEBOOKS), progress_bar=False)


def test_notebooks_get_project_folders_as_relative_paths(tmp_path):
    steps = pipeline.plan(load_profile("smoke"), ["srresnet"], ["l2"], False,
                          PROJECT_ROOT / "results",
                          PROJECT_ROOT / "figures", None)
    assert {s.parameters["results_root"] for s in steps} == {"../results"}
    assert steps[0].parameters["figures_root"] == "../figures"
    assert execution.portable(pipeline.NOTEBOOKS / "90_comparison.ipynb") == \
        "notebooks/90_comparison.ipynb"
    assert execution.portable(tmp_path) == str(tmp_path)  # outside the project: as it is


def test_the_strength_sweep_runs_where_its_network_and_loss_do():
    def labels(architectures, losses):
        return [s.label for s in pipeline.plan(load_profile("smoke"), architectures, losses, False,
                                               PROJECT_ROOT / "results",
                                               PROJECT_ROOT / "figures", None)]

    assert labels(["residual_autoencoder"], ["l2"])[-2:] == ["40_strength_sweep", "90_comparison"]
    assert "40_strength_sweep" not in labels(["srresnet"], ["l2"])
    assert "40_strength_sweep" not in labels(["residual_autoencoder"], ["ssim"])


def test_the_sweep_notebook_names_the_profile_it_runs_in_its_headless_command():
    import pandas as pd

    table = pd.DataFrame({"obfuscation": "pixelate", "setting": ["block 8", "block 12"],
                          "status": ["finished", "missing"], "seeds": ["0", ""]})
    said = views.sweep_completeness(table, "paper").data
    assert "`python -m facerecon train --profile paper --sweep`" in said
    source = (pipeline.NOTEBOOKS / "40_strength_sweep.ipynb").read_text()
    assert "--profile quick" not in source  # the profile comes from the parameters


def test_the_notebook_of_a_missing_run_shows_its_original_and_obfuscated_faces(tmp_path,
                                                                                monkeypatch):
    """No run of the loss: its faces come from the dataset, only the reconstructions are
    missing."""
    import matplotlib.pyplot as plt

    from support import synthetic_dataset_of

    monkeypatch.setattr(views, "load_dataset",
                        lambda profile, data_home=None: synthetic_dataset_of(profile))
    params = notebook.notebook_parameters(architecture_parameters(results_root=str(tmp_path)),
                                          ArchitectureNotebookParams)
    figure = views.reconstructions("srresnet", params)
    columns = len(figure.axes) // params.settings.n_samples
    missing = {i % columns for i, ax in enumerate(figure.axes)
               if [t.get_text() for t in ax.texts] == ["missing"]}
    assert missing == {2, 4}  # Reconstructed blurred, Reconstructed pixelated
    assert all(ax.images for i, ax in enumerate(figure.axes) if i % columns not in missing)
    plt.close(figure)
