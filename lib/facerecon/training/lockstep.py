"""One compiled program that trains K runs of one architecture side by side (JAX backend, through
Keras' stateless API): an epoch of every run as one `lax.scan` over its batches, validation, and
keeping each run's best weights. Every run has its own weights, Adam state, BatchNorm statistics,
inputs (its obfuscation and split), batch order and loss (all losses are computed, its own is
selected by index); a run that has stopped is frozen by a mask.

How the K runs share the device is a strategy: "vmap" (one batched computation; convolutions
with stacked weights become grouped convolutions), "map" (lax.map: the runs one after another
inside one program) or "loop" (one compiled single-run program called K times). Each compiles
once per (architecture, group size, image shape). `unroll` unrolls the epoch's scan by that many
steps (0: completely): XLA on the CPU runs convolutions inside a rolled loop about 40 times
slower, so the CPU default is 0, the GPU default 1.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import get_loss
from ..axes.losses import LOSS_NAMES
from ..axes.measures import epoch_scores
from ..axes.metrics import to_unit_range
from ..axes.networks import build_for_profile
from ..core.checks import check_choice
from ..core.quiet_keras import keras, ops
from ..experiment.config import STRATEGIES


class Lockstep:
    """The compiled epoch, validation and best-weight functions of one architecture."""

    def __init__(self, arch: str, profile, strategy: str = "vmap", unroll: int | None = None):
        if keras.backend.backend() != "jax":
            raise RuntimeError("the grid trainer needs the JAX backend (KERAS_BACKEND=jax)")
        check_choice("strategy", strategy, STRATEGIES)
        self.unroll = (0 if jax.default_backend() == "cpu" else 1) if unroll is None else unroll
        self.arch, self.profile = arch, profile
        self.model = build_for_profile(arch, profile)
        self.optimizer = keras.optimizers.Adam(profile.learning_rate)
        self.optimizer.build(self.model.trainable_variables)
        self.output_range = ARCHITECTURES[arch].output_range
        self.losses = [get_loss(name, self.output_range) for name in LOSS_NAMES]  # by index
        self.strategy = strategy
        self.epoch = self.batched(self.run_epoch, in_axes=(0, 0, None, None, 0, 0, 0))
        self.validate = self.batched(self.run_validation, in_axes=(0, 0, None, None, 0, 0, None))
        self.keep_best = jax.jit(keep_best)

    # --- one run ---------------------------------------------------------------------------

    def scaled(self, images):
        low, high = self.output_range
        return images * (high - low) + low

    def scores(self, y, pred):
        """Per-image values of every measure (measures.MEASURES), on [0, 1]."""
        y, pred = (to_unit_range(a, self.output_range) for a in (y, pred))
        return epoch_scores(y, pred)

    def batch_loss(self, trainable, non_trainable, x, y, loss_index):
        pred, non_trainable = self.model.stateless_call(trainable, non_trainable, x, training=True)
        pred = pred.astype("float32")  # losses in full precision under a mixed policy too
        value = jnp.stack([fn(y, pred) for fn in self.losses])[loss_index]
        return value, (non_trainable, pred)

    def run_epoch(self, state, order, inputs, targets, which, loss_index, active):
        """One epoch of one run: `order` (steps, batch) are image indices, `which` the run's
        (input set, target set); `active` False leaves the state as it was."""
        gradient = jax.value_and_grad(self.batch_loss, has_aux=True)

        def step(carry, indices):
            trainable, non_trainable, optimizer_state = carry
            x = self.scaled(inputs[which[0], indices])
            y = self.scaled(targets[which[1], indices])
            (loss, (non_trainable, pred)), grads = gradient(trainable, non_trainable, x, y,
                                                            loss_index)
            trainable, optimizer_state = self.optimizer.stateless_apply(optimizer_state, grads,
                                                                        trainable)
            updated = (trainable, non_trainable, optimizer_state)
            carry = jax.tree.map(lambda new, old: jnp.where(active, new, old), updated, carry)
            return carry, jnp.stack([loss, *(ops.mean(s) for s in self.scores(y, pred))])

        steps = order.shape[0]  # a full unroll of one step needs 2: JAX keeps 1 as a loop
        state, per_step = jax.lax.scan(step, state, order,
                                       unroll=max(steps, 2) if self.unroll == 0 else self.unroll)
        return state, per_step  # per_step: (steps, 1 + measures) loss, psnr, ssim

    def run_validation(self, trainable, non_trainable, inputs, targets, which, loss_index,
                       chunks):
        """Per-image loss and measures of one run on the images `chunks` (n, chunk) index."""
        def chunk(indices):
            x = self.scaled(inputs[which[0], indices])
            y = self.scaled(targets[which[1], indices])
            pred, _ = self.model.stateless_call(trainable, non_trainable, x, training=False)
            pred = pred.astype("float32")
            per_image = jnp.stack([jax.vmap(lambda a, b: fn(a[None], b[None]))(y, pred)
                                   for fn in self.losses])[loss_index]
            return jnp.stack([per_image, *self.scores(y, pred)])

        return jax.lax.map(chunk, chunks)  # (n, 1 + measures, chunk)

    # --- K runs ----------------------------------------------------------------------------

    def batched(self, function, in_axes):
        """`function` over the runs' leading axis, by the strategy, compiled once."""
        if self.strategy == "vmap":
            return jax.jit(jax.vmap(function, in_axes=in_axes))
        if self.strategy == "map":
            return jax.jit(lambda *args: jax.lax.map(
                lambda run: function(*fill(run, args, in_axes)), per_run(args, in_axes)))
        single = jax.jit(function)
        return lambda *args: stack([single(*fill(run, args, in_axes)) for run in
                                    unstack(per_run(args, in_axes))])

    def initial_state(self, seeds) -> tuple:
        """Stacked (trainable, non-trainable, optimizer) variables, one row per seed: each run's
        network initialised as the Keras path does (the seed set before the network is built)."""
        rows = []
        for seed in seeds:
            keras.utils.set_random_seed(int(seed))
            model = build_for_profile(self.arch, self.profile)
            rows.append(([v.value for v in model.trainable_variables],
                         [v.value for v in model.non_trainable_variables],
                         [v.value for v in self.optimizer.variables]))
        return stack(rows)


def keep_best(best, current, improved):
    """Each run's variables from `current` where it improved, else from `best`."""
    return jax.tree.map(lambda b, c: jnp.where(
        improved.reshape((-1,) + (1,) * (c.ndim - 1)), c, b), best, current)


def per_run(args, in_axes):
    return tuple(a for a, axis in zip(args, in_axes) if axis == 0)


def fill(run, args, in_axes):
    """The arguments of one run: its own slices where in_axes is 0, the shared ones elsewhere."""
    run = iter(run)
    return [next(run) if axis == 0 else a for a, axis in zip(args, in_axes)]


def stack(rows):
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *rows)


def unstack(tree):
    n = len(jax.tree.leaves(tree)[0])
    return [jax.tree.map(lambda leaf: leaf[i], tree) for i in range(n)]
