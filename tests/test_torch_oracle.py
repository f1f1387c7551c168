"""PyTorch autograd as an independent oracle for lesson 08's forward and backward passes.

Everything runs in float64 on both sides, so the comparison can be tight; one test also checks that the
float32 defaults agree with the float64 oracle to float32 precision. Shapes include a batch of one sample."""
import numpy as np
import pytest

from nnfs.activations import ReLU, Softmax, softmax
from nnfs.layers import Dense
from nnfs.losses import CategoricalCrossentropy, SoftmaxCategoricalCrossentropy

SHAPES = [(1, 1, 1), (1, 4, 3), (2, 1, 5), (5, 3, 2), (16, 7, 10), (64, 20, 4)]   # (batch, inputs, outputs)
TIGHT = dict(rtol=1e-12, atol=1e-13)


def close(actual, expected, **tol):
    np.testing.assert_allclose(actual, expected.detach().numpy() if hasattr(expected, "detach") else expected,
                               **(tol or TIGHT))


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
def test_dense(torch, n, n_in, n_out):
    rng = np.random.default_rng(n * 100 + n_in * 10 + n_out)
    layer = Dense(n_in, n_out, weight_scale=1.0, rng=rng, dtype=np.float64)
    layer.biases[:] = rng.standard_normal((1, n_out))
    X, G = rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))

    Xt = torch.tensor(X, requires_grad=True)
    Wt = torch.tensor(layer.weights, requires_grad=True)
    bt = torch.tensor(layer.biases, requires_grad=True)
    out_t = Xt @ Wt + bt
    (out_t * torch.tensor(G)).sum().backward()

    out = layer.forward(X)
    dinputs = layer.backward(G)
    assert out.dtype == dinputs.dtype == layer.dweights.dtype == np.float64
    close(out, out_t)
    close(dinputs, Xt.grad)
    close(layer.dweights, Wt.grad)
    close(layer.dbiases, bt.grad)


@pytest.mark.parametrize("n, k, _", SHAPES)
def test_relu(torch, n, k, _):
    rng = np.random.default_rng(n + k)
    X, G = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    X[0, 0] = 0.0                              # the kink: both take the gradient there to be 0
    Xt = torch.tensor(X, requires_grad=True)
    out_t = torch.relu(Xt)
    (out_t * torch.tensor(G)).sum().backward()
    layer = ReLU()
    close(layer.forward(X), out_t)
    close(layer.backward(G), Xt.grad)


@pytest.mark.parametrize("n, k, _", SHAPES)
@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_softmax(torch, n, k, _, scale):
    rng = np.random.default_rng(n + k)
    X, G = scale * rng.standard_normal((n, k)), rng.standard_normal((n, k))
    Xt = torch.tensor(X, requires_grad=True)
    out_t = torch.softmax(Xt, dim=1)
    (out_t * torch.tensor(G)).sum().backward()
    layer = Softmax()
    close(layer.forward(X), out_t)
    close(layer.backward(G), Xt.grad, rtol=1e-10, atol=1e-13)


def _labels(rng, n, k, one_hot):
    idx = rng.integers(0, k, size=n)
    return idx, (np.eye(k)[idx] if one_hot else idx)


@pytest.mark.parametrize("n, k, _", [s for s in SHAPES if s[1] > 1])
@pytest.mark.parametrize("one_hot", [False, True])
def test_categorical_crossentropy(torch, n, k, _, one_hot):
    "Against torch's negative log-likelihood of the log of the probabilities (mean over the batch)."
    rng = np.random.default_rng(n + k)
    probs = softmax(rng.standard_normal((n, k)))
    idx, labels = _labels(rng, n, k, one_hot)
    F = torch.nn.functional

    Pt = torch.tensor(probs, requires_grad=True)
    F.nll_loss(torch.log(Pt), torch.tensor(idx)).backward()
    per_sample_t = F.nll_loss(torch.log(torch.tensor(probs)), torch.tensor(idx), reduction="none")

    loss = CategoricalCrossentropy()
    close(loss.forward(probs, labels), per_sample_t)
    assert loss.calculate(probs, labels) == pytest.approx(float(per_sample_t.mean()), rel=1e-13)
    close(loss.backward(probs, labels), Pt.grad)


@pytest.mark.parametrize("n, k, _", SHAPES)
@pytest.mark.parametrize("one_hot", [False, True])
@pytest.mark.parametrize("scale", [1.0, 5.0])
def test_softmax_crossentropy(torch, n, k, _, one_hot, scale):
    "Against torch.nn.functional.cross_entropy on the logits."
    rng = np.random.default_rng(n + k)
    logits = scale * rng.uniform(-1, 1, size=(n, k))    # no probability reaches the clip at 1e-7
    idx, labels = _labels(rng, n, k, one_hot)
    F = torch.nn.functional

    Zt = torch.tensor(logits, requires_grad=True)
    F.cross_entropy(Zt, torch.tensor(idx)).backward()
    per_sample_t = F.cross_entropy(torch.tensor(logits), torch.tensor(idx), reduction="none")

    loss = SoftmaxCategoricalCrossentropy()
    per_sample = loss.forward(logits, labels)
    if k > 1: close(per_sample, per_sample_t, rtol=1e-12, atol=1e-14)
    # one class: torch gives 0, the clip at 1 - 1e-7 gives 1e-7
    else: close(per_sample, per_sample_t, atol=2e-7)
    close(loss.output, torch.softmax(torch.tensor(logits), dim=1))
    close(loss.backward(loss.output, labels), Zt.grad)


def test_float32_defaults_match_the_float64_oracle(torch):
    "The float32 classes (the package default) agree with torch in float64 to float32 precision."
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((32, 6)), rng.integers(0, 4, size=32)
    d1, act = Dense(6, 8, weight_scale=0.5, rng=rng), ReLU()
    d2, head = Dense(8, 4, weight_scale=0.5, rng=rng), SoftmaxCategoricalCrossentropy()
    d1.biases[:] = 0.1 * rng.standard_normal((1, 8))

    out = d2.forward(act.forward(d1.forward(X)))
    loss = head.calculate(out, y)
    d1.backward(act.backward(d2.backward(head.backward(head.output, y))))
    assert d1.dweights.dtype == np.float32 and d1.dinputs.dtype == np.float32

    Xt = torch.tensor(X, requires_grad=True)
    W1, b1, W2, b2 = (torch.tensor(a.astype(np.float64), requires_grad=True)
                      for a in (d1.weights, d1.biases, d2.weights, d2.biases))
    loss_t = torch.nn.functional.cross_entropy(torch.relu(Xt @ W1 + b1) @ W2 + b2, torch.tensor(y))
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-6)
    for ours, theirs in [(d1.dinputs, Xt.grad), (d1.dweights, W1.grad), (d1.dbiases, b1.grad),
                         (d2.dweights, W2.grad), (d2.dbiases, b2.grad)]:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)
