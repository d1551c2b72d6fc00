"""The Python package against the command line: the same scenario through
ctypes and through `infercost` must give the same figures, bad input must
raise BadInput with the library's message, and the package must install
offline with pip. Run by CTest (python_tests) with INFERCOST_LIB and IC_BIN
set; from the repository root."""
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import infercost  # noqa: E402

TINY = os.path.join(ROOT, "tests", "data", "tiny_scenario.ini")
BIN = os.environ.get("IC_BIN", os.path.join(ROOT, "build", "infercost"))


def cli(*args):
    return subprocess.run([BIN, *args], cwd=ROOT, capture_output=True, text=True)


def test_run_matches_the_command_line(tmp_path):
    r = infercost.run(TINY, **{"serving.max_batch": 8})
    assert cli("run", TINY, "-q", "-s", "serving.max_batch=8", "-o", str(tmp_path)).returncode == 0
    with open(tmp_path / "summary.json") as f:
        expected = json.load(f)
    assert r == expected  # same scenario, same seed: the same summary, every figure
    assert r["metrics"]["usd_per_day"] > 0


def test_keyword_overrides_with_double_underscore():
    a = infercost.run(TINY, serving__max_batch=4, run__seed=7)
    b = infercost.run(TINY, **{"serving.max_batch": 4, "run.seed": 7})
    assert a == b
    assert a["metrics"]["usd_per_day"] != infercost.run(TINY)["metrics"]["usd_per_day"]


def test_bad_input_raises_with_the_message():
    with pytest.raises(infercost.BadInput) as e:
        infercost.run(TINY, **{"serving.max_batch": 0})
    assert "serving.max_batch: value 0 is out of range" in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(infercost.BadInput) as e:
        infercost.run(os.path.join(ROOT, "tests", "data", "does_not_exist.ini"))
    assert "cannot open scenario" in str(e.value)
    with pytest.raises(infercost.BadInput) as e:
        infercost.sweep(TINY, vary={"serving.max_bach": [1, 2]})
    assert "serving.max_bach" in str(e.value)


def test_sweep_matches_the_command_line():
    rows = infercost.sweep(TINY, vary={"fleet.nodes": [1, 2, 3]}, targets=["e2e_p99_s<=14"])
    out = cli("sweep", TINY, "-q", "--vary", "fleet.nodes=1,2,3", "--target", "e2e_p99_s<=14")
    assert out.returncode == 0
    expected = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == len(expected) == 3
    for got, want in zip(rows, expected):
        assert set(got) == set(want)
        for k, v in want.items():
            if k == "status":
                assert got[k] == v == "ok"
            elif v == "nan":
                assert math.isnan(got[k])
            else:
                assert got[k] == float(v)  # %.17g round-trips exactly
    assert [r["fleet.nodes"] for r in rows] == [1, 2, 3]
    assert all(isinstance(r["fleet.nodes"], int) for r in rows)


def test_sweep_as_data_frame():
    pandas = pytest.importorskip("pandas")
    df = infercost.sweep(TINY, vary={"serving.max_batch": [4, 8]}, as_frame=True)
    assert isinstance(df, pandas.DataFrame)
    assert list(df["serving.max_batch"]) == [4, 8]
    assert (df["usd_per_day"] > 0).all()


def test_search_matches_the_command_line():
    got = infercost.search(TINY, targets=["e2e_p99_s<=14"], vary={"serving.max_batch": [4, 16]}, nodes="1:6:1", top=2)
    out = cli("search", TINY, "-q", "--target", "e2e_p99_s<=14", "--vary", "serving.max_batch=4,16",
              "--nodes", "1:6:1", "--top", "2", "--format", "json")
    assert out.returncode == 0
    assert got == json.loads(out.stdout)
    assert got["found"] and len(got["ranked"]) == 2
    costs = [r["metrics"]["usd_per_day"] for r in got["ranked"]]
    assert costs == sorted(costs)


def test_search_that_finds_nothing():
    got = infercost.search(TINY, targets=["ttft_p99_s<=0.001"], nodes="1:2:1")
    assert got["found"] is False and got["ranked"] == []


def test_pip_installs_offline(tmp_path):
    try:
        import setuptools  # noqa: F401
        subprocess.run([sys.executable, "-m", "pip", "--version"], check=True, capture_output=True)
    except Exception:
        pytest.skip("pip or setuptools missing for %s" % sys.executable)
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "python"), src, ignore=shutil.ignore_patterns("tests", "__pycache__", "build"))
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--target",
                           str(target), str(src)], capture_output=True, text=True)
    if done.returncode != 0 and "bdist_wheel" in done.stdout + done.stderr:
        pytest.skip("this pip builds in isolation and has no wheel package; Debian's pip installs it")
    assert done.returncode == 0, done.stdout + done.stderr
    code = "import infercost; print(infercost.__file__); print(infercost.run(%r)['metrics']['gpus'])" % TINY
    env = dict(os.environ, PYTHONPATH=str(target), INFERCOST_LIB=os.path.abspath(infercost.library_path()))
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    path, gpus = ran.stdout.split()
    assert path.startswith(str(target))
    assert float(gpus) == 16  # tiny_scenario: 2 nodes x 8 GPUs
