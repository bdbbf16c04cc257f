"""One command line for the study: python -m facerecon <command> --profile NAME [options]

  prepare      splits, obfuscation calibration, baselines and sample faces of a profile
  reconstruct  faces you bring, reconstructed with a model in models/ or a trained run's weights
  models       publish the best run per obfuscation of a profile into models/ (float16 weights)
  rescore      add to finished runs, from their weights, the per-image scores they lack
  calibrate    where the study's example faces fall among ours, per candidate strength
  baselines    the non-learned baselines alone
  train        the profile's runs, or a slice (--arch, --loss, --obfuscation, --seed, --split,
               --strength), or its strength sweep (--sweep)
  lockstep     the same, many runs in lock-step per architecture (JAX backend; a GPU's way)
  bench        training throughput per architecture (and grid strategy) on this device
  schedule     the grid's missing runs as Ray tasks (a local instance, several GPUs, a cluster)
               or on this machine's process pool
  job          a self-contained GPU job: build here, train there, publish what comes back
  recognise    face recognition on original, obfuscated and reconstructed faces (before report)
  report       tables, figures and the reproduction report from the finished runs
  run          the notebooks, executed with papermill (what ./run_all.sh runs)

Bad input is one line, `error: ...`, and exit status 2. `python -m facerecon <command> -h`
lists a command's options.
"""
# This module parses the command line and reads the profile once, before any work starts; what
# each command does is app/commands.py's.
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from ..core import runtime
from ..core.checks import ConfigError
from ..core.io import PROJECT_ROOT, OutputError
from ..data.lfw import DataError
from ..experiment.config import (ARCHITECTURE_NAMES, LOSS_NAMES, OBFUSCATION_NAMES, PROFILE_NAMES,
                                 SPLIT_NAMES, STRATEGIES, STUDY_ARCHITECTURES, load_profile)
from . import supervisor
from .commands import (baselines_command, bench_command, calibrate_command, job_command,
                       lockstep_command, models_command, prepare_command, recognise_command,
                       reconstruct_command, report_command, rescore_command, run_command,
                       schedule_command, train_command)


def default_profile() -> str:
    """The profile of a run given none: paper where the Keras backend sees a GPU, else quick;
    says which and why in one line, also when the GPU probe itself fails."""
    try:
        gpu = runtime.find_accelerator()
        reason = (f"the Keras backend sees a GPU ({gpu})" if gpu
                  else f"the {runtime.backend()} backend sees no GPU (paper needs one)")
    except Exception as error:  # the probe's own failure is said, not taken for "no GPU"
        gpu, reason = None, (f"the GPU probe of the {runtime.backend()} backend failed "
                             f"({type(error).__name__}: {error})")
    name = "paper" if gpu else "quick"
    print(f"no --profile given: the {name} profile, since {reason}", flush=True)
    return name


LISTED = "comma list or 'all' of: "
# Commands that may start a local Ray instance, which can end them unannounced (supervisor.py).
STARTS_RAY = ("schedule", "run")


def shared_options() -> argparse.Namespace:
    """The option groups several commands share (argparse parents), by name."""
    profile = argparse.ArgumentParser(add_help=False)
    profile.add_argument("--profile", required=True, help=", ".join(PROFILE_NAMES))
    chosen_profile = argparse.ArgumentParser(add_help=False)
    chosen_profile.add_argument("--profile", help=", ".join(PROFILE_NAMES) + " (default: paper "
                                "where the Keras backend sees a GPU, else quick)")
    results = argparse.ArgumentParser(add_help=False)
    results.add_argument("--results-root", type=Path, default=PROJECT_ROOT / "results",
                         help="the folder of every profile's runs and tables (default: results/)")
    figures = argparse.ArgumentParser(add_help=False)
    figures.add_argument("--figures-root", type=Path, default=PROJECT_ROOT / "figures",
                         help="the folder of every profile's figures (default: figures/)")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data-home", help="scikit-learn's data folder holding lfw_home/")
    cpu = argparse.ArgumentParser(add_help=False)
    cpu.add_argument("--allow-cpu", action="store_true", help="train a profile that needs an "
                     "accelerator (paper) although the backend sees none")
    runs = argparse.ArgumentParser(add_help=False)
    runs.add_argument("--arch", help=LISTED + ", ".join(ARCHITECTURE_NAMES))
    runs.add_argument("--loss", help=LISTED + ", ".join(LOSS_NAMES))
    runs.add_argument("--obfuscation", help=LISTED + ", ".join(OBFUSCATION_NAMES))
    runs.add_argument("--seed", help="comma list of seeds (default: the profile's)")
    runs.add_argument("--split", help=LISTED + ", ".join(SPLIT_NAMES) + " (the identity split only "
                      "for the profile's identity runs)")
    runs.add_argument("--strength", help="comma list of calibration candidates (e.g. block12; "
                      "params/<profile>.yaml) to train the runs at instead of the profile's "
                      "strength")
    runs.add_argument("--sweep", action="store_true", help="the profile's strength sweep "
                      "(sweep_architecture, sweep_loss, sweep_seeds) instead of the grid")
    runs.add_argument("--force", action="store_true", help="retrain finished runs")
    return argparse.Namespace(profile=profile, chosen_profile=chosen_profile, results=results,
                              figures=figures, data=data, cpu=cpu, runs=runs)


def add_data_commands(command, o: argparse.Namespace) -> None:
    """prepare, reconstruct, models, rescore, calibrate, baselines."""
    command("prepare", prepare_command, [o.profile, o.results, o.figures, o.data],
            "splits, obfuscation calibration, baselines and sample faces")
    sub = command("reconstruct", reconstruct_command, [], "reconstruct faces you bring with a "
                  "model in models/ or a trained run's weights, beside the original and the "
                  "obfuscated face")
    sub.add_argument("--model", required=True,
                     help="a model's name in models/ (models/index.csv, e.g. "
                     "quick__srresnet__psnr__blur__seed0) or a run's weights, "
                     "results/<profile>/weights/<run>.weights.h5")
    sub.add_argument("images", nargs="+", help="image files or folders")
    sub.add_argument("--obfuscated", action="store_true",
                     help="the images are already obfuscated (no original, no scores)")
    sub.add_argument("--out", default="reconstructed", help="folder for the side-by-side images")
    command("models", models_command, [o.profile, o.results], "publish the best finished run per "
            "obfuscation (best validation PSNR) into models/ as float16 weights, with "
            "models/index.csv").add_argument("--models-dir", type=Path,
                                             default=PROJECT_ROOT / "models",
                                             help="where to publish (default: models/)")
    command("rescore", rescore_command, [o.profile, o.results, o.data], "add to every finished "
            "run, from its weights, the per-image scores it lacks (a score added since it "
            "trained); its other records stay as they are")
    command("calibrate", calibrate_command, [o.profile, o.results, o.figures, o.data],
            "where the study's example faces fall among ours, per candidate strength")
    command("baselines", baselines_command, [o.profile, o.results, o.data],
            "the non-learned baselines").add_argument("--force", action="store_true",
                                                      help="recompute")


def add_training_commands(command, o: argparse.Namespace) -> None:
    """train, grid, bench, schedule."""
    command("train", train_command, [o.profile, o.results, o.data, o.runs, o.cpu],
            "train runs of the grid")
    sub = command("lockstep", lockstep_command, [o.profile, o.results, o.data, o.runs, o.cpu],
                  "train runs in lock-step groups, in priority order (JAX backend)")
    sub.add_argument("--strategy", default="vmap", choices=STRATEGIES)
    sub.add_argument("--group-size", type=int, default=12, help="runs trained together")
    sub.add_argument("--deadline-s", type=float, help="start no epoch after this many seconds")
    sub.add_argument("--unroll", type=int, help="scan unroll (0: all steps; default: 0 on a "
                     "CPU, 1 on a GPU)")
    sub.add_argument("--precision", default="float32", choices=("float32", "mixed_bfloat16"))
    sub = command("bench", bench_command, [o.profile], "training images/s per architecture")
    sub.add_argument("--arch", help=LISTED + ", ".join(ARCHITECTURE_NAMES))
    sub.add_argument("--loss", default="l2")
    sub.add_argument("--steps", type=int, default=20)
    sub.add_argument("--strategy", help="comma list of strategies to compare instead: fit "
                     "(Keras' fit, one run) and the grid trainer's " + ", ".join(STRATEGIES)
                     + " (JAX backend)")
    sub.add_argument("--group-size", type=int, default=6, help="runs per group in --strategy")
    sub = command("schedule", schedule_command, [o.profile, o.results, o.data, o.runs, o.cpu],
                  "the grid's missing runs (or a slice) as Ray tasks in priority order: a "
                  "local instance, or a cluster (docs/running.md)")
    sub.add_argument("--address", help="a Ray cluster's head, host:port or auto (default: "
                     "RAY_ADDRESS, else a local instance)")
    sub.add_argument("--executor", choices=("ray", "local"), help="ray (the default where Ray "
                     "is installed) or local: this machine's process pool, without Ray")
    sub.add_argument("--runs-per-gpu", type=int, help="runs sharing each GPU (default: the best "
                     "of the last --measure; on machines without GPUs, runs sharing a machine's "
                     "cores: 1)")
    sub.add_argument("--retries", type=int, default=2, help="times a run whose worker was lost "
                     "is sent again")
    sub.add_argument("--deadline-s", type=float, help="start no run after this many seconds")
    sub.add_argument("--measure", help="comma list of runs per GPU to measure total images/s "
                     "at instead (results/<profile>/device/runs_per_gpu.csv)")
    sub.add_argument("--measure-arch", default="srresnet",
                     help="the architecture --measure trains (default: srresnet)")
    sub.add_argument("--steps", type=int, default=30, help="training steps per --measure run")


def add_job_command(command, o: argparse.Namespace) -> None:
    """job build | train | publish."""
    sub = command("job", job_command, [], "a self-contained GPU job: build it here, train it there "
                  "(no internet, LFW or Ray needed), publish what comes back")
    steps = sub.add_subparsers(dest="step", required=True, metavar="step")
    step = steps.add_parser("build", parents=[o.profile, o.results, o.data, o.runs],
                            help="the job folder (at most 60 MiB) for the profile's missing runs")
    step.add_argument("job", type=Path, help="a new folder")
    step.add_argument("--python-version", default="{}.{}".format(*sys.version_info[:2]),
                      help="the GPU machine's Python, for the wheels (default: this one's)")
    step.add_argument("--wheels", help="comma list of packages to carry as wheels at the "
                      "versions installed here, or none (default: Keras with namex and optree, "
                      "and dlib-bin; app/job.py: LACKED)")
    step = steps.add_parser("train", help="(run.sh, there) trains the job's runs, packs them")
    step.add_argument("job", type=Path, help="the job folder")
    step.add_argument("out", type=Path, help="folder for what goes back")
    step.add_argument("--deadline-s", type=float, help="start no run after this many seconds "
                      "(default: every run starts)")
    step.add_argument("--stop-s", type=float, help="stop the runs still training after this "
                      "many seconds, then pack (default: none is stopped)")
    step.add_argument("--runs-per-gpu", type=int, help="runs sharing each GPU (default: 1)")
    step.add_argument("--back-mib", type=float, default=60, help="at most this many MiB in "
                      "OUT: the best weights that fit (default: %(default)s)")
    step = steps.add_parser("publish", parents=[o.results], help="what a job brought back, into "
                            "results/ and models/")
    step.add_argument("folder", type=Path, help="the folder holding the job's parts")
    step.add_argument("--models-dir", type=Path, default=PROJECT_ROOT / "models")


def add_report_commands(command, o: argparse.Namespace) -> None:
    """recognise, report, run."""
    command("recognise", recognise_command, [o.profile, o.results, o.figures, o.data],
            "face recognition on original, obfuscated and reconstructed test faces"
            ).add_argument("--force", action="store_true", help="recompute every condition")
    command("report", report_command, [o.profile, o.results, o.figures],
            "tables, figures and the reproduction report from finished runs")
    sub = command("run", run_command, [o.chosen_profile, o.results, o.figures, o.data, o.cpu],
                  "the notebooks with papermill: data, each architecture per loss, comparison")
    sub.add_argument("--only", help="architectures, comma list of: "
                     + ", ".join(STUDY_ARCHITECTURES))
    sub.add_argument("--loss", help="losses, comma list of: " + ", ".join(LOSS_NAMES))
    sub.add_argument("--force", action="store_true", help="retrain finished runs")
    sub.add_argument("--report-only", action="store_true",
                     help="every notebook from the runs that exist, training none")


def parser() -> argparse.ArgumentParser:
    # ./run_all.sh names itself (FACERECON_PROG) in the usage and errors of the `run` it calls.
    prog = os.environ.get("FACERECON_PROG")
    main = argparse.ArgumentParser(prog=prog or "python -m facerecon", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True, metavar="command")

    def command(name, handler, parents, help):
        # No help= here: the description above lists the commands once.
        named = {"prog": prog} if prog and name == "run" else {}
        sub = commands.add_parser(name, parents=parents, description=help, **named)
        sub.set_defaults(handler=handler, parser=sub)
        return sub

    options = shared_options()
    for add in (add_data_commands, add_training_commands, add_job_command, add_report_commands):
        add(command, options)
    return main


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM stops a command as Ctrl-C does: staged runs are discarded, kernels shut down."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main(argv=None) -> int:
    args, unknown = parser().parse_known_args(argv)
    if unknown:  # said with the command's own usage, not the top level's
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        if argv is None:  # the command line, not a caller inside Python
            if args.command in STARTS_RAY and not supervisor.supervised():
                return supervisor.run_as_child([sys.executable, "-m", "facerecon",
                                                *sys.argv[1:]])
            stop_cleanly_on_sigterm()
        if hasattr(args, "profile"):  # read (and checked whole) once, before any work starts
            args.profile = load_profile(args.profile or default_profile())
        return args.handler(args)
    except (ConfigError, DataError, OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept, nothing half-done was published; run the "
              "same command again to go on", file=sys.stderr)
        return 130
