"""The package surface: stubs in step with the module, runnable docstrings, GIL release, threads."""

import ast
import doctest
import inspect
import pathlib
import threading
import time

import numpy as np
import pytest

import engram
from engram import _engram

STUB = pathlib.Path(engram.__file__).with_name("_engram.pyi")
STUB_ONLY = {"CapacityProbe", "CapacityResult", "CapacityOptions", "KernelizedTrainingReport"}  # TypedDicts of returned dicts


def stub_tree():
    return ast.parse(STUB.read_text())


def test_package_ships_stubs_and_py_typed():
    assert STUB.exists()
    assert STUB.with_name("py.typed").exists()


def test_stub_names_match_the_module():
    tree = stub_tree()
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))} - STUB_ONLY
    runtime = {n for n in dir(_engram) if not n.startswith("_")}
    assert stubbed == runtime
    assert set(engram.__all__) == runtime | {"__version__"}


def test_stub_classes_list_the_runtime_members():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or node.name in STUB_ONLY:
            continue
        cls = getattr(_engram, node.name)
        stubbed = {m.name for m in node.body if isinstance(m, ast.FunctionDef)} - {"__init__"}
        runtime = {n for n in dir(cls) if not n.startswith("_")} | ({"__len__"} & set(dir(cls)))
        assert stubbed == runtime, node.name


def test_stub_signatures_match_the_runtime_signatures():
    def params(fn):
        return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]

    for node in stub_tree().body:
        targets = []
        if isinstance(node, ast.FunctionDef):
            targets.append((node, getattr(_engram, node.name)))
        elif isinstance(node, ast.ClassDef) and node.name not in STUB_ONLY:
            cls = getattr(_engram, node.name)
            for m in node.body:
                if isinstance(m, ast.FunctionDef) and m.name == "__init__":
                    targets.append((m, cls))
                elif isinstance(m, ast.FunctionDef) and not m.decorator_list and not m.name.startswith("_"):
                    targets.append((m, getattr(cls, m.name)))
        for stub, obj in targets:
            a = stub.args
            names = [x.arg for x in a.posonlyargs + a.args if x.arg != "self"] + [x.arg for x in a.kwonlyargs]
            assert [p.name for p in params(obj)] == names, stub.name


def docstrings():
    """(name, docstring) of every public runtime object and member, and of the stub."""
    found = [("engram", engram.__doc__)]
    for name in engram.__all__:
        obj = getattr(engram, name)
        if name.startswith("__"):
            continue
        found.append((name, obj.__doc__))
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and getattr(value, "__doc__", None):
                    found.append((f"{name}.{member}", value.__doc__))
    for node in ast.walk(stub_tree()):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                found.append((f"stub:{node.name}", doc))
    return found


def test_docstring_examples_run():
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    examples = 0
    for name, doc in docstrings():
        if not doc or ">>>" not in doc:
            continue
        test = parser.get_doctest(doc, {"np": np}, name, None, 0)
        examples += len(test.examples)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
    assert examples >= 30


def test_every_class_and_function_has_an_example():
    for name in engram.__all__:
        if not name.startswith("__"):
            assert ">>>" in (getattr(engram, name).__doc__ or ""), name


def test_every_public_object_has_a_docstring():
    for name, doc in docstrings():
        assert doc and doc.strip(), name


def test_long_computations_release_the_gil():
    patterns = engram.random_sphere(4000, 256, seed=1)
    queries = engram.random_sphere(512, 256, seed=2)
    net = engram.ModernHopfield(patterns, beta=0.5)
    start = time.perf_counter()
    net.recall(queries, max_steps=3, tol=0.0)
    one_call = time.perf_counter() - start
    repeats = max(1, int(0.5 / max(one_call, 1e-3)))

    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.02)
    inside = 0
    try:
        for _ in range(repeats):
            begin = time.perf_counter()
            net.recall(queries, max_steps=3, tol=0.0)
            end = time.perf_counter()
            inside += sum(1 for t in list(ticks) if begin + 0.01 < t < end - 0.01)
    finally:
        stop.set()
        thread.join()
    # With the GIL held, the ticker could not run during the calls at all: one tick inside a
    # call proves the release (more would only measure how busy the cores are).
    assert inside >= 1, (inside, one_call, repeats)


def test_threads_and_late_set_threads():
    assert engram.threads() >= 1  # this also starts the pool
    with pytest.raises(RuntimeError, match="thread pool already started"):
        engram.set_threads(1)


def test_reprs_and_version():
    assert engram.__version__.count(".") == 2
    assert repr(engram.Hopfield(engram.random_bipolar(2, 8))) == "Hopfield(dim=8, rule=hebbian)"
    assert repr(engram.ModernHopfield(engram.random_sphere(3, 4), 2.0)) == (
        "ModernHopfield(num_patterns=3, dim=4, beta=2)"
    )
    assert "DenseMemory(num_patterns=2, dim=8" in repr(engram.DenseMemory(engram.random_bipolar(2, 8)))
    assert "similarity='dot'" in repr(engram.Universal(engram.random_sphere(3, 4)))
