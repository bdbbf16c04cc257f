"""One command line for the study: python -m facerecon <command> --profile NAME [options]

  prepare      splits, obfuscation calibration, baselines and sample faces of a profile
  reconstruct  faces you bring, reconstructed with a model in models/ or a trained run's weights
  models       publish the best run per obfuscation of a profile into models/ (float16 weights)
  calibrate    where the study's example faces fall among ours, per candidate strength
  baselines    the non-learned baselines alone
  train        the profile's runs, or a slice (--arch, --loss, --obfuscation, --seed, --split,
               --strength), or its strength sweep (--sweep)
  grid         the same, many runs in lock-step per architecture (JAX backend; a GPU's way)
  bench        training throughput per architecture (and grid strategy) on this device
  schedule     the grid's missing runs as Ray tasks (a local instance, several GPUs, a cluster)
               or on this machine's process pool
  job          a self-contained GPU job: build here, train there, publish what comes back
  recognise    face recognition on original, obfuscated and reconstructed faces (report too)
  report       tables, figures and the reproduction report from the finished runs
  run          the notebooks, executed with papermill (what ./run_all.sh runs)

Bad input is one line, `error: ...`, and exit status 2. `python -m facerecon <command> -h`
lists a command's options.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from ..core.checks import ConfigError, check_choice
from ..core.io import PROJECT_ROOT, OutputError
from ..data.lfw import DataError
from ..experiment.config import (ARCHITECTURE_NAMES, LOSS_NAMES, OBFUSCATION_NAMES, PROFILE_NAMES,
                                 SPLIT_NAMES, STRATEGIES, STUDY_ARCHITECTURES, load_profile,
                                 parse_list)


def integers(value: str | None, what: str) -> list[int] | None:
    """A comma list of integers (None: not given)."""
    items = parse_list(value, kind=what)
    try:
        return None if items is None else [int(item) for item in items]
    except ValueError:
        raise ConfigError(f"{what} must be integers separated by commas, not {value!r}") from None


def names(value: str | None, valid, kind: str) -> list[str] | None:
    """A comma list (or 'all': None) of names, each checked."""
    return parse_list(value, list(valid), kind)


def prepare_command(args) -> int:
    from .prepare import prepare, print_summary

    print_summary(*prepare(args.profile, args.data_home, args.results_root, args.figures_root))
    return 0


def calibrate_command(args) -> int:
    from ..data.dataset import load_dataset
    from .prepare import calibrate, print_calibration

    print_calibration(calibrate(load_dataset(args.profile, args.data_home),
                                args.results_root, args.figures_root))
    return 0


def reconstruct_command(args) -> int:
    from .models import description
    from .reconstruct import image_paths, reconstruct

    print(description(args.model), flush=True)
    paths = image_paths(args.images)
    rows, skipped = reconstruct(args.model, paths, Path(args.out), args.obfuscated)
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    for row in rows:
        scores = "" if "reconstructed_psnr" not in row else (
            f": obfuscated {row['obfuscated_psnr']:.2f} dB / {row['obfuscated_ssim']:.4f}, "
            f"reconstructed {row['reconstructed_psnr']:.2f} dB / {row['reconstructed_ssim']:.4f}")
        print(f"{row['image']}{scores} -> {row['written']}")
    print(f"{len(rows)} of {len(paths)} image(s) reconstructed"
          + (f", {len(skipped)} skipped (above)" if skipped else ""))
    return 1 if skipped else 0


def models_command(args) -> int:
    from .models import SUFFIX, publish_best

    rows = publish_best(args.results_root, args.profile, args.models_dir)
    for row in rows:
        print(f"{row['name']}{SUFFIX}: {int(row['bytes']) / 1e3:.0f} kB, val PSNR "
              f"{row['val_psnr']} dB, test PSNR {row['test_psnr']} dB / SSIM {row['test_ssim']}")
    for obfuscation in [o for o in args.profile.obfuscations
                        if o not in {row['obfuscation'] for row in rows}]:
        print(f"{obfuscation}: no finished run with its weights; none published")
    return 0


def baselines_command(args) -> int:
    from ..data.baselines import run_baselines
    from ..data.dataset import load_dataset

    table = run_baselines(load_dataset(args.profile, args.data_home),
                          args.results_root, args.force)
    print(table.to_string(index=False))
    return 0


def selected_runs(args) -> list:
    """The slice of the grid (or with --sweep, of the strength sweep) the options name; with
    --strength, its runs at those calibration candidates instead of the profile's strength."""
    from dataclasses import replace

    from ..training.runs import grid, sweep

    obfuscations = names(args.obfuscation, OBFUSCATION_NAMES, "obfuscation")
    seeds = integers(args.seed, "--seed")
    if args.sweep:
        runs = [r for r in sweep(args.profile) if r.obfuscation in (obfuscations or OBFUSCATION_NAMES)
                and (seeds is None or r.seed in seeds)]
    else:
        runs = grid(args.profile, names(args.arch, ARCHITECTURE_NAMES, "architecture"),
                    names(args.loss, LOSS_NAMES, "loss"), obfuscations, seeds,
                    names(args.split, SPLIT_NAMES, "split"))
    strengths = parse_list(args.strength, kind="--strength")
    if strengths is None:
        return runs
    valid = {o: args.profile.swept_strengths(o) for o in obfuscations or OBFUSCATION_NAMES}
    for strength in strengths:
        check_choice("--strength", strength, [s for listed in valid.values() for s in listed])
    at = [replace(r, strength=s) for r in runs for s in strengths if s in valid[r.obfuscation]]
    return list(dict.fromkeys(at))


def planned(runs: list, args, check: bool = True):
    """Prints what the command will train (training.plan) and (with check) that this device
    may train it; returns the plan."""
    from ..training.plan import check_device, training_plan
    from ..training.runs import RunStore

    plan = training_plan(runs, RunStore(args.results_root, args.profile), args.force)
    print(plan.text(split_given=args.split is not None), flush=True)
    if check:
        check_device(plan, args.allow_cpu)
    return plan


def train_command(args) -> int:
    plan = planned(selected_runs(args), args)
    from ..training.train import (
        train_many,  # Keras starts once the slice is known valid
    )

    summary = train_many(list(plan.to_train), args.results_root, args.force, args.data_home,
                         verbose="auto" if sys.stdout.isatty() else 2)
    failed = summary[~summary["status"].isin(["finished", "cached", "busy"])]
    for _, row in failed.iterrows():
        print(f"FAILED {row['key']}: {row.get('reason')}", file=sys.stderr)
    return 1 if len(failed) else 0


def grid_command(args) -> int:
    from ..training.schedule import in_priority_order

    runs = in_priority_order(selected_runs(args), args.profile)
    planned(runs, args)
    from ..core.quiet_keras import keras

    if keras.backend.backend() != "jax":
        raise ConfigError("the grid trainer needs the JAX backend: KERAS_BACKEND=jax python -m "
                          "facerecon grid ...")
    keras.config.set_dtype_policy(args.precision)
    from ..training.grid_trainer import train_grid

    summary = train_grid(runs, args.results_root, args.strategy, args.group_size,
                         args.data_home, args.deadline_s, args.force, args.unroll)
    print(summary.to_string(index=False) if len(summary) else "no run needed training")
    return 0 if summary.empty or summary["status"].isin(["finished"]).all() else 1


def bench_command(args) -> int:
    from ..training.bench import bench, strategy_table

    architectures = names(args.arch, ARCHITECTURE_NAMES, "architecture") or list(STUDY_ARCHITECTURES)
    if args.strategy:
        strategy_table(args.profile, architectures,
                       names(args.strategy, ("fit", *STRATEGIES), "strategy"), args.group_size)
    else:
        bench(args.profile, architectures, args.steps, args.loss)
    return 0


def schedule_command(args) -> int:
    from ..training import cluster, schedule
    from ..training.runs import RunStore

    executor = args.executor or schedule.default_executor()
    if executor == "local" and (args.address or args.measure):
        raise ConfigError("--executor local trains on this machine's process pool: --address "
                          "and --measure need Ray (--executor ray)")
    if executor == "ray" and not schedule.default_executor() == "ray":
        raise ConfigError("--executor ray: Ray is not installed here (pip install ray, or "
                          "--executor local for this machine's process pool)")
    address = cluster.cluster_address(args.address) if executor == "ray" else None
    if args.measure:
        check_choice("--measure-arch", args.measure_arch, ARCHITECTURE_NAMES)
        with cluster.ray_session(address) as where:
            print(where, flush=True)
            schedule.measure(args.profile, args.measure_arch, integers(args.measure, "--measure"),
                             args.steps, args.results_root)
        return 0
    runs = schedule.in_priority_order(selected_runs(args), args.profile)
    # Joining a cluster, the device check is the cluster's (train_scheduled), not this machine's.
    plan = planned(runs, args, check=not address)
    if not plan.to_train:
        return 0
    outcome = schedule.train_scheduled(plan, RunStore(args.results_root, args.profile),
                                       args.data_home, args.force, address, args.runs_per_gpu,
                                       args.retries, args.deadline_s, args.allow_cpu, executor)
    return 0 if outcome.ok else 1


def job_command(args) -> int:
    from . import job as gpu_job

    if args.step == "build":
        from ..training.schedule import in_priority_order

        gpu_job.check_new_folder(args.job)  # before the plan is said
        runs = in_priority_order(list(planned(selected_runs(args), args, check=False).to_train),
                                 args.profile)
        wheels = ([] if args.wheels == "none" else list(gpu_job.LACKED) if args.wheels is None
                  else parse_list(args.wheels, kind="--wheels"))
        built = gpu_job.build(runs, args.profile, args.job, args.python_version, wheels,
                          args.data_home)
        print(f"{args.job}: {len(runs)} run(s) of profile {args.profile.name}, "
              f"{built['size'] / 2**20:.1f} MiB (wheels: {', '.join(built['wheels']) or 'none'}"
              f"); there: {args.job.name}/run.sh OUT (its README.txt says what it needs)")
        return 0
    if args.step == "train":
        return gpu_job.train(args.job, args.out, args.deadline_s, args.stop_s, args.runs_per_gpu,
                             int(args.back_mib * 2**20))
    said = gpu_job.publish(args.folder, args.results_root, args.models_dir)
    for outcome, meaning in (("published", "published"), ("kept", "kept: finished here already"),
                             ("stale", "not published: trained under settings the profile no "
                              "longer has")):
        for key in said[outcome]:
            print(f"{key}: {meaning}")
    for path in said["models"]:
        print(f"model: {path}")
    print(f"{len(said['published'])} run(s) published into {args.results_root}, "
          f"{len(said['kept'])} kept, {len(said['stale'])} stale; {len(said['not back'])} of "
          f"the job's {len(said['job']['runs'])} did not come back (a later job trains them)")
    return 0


def report_command(args) -> int:
    from ..reporting.build import build_report
    from ..reporting.latex import compile_report
    from ..training.runs import RunStore

    RunStore(args.results_root, args.profile).check_has_runs()
    built = build_report(args.profile, args.results_root, args.figures_root)
    runs = built["runs"]
    print(runs.groupby("status").size().to_string())
    print(f"tables:  {args.results_root / args.profile.name / 'tables'}")
    print(f"figures: {args.figures_root / args.profile.name}")
    print(compile_report(args.results_root / args.profile.name))
    return 0


def recognise_command(args) -> int:
    from ..reporting.recognition_report import write_recognition
    from ..training.runs import RunStore

    store = RunStore(args.results_root, args.profile)
    store.check_has_runs()
    runs = store.collect()
    written = write_recognition(args.profile, args.results_root, args.figures_root, runs,
                                args.data_home, args.force)
    print(written["text"])
    return 0


def run_command(args) -> int:
    from .pipeline import run_notebooks

    if not args.report_only:
        print(training_device(), flush=True)
    return run_notebooks(args.profile, names(args.only, list(STUDY_ARCHITECTURES), "architecture"),
                         names(args.loss, LOSS_NAMES, "loss"), args.force, args.report_only,
                         args.results_root, args.figures_root, args.data_home,
                         args.allow_cpu)


def default_profile() -> str:
    """The profile of a run given none: paper where the Keras backend sees a GPU, else quick;
    says which and why in one line, also when the GPU probe itself fails."""
    from ..core.runtime import backend, find_accelerator

    try:
        gpu = find_accelerator()
        reason = (f"the Keras backend sees a GPU ({gpu})" if gpu
                  else f"the {backend()} backend sees no GPU (paper needs one)")
    except Exception as error:  # the probe's own failure is said, not taken for "no GPU"
        gpu, reason = None, (f"the GPU probe of the {backend()} backend failed "
                             f"({type(error).__name__}: {error})")
    name = "paper" if gpu else "quick"
    print(f"no --profile given: the {name} profile, since {reason}", flush=True)
    return name


def training_device() -> str:
    """The device the runs train on and why, in one line: the set of wheels
    scripts/ensure_env.sh chose (FACERECON_DEVICE_CHOICE, "gpu: nvidia-smi lists ...") and what
    the Keras backend sees with them."""
    from ..core.runtime import accelerator_name, backend

    chosen = os.environ.get("FACERECON_DEVICE_CHOICE", "").partition(": ")[2]
    gpu = accelerator_name()
    seen = f"the {backend()} backend sees {gpu or 'no GPU'}"
    why = f"{chosen}; {seen}" if chosen else seen
    if gpu:
        return f"device: GPU ({why}); FACERECON_DEVICE=cpu to train on the CPU"
    return f"device: CPU ({why})"


def parser() -> argparse.ArgumentParser:
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
    listed = "comma list or 'all' of: "

    main = argparse.ArgumentParser(prog="python -m facerecon", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True, metavar="command")

    def command(name, handler, parents, help):
        # No help= here: the description above lists the commands once.
        sub = commands.add_parser(name, parents=parents, description=help)
        sub.set_defaults(handler=handler)
        return sub

    command("prepare", prepare_command, [profile, results, figures, data],
            "splits, obfuscation calibration, baselines and sample faces")
    sub = command("reconstruct", reconstruct_command, [], "reconstruct faces you bring with a model in "
                  "models/ or a trained run's weights, beside the original and the obfuscated "
                  "face")
    sub.add_argument("--model", required=True,
                     help="a model's name in models/ (models/index.csv, e.g. "
                     "quick__srresnet__psnr__blur__seed0) or a run's weights, "
                     "results/<profile>/weights/<run>.weights.h5")
    sub.add_argument("images", nargs="+", help="image files or folders")
    sub.add_argument("--obfuscated", action="store_true",
                     help="the images are already obfuscated (no original, no scores)")
    sub.add_argument("--out", default="reconstructed", help="folder for the side-by-side images")
    command("models", models_command, [profile, results], "publish the best finished run per "
            "obfuscation (best validation PSNR) into models/ as float16 weights, with "
            "models/index.csv").add_argument("--models-dir", type=Path,
                                             default=PROJECT_ROOT / "models",
                                             help="where to publish (default: models/)")
    command("calibrate", calibrate_command, [profile, results, figures, data],
            "where the study's example faces fall among ours, per candidate strength")
    command("baselines", baselines_command, [profile, results, data], "the non-learned baselines"
            ).add_argument("--force", action="store_true", help="recompute")
    runs = argparse.ArgumentParser(add_help=False)
    runs.add_argument("--arch", help=listed + ", ".join(ARCHITECTURE_NAMES))
    runs.add_argument("--loss", help=listed + ", ".join(LOSS_NAMES))
    runs.add_argument("--obfuscation", help=listed + ", ".join(OBFUSCATION_NAMES))
    runs.add_argument("--seed", help="comma list of seeds (default: the profile's)")
    runs.add_argument("--split", help=listed + ", ".join(SPLIT_NAMES) + " (the identity split only "
                      "for the profile's identity runs)")
    runs.add_argument("--strength", help="comma list of calibration candidates (e.g. block12; "
                      "params/<profile>.yaml) to train the runs at instead of the profile's "
                      "strength")
    runs.add_argument("--sweep", action="store_true", help="the profile's strength sweep "
                      "(sweep_architecture, sweep_loss, sweep_seeds) instead of the grid")
    runs.add_argument("--force", action="store_true", help="retrain finished runs")
    command("train", train_command, [profile, results, data, runs, cpu], "train runs of the grid")
    sub = command("grid", grid_command, [profile, results, data, runs, cpu],
                  "train runs in lock-step groups, in priority order (JAX backend)")
    sub.add_argument("--strategy", default="vmap", choices=STRATEGIES)
    sub.add_argument("--group-size", type=int, default=12, help="runs trained together")
    sub.add_argument("--deadline-s", type=float, help="start no epoch after this many seconds")
    sub.add_argument("--unroll", type=int, help="scan unroll (0: all steps; default: 0 on a "
                     "CPU, 1 on a GPU)")
    sub.add_argument("--precision", default="float32", choices=("float32", "mixed_bfloat16"))
    sub = command("bench", bench_command, [profile], "training images/s per architecture")
    sub.add_argument("--arch", help=listed + ", ".join(ARCHITECTURE_NAMES))
    sub.add_argument("--loss", default="l2")
    sub.add_argument("--steps", type=int, default=20)
    sub.add_argument("--strategy", help="comma list of strategies to compare instead: fit "
                     "(Keras' fit, one run) and the grid trainer's " + ", ".join(STRATEGIES)
                     + " (JAX backend)")
    sub.add_argument("--group-size", type=int, default=6, help="runs per group in --strategy")
    sub = command("schedule", schedule_command, [profile, results, data, runs, cpu],
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
    sub = command("job", job_command, [], "a self-contained GPU job: build it here, train it there "
                  "(no internet, LFW or Ray needed), publish what comes back")
    steps = sub.add_subparsers(dest="step", required=True, metavar="step")
    step = steps.add_parser("build", parents=[profile, results, data, runs],
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
    step = steps.add_parser("publish", parents=[results], help="what a job brought back, into "
                            "results/ and models/")
    step.add_argument("folder", type=Path, help="the folder holding the job's parts")
    step.add_argument("--models-dir", type=Path, default=PROJECT_ROOT / "models")
    command("recognise", recognise_command, [profile, results, figures, data],
            "face recognition on original, obfuscated and reconstructed test faces"
            ).add_argument("--force", action="store_true", help="recompute every condition")
    command("report", report_command, [profile, results, figures],
            "tables, figures and the reproduction report from finished runs")
    sub = command("run", run_command, [chosen_profile, results, figures, data, cpu],
                  "the notebooks with papermill: data, each architecture per loss, comparison")
    sub.add_argument("--only", help="architectures, comma list of: "
                     + ", ".join(STUDY_ARCHITECTURES))
    sub.add_argument("--loss", help="losses, comma list of: " + ", ".join(LOSS_NAMES))
    sub.add_argument("--force", action="store_true", help="retrain finished runs")
    sub.add_argument("--report-only", action="store_true",
                     help="every notebook from the runs that exist, training none")
    return main


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM stops a command as Ctrl-C does: staged runs are discarded, kernels shut down."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if argv is None:  # the command line, not a caller inside Python
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
