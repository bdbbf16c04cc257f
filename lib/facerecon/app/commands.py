"""What each command of the command line does (app/cli.py parses it and calls one of these with
its arguments, the profile already read): a handler per command, `<command>_command(args)`,
returning the exit status. A handler imports what it runs (Keras, JAX, Ray, matplotlib,
papermill, scikit-learn) when it runs: `-h` and a bad flag answer without loading them."""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from ..core import runtime
from ..core.checks import ConfigError, check_choice
from ..experiment.config import (ARCHITECTURE_NAMES, LOSS_NAMES, OBFUSCATION_NAMES, SPLIT_NAMES,
                                 STRATEGIES, STUDY_ARCHITECTURES, parse_list)
from ..experiment.runs import RunStore
from ..experiment.study import grid, sweep
from ..training.plan import check_device, training_plan
from ..training.priority import in_priority_order


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


def rescore_command(args) -> int:
    from ..data.dataset import load_dataset
    from ..training.rescore import rescore_profile

    store = RunStore(args.results_root, args.profile)
    counts = rescore_profile(store, lambda split: load_dataset(args.profile, args.data_home,
                                                               split))
    print(f"rescore: {counts['rescored']} runs rescored, {counts['refused']} refused, "
          f"{counts['without weights']} without their weights here, {counts['whole']} already "
          "whole")
    return 1 if counts["refused"] else 0  # a run without its weights here is not an error


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
    obfuscations = names(args.obfuscation, OBFUSCATION_NAMES, "obfuscation")
    seeds = integers(args.seed, "--seed")
    if seeds and min(seeds) < 0:  # a seed Keras refuses, after the run's lock is taken
        raise ConfigError(f"--seed must be non-negative integers, not {args.seed!r}")
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


def lockstep_command(args) -> int:
    runs = in_priority_order(selected_runs(args), args.profile)
    planned(runs, args)
    from ..core.quiet_keras import keras

    if keras.backend.backend() != "jax":
        raise ConfigError("the grid trainer needs the JAX backend: KERAS_BACKEND=jax python -m "
                          "facerecon lockstep ...")
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
    runs = in_priority_order(selected_runs(args), args.profile)
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
        from .job_train import train

        return train(args.job, args.out, args.deadline_s, args.stop_s, args.runs_per_gpu,
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
    from ..reporting.document import compile_report

    RunStore(args.results_root, args.profile).check_has_runs()
    built = build_report(args.profile, args.results_root, args.figures_root)
    runs = built["runs"]
    print(runs.groupby("status").size().to_string())
    unusable = runs[runs["status"].isin(["damaged", "incomplete"])]
    for _, row in unusable.iterrows():  # counted above, named here: not in any table
        print(f"{row['status']}: {row['key']}: {row['reason']}", file=sys.stderr)
    if waiting := built["recognition"]["unscored"]:
        named = ", ".join(waiting[:3]) + (", ..." if len(waiting) > 3 else "")
        print(f"recognition: {len(waiting)} finished run(s) not scored yet ({named}): "
              f"python -m facerecon recognise --profile {args.profile.name} scores them")
    print(f"tables:  {args.results_root / args.profile.name / 'tables'}")
    print(f"figures: {args.figures_root / args.profile.name}")
    said, failed = compile_report(args.results_root / args.profile.name)
    print(said, file=sys.stderr if failed else sys.stdout)
    return 1 if failed or (runs["status"] == "damaged").any() else 0


def recognise_command(args) -> int:
    from ..recognition.recognise import recognise
    from ..reporting.recognition_report import write_recognition

    store = RunStore(args.results_root, args.profile)
    store.check_has_runs()
    recognise(args.profile, args.results_root, args.data_home, args.force)
    written = write_recognition(args.profile, args.results_root, args.figures_root,
                                store.collect())
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


def training_device() -> str:
    """The device the runs train on and why, in one line: the set of wheels
    scripts/ensure_env.sh chose (FACERECON_DEVICE_CHOICE, "gpu: nvidia-smi lists ...") and what
    the Keras backend sees with them."""
    chosen = os.environ.get("FACERECON_DEVICE_CHOICE", "").partition(": ")[2]
    gpu = runtime.accelerator_name()
    seen = f"the {runtime.backend()} backend sees {gpu or 'no GPU'}"
    why = f"{chosen}; {seen}" if chosen else seen
    if gpu:
        return f"device: GPU ({why}); FACERECON_DEVICE=cpu to train on the CPU"
    return f"device: CPU ({why})"
