"""Optimizers against PyTorch (`torch.optim`), plus their contract: decay, in-place updates, dtypes, state, errors.

The parity tests run 100 steps of each optimizer on identical float64 starting parameters and an identical,
pre-drawn sequence of gradients, and compare every parameter after every step with `torch.optim`. Learning-rate
decay `lr / (1 + decay * t)` is PyTorch's `LambdaLR(lambda t: 1 / (1 + decay * t))`, stepped after each update."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import nnfs
from nnfs.optimizers import SGD, AdaGrad, Adam, Optimizer, RMSprop

STEPS = 100
SHAPES = [((3, 4), (1, 4)), ((4, 2), (1, 2))]   # two layers: (weights, biases) shapes


class Params:
    "A minimal trainable layer: parameters and their gradients."
    def __init__(self, weights, biases):
        self.weights, self.biases = weights, biases
        self.dweights, self.dbiases = np.zeros_like(weights), np.zeros_like(biases)
    def __repr__(self): return f"Params{self.weights.shape}"


def draw(shapes=SHAPES, steps=STEPS, seed=0):
    "Initial parameters and `steps` gradients for each array; gradient scales vary over 3 orders of magnitude."
    rng = np.random.default_rng(seed)
    flat = [s for pair in shapes for s in pair]
    init = [rng.standard_normal(s) for s in flat]
    grads = [[rng.standard_normal(s) * np.exp(rng.uniform(-3, 3, s)) for s in flat] for _ in range(steps)]
    return init, grads


def run_nnfs(opt, init, grads, dtype=np.float64):
    "Every parameter after every step, as a list of lists of arrays."
    layers = [Params(init[i].astype(dtype), init[i + 1].astype(dtype)) for i in range(0, len(init), 2)]
    trace = []
    for g in grads:
        for k, layer in enumerate(layers):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt.step(layers)
        trace.append([p.copy() for layer in layers for p in (layer.weights, layer.biases)])
    return trace, layers


def run_torch(torch, make, decay, init, grads):
    "The same with `torch.optim`; `make(params)` builds the optimizer."
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in init]
    opt = make(params)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + decay * t))
    trace, lrs = [], []
    for g in grads:
        for p, gi in zip(params, g): p.grad = torch.tensor(gi, dtype=torch.float64)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        trace.append([p.detach().numpy().copy() for p in params])
    return trace, lrs


# (name, nnfs optimizer, torch optimizer factory, decay)
CASES = [
    ("sgd", lambda: SGD(0.1), lambda t, p: t.optim.SGD(p, lr=0.1), 0.0),
    ("sgd_momentum", lambda: SGD(0.1, momentum=0.9), lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9), 0.0),
    ("sgd_decay", lambda: SGD(0.5, decay=0.05), lambda t, p: t.optim.SGD(p, lr=0.5), 0.05),
    ("sgd_momentum_decay", lambda: SGD(0.5, decay=0.05, momentum=0.8),
     lambda t, p: t.optim.SGD(p, lr=0.5, momentum=0.8), 0.05),
    ("adagrad", lambda: AdaGrad(0.5), lambda t, p: t.optim.Adagrad(p, lr=0.5, eps=1e-7), 0.0),
    ("adagrad_decay", lambda: AdaGrad(0.5, decay=0.01, epsilon=1e-3),
     lambda t, p: t.optim.Adagrad(p, lr=0.5, eps=1e-3), 0.01),
    ("rmsprop", lambda: RMSprop(0.01, rho=0.95), lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.95, eps=1e-7), 0.0),
    ("rmsprop_decay", lambda: RMSprop(0.02, decay=0.01, epsilon=1e-4, rho=0.9),
     lambda t, p: t.optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-4), 0.01),
    ("adam", lambda: Adam(0.01), lambda t, p: t.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-7), 0.0),
    ("adam_betas", lambda: Adam(0.05, epsilon=1e-3, beta_1=0.5, beta_2=0.9),
     lambda t, p: t.optim.Adam(p, lr=0.05, betas=(0.5, 0.9), eps=1e-3), 0.0),
    ("adam_decay", lambda: Adam(0.05, decay=0.02), lambda t, p: t.optim.Adam(p, lr=0.05, eps=1e-7), 0.02),
]


@pytest.mark.parametrize("name,make_nnfs,make_torch,decay", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(torch, name, make_nnfs, make_torch, decay):
    init, grads = draw()
    opt = make_nnfs()
    ours, _ = run_nnfs(opt, init, grads)
    theirs, lrs = run_torch(torch, lambda p: make_torch(torch, p), decay, init, grads)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (pa, pb) in enumerate(zip(a, b)):
            np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12, err_msg=f"{name}: step {step}, array {i}")
    # the parameters really moved (a test on frozen parameters would pass trivially)
    assert all(np.abs(p - q).max() > 1e-3 for p, q in zip(ours[-1], init))
    assert opt.iterations == STEPS
    np.testing.assert_allclose(opt.current_learning_rate, lrs[-1], rtol=1e-15)


# the torch fixture only returns the module, so sharing it between examples is safe
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["sgd", "adagrad", "rmsprop", "adam"]),
       rows=st.integers(1, 6), cols=st.integers(1, 6), steps=st.integers(1, 15),
       lr=st.floats(1e-4, 1.0), decay=st.sampled_from([0.0, 1e-3, 0.3]),
       beta=st.floats(0.0, 0.999), beta2=st.floats(0.5, 0.9999), seed=st.integers(0, 2**16))
def test_matches_torch_random(torch, kind, rows, cols, steps, lr, decay, beta, beta2, seed):
    "Random shapes, step counts and hyperparameters (including momentum/beta 0)."
    init, grads = draw([((rows, cols), (1, cols))], steps, seed)
    ours_opt, make = {
        "sgd": (SGD(lr, decay, momentum=beta), lambda p: torch.optim.SGD(p, lr=lr, momentum=beta)),
        "adagrad": (AdaGrad(lr, decay, epsilon=1e-6), lambda p: torch.optim.Adagrad(p, lr=lr, eps=1e-6)),
        "rmsprop": (RMSprop(lr, decay, epsilon=1e-6, rho=beta),
                    lambda p: torch.optim.RMSprop(p, lr=lr, alpha=beta, eps=1e-6)),
        "adam": (Adam(lr, decay, epsilon=1e-6, beta_1=beta, beta_2=beta2),
                 lambda p: torch.optim.Adam(p, lr=lr, betas=(beta, beta2), eps=1e-6)),
    }[kind]
    ours, _ = run_nnfs(ours_opt, init, grads)
    theirs, _ = run_torch(torch, make, decay, init, grads)
    for a, b in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


ALL = [lambda: SGD(0.3), lambda: SGD(0.3, decay=0.1, momentum=0.9), lambda: AdaGrad(0.3),
       lambda: RMSprop(0.01), lambda: Adam(0.01)]
ALL_IDS = ["sgd", "sgd_momentum", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_current_learning_rate_and_iterations(make):
    opt = make()
    assert opt.iterations == 0 and opt.current_learning_rate == opt.learning_rate
    init, grads = draw(steps=7)
    run_nnfs(opt, init, grads)
    assert opt.iterations == 7
    # the rate the 7th step used (t = 6)
    assert opt.current_learning_rate == pytest.approx(opt.learning_rate / (1 + opt.decay * 6), rel=1e-15)
    opt.pre_update_params()
    assert opt.current_learning_rate == pytest.approx(opt.learning_rate / (1 + opt.decay * 7), rel=1e-15)


def test_decay_schedule_values():
    opt = SGD(2.0, decay=0.5)
    layer = Params(np.zeros((2, 2)), np.zeros((1, 2)))
    seen = []
    for _ in range(4):
        opt.step([layer])
        seen.append(opt.current_learning_rate)
    assert seen == pytest.approx([2.0, 2.0 / 1.5, 1.0, 2.0 / 2.5], rel=1e-15)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_update_is_in_place(make):
    init, grads = draw(steps=3)
    layers = [Params(init[0].copy(), init[1].copy()), Params(init[2].copy(), init[3].copy())]
    arrays = [a for layer in layers for a in (layer.weights, layer.biases)]
    opt = make()
    for g in grads:
        for k, layer in enumerate(layers):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt.step(layers)
    after = [a for layer in layers for a in (layer.weights, layer.biases)]
    assert all(a is b for a, b in zip(arrays, after))
    assert all(not np.array_equal(a, b) for a, b in zip(after, init))


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_float32_stays_float32(make, grad_dtype):
    init, grads = draw(steps=5)
    opt = make()
    trace32, layers = run_nnfs(opt, init, [[g.astype(grad_dtype) for g in gs] for gs in grads], dtype=np.float32)
    for layer in layers:
        assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32
        for param_state in opt.state[layer].values():
            assert all(a.dtype == np.float32 for a in param_state.values())
    # and float32 follows the float64 run to float32 accuracy
    trace64, _ = run_nnfs(make(), init, grads)
    for a, b in zip(trace32[-1], trace64[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_state_is_per_layer(make):
    "Two layers of the same shape under one optimizer move exactly as each would under its own optimizer."
    init, grads = draw([((3, 4), (1, 4)), ((3, 4), (1, 4))], steps=20, seed=3)
    joint, joint_layers = run_nnfs(make(), init, grads)
    alone_a, _ = run_nnfs(make(), init[:2], [g[:2] for g in grads])
    alone_b, _ = run_nnfs(make(), init[2:], [g[2:] for g in grads])
    for a, b in zip(joint[-1], alone_a[-1] + alone_b[-1]):
        np.testing.assert_array_equal(a, b)
    opt = make()
    run_nnfs(opt, init, grads[:1])
    assert len(opt.state) == 2
    states = list(opt.state.values())
    for name in ("weights", "biases"):
        for key in states[0][name]:
            assert states[0][name][key] is not states[1][name][key]


def test_works_with_dense_layers():
    "The optimizers accept the library's `Dense` layers and lower the loss of a small network."
    from nnfs.activations import ReLU
    from nnfs.datasets import spiral_data
    from nnfs.layers import Dense
    from nnfs.losses import SoftmaxCrossEntropy
    X, y = spiral_data(50, 3)
    for opt in (SGD(1.0, momentum=0.9), AdaGrad(0.5), RMSprop(0.01), Adam(0.02)):
        rng = np.random.default_rng(0)
        d1, act, d2, loss = Dense(2, 16, rng=rng), ReLU(), Dense(16, 3, rng=rng), SoftmaxCrossEntropy()
        losses = []
        for _ in range(100):
            losses.append(loss.calculate(d2.forward(act.forward(d1.forward(X))), y))
            d1.backward(act.backward(d2.backward(loss.backward(loss.output, y))))
            opt.step([d1, d2])
        assert losses[-1] < losses[0] - 0.03, (opt, losses[0], losses[-1])
        assert d1.weights.dtype == np.float32


BAD = [
    (SGD, dict(learning_rate=-0.1), "learning_rate"), (SGD, dict(learning_rate=0.0), "learning_rate"),
    (SGD, dict(learning_rate=float("nan")), "learning_rate"), (SGD, dict(learning_rate="1"), "learning_rate"),
    (SGD, dict(decay=-1e-3), "decay"), (SGD, dict(momentum=1.0), "momentum"), (SGD, dict(momentum=-0.1), "momentum"),
    (SGD, dict(momentum=True), "momentum"),
    (AdaGrad, dict(learning_rate=-1.0), "learning_rate"), (AdaGrad, dict(epsilon=0.0), "epsilon"),
    (AdaGrad, dict(epsilon=-1e-7), "epsilon"), (AdaGrad, dict(decay=-1.0), "decay"),
    (RMSprop, dict(rho=1.0), "rho"), (RMSprop, dict(rho=-0.5), "rho"), (RMSprop, dict(epsilon=0), "epsilon"),
    (RMSprop, dict(decay=-0.1), "decay"), (RMSprop, dict(learning_rate=-0.001), "learning_rate"),
    (Adam, dict(beta_1=1.0), "beta_1"), (Adam, dict(beta_1=-0.1), "beta_1"), (Adam, dict(beta_2=1.5), "beta_2"),
    (Adam, dict(beta_2=-1e-3), "beta_2"), (Adam, dict(epsilon=-1.0), "epsilon"), (Adam, dict(decay=-5e-7), "decay"),
    (Adam, dict(learning_rate=float("inf")), "learning_rate"),
]


@pytest.mark.parametrize("cls,kwargs,word", BAD, ids=[f"{c.__name__}-{k}" for c, k, _ in BAD])
def test_bad_hyperparameters(cls, kwargs, word):
    with pytest.raises(nnfs.NNFSError, match=word) as e:
        cls(**kwargs)
    value = next(iter(kwargs.values()))
    assert repr(value) in str(e.value)          # the message shows what was given


@pytest.mark.parametrize("cls", [SGD, AdaGrad, RMSprop, Adam])
def test_good_edge_hyperparameters(cls):
    "Boundary values that are allowed: zero decay, momentum/rho/beta 0."
    extra = {SGD: dict(momentum=0.0), AdaGrad: {}, RMSprop: dict(rho=0.0), Adam: dict(beta_1=0.0, beta_2=0.0)}[cls]
    opt = cls(learning_rate=1e-3, decay=0.0, **extra)
    assert isinstance(opt, Optimizer) and opt.learning_rate == 1e-3 and opt.decay == 0.0
    assert repr(opt).startswith(cls.__name__ + "(learning_rate=0.001, decay=0.0")


def test_missing_or_mismatched_gradient():
    layer = Params(np.zeros((2, 3)), np.zeros((1, 3)))
    del layer.dweights
    with pytest.raises(nnfs.NNFSError, match="dweights"):
        SGD().step([layer])
    layer.dweights = np.zeros((3, 2))
    with pytest.raises(nnfs.NNFSError, match=r"\(2, 3\) and \(3, 2\)"):
        Adam().step([layer])
