"""What several test files share: float dtypes, the clipping bound of the losses, extreme logits, a float64
reference softmax, and `Scale`, a learner-style layer with one trainable factor per feature."""

from typing import Any

import numpy as np

from nnfs.layers import Layer

DTYPES = [np.float32, np.float64]
CLIP = 1e-7  # the losses clip probabilities to [CLIP, 1 - CLIP]
EXTREME = {  # name -> logits
    "huge positive and negative": [[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [0.0, 0.0, 1e4]],
    "all equal": [[3.0, 3.0, 3.0], [-7.0, -7.0, -7.0], [1e4, 1e4, 1e4]],
    "all huge negative": [[-1e4, -1e4, -1e4], [-1e4, -1e4 + 1, -1e4 + 2], [-5e3, -1e4, -1e4]],
}


def reference_softmax(z: np.ndarray) -> np.ndarray:
    "Softmax in float64 via log-sum-exp, for comparison (no clipping)."
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


class Scale(Layer):
    """A layer written the way a learner would: `output = inputs * factor`, one trainable factor per feature.

    The factor is the parameter `name` ("weights" by default; another name tests code that must not
    assume `weights`), starting at `init`, in `dtype`. An optional `regularizer` (e.g. `L1L2`) is applied
    in backward, as `Dense` does. `config()` rebuilds it."""

    def __init__(self, n_features: int, init: float = 1.0, *, name: str = "weights", dtype: Any = np.float64,
                 regularizer: Any = None):
        self.n_features, self.init, self.name, self.regularizer = n_features, init, name, regularizer
        setattr(self, name, np.full((1, n_features), init, dtype=dtype))

    def parameters(self) -> dict[str, np.ndarray]:
        return {self.name: getattr(self, self.name)}

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "init": self.init}

    def forward(self, inputs: np.ndarray, training: bool = True) -> np.ndarray:
        self.inputs, self.output = inputs, inputs * getattr(self, self.name)
        return self.output

    def backward(self, dvalues: np.ndarray) -> np.ndarray:
        dvalues = self._check_dvalues(dvalues)
        setattr(self, "d" + self.name, np.sum(dvalues * self.inputs, axis=0, keepdims=True))
        if self.regularizer is not None:
            self.regularizer.backward(self)
        self.dinputs = dvalues * getattr(self, self.name)
        return self.dinputs
