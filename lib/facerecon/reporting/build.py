"""The report of a profile, from its results only (it never trains): all_runs.csv, every table
(tables.py, printed by formatting.py), every figure (figures.py) and the reproduction report
(reproduction.py), and face recognition on original, obfuscated and reconstructed faces
(recognition_report.py, from the ranks `recognise` recorded), the strength sweep
(strengths.py), the findings that open it all (findings.py) and the profile's results page,
results/<profile>/README.md (readme.py). It only reads records: `python -m facerecon recognise`
scores face recognition first (run_all does). A run that did not happen,
failed or was interrupted appears as missing: an empty cell in CSV (with its status), "missing"
in Markdown and LaTeX, a gap in figures.

    python -m facerecon report --profile quick
"""
from __future__ import annotations

from pathlib import Path

from ..core import io
from ..experiment.config import OBFUSCATION_NAMES, Profile
from . import (document, figures, findings, formatting, readme, recognition_report, reproduction,
               strengths, tables)
from .evidence import gather_evidence
from .study_reference import load_reference


def build_report(profile: Profile, results_root, figures_root) -> dict:
    profile_name = profile.name
    results = Path(results_root) / profile_name
    evidence = gather_evidence(results_root, profile)
    io.write_csv(results / "all_runs.csv", evidence.runs)
    study_tables = tables.study_tables(evidence)
    formatting.write_tables(study_tables, results / "tables")
    written_figures = figures.write_figures(evidence, figures_root)
    best = {o: tables.best_run(evidence, o) for o in OBFUSCATION_NAMES}
    reference = load_reference()
    report = reproduction.reproduction_table(evidence.runs, evidence.baselines,
                                             evidence.significance, best, profile_name, reference)
    sweep = strengths.write_sweep(evidence.runs, evidence.store.collect_sweep(), profile,
                                  results, Path(figures_root) / profile_name, reference)
    reproduction.write_reproduction(report, results_root, profile_name, sweep["text"])
    identity = recognition_report.write_recognition(profile, results_root, figures_root,
                                                   evidence.runs)
    answer = findings.write_findings(evidence, report, results)
    tex = document.write_report_tex(results, Path(figures_root) / profile_name, profile, answer,
                                    formatting.LEGEND, evidence.runs)
    readme.write_results_page(profile_name, results_root)
    return {"evidence": evidence, "runs": evidence.runs, "figures": written_figures,
            "tables": {**{name: t.frame for name, t in study_tables.items()},
                       "reproduction": report},
            "captions": {name: t.caption for name, t in study_tables.items()},
            "study_tables": study_tables,
            "recognition": identity, "sweep": sweep, "findings": answer, "document": tex}
