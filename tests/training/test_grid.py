"""The grid trainer's early stopping against Keras' on scripted validation curves (its training
on the JAX backend: tests/jax_backend/test_lockstep.py)."""

import keras
import numpy as np
import pytest

from facerecon.training.grid_trainer import Stopper

CURVES = [[1.0, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87, 0.88],
          [1.0, 1.1, 1.2, 1.3, 1.4],
          [0.5, 0.4, 0.3, 0.2, 0.1],
          [1.0, np.nan, 0.9, 0.95, 0.96, 0.97]]


class ScriptedModel:
    stop_training = False

    def get_weights(self):
        return []

    def set_weights(self, weights):
        pass


def keras_stop(curve, patience):
    """The epoch Keras' EarlyStopping stops after and the best epoch, on a scripted curve."""
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                             restore_best_weights=True)
    model = ScriptedModel()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(curve):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            return epoch, callback.best_epoch
    return len(curve) - 1, callback.best_epoch


@pytest.mark.parametrize("patience", [1, 2, 3])
@pytest.mark.parametrize("curve", CURVES)
def test_the_grid_stops_where_keras_stops(curve, patience):
    stopper = Stopper(patience)
    for epoch, value in enumerate(curve):
        stopper.update(epoch, value)
        if stopper.stopped:
            break
    assert (epoch, stopper.best_epoch) == keras_stop(curve, patience)
