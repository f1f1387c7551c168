"""The `nnfs` command (`nnfs.cli.main`): help texts, one-line errors with a non-zero status for bad arguments
and missing or broken files, a short real training run, and predictions on images made here. Most tests
call `main(argv)` in-process; one runs the installed console script."""

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nnfs.cli import main
from nnfs.datasets import FASHION_MNIST_CLASSES
from nnfs.serialization import load_model


def _data_folder() -> Path | None:
    root = os.environ.get("NNFS_DATA")
    folder = Path(root) / "fashion-mnist" if root else None
    return folder if folder is not None and (folder / "train-images-idx3-ubyte.gz").exists() else None


needs_data = pytest.mark.skipif(_data_folder() is None, reason="Fashion-MNIST not found: set NNFS_DATA")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, contains: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nnfs: error: "), err
    assert contains in lines[0], err


def test_help(capsys):
    code, out, err = run(capsys, "--help")
    assert code == 0 and err == ""
    assert "usage: nnfs" in out and "train" in out and "predict" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("nnfs ")


def test_train_help(capsys):
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    for option in (
        "--epochs",
        "--batch-size",
        "--seed",
        "--output",
        "--data",
        "--no-progress",
        "--threads",
        "--test",
        "--arch",
    ):
        assert option in out
    assert "--limit" not in out  # a hidden option for quick runs


def test_predict_help(capsys):
    code, out, _ = run(capsys, "predict", "--help")
    assert code == 0 and "MODEL" in out and "IMAGE" in out


@pytest.mark.parametrize(
    "argv, contains",
    [
        ([], "the following arguments are required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["train", "--epochs", "0"], "argument --epochs: expected an integer >= 1, got '0'"),
        (["train", "--epochs", "ten"], "argument --epochs: expected an integer >= 1, got 'ten'"),
        (["train", "--batch-size", "-5"], "argument --batch-size: expected an integer >= 1"),
        (["train", "--seed", "-1"], "argument --seed: expected an integer >= 0, got '-1'"),
        (["train", "--threads", "0"], "argument --threads: expected an integer >= 1, got '0'"),
        (["train", "--arch", "rnn"], "argument --arch: invalid choice: 'rnn'"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["predict"], "the following arguments are required: MODEL, IMAGE"),
        (["predict", "model.npz"], "the following arguments are required: IMAGE"),
    ],
)
def test_bad_arguments(capsys, argv, contains):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    one_line_error(err, contains)


def _image(path: Path) -> Path:
    "A drawing of trousers, dark on white, like a photo of a garment on paper."
    im = Image.new("L", (120, 120), 245)
    ImageDraw.Draw(im).polygon(
        [(40, 10), (80, 10), (88, 112), (66, 112), (60, 40), (54, 112), (32, 112)], fill=40
    )
    im.save(path)
    return path


def test_predict_missing_and_broken_files(capsys, tmp_path):
    img = _image(tmp_path / "trousers.png")
    code, _, err = run(capsys, "predict", str(tmp_path / "missing.npz"), str(img))
    assert code == 1
    one_line_error(err, f"{tmp_path / 'missing.npz'}: model file not found")
    (tmp_path / "junk.npz").write_bytes(b"not a model at all")
    code, _, err = run(capsys, "predict", str(tmp_path / "junk.npz"), str(img))
    assert code == 1
    one_line_error(err, "wrong magic")


def test_train_output_folder_checked_first(capsys, tmp_path):
    code, out, err = run(
        capsys, "train", "--output", str(tmp_path / "no" / "such" / "m.npz"), "--no-progress"
    )
    assert code == 1 and out == ""  # refused before any data is loaded or trained on
    one_line_error(err, "--output: cannot save to")
    one_line_error(err, "no/such does not exist")
    for output, message in (
        ("", "--output: the path is empty"),
        (str(tmp_path), "it is a folder, not a file"),
    ):
        code, out, err = run(capsys, "train", "--output", output, "--no-progress")
        assert code == 1 and out == ""
        one_line_error(err, message)
    code, _, err = run(
        capsys, "train", "--data", str(tmp_path / "nowhere"), "--output", str(tmp_path / "m.npz")
    )
    assert code == 1
    one_line_error(err, "--data: no such folder")


def test_train_data_folder_without_files(capsys, tmp_path):
    code, _, err = run(
        capsys, "train", "--data", str(tmp_path), "--output", str(tmp_path / "m.npz"), "--no-progress"
    )
    assert code == 1
    one_line_error(err, "train-images-idx3-ubyte.gz")
    assert not (tmp_path / "m.npz").exists()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`nnfs train` on a small subset (1 epoch, 3,000 images): exit status, model path, stdout, stderr.
    Module-scoped so that training runs once; `capsys` is per test, so the output is captured by hand."""
    if _data_folder() is None:
        pytest.skip("Fashion-MNIST not found: set NNFS_DATA")
    out = tmp_path_factory.mktemp("cli") / "model.npz"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(
            [
                "train",
                "--epochs",
                "1",
                "--limit",
                "3000",
                "--seed",
                "3",
                "--no-progress",
                "--output",
                str(out),
            ]
        )
    return code, out, stdout.getvalue(), stderr.getvalue()


@needs_data
def test_train_small(trained):
    code, path, out, err = trained
    assert code == 0, err
    assert err == ""  # --no-progress: nothing on stderr
    assert "validation accuracy:" in out and "test accuracy" not in out  # the test set only with --test
    assert f"saved the model to {path.resolve()}" in out  # the absolute path
    val_acc = float(out.split("validation accuracy:")[1].split()[0])
    assert 0.5 < val_acc <= 1  # one epoch on 3,000 images already beats chance (0.1) by far
    model = load_model(path)
    assert (
        model.trainable_layers[0].weights.shape[0] == 784
        and model.trainable_layers[-1].weights.shape[1] == 10
    )


@needs_data
def test_predict(trained, capsys, tmp_path):
    _, path, _, _ = trained
    a = _image(tmp_path / "a.png")
    b = tmp_path / "b.jpg"
    Image.open(a).convert("RGB").save(b)
    code, out, err = run(capsys, "predict", str(path), str(a), str(b))
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert len(lines) == 2
    for line, image in zip(lines, (a, b)):
        assert line.startswith(str(image))
        name = line[len(str(image)) :].strip().rsplit(" ", 1)[0].strip()
        assert name in FASHION_MNIST_CLASSES
        assert line.endswith("%") and 0 < float(line.split()[-1].rstrip("%")) <= 100
    # a missing image and a file that is not an image: one-line errors
    code, _, err = run(capsys, "predict", str(path), str(tmp_path / "nope.png"))
    assert code == 1
    one_line_error(err, "image not found")
    code, _, err = run(capsys, "predict", str(path), str(tmp_path))
    assert code == 1
    one_line_error(err, "not an image file but a folder")
    (tmp_path / "text.png").write_text("hello")
    code, _, err = run(capsys, "predict", str(path), str(tmp_path / "text.png"))
    assert code == 1
    one_line_error(err, "cannot read image")


def _command() -> list[str]:
    exe = shutil.which("nnfs") or str(Path(sys.executable).with_name("nnfs"))
    return [exe] if Path(exe).exists() else [sys.executable, "-m", "nnfs.cli"]


@needs_data
def test_console_script(trained, tmp_path):
    "The installed `nnfs` command: exit status and output of a real process."
    _, path, _, _ = trained
    img = _image(tmp_path / "t.png")
    res = subprocess.run(
        _command() + ["predict", str(path), str(img)], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(str(img)) and res.stdout.strip().endswith("%")
    res = subprocess.run(_command() + ["train", "--epochs", "0"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [
        "nnfs: error: argument --epochs: expected an integer >= 1, got '0' (see 'nnfs train --help')"
    ]


def test_module_entry_point(tmp_path):
    "`python -m nnfs.cli` runs `main` and exits with its status."
    res = subprocess.run(
        [sys.executable, "-m", "nnfs.cli", "predict", str(tmp_path / "m.npz"), "x.png"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1 and res.stderr.startswith(
        f"nnfs: error: {tmp_path / 'm.npz'}: model file not found"
    )


@needs_data
def test_train_with_test_flag_and_threads(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "train",
        "--epochs",
        "1",
        "--limit",
        "500",
        "--no-progress",
        "--test",
        "--threads",
        "2",
        "--output",
        str(tmp_path / "m.npz"),
    )
    assert code == 0, err
    assert "validation accuracy:" in out and "test accuracy:" in out
    from nnfs.core import get_threads

    assert get_threads() == 2


def test_cnn_choice_is_wired(capsys, monkeypatch):
    from nnfs import cli

    assert cli._builder("mlp") == (cli.build_model, cli.BEST)
    from nnfs.recipes import CNN_BEST, build_cnn

    # the CNN trains with its own epochs and batch size (appendix 22a's recipe)
    assert cli._builder("cnn") == (build_cnn, CNN_BEST)
    model = cli._builder("cnn")[0](rng=np.random.default_rng(0))
    assert type(model.layers[0]).__name__ == "Conv2D" and model.preprocessing is not None


def test_offline_error_suggests_the_option(capsys, tmp_path, monkeypatch):
    from nnfs import cli
    from nnfs.core import NNFSError

    def offline(**kw):
        raise NNFSError("fashion_mnist: the cache lacks the files and this machine is offline")

    monkeypatch.setattr(cli, "train_fashion_mnist", offline)
    code, _, err = run(capsys, "train", "--output", str(tmp_path / "m.npz"), "--no-progress")
    assert code == 1
    one_line_error(err, "(or point the command at the files with --data FOLDER)")


def _model_file(tmp_path, scale=0.05):
    from nnfs.recipes import build_model
    from nnfs.serialization import save_model

    m = build_model((16,) if scale else (16,) * 5, 0, rng=np.random.default_rng(0))
    if scale is None:
        for layer in m.trainable_layers:
            layer.weights[...] = 1e6 * np.sign(layer.weights)
    save_model(m, tmp_path / "m.npz")
    return str(tmp_path / "m.npz")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_predict_fifo_does_not_hang(capsys, tmp_path):
    model = _model_file(tmp_path)
    os.mkfifo(tmp_path / "pipe.png")
    code, _, err = run(capsys, "predict", model, str(tmp_path / "pipe.png"))
    assert code == 1
    one_line_error(err, "not a regular file")
    code, _, err = run(capsys, "predict", str(tmp_path / "pipe.png"), str(_image(tmp_path / "t.png")))
    assert code == 1
    one_line_error(err, "not a regular file")


def test_predict_non_utf8_name_prints(tmp_path):
    model = _model_file(tmp_path)
    name = os.fsencode(tmp_path) + b"/\xff\xfeshirt.png"
    _image(Path(os.fsdecode(name)))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    res = subprocess.run(
        [sys.executable, "-m", "nnfs.cli", "predict", model, os.fsdecode(name)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert b"\\udcff\\udcfeshirt.png" in res.stdout and b"Traceback" not in res.stderr


def test_predict_warnings_are_one_line(capsys, tmp_path):
    model = _model_file(tmp_path)
    Image.new("L", (40, 40), 128).save(tmp_path / "blank.png")
    Image.new("L", (3, 3), 0).save(tmp_path / "tiny.png")
    code, out, err = run(capsys, "predict", model, str(tmp_path / "blank.png"), str(tmp_path / "tiny.png"))
    assert code == 0
    lines = err.strip().splitlines()
    assert all(l.startswith("nnfs: warning: ") for l in lines) and len(lines) == 3, err
    assert "blank.png: the image looks blank" in err and "tiny.png: the image is only 3x3 pixels" in err


def test_predict_never_prints_nan(capsys, tmp_path):
    model = _model_file(tmp_path, scale=None)
    img = _image(tmp_path / "t.png")
    code, out, err = run(capsys, "predict", model, str(img))
    assert "nan%" not in out.lower() and out == ""
    assert code == 1
    one_line_error(err, "not finite numbers")


def test_predict_over_large_image(capsys, tmp_path):
    model = _model_file(tmp_path)
    Image.new("L", (1, 60000), 0).save(tmp_path / "thin.png")
    code, out, err = run(capsys, "predict", model, str(tmp_path / "thin.png"))
    assert code == 0 and "thin.png" in out
    from nnfs import inference

    monkey = inference.MAX_PIXELS
    try:
        inference.MAX_PIXELS = 100
        from nnfs.inference import preprocess_image

        with pytest.raises(Exception, match="more than the limit of 50"):
            preprocess_image(str(tmp_path / "thin.png"), max_pixels=50)
    finally:
        inference.MAX_PIXELS = monkey


def test_option_defaults():
    "The documented defaults: seed 0, 1 BLAS thread, the MLP and its file; epochs and batch size per model."
    from nnfs.cli import make_parser

    args = make_parser().parse_args(["train"])
    assert (args.seed, args.threads, args.arch, args.output) == (0, 1, "mlp", "fashion_mnist_mlp.npz")
    assert args.epochs is None and args.batch_size is None and args.limit is None  # the model's own choice
    assert not args.test and not args.no_progress and args.data is None
    assert make_parser().parse_args(["predict", "m.npz", "a.png"]).threads == 1


def test_smallest_accepted_values(capsys):
    "Each integer option accepts its minimum and refuses one less."
    from nnfs.cli import make_parser

    args = make_parser().parse_args(
        ["train", "--epochs", "1", "--batch-size", "1", "--seed", "0", "--threads", "1", "--limit", "1"]
    )
    assert (args.epochs, args.batch_size, args.seed, args.threads, args.limit) == (1, 1, 0, 1, 1)
    assert make_parser().parse_args(["predict", "--threads", "1", "m.npz", "a.png"]).threads == 1
    for argv, contains in (
        (["train", "--limit", "0"], "argument --limit: expected an integer >= 1, got '0'"),
        (["predict", "--threads", "0", "m.npz", "a.png"], "argument --threads: expected an integer >= 1"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        one_line_error(err, contains)


def test_output_folder_errors_name_the_problem(capsys, tmp_path, monkeypatch):
    "A missing folder and a folder the user may not write to are told apart, before any training."
    code, out, err = run(capsys, "train", "--output", str(tmp_path / "no" / "m.npz"), "--no-progress")
    assert code == 1 and out == ""
    one_line_error(
        err, f"--output: cannot save to {tmp_path / 'no' / 'm.npz'}: the folder {tmp_path / 'no'} does not "
        "exist"
    )
    # root may write anywhere, so the permission check is told that the folder is read-only
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    code, out, err = run(capsys, "train", "--output", str(tmp_path / "m.npz"), "--no-progress")
    assert code == 1 and out == ""
    one_line_error(err, f"--output: cannot save to {tmp_path / 'm.npz'}: the folder {tmp_path} is not "
                   "writable")


def _fake_training(calls: list):
    "A stand-in for `train_fashion_mnist`: records its arguments, builds the model and does not train it."

    def train(**kw):
        calls.append(kw)
        return kw["build"](rng=np.random.default_rng(0)), {}

    return train


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_train_wires_the_model_and_its_settings(capsys, tmp_path, monkeypatch, arch):
    "`--arch` picks the builder and its epochs and batch size; the saved model records its preprocessing."
    from nnfs import cli
    from nnfs.inference import FASHION_MNIST_PREPROCESSING

    calls = []
    monkeypatch.setattr(cli, "train_fashion_mnist", _fake_training(calls))
    output = str(tmp_path / "m.npz")
    code, out, err = run(capsys, "train", "--arch", arch, "--output", output, "--no-progress")
    assert code == 0, err
    assert out == f"saved the model to {tmp_path / 'm.npz'}\n"
    (kw,) = calls
    best = cli.BEST if arch == "mlp" else cli.CNN_BEST
    assert (kw["epochs"], kw["batch_size"]) == (best["epochs"], best["batch_size"])
    assert kw["seed"] == 0 and kw["threads"] == 1
    assert kw["progress"] is False and kw["test"] is False and kw["data"] is None and kw["limit"] is None
    assert load_model(tmp_path / "m.npz").preprocessing == FASHION_MNIST_PREPROCESSING


def test_data_hint_only_for_missing_data_without_data_option(capsys, tmp_path, monkeypatch):
    "The '--data FOLDER' hint is added only to a missing-data error, and only when --data was not given."
    from nnfs import cli
    from nnfs.core import NNFSError

    def failing(message):
        def train(**kw):
            raise NNFSError(message)

        return train

    monkeypatch.setattr(cli, "train_fashion_mnist", failing("fashion_mnist: the files are missing"))
    code, _, err = run(capsys, "train", "--data", str(tmp_path), "--output", str(tmp_path / "m.npz"))
    assert code == 1 and err == "nnfs: error: fashion_mnist: the files are missing\n"
    monkeypatch.setattr(cli, "train_fashion_mnist", failing("epochs: expected a positive integer"))
    code, _, err = run(capsys, "train", "--output", str(tmp_path / "m.npz"))
    assert code == 1 and err == "nnfs: error: epochs: expected a positive integer\n"


@pytest.mark.parametrize(
    "error, message",
    [
        (OSError(28, "No space left on device", "/disk/m.npz"), "No space left on device: /disk/m.npz"),
        (OSError("the disk went away"), "the disk went away"),
    ],
)
def test_os_error_is_one_line_and_status_1(capsys, tmp_path, monkeypatch, error, message):
    "An operating-system error: its description (and the file it names), exit status 1, no traceback."
    from nnfs import cli

    def train(**kw):
        raise error

    monkeypatch.setattr(cli, "train_fashion_mnist", train)
    code, out, err = run(capsys, "train", "--output", str(tmp_path / "m.npz"))
    assert code == 1 and out == ""
    assert err == f"nnfs: error: {message}\n"


def test_ctrl_c_exits_with_status_130(capsys, tmp_path, monkeypatch):
    "Ctrl-C during training: 'nnfs: interrupted' and the shell's status for SIGINT, 128 + 2."
    from nnfs import cli

    def train(**kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "train_fashion_mnist", train)
    code, out, err = run(capsys, "train", "--output", str(tmp_path / "m.npz"))
    assert code == 130 and out == "" and err == "nnfs: interrupted\n"
    assert not (tmp_path / "m.npz").exists()


# ---- hostile command lines, outputs and inputs ------------------------------------------------------------


def _refused_before_training(capsys, output: str, contains: str) -> None:
    argv = ("train", "--output", output, "--no-progress", "--limit", "10", "--epochs", "1")
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == "", out  # nothing trained (the first printed line names the network)
    one_line_error(err, contains)


def test_output_that_is_not_a_file_is_refused_before_training(capsys, tmp_path):
    "H1: `-o` a pipe (or a device, or a socket) was replaced by a model file after training."
    os.mkfifo(tmp_path / "fifo")
    _refused_before_training(capsys, str(tmp_path / "fifo"), "it is a device, a pipe or a socket")
    assert os.path.exists(tmp_path / "fifo") and not os.path.isfile(tmp_path / "fifo")
    if os.geteuid() == 0:   # a device node, made in a temporary folder (never the machine's /dev)
        import stat

        os.mknod(tmp_path / "full", stat.S_IFCHR | 0o666, os.makedev(1, 7))
        _refused_before_training(capsys, str(tmp_path / "full"), "it is a device, a pipe or a socket")
        assert stat.S_ISCHR(os.stat(tmp_path / "full").st_mode)


def test_output_link_loop_and_long_name_are_refused_before_training(capsys, tmp_path):
    "L5: these passed the check and failed only after training."
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    _refused_before_training(capsys, str(tmp_path / "loop"), "Too many levels of symbolic links")
    _refused_before_training(capsys, str(tmp_path / ("m" * 300 + ".npz")), "File name too long")


@pytest.mark.parametrize("threads", ["18446744073709551616", "100000000000000000000", "100000"])
def test_absurd_thread_counts_are_capped_not_a_traceback(capsys, tmp_path, threads, monkeypatch):
    """M3, L16: --threads 2**64 or more ended in a 30-line ctypes traceback; 100000 was accepted and made
    training 7x slower on 2 cores. Capped at the cores the program may use, with a one-line warning."""
    from nnfs import cli

    calls = []
    monkeypatch.setattr(cli, "train_fashion_mnist", _fake_training(calls))
    code, out, err = run(capsys, "train", "--threads", threads, "--output", str(tmp_path / "m.npz"),
                         "--no-progress")
    cores = len(os.sched_getaffinity(0))
    assert code == 0 and calls[0]["threads"] == cores
    assert err.strip() == (f"nnfs: warning: --threads {threads} is more than the {cores} "
                           f"core{'s' * (cores > 1)} this machine gives the program; using {cores}")


def test_odd_file_names_print_on_one_clean_line(capsys, tmp_path):
    "L4: escape sequences and line breaks in file names were printed raw to the terminal."
    name = str(tmp_path / "evil\x1b[2J\nname.png")
    code, out, err = run(capsys, "predict", str(tmp_path / "model.npz"), name)
    assert code == 1 and "\x1b" not in err and err.count("\n") == 1
    one_line_error(err, "model file not found")
    bad = tmp_path / "bad\x1b[31m.npz"
    bad.write_bytes(b"not a model")
    code, out, err = run(capsys, "predict", str(bad), name)
    assert code == 1 and "\x1b" not in err and r"bad\x1b[31m.npz" in err


def test_a_huge_number_is_not_echoed_in_full(capsys):
    "L4: a 5000-digit --seed was echoed in a 5,089-character line."
    code, out, err = run(capsys, "train", "--seed", "-" + "9" * 5000)
    assert code == 2 and len(err) < 200
    one_line_error(err, "argument --seed: expected an integer >= 0, got '-999999999")


@needs_data
def test_predict_with_multi_frame_images_prints_no_resource_warning(trained, capsys, tmp_path):
    "L2: Pillow's ResourceWarning reached users as 'nnfs: warning: anim.gif: unclosed file'."
    code, path, _, _ = trained
    frames = [Image.new("L", (60, 60), 255) for _ in range(2)]
    ImageDraw.Draw(frames[0]).rectangle([15, 10, 45, 50], fill=30)
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:])
    images = (str(tmp_path / "anim.gif"), str(tmp_path / "pages.tif"))
    code, out, err = run(capsys, "predict", str(path), *images)
    assert code == 0 and "unclosed" not in err and "ResourceWarning" not in err, err


@needs_data
def test_hostile_model_files_end_in_one_line(trained, capsys, tmp_path):
    "H2, H3, L10 through `nnfs predict`: a raw MemoryError or ZeroDivisionError printed a 20-line traceback."
    import json

    code, path, _, _ = trained
    Image.new("L", (40, 40), 255).save(tmp_path / "x.png")
    with np.load(path) as npz:
        desc = json.loads(npz["__architecture__"].tobytes())
        arrays = {k: npz[k] for k in npz.files if k != "__architecture__"}
    edits = {
        "huge": lambda d: d["layers"][0]["config"].update(n_inputs=10**7),
        "preprocessing": lambda d: d.update(preprocessing={"image_size": 27, "range": [-1, 1],
                                                           "foreground": "light"}),
        "conv": lambda d: d.update(layers=[{"type": "Conv2D", "config": {
            "in_channels": 1, "out_channels": 1, "kernel_size": [3, 3], "input_shape": [2, 2]}}]),
    }
    for name, edit in edits.items():
        d = json.loads(json.dumps(desc))
        edit(d)
        np.savez(tmp_path / f"{name}.npz", __architecture__=np.frombuffer(json.dumps(d).encode(), np.uint8),
                 **arrays)
        code, out, err = run(capsys, "predict", str(tmp_path / f"{name}.npz"), str(tmp_path / "x.png"))
        assert code == 1 and out == "", name
        one_line_error(err, f"{name}.npz: ")


def test_export_is_wired_to_lesson_24_and_checks_the_output_first(capsys, tmp_path, monkeypatch):
    "`nnfs export MODEL OUTPUT` calls nnfs.interop.export_onnx (imported only there) and prints its line."
    import types

    calls = []
    stub = types.ModuleType("nnfs.interop")
    stub.export_onnx = lambda model, out: calls.append((model, out)) or f"wrote {out}"
    monkeypatch.setitem(sys.modules, "nnfs.interop", stub)
    code, out, err = run(capsys, "export", "m.npz", str(tmp_path / "m.onnx"))
    assert (code, out, err) == (0, f"wrote {tmp_path / 'm.onnx'}\n", "")
    assert calls == [("m.npz", str(tmp_path / "m.onnx"))]
    os.mkfifo(tmp_path / "fifo")
    code, out, err = run(capsys, "export", "m.npz", str(tmp_path / "fifo"))
    assert code == 1 and len(calls) == 1
    one_line_error(err, "--output: cannot save to")
    stub.export_onnx = lambda model, out: (_ for _ in ()).throw(__import__("nnfs").NNFSError("no onnx here"))
    code, out, err = run(capsys, "export", "m.npz", str(tmp_path / "m.onnx"))
    assert code == 1
    one_line_error(err, "no onnx here")


def test_export_writes_an_onnx_file_that_predicts_as_the_model(capsys, tmp_path):
    "The real `nnfs export` (no stub): the ONNX file gives the saved model's probabilities."
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    _model_file(tmp_path)
    code, out, err = run(capsys, "export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx"))
    assert code == 0 and err == "" and out.startswith(f"wrote {tmp_path / 'm.onnx'}: ")
    model = load_model(tmp_path / "m.npz")
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, model.predict(x), rtol=1e-4, atol=1e-6)
    os.mkfifo(tmp_path / "pipe")                         # refused before anything is written
    code, out, err = run(capsys, "export", str(tmp_path / "m.npz"), str(tmp_path / "pipe"))
    assert code == 1 and out == ""
    one_line_error(err, f"--output: cannot save to {tmp_path / 'pipe'}: it is a device, a pipe")
