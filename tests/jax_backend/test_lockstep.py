"""The grid trainer on the JAX backend (CPU), run by tests/test_jax_backend.py in a subprocess with
KERAS_BACKEND=jax: no cross-talk between the runs of a group, agreement with Keras' fit, frozen
runs, each run's own early stopping."""
import dataclasses

import keras
import numpy as np
import pytest

from support import synthetic_dataset_of  # noqa: E402

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax",
                                reason="the grid trainer runs on the JAX backend")

from facerecon.axes.losses import get_loss  # noqa: E402
from facerecon.axes.networks import build_for_profile  # noqa: E402
from facerecon.experiment.config import RunConfig, load_profile  # noqa: E402
from facerecon.experiment import runs  # noqa: E402
from facerecon.training import grid_trainer, lockstep  # noqa: E402

# 4 batches of 8 per epoch, at most 6 epochs, patience 1: runs stop at different epochs. The
# Simple CNN at half its width: the grouping is what is tested, not the network.
SMOKE = load_profile("smoke")
PROFILE = dataclasses.replace(SMOKE, n_train=32, n_val=16, batch_size=8, max_epochs=6, patience=1,
                              run_eagerly=False, architectures={
                                  **SMOKE.architectures,
                                  "simple_cnn": {"filters": 64, "middle_layers": 3}})
RUNS = [RunConfig("simple_cnn", "l2", "blur", 0, "smoke"),
        RunConfig("simple_cnn", "ssim", "pixelate", 1, "smoke"),
        RunConfig("simple_cnn", "ms_ssim_l1", "blur", 2, "smoke", "identity")]
DATASETS = {split: synthetic_dataset_of(PROFILE, split=split) for split in ("random", "identity")}


def train(runs_, root):
    outcomes = grid_trainer.train_group(runs_, root, "vmap", profile=PROFILE, datasets=DATASETS)
    store = runs.RunStore(root, PROFILE)
    return {r.key: (o, store.history(r.key), store.per_image(r.key)) for r, o in outcomes}


@pytest.fixture(scope="module")
def together_and_alone(tmp_path_factory):
    root = tmp_path_factory.mktemp("grid")
    together = train(RUNS, root / "together")
    alone = {}
    for run in RUNS:
        alone.update(train([run], root / f"alone_{run.key}"))
    return together, alone


def test_a_run_in_a_group_trains_as_it_does_alone(together_and_alone):
    together, alone = together_and_alone
    for key, (metrics, history, per_image) in together.items():
        metrics_alone, history_alone, per_image_alone = alone[key]
        assert metrics["status"] == "finished" and metrics["trainer"] == "grid/vmap"
        assert metrics["epochs_run"] == metrics_alone["epochs_run"], key
        columns = ["loss", "psnr", "ssim", "val_loss", "val_psnr", "val_ssim"]
        # Grouped and single convolutions sum in different orders: float noise, no cross-talk.
        np.testing.assert_allclose(history[columns], history_alone[columns], rtol=1e-3,
                                   atol=1e-6, err_msg=key)
        np.testing.assert_allclose(per_image["psnr"], per_image_alone["psnr"], rtol=1e-3)


def test_each_run_stops_by_its_own_validation_loss(together_and_alone):
    together, _ = together_and_alone
    stop_epochs = set()
    for key, (metrics, history, _) in together.items():
        stopper = grid_trainer.Stopper(PROFILE.patience)
        for epoch, value in enumerate(history["val_loss"]):
            assert not stopper.stopped, f"{key} trained on after it stopped"
            stopper.update(epoch, value)
        assert stopper.stopped or len(history) == PROFILE.max_epochs
        assert metrics["best_epoch"] == stopper.best_epoch + 1 == history["val_loss"].idxmin() + 1
        stop_epochs.add(len(history))
    assert len(stop_epochs) > 1, "every run stopped at the same epoch: the test shows nothing"


def test_a_stopped_run_is_frozen():
    step = lockstep.Lockstep("simple_cnn", PROFILE, "vmap")
    import jax.numpy as jnp

    state = step.initial_state([0, 1])
    faces = jnp.asarray(np.stack([DATASETS["random"].images["train"]]))
    orders = jnp.asarray(np.stack([np.arange(32).reshape(4, 8)] * 2))
    after, _ = step.epoch(state, orders, faces, faces, jnp.zeros((2, 2), int),
                          jnp.zeros(2, int), jnp.asarray([True, False]))
    for before_leaf, after_leaf in zip(*(jax_leaves(s) for s in (state, after))):
        np.testing.assert_array_equal(before_leaf[1], after_leaf[1])
    assert any(not np.array_equal(b[0], a[0]) for b, a in zip(jax_leaves(state), jax_leaves(after)))


def jax_leaves(tree):
    import jax

    return [np.asarray(leaf) for leaf in jax.tree.leaves(tree)]


@pytest.mark.parametrize("loss", ["l2", "ssim"])
def test_the_training_loss_agrees_with_keras_fit(loss):
    """Same initial weights, same batch order: the per-epoch training loss of the grid trainer
    and of model.fit agree for three epochs."""
    import jax.numpy as jnp

    run = RunConfig("simple_cnn", loss, "blur", 3, "smoke")
    dataset = DATASETS["random"]
    inputs, targets = dataset.obfuscated("train", "blur"), dataset.images["train"]
    step = lockstep.Lockstep("simple_cnn", PROFILE, "vmap")
    state = step.initial_state([run.seed])
    keras.utils.set_random_seed(run.seed)
    model = build_for_profile("simple_cnn", PROFILE)
    model.compile(optimizer=keras.optimizers.Adam(PROFILE.learning_rate), loss=get_loss(loss))
    rng = grid_trainer.shuffler(run.seed)
    for epoch in range(3):
        order = grid_trainer.epoch_orders([rng], PROFILE.n_train, PROFILE.batch_size)
        state, per_step = step.epoch(state, jnp.asarray(order), jnp.asarray(inputs[None]),
                                     jnp.asarray(targets[None]), jnp.zeros((1, 2), int),
                                     jnp.asarray([list(grid_trainer.LOSS_NAMES).index(loss)]),
                                     jnp.asarray([True]))
        flat = order[0].ravel()
        fitted = model.fit(inputs[flat], targets[flat], batch_size=PROFILE.batch_size, epochs=1,
                           shuffle=False, verbose=0)
        assert float(np.asarray(per_step)[0, :, 0].mean()) == pytest.approx(
            fitted.history["loss"][0], rel=2e-3), (loss, epoch)


def test_runs_still_training_at_the_deadline_leave_no_records(tmp_path):
    import time

    ended = grid_trainer.train_group(RUNS[:2], tmp_path, "vmap", deadline=time.monotonic(),
                             profile=PROFILE, datasets=DATASETS)
    store = runs.RunStore(tmp_path, PROFILE)
    assert ended == [] and {store.status(r.key) for r in RUNS[:2]} == {"incomplete"}
