"""The gradient checker of lesson 07, and through it every backward pass exported by lesson 08.

`numerical_gradient` is first tested on functions with known gradients; `gradcheck` then proves Dense, ReLU,
Softmax, CategoricalCrossentropy and SoftmaxCategoricalCrossentropy on random shapes (batch size 1 included),
with labels as class indices and as one-hot rows. Deliberately broken subclasses prove that the checker fails,
and says where; backward passes wrong by just more (or just less) than the tolerance pin its arithmetic: the
relative-error floor, the rounding-noise term, `eps`, `rtol` and `atol`. Layers owned by a trained `Model`
(reference cycles) are checked too."""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nnfs.activations import ReLU, Softmax, softmax
from nnfs.core import NNFSError
from nnfs.gradcheck import GradcheckResult, gradcheck, numerical_gradient
from nnfs.layers import Dense
from nnfs.losses import CategoricalCrossentropy, SoftmaxCategoricalCrossentropy

SETTINGS = settings(max_examples=25, deadline=None)
sizes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


def away_from_zero(x: np.ndarray, gap: float = 1e-3) -> np.ndarray:
    "Move every entry at least `gap` away from 0 (ReLU's kink), keeping its sign."
    return np.where(x >= 0, x + gap, x - gap)


def labels_for(rng, n: int, k: int, one_hot: bool) -> np.ndarray:
    idx = rng.integers(0, k, size=n)
    return np.eye(k, dtype=np.float32)[idx] if one_hot else idx


# ---------------------------------------------------------------- numerical_gradient on known functions

def test_numerical_gradient_known_functions():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
    np.testing.assert_allclose(numerical_gradient(lambda a: np.sum(a**2), x), 2 * x, atol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: v[0] * v[1], np.array([3.0, -4.0])), [-4.0, 3.0],
                               atol=1e-8)
    t = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sin(v).sum(), t), np.cos(t), atol=1e-9)
    # |f| ~ 50: rounding noise ~ 50 * 1e-16 / 1e-6
    np.testing.assert_allclose(numerical_gradient(lambda v: np.exp(v).sum(), t), np.exp(t), rtol=1e-6)
    # a 0-d input and a scalar-valued function of a matrix
    np.testing.assert_allclose(numerical_gradient(lambda v: v**3, np.array(2.0)), 12.0, rtol=1e-9)
    A = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_gradient(lambda m: np.sum(m * A), np.ones((2, 3))), A, atol=1e-8)


def test_numerical_gradient_float64_and_input_untouched():
    x32 = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
    before = x32.copy()
    seen = []
    g = numerical_gradient(lambda a: (seen.append(a.dtype), np.sum(a**2))[1], x32)
    assert g.dtype == np.float64 and set(seen) == {np.dtype(np.float64)}
    np.testing.assert_array_equal(x32, before)
    assert len(seen) == 2 * x32.size          # two evaluations per element


def test_numerical_gradient_errors():
    with pytest.raises(NNFSError, match="single number"):
        numerical_gradient(lambda a: a * 2, np.ones(3))
    with pytest.raises(NNFSError, match="numerical_gradient: eps must be > 0"):
        numerical_gradient(np.sum, np.ones(3), eps=0)
    with pytest.raises(NNFSError, match="numerical_gradient: eps must be > 0"):
        numerical_gradient(np.sum, np.ones(3), eps=-1e-6)
    with pytest.raises(NNFSError, match="numerical_gradient: eps must be a real number"):
        numerical_gradient(np.sum, np.ones(3), eps=True)
    with pytest.raises(NNFSError, match="numerical_gradient: eps must be finite"):
        numerical_gradient(np.sum, np.ones(3), eps=float("nan"))


# ---------------------------------------------------------------- gradcheck on every exported backward

@SETTINGS
@given(n=sizes, n_in=sizes, n_out=sizes, seed=seeds)
@example(n=1, n_in=1, n_out=1, seed=0)
@example(n=1, n_in=5, n_out=3, seed=1)
def test_dense(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=rng)
    layer.biases[:] = rng.standard_normal((1, n_out))
    weights_before = layer.weights.copy()
    result = gradcheck(layer, rng.standard_normal((n, n_in)))
    assert result.ok, result
    assert set(result.errors) == {"inputs", "weights", "biases"}
    assert layer.weights.dtype == np.float32 and np.array_equal(layer.weights, weights_before)   # untouched


@SETTINGS
@given(n=sizes, n_in=sizes, n_out=sizes, seed=seeds)
@example(n=1, n_in=2, n_out=2, seed=0)
def test_dense_without_dinputs(n, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=rng)
    layer.need_dinputs = False
    result = gradcheck(layer, rng.standard_normal((n, n_in)))
    assert result.ok, result
    assert set(result.errors) == {"weights", "biases"}


@SETTINGS
@given(n=sizes, k=sizes, seed=seeds, scale=st.sampled_from([1e-2, 1.0, 10.0]))
@example(n=1, k=1, seed=0, scale=1.0)
def test_relu(n, k, seed, scale):
    rng = np.random.default_rng(seed)
    x = away_from_zero(scale * rng.standard_normal((n, k)))
    result = gradcheck(ReLU(), x)
    assert result.ok, result


@SETTINGS
@given(n=sizes, k=sizes, seed=seeds, scale=st.sampled_from([0.1, 1.0, 5.0]))
@example(n=1, k=1, seed=0, scale=1.0)
@example(n=1, k=6, seed=0, scale=5.0)
def test_softmax(n, k, seed, scale):
    rng = np.random.default_rng(seed)
    result = gradcheck(Softmax(), scale * rng.standard_normal((n, k)))
    assert result.ok, result


@SETTINGS
@given(n=sizes, k=st.integers(2, 6), seed=seeds, one_hot=st.booleans())
@example(n=1, k=2, seed=0, one_hot=False)
@example(n=1, k=2, seed=0, one_hot=True)
def test_categorical_crossentropy(n, k, seed, one_hot):
    rng = np.random.default_rng(seed)
    probs = softmax(rng.standard_normal((n, k)))       # well inside the clip range [1e-7, 1 - 1e-7]
    assert probs.min() > 1e-4 and probs.max() < 1 - 1e-4
    result = gradcheck(CategoricalCrossentropy(), probs, labels_for(rng, n, k, one_hot))
    assert result.ok, result


@SETTINGS
@given(n=sizes, k=sizes, seed=seeds, one_hot=st.booleans(), scale=st.sampled_from([0.1, 1.0, 4.0]))
@example(n=1, k=1, seed=0, one_hot=False, scale=1.0)
@example(n=1, k=3, seed=0, one_hot=True, scale=1.0)
def test_softmax_crossentropy(n, k, seed, one_hot, scale):
    rng = np.random.default_rng(seed)
    # logits spread at most 8 apart: no probability reaches the forward pass's clip at 1e-7 (or 1 - 1e-7),
    # where the clipped loss is flat but the combined backward (by design) gives the unclipped loss's gradient
    logits = scale * rng.uniform(-1, 1, size=(n, k))
    result = gradcheck(SoftmaxCategoricalCrossentropy(), logits, labels_for(rng, n, k, one_hot))
    assert result.ok, result


def test_float32_objects_are_checked_in_float64():
    rng = np.random.default_rng(3)
    layer = Dense(4, 3, weight_scale=1.0, rng=rng)            # float32 weights
    x32 = rng.standard_normal((5, 4)).astype(np.float32)
    result = gradcheck(layer, x32)
    assert result.ok and result.max_rel_error < 1e-6, result  # float32 arithmetic could not get below ~1e-4


# ---------------------------------------------------------------- gradcheck must fail on wrong backward
# passes

class DenseOneWrongWeight(Dense):
    "dweights wrong in exactly one entry."
    def backward(self, dvalues):
        out = super().backward(dvalues)
        self.dweights[1, 2] += 0.5
        return out


class DenseDoubledWeights(Dense):
    "dweights twice too large."
    def backward(self, dvalues):
        out = super().backward(dvalues)
        self.dweights = 2 * self.dweights
        return out


class DenseBiasMean(Dense):
    "dbiases averaged instead of summed over the batch."
    def backward(self, dvalues):
        out = super().backward(dvalues)
        self.dbiases = dvalues.mean(axis=0, keepdims=True)
        return out


class ReLUFlipped(ReLU):
    "The mask flipped: gradient passes where the input was negative."
    def backward(self, dvalues):
        self.dinputs = np.where(self.inputs <= 0, dvalues, 0)
        return self.dinputs


class SoftmaxNoSubtraction(Softmax):
    "Forgets the second term of the Jacobian."
    def backward(self, dvalues):
        self.dinputs = self.output * dvalues
        return self.dinputs


class SCENoMean(SoftmaxCategoricalCrossentropy):
    "Combined backward missing the division by N."
    def backward(self, dvalues, y_true):
        return super().backward(dvalues, y_true) * len(dvalues)


def test_gradcheck_reports_the_wrong_entry():
    rng = np.random.default_rng(0)
    layer = DenseOneWrongWeight(4, 3, weight_scale=1.0, rng=rng)
    result = gradcheck(layer, rng.standard_normal((5, 4)))
    assert isinstance(result, GradcheckResult)
    assert not result.ok and not result
    assert result.where == "weights" and result.index == (1, 2)
    assert result.analytic - result.numeric == pytest.approx(0.5, abs=1e-6)
    assert result.errors["inputs"] < 1e-7 and result.errors["biases"] < 1e-7
    assert "FAILED" in repr(result) and "weights[1, 2]" in repr(result)


@pytest.mark.parametrize("obj, where", [
    (DenseDoubledWeights(3, 2, weight_scale=1.0), "weights"),
    (DenseBiasMean(3, 2, weight_scale=1.0), "biases"),
    (ReLUFlipped(), "inputs"),
    (SoftmaxNoSubtraction(), "inputs"),
])
def test_gradcheck_fails_on_broken_layers(obj, where):
    rng = np.random.default_rng(1)
    x = away_from_zero(rng.standard_normal((4, 3)), 0.1)
    result = gradcheck(obj, x)
    assert not result.ok and result.where == where, result
    assert result.max_rel_error > 1e-2


@pytest.mark.parametrize("one_hot", [False, True])
def test_gradcheck_fails_on_broken_loss(one_hot):
    rng = np.random.default_rng(2)
    result = gradcheck(SCENoMean(), rng.standard_normal((4, 3)), labels_for(rng, 4, 3, one_hot))
    assert not result.ok and result.where == "inputs"
    assert result.analytic == pytest.approx(4 * result.numeric, rel=1e-6)      # off by exactly N


def test_gradcheck_rejects_wrong_gradient_shapes():
    class WrongShape(ReLU):
        def backward(self, dvalues):
            self.dinputs = dvalues[:, :1]
            return self.dinputs
    with pytest.raises(NNFSError, match=r"gradient of inputs has shape \(3, 1\), but inputs has shape "
                                        r"\(3, 2\)"):
        gradcheck(WrongShape(), np.ones((3, 2)))


# ---------------------------------------------------------------- the tolerance arithmetic, pinned

class Affine:
    "`out = x * c + offset`; backward returns `dvalues * c`, wrong by `err` at `where` (a scaled identity)."
    def __init__(self, c, offset=0.0, err=0.0, where=(0, 0), factor=1.0):
        self.c, self.offset, self.err = np.asarray(c, float), offset, err
        self.where, self.factor = where, factor
    def forward(self, x, training=True):
        self.output = x * self.c + self.offset
        return self.output
    def backward(self, dvalues):
        g = dvalues * self.c * self.factor
        g[self.where] += self.err
        return g


class LinearLoss:
    "Per-sample loss `sum(y_pred * c) + offset`; backward `c / N`, wrong by `err` at `where`."
    def __init__(self, c, offset=0.0, err=0.0, where=(0, 0)):
        self.c, self.offset, self.err, self.where = np.asarray(c, float), offset, err, where
    def forward(self, y_pred, y_true):
        return np.sum(y_pred * self.c, axis=1) + self.offset
    def backward(self, dvalues, y_true):
        g = np.broadcast_to(self.c / len(dvalues), dvalues.shape).copy()
        g[self.where] += self.err
        return g


def layer_floor(x, c, offset, eps=1e-6, rtol=1e-5, atol=0.0, terms=False):
    """The denominator floor gradcheck must use for `Affine(c, offset)` at `x` (its documented formula), or
    its two terms (a thousandth of the largest entry, tol / rtol)."""
    P = np.random.default_rng(0).standard_normal(x.shape)
    grad = P * c
    f_scale = np.sum(np.abs((x * c + offset) * P))
    tol = atol + 100 * np.finfo(np.float64).eps * max(f_scale, 1.0) / eps
    return (1e-3 * np.abs(grad).max(), tol / rtol) if terms else max(1e-3 * np.abs(grad).max(), tol / rtol)


def loss_floor(x, c, offset, eps=1e-6, rtol=1e-5, atol=0.0):
    grad = np.broadcast_to(c / len(x), x.shape)
    f_scale = np.mean(np.abs(np.sum(x * c, axis=1) + offset))
    tol = atol + 100 * np.finfo(np.float64).eps * max(f_scale, 1.0) / eps
    return max(1e-3 * np.abs(grad).max(), tol / rtol)


def small_first(shape, big, small=1e-4):
    c = np.full(shape, float(big))
    # the entry that goes wrong is far below the floor, so the floor is its denominator
    c[0, 0] = small
    return c


# (x, c, offset): the floor is set by a thousandth of the largest entry / by the rounding-noise term
FLOOR_CASES = {
    "thousandth of the largest entry": (np.full((2, 3), 0.01), small_first((2, 3), 100.0), 0.0),
    "rounding noise of the function": (np.ones((2, 3)), small_first((2, 3), 1.0), 300.0),
    "rounding noise, function below 1": (np.full((2, 3), 0.01), small_first((2, 3), 0.1), 0.0),   # max(f, 1)
}
TOLERANCES = [dict(), dict(eps=1e-4), dict(rtol=1e-3), dict(atol=0.3), dict(eps=1e-5, rtol=1e-4, atol=1e-3)]


@pytest.mark.parametrize("case", list(FLOOR_CASES))
@pytest.mark.parametrize("tols", TOLERANCES, ids=str)
def test_layer_error_just_below_passes_just_above_fails(case, tols):
    x, c, offset = FLOOR_CASES[case]
    floor = layer_floor(x, c, offset, **tols)
    rtol = tols.get("rtol", 1e-5)
    if not tols:   # each case really exercises the term it is named after
        big, small = layer_floor(x, c, offset, terms=True)[::1 if case.startswith("thousandth") else -1]
        # below 1, the function's scale counts as 1: with its real scale the floor would be lower
        if case.endswith("below 1"):
            P = np.random.default_rng(0).standard_normal(x.shape)
            assert np.sum(np.abs(x * c * P)) < 0.05
        assert big > 3 * small
    for k, ok in ((0.9, True), (1.1, False)):
        result = gradcheck(Affine(c, offset, err=k * rtol * floor), x, **tols)
        assert result.ok is ok, (k, result)
        assert result.where == "inputs" and result.index == (0, 0)
        assert result.max_rel_error == pytest.approx(k * rtol, rel=0.004)   # pins the constants to 1%
        assert result.rtol == rtol


@pytest.mark.parametrize("tols", TOLERANCES, ids=str)
def test_loss_error_just_below_passes_just_above_fails(tols):
    x, y = np.ones((4, 3)), np.zeros(4)
    c = small_first((1, 3), 1.0)[0]
    floor = loss_floor(x, c, 500.0, **tols)
    rtol = tols.get("rtol", 1e-5)
    # set by the rounding-noise term (mean |loss| = 502), not by the largest entry (1/4)
    assert floor > 1e-3 * 10
    for k, ok in ((0.9, True), (1.1, False)):
        result = gradcheck(LinearLoss(c, 500.0, err=k * rtol * floor), x, y, **tols)
        assert result.ok is ok, (k, result)
        assert result.max_rel_error == pytest.approx(k * rtol, rel=0.004)


@pytest.mark.parametrize("delta, ok", [(0.8e-5, True), (1.2e-5, False), (0.8e-3, True), (1.2e-3, False)])
def test_proportional_error_near_rtol(delta, ok):
    "A backward wrong by a factor (1 + delta) has relative error delta / (1 + delta) on every large entry."
    rtol = 1e-5 if delta < 1e-4 else 1e-3
    x = np.ones((3, 4))
    result = gradcheck(Affine(np.ones((3, 4)), factor=1 + delta), x, rtol=rtol)
    assert result.ok is ok, result
    assert result.max_rel_error == pytest.approx(delta / (1 + delta), rel=1e-3)


def test_error_exactly_at_rtol_passes():
    "`ok` means every relative error is *at most* rtol: an error equal to rtol passes, one ulp above fails."
    x = np.ones((2, 3))
    err = gradcheck(Affine(np.ones((2, 3)), factor=1.5), x, rtol=0.5).max_rel_error
    assert err == pytest.approx(1 / 3, rel=1e-6)
    at = gradcheck(Affine(np.ones((2, 3)), factor=1.5), x, rtol=err)
    assert at.max_rel_error == err and at.ok and bool(at)
    below = gradcheck(Affine(np.ones((2, 3)), factor=1.5), x, rtol=float(np.nextafter(err, 0)))
    assert below.max_rel_error == err and not below.ok


def test_custom_rng_changes_the_projection():
    x = np.ones((2, 3))
    a = gradcheck(Affine(np.ones((2, 3)), factor=2.0), x)
    b = gradcheck(Affine(np.ones((2, 3)), factor=2.0), x, rng=np.random.default_rng(5))
    P0, P5 = (np.random.default_rng(s).standard_normal((2, 3)) for s in (0, 5))
    assert a.analytic == pytest.approx(2 * P0[a.index]) and b.analytic == pytest.approx(2 * P5[b.index])


@pytest.mark.parametrize("kw, message", [
    (dict(eps=0), "gradcheck: eps must be > 0"), (dict(eps=-1e-6), "gradcheck: eps must be > 0"),
    (dict(eps=float("inf")), "gradcheck: eps must be finite"),
    (dict(eps="small"), "gradcheck: eps must be a real"),
    (dict(rtol=0), "gradcheck: rtol must be > 0"), (dict(rtol=True), "gradcheck: rtol must be a real"),
    (dict(atol=-1.0), "gradcheck: atol must be >= 0"),
    (dict(atol=float("nan")), "gradcheck: atol must be finite"),
])
def test_gradcheck_rejects_bad_tolerances(kw, message):
    with pytest.raises(NNFSError, match=message):
        gradcheck(ReLU(), np.ones((2, 2)), **kw)


def test_gradcheck_error_paths():
    class NoGradients:
        def forward(self, x, training=True): return x
        def backward(self, d): return None
    with pytest.raises(NNFSError, match="NoGradients.backward returned no input gradient.*nothing to check"):
        gradcheck(NoGradients(), np.ones((2, 2)))

    class OneLoss:
        def forward(self, y_pred, y_true): return np.sum(y_pred)
        def backward(self, dvalues, y_true): return np.ones_like(dvalues)
    with pytest.raises(NNFSError,
                       match=r"OneLoss.forward should return one loss per sample \(3\), got shape \(\)"):
        gradcheck(OneLoss(), np.ones((3, 2)), np.zeros(3))

    class MissingGradient(Dense):
        def gradients(self): return {"weights": self.dweights}
    with pytest.raises(NNFSError, match=r"MissingGradient.gradients\(\) has no entry for \['biases'\]"):
        gradcheck(MissingGradient(2, 2), np.ones((3, 2)))

    class WrongParamGradShape(Dense):
        def backward(self, dvalues):
            out = super().backward(dvalues)
            self.dbiases = self.dbiases[:, :1]
            return out
    with pytest.raises(NNFSError,
                       match=r"the gradient of biases has shape \(1, 1\), but biases has shape \(1, 2\)"):
        gradcheck(WrongParamGradShape(2, 2), np.ones((3, 2)))


# ---------------------------------------------------------------- parameters() / gradients(), cycles, models

class ScaleByName:
    "A protocol layer whose gradient is not an attribute `d<name>`: gradcheck must go through gradients()."
    def __init__(self, n, wrong=False):
        self.scale, self.wrong = np.linspace(0.5, 2.0, n)[None], wrong
    def parameters(self): return {"scale": self.scale}
    def gradients(self): return {"scale": self.grad_of_scale}
    def forward(self, x, training=True):
        self.x = x
        return x * self.scale
    def backward(self, d):
        self.grad_of_scale = np.sum(d * self.x, axis=0, keepdims=True) * (2.0 if self.wrong else 1.0)
        return d * self.scale


def test_parameters_and_gradients_are_used():
    x = np.random.default_rng(0).standard_normal((5, 3))
    good, bad = gradcheck(ScaleByName(3), x), gradcheck(ScaleByName(3, wrong=True), x)
    assert good.ok and set(good.errors) == {"inputs", "scale"}
    assert not bad.ok and bad.where == "scale" and bad.errors["inputs"] < 1e-7


def test_walk_terminates_on_reference_cycles():
    from nnfs.gradcheck import _as_float64

    class Node:
        pass
    a, b = Node(), Node()
    a.other, b.other, a.me = b, a, a
    a.w, b.w = np.ones(2, np.float32), np.ones(2, np.float32)
    _as_float64(a, depth=50)                 # would recurse without end if visited objects were walked again
    assert a.w.dtype == b.w.dtype == np.float64
    deep = Node(); deep.next = Node(); deep.next.next = Node(); deep.next.next.next = Node()
    deep.next.next.next.w = np.ones(2, np.float32)
    _as_float64(deep, depth=2)
    assert deep.next.next.next.w.dtype == np.float32    # beyond the depth limit: left alone


def test_gradcheck_on_layers_of_a_trained_model():
    "Layers taken from a finalized, trained Model (which point back at each other and the model) check fine."
    from nnfs.datasets import spiral_data
    from nnfs.model import Model
    from nnfs.optimizers import SGD
    X, y = spiral_data(20, 3, rng=np.random.default_rng(0))
    model = Model([Dense(2, 8, weight_scale=0.5), ReLU(), Dense(8, 3, weight_scale=0.5), Softmax()])
    model.set(loss=CategoricalCrossentropy(), optimizer=SGD(0.5)).finalize()
    model.train(X, y, epochs=2, progress=False)
    for layer in model.layers: layer.model = model          # a cycle through the model, whatever Model keeps
    before = model.layers[0].weights.copy()
    x = away_from_zero(np.random.default_rng(1).standard_normal((4, 2)), 0.1)
    r0 = gradcheck(model.layers[0], x)
    r2 = gradcheck(model.layers[2], np.abs(x[:, :1]) @ np.ones((1, 8)) + 0.1)
    assert r0.ok and r2.ok and {"weights", "biases"} <= set(r0.errors)
    np.testing.assert_array_equal(model.layers[0].weights, before)
    assert gradcheck(model.layers[3], x[:, :1] * np.ones((1, 3)))



# ---------------------------------------------------------------- defaults and edges, pinned

def test_numerical_gradient_default_step_is_1e_6():
    seen = []
    numerical_gradient(lambda a: (seen.append(a.copy()), float(a.sum()))[1], np.array([0.5, 2.0]))
    np.testing.assert_allclose([s[0] - 0.5 for s in seen[:2]], [1e-6, -1e-6], rtol=1e-6)
    np.testing.assert_array_equal([s[1] for s in seen[:2]], [2.0, 2.0])      # one element at a time


def test_result_defaults_and_repr():
    r = GradcheckResult(ok=True, max_rel_error=1e-9, where="inputs", index=(0, 1), analytic=1.5, numeric=1.5)
    assert r.rtol == 1e-5 and r.errors == {} and bool(r)
    assert repr(r) == ("gradcheck ok: worst relative error 1.00e-09 (rtol 1e-05) in inputs[0, 1]: "
                       "analytic 1.5, numerical 1.5 [checked: ]")
    assert not GradcheckResult(False, 1.0, "weights", (), 0.0, 1.0)


def test_walk_depth_default():
    from nnfs.gradcheck import _as_float64

    class Node:
        pass
    levels = [Node() for _ in range(4)]
    for a, b in zip(levels, levels[1:]): a.next = b
    for node in levels: node.w = np.ones(2, np.float32)
    _as_float64(levels[0])
    assert [n.w.dtype for n in levels] == [np.float64] * 3 + [np.float32]     # the object and two levels down


def test_plain_objects_use_the_d_name_convention():
    "Without parameters()/gradients(), every float array `name` with a `d<name>` array is a parameter."
    class PlainScale:
        def __init__(self, wrong=False):
            self.weights, self.wrong = np.array([[0.5, -1.5, 2.0]]), wrong
            self.label = np.array([1, 2, 3])                    # integers: not a parameter
            self.mask, self.dmask = np.ones((1, 3)), None       # no gradient array: not a parameter
        def forward(self, x, training=True):
            self.inputs = x
            self.output = x * self.weights
            return self.output
        def backward(self, d):
            self.dweights = np.sum(d * self.inputs, axis=0, keepdims=True) * (3.0 if self.wrong else 1.0)
            self.dlabel = np.zeros(3)
            self.dinputs = d * self.weights
            return self.dinputs
    x = np.random.default_rng(2).standard_normal((4, 3))
    good, bad = gradcheck(PlainScale(), x), gradcheck(PlainScale(wrong=True), x)
    assert good.ok and set(good.errors) == {"inputs", "weights"}
    assert not bad.ok and bad.where == "weights"


def test_parameters_without_gradients_method_falls_back():
    class HalfProtocol:
        def __init__(self): self.weights = np.array([[2.0, -1.0]])
        def parameters(self): return {"weights": self.weights}
        def forward(self, x, training=True):
            self.inputs = x
            return x * self.weights
        def backward(self, d):
            self.dweights = np.sum(d * self.inputs, axis=0, keepdims=True)
            return d * self.weights
    result = gradcheck(HalfProtocol(), np.ones((3, 2)))
    assert result.ok and set(result.errors) == {"inputs", "weights"}


def test_tiny_gradients_are_judged_relative_to_their_own_size():
    "All entries ~1e-6: the floor must come from them, not from a fixed 1e-3."
    c, x = np.full((2, 3), 1e-6), np.ones((2, 3))
    P = np.random.default_rng(0).standard_normal((2, 3))
    # the largest entry, far above tol / rtol = 2.2e-7
    at = np.unravel_index(np.argmax(np.abs(P)), P.shape)
    size = abs(P[at]) * 1e-6
    wrong = gradcheck(Affine(c, err=0.2 * size, where=at), x, rtol=0.1)
    assert not wrong.ok and wrong.max_rel_error == pytest.approx(0.2 / 1.2, rel=1e-3)
    assert gradcheck(Affine(c, err=0.05 * size, where=at), x, rtol=0.1)


def test_training_is_true_by_default():
    class Recorder:
        def __init__(self): self.modes = []
        def forward(self, x, training=True):
            self.modes.append(training)
            return x * (2.0 if training else 1.0)
        def backward(self, d): return 2.0 * d
    r = Recorder()
    assert gradcheck(r, np.ones((2, 2)))
    assert not gradcheck(Recorder(), np.ones((2, 2)), training=False)     # backward assumes training mode


def test_losses_may_return_a_column_of_losses():
    class ColumnLoss:
        def forward(self, y_pred, y_true): return np.sum(y_pred**2, axis=1, keepdims=True)
        def backward(self, dvalues, y_true): return 2 * dvalues / len(dvalues)
    assert gradcheck(ColumnLoss(), np.arange(6.0).reshape(3, 2), np.zeros(3))


def test_empty_batch():
    "A batch of 0 samples: the input gradient is empty, the parameter gradients are zero; nothing is wrong."
    result = gradcheck(Dense(3, 2, weight_scale=1.0), np.zeros((0, 3)))
    assert result.ok and result.errors == {"inputs": 0.0, "weights": 0.0, "biases": 0.0}
    assert result.where == "inputs" and result.index == () and result.analytic == result.numeric == 0.0


class TanhKeepsX:
    "A correct tanh that keeps its input as `self.x` and its input gradient as `self.dx` (or copies of them)."

    def __init__(self, copy_input=False, wrong=False):
        self.copy_input, self.wrong = copy_input, wrong

    def forward(self, x, training=True):
        self.x = x.copy() if self.copy_input else x
        self.output = np.tanh(x)
        return self.output

    def backward(self, dvalues):
        self.dx = dvalues * (1 - self.output**2) * (1.5 if self.wrong else 1.0)
        return self.dx


@pytest.mark.parametrize("copy_input", [False, True])
def test_kept_inputs_x_dx_are_not_taken_for_a_parameter(copy_input):
    "Regression: x/dx were checked as a parameter; perturbing the kept copy changes nothing, so it failed."
    x = np.random.default_rng(3).standard_normal((4, 5))
    res = gradcheck(TanhKeepsX(copy_input), x)
    assert res.ok and set(res.errors) == {"inputs"}
    bad = gradcheck(TanhKeepsX(copy_input, wrong=True), x)
    assert not bad.ok and bad.where == "inputs"


class ScaleWithInputShapedWeights:
    "y = w * x with `w` of the inputs' shape: `w` is a parameter even when it happens to differ from x."

    def __init__(self, w):
        self.w = w

    def forward(self, x, training=True):
        self.inputs = x
        return self.w * x

    def backward(self, dvalues):
        self.dw = dvalues * self.inputs
        return dvalues * self.w


def test_a_parameter_shaped_like_the_inputs_is_still_checked():
    x = np.random.default_rng(4).standard_normal((3, 2))
    res = gradcheck(ScaleWithInputShapedWeights(x + 1.0), x)
    assert res.ok and set(res.errors) == {"inputs", "w"}
