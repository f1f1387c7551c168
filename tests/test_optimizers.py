"""Optimizers against PyTorch (`torch.optim`), plus their contract: decay, in-place updates in one flat
buffer, threads, dtypes, state for resuming, errors.

The parity tests run 100 steps of each optimizer on identical float64 starting parameters and an identical,
pre-drawn sequence of gradients, and compare every parameter after every step with `torch.optim`.
Learning-rate decay `lr / (1 + decay * t)` is PyTorch's `LambdaLR(lambda t: 1 / (1 + decay * t))`, stepped
after each update."""

import copy

import numpy as np
import pytest
from helpers import Scale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnfs
from nnfs import optimizers
from nnfs.optimizers import SGD, AdaGrad, Adam, Optimizer, RMSprop

STEPS = 100
SHAPES = [((3, 4), (1, 4)), ((4, 2), (1, 2))]  # two layers: (weights, biases) shapes


class Params:
    "A minimal trainable layer: parameters and their gradients."

    def __init__(self, weights, biases):
        self.weights, self.biases = weights, biases
        self.dweights, self.dbiases = np.zeros_like(weights), np.zeros_like(biases)

    def __repr__(self):
        return f"Params{self.weights.shape}"


def draw(shapes=SHAPES, steps=STEPS, seed=0):
    "Initial parameters and `steps` gradients for each array; gradient scales span 3 orders of magnitude."
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
        for p, gi in zip(params, g):
            p.grad = torch.tensor(gi, dtype=torch.float64)
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
    (
        "sgd_momentum_decay",
        lambda: SGD(0.5, decay=0.05, momentum=0.8),
        lambda t, p: t.optim.SGD(p, lr=0.5, momentum=0.8),
        0.05,
    ),
    ("adagrad", lambda: AdaGrad(0.5), lambda t, p: t.optim.Adagrad(p, lr=0.5, eps=1e-7), 0.0),
    (
        "adagrad_decay",
        lambda: AdaGrad(0.5, decay=0.01, epsilon=1e-3),
        lambda t, p: t.optim.Adagrad(p, lr=0.5, eps=1e-3),
        0.01,
    ),
    (
        "rmsprop",
        lambda: RMSprop(0.01, rho=0.95),
        lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.95, eps=1e-7),
        0.0,
    ),
    (
        "rmsprop_decay",
        lambda: RMSprop(0.02, decay=0.01, epsilon=1e-4, rho=0.9),
        lambda t, p: t.optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-4),
        0.01,
    ),
    ("adam", lambda: Adam(0.01), lambda t, p: t.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-7), 0.0),
    (
        "adam_betas",
        lambda: Adam(0.05, epsilon=1e-3, beta_1=0.5, beta_2=0.9),
        lambda t, p: t.optim.Adam(p, lr=0.05, betas=(0.5, 0.9), eps=1e-3),
        0.0,
    ),
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
            np.testing.assert_allclose(
                pa, pb, rtol=1e-10, atol=1e-12, err_msg=f"{name}: step {step}, array {i}"
            )
    # the parameters really moved (a test on frozen parameters would pass trivially)
    assert all(np.abs(p - q).max() > 1e-3 for p, q in zip(ours[-1], init))
    assert opt.iterations == STEPS
    np.testing.assert_allclose(opt.current_learning_rate, lrs[-1], rtol=1e-15)


# the torch fixture only returns the module, so sharing it between examples is safe
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["sgd", "adagrad", "rmsprop", "adam"]),
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    steps=st.integers(1, 15),
    lr=st.floats(1e-4, 1.0),
    decay=st.sampled_from([0.0, 1e-3, 0.3]),
    beta=st.floats(0.0, 0.999),
    beta2=st.floats(0.5, 0.9999),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_random(torch, kind, rows, cols, steps, lr, decay, beta, beta2, seed):
    "Random shapes, step counts and hyperparameters (including momentum/beta 0)."
    init, grads = draw([((rows, cols), (1, cols))], steps, seed)
    ours_opt, make = {
        "sgd": (SGD(lr, decay, momentum=beta), lambda p: torch.optim.SGD(p, lr=lr, momentum=beta)),
        "adagrad": (AdaGrad(lr, decay, epsilon=1e-6), lambda p: torch.optim.Adagrad(p, lr=lr, eps=1e-6)),
        "rmsprop": (
            RMSprop(lr, decay, epsilon=1e-6, rho=beta),
            lambda p: torch.optim.RMSprop(p, lr=lr, alpha=beta, eps=1e-6),
        ),
        "adam": (
            Adam(lr, decay, epsilon=1e-6, beta_1=beta, beta_2=beta2),
            lambda p: torch.optim.Adam(p, lr=lr, betas=(beta, beta2), eps=1e-6),
        ),
    }[kind]
    ours, _ = run_nnfs(ours_opt, init, grads)
    theirs, _ = run_torch(torch, make, decay, init, grads)
    for a, b in zip(ours[-1], theirs[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


ALL = [
    lambda: SGD(0.3),
    lambda: SGD(0.3, decay=0.1, momentum=0.9),
    lambda: AdaGrad(0.3),
    lambda: RMSprop(0.01),
    lambda: Adam(0.01),
]
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
def test_update_is_in_place_in_one_flat_buffer(make):
    "After the first step every parameter is a view of one contiguous buffer, and stays the same object."
    init, grads = draw(steps=3)
    layers = [Params(init[0].copy(), init[1].copy()), Params(init[2].copy(), init[3].copy())]
    opt = make()
    arrays = None
    for g in grads:
        for k, layer in enumerate(layers):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt.step(layers)
        now = [a for layer in layers for a in (layer.weights, layer.biases)]
        if arrays is None:
            arrays = now
        assert all(a is b for a, b in zip(arrays, now))
    base = arrays[0].base
    assert (
        base is not None
        and base.ndim == 1
        and base.flags.c_contiguous
        and base.size == sum(a.size for a in init)
    )
    assert all(a.base is base for a in arrays)
    offsets = [a.__array_interface__["data"][0] - base.__array_interface__["data"][0] for a in arrays]
    assert offsets == list(np.cumsum([0] + [a.nbytes for a in arrays[:-1]]))  # in order, no gaps
    assert all(not np.array_equal(a, b) for a, b in zip(arrays, init))
    # the gradients were copied into views of a second buffer, and the layers now point at them
    assert all(layer.dweights.base is layer.dbiases.base for layer in layers)
    assert layers[0].dweights.base is layers[1].dweights.base is not base


def run_in_place(opt, init, grads, dtype=np.float64):
    "Like run_nnfs, but the 'backward pass' writes each gradient into the layer's existing gradient array."
    layers = [Params(init[i].astype(dtype), init[i + 1].astype(dtype)) for i in range(0, len(init), 2)]
    trace = []
    for g in grads:
        for k, layer in enumerate(layers):
            np.copyto(layer.dweights, g[2 * k])
            np.copyto(layer.dbiases, g[2 * k + 1])
        opt.step(layers)
        trace.append([p.copy() for layer in layers for p in (layer.weights, layer.biases)])
    return trace, layers


def run_per_layer(opt, init, grads, dtype=np.float64):
    "The book's API, one layer at a time (no flat buffer)."
    layers = [Params(init[i].astype(dtype), init[i + 1].astype(dtype)) for i in range(0, len(init), 2)]
    trace = []
    for g in grads:
        for k, layer in enumerate(layers):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt.pre_update_params()
        for layer in layers:
            opt.update_params(layer)
        opt.post_update_params()
        trace.append([p.copy() for layer in layers for p in (layer.weights, layer.biases)])
    return trace, layers


@pytest.mark.parametrize("name,make_nnfs,make_torch,decay", CASES, ids=[c[0] for c in CASES])
def test_in_place_gradients_match_torch(torch, name, make_nnfs, make_torch, decay):
    "Gradients written in place into the flat buffer (no copy) give torch.optim's trajectory too."
    init, grads = draw()
    ours, layers = run_in_place(make_nnfs(), init, grads)
    theirs, _ = run_torch(torch, lambda p: make_torch(torch, p), decay, init, grads)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (pa, pb) in enumerate(zip(a, b)):
            np.testing.assert_allclose(
                pa, pb, rtol=1e-10, atol=1e-12, err_msg=f"{name}: step {step}, array {i}"
            )
    assert layers[0].dweights.base is layers[1].dbiases.base is not None  # the in-place path was taken


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_flat_equals_per_layer_bit_for_bit(make, dtype):
    "One update of the flat buffer computes exactly what the per-layer updates compute."
    init, grads = draw(steps=30, seed=5)
    grads = [[g.astype(dtype) for g in gs] for gs in grads]
    flat, _ = run_nnfs(make(), init, grads, dtype)
    per_layer, _ = run_per_layer(make(), init, grads, dtype)
    in_place, _ = run_in_place(make(), init, grads, dtype)
    for a, b, c in zip(flat[-1], per_layer[-1], in_place[-1]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_threads_give_the_same_result(make, monkeypatch):
    """Splitting the element-wise update over threads changes nothing, to the last bit. Three
    pieces on three threads whatever the machine: `set_threads` caps the count at the
    processors, so the test makes it see three (Python threads run on fewer cores too)."""
    init, grads = draw([((50, 40), (1, 40)), ((40, 3), (1, 3))], steps=10, seed=2)
    one, _ = run_nnfs(make(), init, grads)
    monkeypatch.setattr(optimizers, "MIN_CHUNK", 7)
    monkeypatch.setattr(nnfs.core, "_cpu_count", lambda: 3)
    calls = []
    real = optimizers._parallel
    monkeypatch.setattr(
        optimizers, "_parallel", lambda f, pieces: (calls.append(len(pieces)), real(f, pieces))
    )
    nnfs.core.set_threads(3)
    try:
        three, _ = run_nnfs(make(), init, grads)
    finally:
        nnfs.core.set_threads(None)
    assert calls == [3] * 10
    for a, b in zip(one[-1], three[-1]):
        np.testing.assert_array_equal(a, b)


def test_chunks():
    nnfs.core.set_threads(None)
    assert optimizers._chunks(10, 4) == [(0, 10)]  # below MIN_CHUNK: one piece
    m = optimizers.MIN_CHUNK
    assert optimizers._chunks(2 * m, 2) == [(0, m), (m, 2 * m)]
    assert optimizers._chunks(2 * m - 1, 2) == [(0, 2 * m - 1)]  # each piece at least MIN_CHUNK
    assert optimizers._chunks(3 * m + 1, 2) == [(0, (3 * m + 1) // 2), ((3 * m + 1) // 2, 3 * m + 1)]
    assert optimizers._chunks(10 * m, 3) == [
        (0, 10 * m // 3),
        (10 * m // 3, 20 * m // 3),
        (20 * m // 3, 10 * m),
    ]
    assert optimizers._chunks(0, 2) == [(0, 0)]
    assert optimizers._chunks(5 * m) == [(0, 5 * m)]  # threads not set: one thread
    nnfs.core.set_threads(2)
    try:
        assert optimizers._chunks(5 * m) == [(0, 5 * m // 2), (5 * m // 2, 5 * m)]
    finally:
        nnfs.core.set_threads(None)


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_rebound_parameters_are_picked_up(make):
    "A parameter rebound between steps (e.g. set from a file) is used from then on; the state is kept."
    init, grads = draw(steps=20, seed=4)
    straight, _ = run_nnfs(make(), init, grads)
    opt = make()
    _, layers = run_nnfs(opt, init, grads[:10])
    for layer in layers:
        layer.weights, layer.biases = layer.weights.copy(), layer.biases.copy()
    kept = [layer.weights for layer in layers]
    resumed = []
    for g in grads[10:]:
        for k, layer in enumerate(layers):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt.step(layers)
        resumed.append([p.copy() for layer in layers for p in (layer.weights, layer.biases)])
    for a, b in zip(straight[-1], resumed[-1]):
        np.testing.assert_array_equal(a, b)
    assert all(layer.weights is not k for layer, k in zip(layers, kept))  # packed into a new flat buffer
    # and a rebound parameter with other values moves from those values
    layer = layers[0]
    layer.weights = np.full_like(layer.weights, 5.0)
    ref_opt, ref_layers = copy.deepcopy((opt, layers))  # the same update, one layer at a time
    ref_opt.pre_update_params()
    for ref in ref_layers:
        ref_opt.update_params(ref)
    opt.step(layers)
    np.testing.assert_array_equal(layer.weights, ref_layers[0].weights)
    assert not np.array_equal(layer.weights, np.full_like(layer.weights, 5.0))


def test_mixed_dtypes_fall_back_to_per_layer():
    init, grads = draw(steps=5)
    layers = [
        Params(init[0].astype(np.float32), init[1].astype(np.float32)),
        Params(init[2].copy(), init[3].copy()),
    ]
    opt = Adam(0.01)
    for g in grads:
        for k, layer in enumerate(layers):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt.step(layers)
    assert opt._flat is None
    assert layers[0].weights.dtype == np.float32 and layers[1].weights.dtype == np.float64
    ref, _ = run_per_layer(Adam(0.01), init[2:], [g[2:] for g in grads])
    np.testing.assert_array_equal(layers[1].weights, ref[-1][0])


@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_custom_protocol_layer(make):
    "Layers that follow the layer protocol are trained through parameters()/gradients(), whatever the names."
    layer, ref = Scale(3, name="scale"), Params(np.ones((1, 3)), np.zeros((1, 1)))
    x = np.array([[1.0, -2.0, 0.5]])
    opt, opt_ref = make(), make()
    for _ in range(5):
        layer.forward(x)
        layer.backward(np.ones((1, 3)))
        ref.dweights, ref.dbiases = layer.dscale.copy(), np.zeros((1, 1))
        opt.step([layer])
        opt_ref.step([ref])
    np.testing.assert_array_equal(layer.scale, ref.weights)
    assert not np.array_equal(layer.scale, np.ones((1, 3)))
    assert set(opt.state[layer]) == {"scale"}
    assert set(opt.state_arrays([layer])) == {"iterations"} | {f"0.scale.{s}" for s in opt.slots}


@pytest.mark.parametrize(
    "shapes",
    [[((0, 3), (1, 3))], [((1, 1), (1, 1))], [((0, 0), (1, 0)), ((2, 1), (1, 1))]],
    ids=["size0", "size1", "empty_and_small"],
)
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_sizes_0_and_1(make, shapes):
    init, grads = draw(shapes, steps=4, seed=1)
    flat, layers = run_nnfs(make(), init, grads)
    per_layer, _ = run_per_layer(make(), init, grads)
    for a, b in zip(flat[-1], per_layer[-1]):
        np.testing.assert_array_equal(a, b)
    assert [p.shape for layer in layers for p in (layer.weights, layer.biases)] == [
        s for pair in shapes for s in pair
    ]


def test_unhashable_layer():
    class Unhashable(Params):
        __hash__ = None

    layer = Unhashable(np.zeros((2, 2)), np.zeros((1, 2)))
    for call in (
        lambda o: o.step([layer]),
        lambda o: o.update_params(layer),
        lambda o: o.state_arrays([layer]),
    ):
        with pytest.raises(nnfs.NNFSError, match="layers must be hashable.*got Unhashable"):
            call(Adam())


def test_same_layer_twice():
    layer = Params(np.zeros((2, 2)), np.zeros((1, 2)))
    with pytest.raises(nnfs.NNFSError, match="more than once"):
        SGD().step([layer, layer])


def test_integer_parameters_refused():
    layer = Params(np.zeros((2, 2), dtype=np.int64), np.zeros((1, 2)))
    with pytest.raises(nnfs.NNFSError, match="must hold floats, got dtype int64"):
        SGD().step([layer])


# ---- optimizer state: config, state_arrays, load_state_arrays, resuming ------------------------------
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_config_rebuilds(make):
    opt = make()
    clone = type(opt)(**opt.config())
    assert clone.config() == opt.config() and repr(clone) == repr(opt)
    assert list(opt.config()) == list(type(opt).hyperparameters)
    assert all(isinstance(v, float) for v in opt.config().values())


def test_config_values():
    assert Adam(0.02, decay=1e-4, epsilon=1e-6, beta_1=0.8, beta_2=0.99).config() == dict(
        learning_rate=0.02, decay=1e-4, epsilon=1e-6, beta_1=0.8, beta_2=0.99
    )
    assert SGD(0.5, momentum=0.9).config() == dict(learning_rate=0.5, decay=0.0, momentum=0.9)
    assert RMSprop().config() == dict(learning_rate=0.001, decay=0.0, epsilon=1e-7, rho=0.9)
    assert AdaGrad().config() == dict(learning_rate=1.0, decay=0.0, epsilon=1e-7)


SLOTS = {
    "sgd": (),
    "sgd_momentum": ("velocity",),
    "adagrad": ("cache",),
    "rmsprop": ("cache",),
    "adam": ("m", "v"),
}


@pytest.mark.parametrize("make,name", list(zip(ALL, ALL_IDS)), ids=ALL_IDS)
def test_state_arrays_layout(make, name):
    init, grads = draw(steps=3)
    opt = make()
    fresh = opt.state_arrays([Params(init[0], init[1])])
    assert fresh["iterations"].shape == () and int(fresh["iterations"]) == 0
    assert all(not a.any() for k, a in fresh.items() if k != "iterations")  # zeros before the first step
    _, layers = run_nnfs(opt, init, grads)
    arrays = opt.state_arrays(layers)
    expected = {"iterations"} | {
        f"{i}.{p}.{s}" for i in range(2) for p in ("weights", "biases") for s in SLOTS[name]
    }
    assert set(arrays) == expected
    assert arrays["iterations"].dtype == np.int64 and int(arrays["iterations"]) == 3
    for i, layer in enumerate(layers):
        for p in ("weights", "biases"):
            for s in SLOTS[name]:
                a = arrays[f"{i}.{p}.{s}"]
                assert a.shape == getattr(layer, p).shape and a.any()
                assert a is not opt.state[layer][p][s] and np.array_equal(a, opt.state[layer][p][s])  # a copy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_resume_is_bit_for_bit(make, dtype, tmp_path):
    "Save after 12 steps, rebuild optimizer and layers from the saved arrays, 13 more steps == 25 straight."
    init, grads = draw(steps=25, seed=9)
    straight, _ = run_nnfs(make(), init, grads, dtype)
    opt = make()
    _, layers = run_nnfs(opt, init, grads[:12], dtype)
    np.savez(
        tmp_path / "state.npz",
        **opt.state_arrays(layers),
        **{
            f"param{i}": p for i, p in enumerate(a for layer in layers for a in (layer.weights, layer.biases))
        },
    )
    with np.load(tmp_path / "state.npz") as f:
        saved = dict(f)
    opt2 = type(opt)(**opt.config())
    layers2 = [Params(saved[f"param{2 * k}"], saved[f"param{2 * k + 1}"]) for k in range(2)]
    opt2.load_state_arrays(layers2, {k: v for k, v in saved.items() if not k.startswith("param")})
    assert opt2.iterations == 12
    for g in grads[12:]:
        for k, layer in enumerate(layers2):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt2.step(layers2)
    for a, b in zip(straight[-1], [p for layer in layers2 for p in (layer.weights, layer.biases)]):
        np.testing.assert_array_equal(a, b)
        assert b.dtype == dtype
    assert opt2.iterations == 25


def test_resume_with_per_layer_api():
    "State loaded before the first step also drives the book's per-layer API."
    init, grads = draw(steps=8, seed=3)
    straight, _ = run_per_layer(Adam(0.01, decay=0.1), init, grads)
    opt = Adam(0.01, decay=0.1)
    _, layers = run_per_layer(opt, init, grads[:4])
    arrays = opt.state_arrays(layers)
    opt2, layers2 = Adam(0.01, decay=0.1), [Params(l.weights.copy(), l.biases.copy()) for l in layers]
    opt2.load_state_arrays(layers2, arrays)
    for g in grads[4:]:
        for k, layer in enumerate(layers2):
            layer.dweights, layer.dbiases = g[2 * k], g[2 * k + 1]
        opt2.pre_update_params()
        for layer in layers2:
            opt2.update_params(layer)
        opt2.post_update_params()
    np.testing.assert_array_equal(straight[-1][0], layers2[0].weights)


def _bad_state(opt_layers, change):
    opt, layers = opt_layers
    arrays = opt.state_arrays(layers)
    change(arrays)
    return arrays


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda a: a.pop("0.weights.m"), r"missing \['0.weights.m'\]"),
        (lambda a: a.update({"2.weights.m": np.zeros(3)}), r"unexpected \['2.weights.m'\]"),
        (lambda a: a.pop("iterations"), r"missing \['iterations'\]"),
        (lambda a: a.update({"iterations": np.array(-1)}),
         r"'iterations' must be a 0-d integer array in 0..2\*\*53"),
        (lambda a: a.update({"iterations": np.array(2.0)}), "'iterations' must be a 0-d integer array"),
        (lambda a: a.update({"iterations": np.array([2])}), "'iterations' must be a 0-d integer array"),
        (
            lambda a: a.update({"1.biases.v": np.zeros((2, 1))}),
            r"'1.biases.v' must be a finite float array of shape \(1, 2\)",
        ),
        (lambda a: a.update({"0.weights.v": np.zeros((3, 4), dtype=np.int32)}), "dtype int32"),
        (
            lambda a: a["0.weights.m"].__setitem__((0, 0), np.nan),
            "'0.weights.m' must be a finite float array",
        ),
    ],
    ids=[
        "missing",
        "extra",
        "no_iterations",
        "negative_iterations",
        "float_iterations",
        "1d_iterations",
        "wrong_shape",
        "int_dtype",
        "nan",
    ],
)
def test_load_state_arrays_errors(change, match):
    init, grads = draw(steps=2)
    opt = Adam(0.01)
    _, layers = run_nnfs(opt, init, grads)
    before = opt.state_arrays(layers)
    with pytest.raises(nnfs.NNFSError, match=match):
        opt.load_state_arrays(layers, _bad_state((opt, layers), change))
    after = opt.state_arrays(layers)  # a refused load changes nothing
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", ALL, ids=ALL_IDS)
def test_float32_stays_float32(make, grad_dtype):
    init, grads = draw(steps=5)
    opt = make()
    trace32, layers = run_nnfs(
        opt, init, [[g.astype(grad_dtype) for g in gs] for gs in grads], dtype=np.float32
    )
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

    try:
        from nnfs.losses import SoftmaxCategoricalCrossentropy as SoftmaxCategoricalCrossentropy
    except ImportError:
        from nnfs.losses import SoftmaxCategoricalCrossentropy
    X, y = spiral_data(50, 3)
    for opt in (SGD(1.0, momentum=0.9), AdaGrad(0.5), RMSprop(0.01), Adam(0.02)):
        rng = np.random.default_rng(0)
        d1, act, d2 = Dense(2, 16, rng=rng), ReLU(), Dense(16, 3, rng=rng)
        loss = SoftmaxCategoricalCrossentropy()
        losses = []
        for _ in range(100):
            losses.append(loss.calculate(d2.forward(act.forward(d1.forward(X))), y))
            d1.backward(act.backward(d2.backward(loss.backward(loss.output, y))))
            opt.step([d1, d2])
        assert losses[-1] < losses[0] - 0.03, (opt, losses[0], losses[-1])
        assert d1.weights.dtype == np.float32


BAD = [
    (SGD, dict(learning_rate=-0.1), "learning_rate"),
    (SGD, dict(learning_rate=0.0), "learning_rate"),
    (SGD, dict(learning_rate=float("nan")), "learning_rate"),
    (SGD, dict(learning_rate="1"), "learning_rate"),
    (SGD, dict(decay=-1e-3), "decay"),
    (SGD, dict(momentum=1.0), "momentum"),
    (SGD, dict(momentum=-0.1), "momentum"),
    (SGD, dict(momentum=True), "momentum"),
    (AdaGrad, dict(learning_rate=-1.0), "learning_rate"),
    (AdaGrad, dict(epsilon=0.0), "epsilon"),
    (AdaGrad, dict(epsilon=-1e-7), "epsilon"),
    (AdaGrad, dict(decay=-1.0), "decay"),
    (RMSprop, dict(rho=1.0), "rho"),
    (RMSprop, dict(rho=-0.5), "rho"),
    (RMSprop, dict(epsilon=0), "epsilon"),
    (RMSprop, dict(decay=-0.1), "decay"),
    (RMSprop, dict(learning_rate=-0.001), "learning_rate"),
    (Adam, dict(beta_1=1.0), "beta_1"),
    (Adam, dict(beta_1=-0.1), "beta_1"),
    (Adam, dict(beta_2=1.5), "beta_2"),
    (Adam, dict(beta_2=-1e-3), "beta_2"),
    (Adam, dict(epsilon=-1.0), "epsilon"),
    (Adam, dict(decay=-5e-7), "decay"),
    (Adam, dict(learning_rate=float("inf")), "learning_rate"),
]


@pytest.mark.parametrize("cls,kwargs,word", BAD, ids=[f"{c.__name__}-{k}" for c, k, _ in BAD])
def test_bad_hyperparameters(cls, kwargs, word):
    with pytest.raises(nnfs.NNFSError, match=word) as e:
        cls(**kwargs)
    value = next(iter(kwargs.values()))
    assert repr(value) in str(e.value)  # the message shows what was given


@pytest.mark.parametrize("cls", [SGD, AdaGrad, RMSprop, Adam])
def test_good_edge_hyperparameters(cls):
    "Boundary values that are allowed: zero decay, momentum/rho/beta 0."
    extra = {
        SGD: dict(momentum=0.0),
        AdaGrad: {},
        RMSprop: dict(rho=0.0),
        Adam: dict(beta_1=0.0, beta_2=0.0),
    }[cls]
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


def test_dense_backward_writes_into_the_flat_gradient_buffer():
    "After the first step, Dense.backward writes its gradients straight into the optimizer's buffer."
    from nnfs.layers import Dense

    rng = np.random.default_rng(0)
    d1, d2 = Dense(4, 5, rng=rng), Dense(5, 3, rng=rng)
    x, opt = rng.standard_normal((6, 4)).astype(np.float32), Adam(0.01)
    d2.forward(d1.forward(x))
    d1.backward(d2.backward(np.ones((6, 3), np.float32)))
    opt.step([d1, d2])
    grads = [d1.dweights, d1.dbiases, d2.dweights, d2.dbiases]
    assert all(g.base is opt._flat.grad for g in grads)
    d2.forward(d1.forward(2 * x))
    d1.backward(d2.backward(np.ones((6, 3), np.float32)))
    assert all(a is b for a, b in zip(grads, [d1.dweights, d1.dbiases, d2.dweights, d2.dbiases]))
    expected = (2 * x).T @ (np.ones((6, 3), np.float32) @ d2.weights.T)
    np.testing.assert_allclose(d1.dweights, expected, rtol=1e-5)
    before = d2.weights.copy()
    opt.step([d1, d2])
    assert not np.array_equal(before, d2.weights)


def test_loaded_state_reports_the_learning_rate_of_the_last_step():
    "After a load, `current_learning_rate` is the rate of the last step taken, as in the optimizer saved."
    init, grads = draw(steps=3)
    opt = SGD(0.5, decay=0.1)
    _, layers = run_nnfs(opt, init, grads)
    assert opt.current_learning_rate == pytest.approx(0.5 / (1 + 0.1 * 2))
    resumed = SGD(0.5, decay=0.1)
    resumed.load_state_arrays(layers, opt.state_arrays(layers))
    assert resumed.iterations == 3
    assert resumed.current_learning_rate == opt.current_learning_rate
    fresh = Adam(
        0.01, decay=0.5
    )  # nothing trained yet: iterations 0 is a valid state, and the rate is the start
    fresh.load_state_arrays(layers, Adam(0.01, decay=0.5).state_arrays(layers))
    assert fresh.iterations == 0 and fresh.current_learning_rate == 0.01


def test_defaults_and_open_ends():
    "The defaults of the base class and of Adam (the book's), and the ends each hyperparameter may not reach."
    base = Optimizer()
    assert (base.learning_rate, base.decay) == (1.0, 0.0)
    assert Adam().config() == {
        "learning_rate": 0.001,
        "decay": 0.0,
        "epsilon": 1e-7,
        "beta_1": 0.9,
        "beta_2": 0.999,
    }
    for bad in (lambda: Adam(epsilon=0.0), lambda: AdaGrad(epsilon=0.0), lambda: RMSprop(epsilon=0.0)):
        with pytest.raises(nnfs.NNFSError, match=r"epsilon must be in \(0, inf\)"):
            bad()
    assert optimizers._check_hyper("X", "y", 1.0, 0, 1, high_open=False) == 1.0  # a closed end is allowed
    with pytest.raises(nnfs.NNFSError, match=r"y must be in \[0, 1\], got 1.5"):
        optimizers._check_hyper("X", "y", 1.5, 0, 1, high_open=False)


def test_base_class_update_is_abstract():
    "The base class has no update rule: a subclass must define `_update`."
    with pytest.raises(NotImplementedError):
        Optimizer(0.1).update_params(Params(np.ones((2, 2)), np.ones((1, 2))))


def test_thread_pool_only_for_large_models_and_reused():
    "One piece runs in the calling thread (no pool); the pool made for two pieces is kept for the next step."
    optimizers._POOL.clear()
    small = Params(np.ones((3, 4)), np.ones((1, 4)))
    nnfs.core.set_threads(2)
    try:
        SGD(0.1).step([small])
        assert "pool" not in optimizers._POOL
        m = optimizers.MIN_CHUNK
        big = Params(np.ones((2, m)), np.ones((1, m)))
        opt = SGD(0.1)
        opt.step([big])
        pool = optimizers._POOL["pool"]
        assert optimizers._POOL["size"] == 2
        opt.step([big])
        assert optimizers._POOL["pool"] is pool  # reused, not made again
        np.testing.assert_allclose(big.weights, 1.0)  # zero gradients: nothing moved
    finally:
        nnfs.core.set_threads(None)
