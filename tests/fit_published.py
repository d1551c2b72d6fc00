#!/usr/bin/env python3
"""Fits the perf.profile = fitted parameters on the FIT half of
tests/data/published/measurements.csv only (never the held-out half).

    python3 tests/fit_published.py build/infercost
    python3 tests/fit_published.py build/infercost --only B200
    python3 tests/fit_published.py build/infercost --only MI300X   (and MI325X)
    python3 tests/fit_published.py build/infercost --validate-args "--trtllm inflight"

--validate-args passes its words to every validate run, so the profile can be
fitted under another scheduling or length choice (validate's --trtllm,
--lengths), the choice the next refit has to make on the fit half
(docs/validation-published.md, "Sixth round, merged").

With --only GPU, fits that GPU's two efficiencies alone on its fit-half
throughput rows, everything else (the shared terms and the other GPUs'
entries, already in src/perf_fitted.c) held as they are: how a GPU is added
to the fitted table without moving the others.

Runs `infercost validate --published --split fit` with candidate values as
-s overrides and minimises the mean over every fit row of min(|error|, 1)
(each row one vote, so the tails count, but a few queueing-dominated
latency rows, off by several times, cannot drag the efficiencies to
implausible values). The efficiencies of each GPU are fitted on its
throughput rows only: only H100 has latency rows (NIM), and letting them
set H100's efficiencies but not H200's would bias the ratio between the
two; the shared parameters (overheads, transition, link latency, decode
attention) are fitted on every fit row. Coordinate
descent: each parameter in turn tries value x step and value / step (steps
shrinking), keeping any improvement; first the efficiencies of each GPU on
its own rows, then the shared parameters on all rows, twice over. Prints the
values to copy into src/perf_fitted.c. Standard library only.

Options of the full fit (seventh round (R), docs/validation-published.md):
  --gpus H100,H200,B200   the NVIDIA entries to fit (default H100,H200)
  --per-gpu-p             each entry its own transition perf.roofline_p, fitted
                          with its efficiencies on ALL of that GPU's fit rows
                          (latency rows included: every one of these GPUs has
                          MLPerf latency rows in the fit half now)
  --per-gpu-rows          the efficiencies on all of the GPU's rows, p shared
  --shared K1,K2          the shared terms to fit ("" for none; the rest held)
  --from-fitted           start from src/perf_fitted.c's values, not the keys'
  --show-start            print what --from-fitted reads, and stop
  --set [GPU:]key=value   a starting value (repeatable)
  --passes N, --steps a,b the rounds and the step factors of the descent
  --parallel N            run up to N GPUs' validate runs side by side
Every run is remembered, so the descent never scores one point twice."""
import concurrent.futures
import csv
import re
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

BIN = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "build/infercost"
EXTRA = shlex.split(sys.argv[sys.argv.index("--validate-args") + 1]) if "--validate-args" in sys.argv else []
PARALLEL = int(sys.argv[sys.argv.index("--parallel") + 1]) if "--parallel" in sys.argv else 1
TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data/published/measurements.csv")
GPUS = {"H100": "h100-sxm", "H200": "h200"}
# The NVIDIA entries a full fit may take (--gpus): catalogue name, precision.
NVIDIA = {"H100": ("h100-sxm", "fp8"), "H200": ("h200", "fp8"), "B200": ("b200", "nvfp4")}
# Fitted one at a time with --only (the shared terms held): GPU -> catalogue
# name and the precision its fit rows run in.
ADDED = {"B200": ("b200", "nvfp4"), "MI300X": ("mi300x", "fp8"), "MI325X": ("mi325x", "fp8")}
SHARED = {"perf.overhead_s": (0.002, 1e-4, 0.05), "perf.overhead_per_seq_s": (1e-5, 0.0, 1e-3),
          "perf.attention_memory_efficiency": (1.0, 0.1, 1.0), "perf.roofline_p": (8.0, 1.0, 100.0),
          "perf.link_latency_s": (5e-6, 1e-6, 5e-5)}
PER_GPU = {"perf.compute_efficiency": (0.5, 0.05, 1.0), "perf.memory_efficiency": (0.8, 0.3, 1.0)}


# GPUs whose fit-half rows are all MLPerf (the AMD parts): their Server and
# Interactive throughput is set by the harness's batch cap (vLLM max_num_seqs,
# not in the table), not by the efficiencies, and fitting both efficiencies on
# them lands each part on an opposite bound (MI300X compute 0.31 / memory 1.0,
# MI325X 0.47 / 0.30: not identified). So they are fitted on their Offline
# rows only, compute efficiency alone (a saturated Offline batch of short
# prompts is compute-bound), memory efficiency kept at the key's default.
# Their entries carry their own transition, roofline_p = 1 (src/perf_fitted.c,
# chosen on their fit-half Server TPOTs), which a --only fit holds, as it holds
# their host time per iteration (sixth round (D)) and MI300X's decode-attention
# read rate (seventh round (A)): those were chosen on a grid over all the
# part's fit rows, the compute efficiency refitted here at each point
# (docs/validation-published.md).
OFFLINE_ONLY = {"MI300X", "MI325X"}


def fit_ids(gpu, throughput_only):
    with open(TABLE, newline="") as f:
        return [r["id"] for r in csv.DictReader(f) if r["split"] == "fit" and r["gpu"] == gpu and
                (not throughput_only or r["metric"] == "throughput_output") and
                (gpu not in OFFLINE_ONLY or r["mode"] == "offline")]


CACHE = {}


def run(gpu, values, throughput_only=False):
    """One validate run of a GPU's fit rows, remembered: coordinate descent
    comes back to points it has scored."""
    key = (gpu, throughput_only, tuple(sorted((k, f"{v:.6g}") for k, v in values.items())))
    if key not in CACHE:
        CACHE[key] = run_once(gpu, values, throughput_only)
    return CACHE[key]


def run_once(gpu, values, throughput_only):
    with tempfile.TemporaryDirectory() as out:
        cmd = [BIN, "validate", "--published", "--split", "fit", "--no-plot", "-o", out, "--ids",
               ",".join(fit_ids(gpu, throughput_only))] + EXTRA
        for k, v in values.items():
            cmd += ["-s", f"{k}={v:.6g}"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, "published.csv"), newline="") as f:
            return [(r["metric"], float(r["error"])) for r in csv.DictReader(f) if r["status"] == "ok"]


def objective(errors):
    return statistics.mean(min(abs(e), 1.0) for _m, e in errors)


def evaluate(shared, per_gpu, only=None, throughput_only=True):
    """The objective over the GPUs' fit rows; each GPU's rows are their own
    validate run, the runs side by side (--parallel)."""
    gpus = list(GPUS) if only is None else [only]
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        runs = pool.map(lambda g: run(g, {**shared, **per_gpu[g]}, only is not None and throughput_only), gpus)
        return objective([e for errors in runs for e in errors])


def descend(params, bounds, score, label, steps=(1.5, 1.2, 1.07)):
    best = score(params)
    for step in steps:
        improved = True
        while improved:
            improved = False
            for k in params:
                lo, hi = bounds[k]
                for cand in (params[k] * step, params[k] / step) if params[k] > 0 else (bounds[k][1] / 10,):
                    cand = min(max(cand, lo), hi)
                    trial = dict(params, **{k: cand})
                    s = score(trial)
                    if s < best - 1e-4:
                        best, params, improved = s, trial, True
                        print(f"  {label}: {k} = {cand:.4g} -> objective {100 * best:.2f}%", flush=True)
    return params, best


def fit_only(gpu):
    """One GPU's efficiencies on its own fit-half throughput rows, the
    shared terms as src/perf_fitted.c holds them (the validate runs use
    them: perf.profile = fitted, no entry for this GPU yet)."""
    per_gpu = {"perf.compute_efficiency": PER_GPU["perf.compute_efficiency"]} if gpu in OFFLINE_ONLY else PER_GPU
    params = {k: v[0] for k, v in per_gpu.items()}
    bounds = {k: v[1:] for k, v in per_gpu.items()}
    start = objective(run(gpu, params, throughput_only=True))
    print(f"start: objective {100 * start:.2f}% over {len(fit_ids(gpu, True))} fit rows", flush=True)
    params, best = descend(params, bounds, lambda p: objective(run(gpu, p, throughput_only=True)), gpu)
    name, prec = ADDED[gpu]
    print(f"fitted: {name} {prec}: " + ", ".join(f"{k} = {v:.4g}" for k, v in params.items()) +
          f" (objective {100 * best:.2f}%)")


def fitted_start():
    """The values src/perf_fitted.c holds now, for --from-fitted: each
    GPU's entry (its own transition where it has one) and the shared terms."""
    src = open(os.path.join(os.path.dirname(TABLE), "../../../src/perf_fitted.c")).read()
    shared = {}
    for k in SHARED:
        m = re.search(r"\.%s = ([0-9.e+-]+)," % k.split(".")[1], src)
        if m is None:
            sys.exit(f"fit_published.py: src/perf_fitted.c: no shared .{k.split('.')[1]} to start from")
        shared[k] = float(m.group(1))
    per_gpu = {}
    for g, (name, prec) in NVIDIA.items():
        m = re.search(r'\{"%s", IC_%s, ([0-9.e+-]+), ([0-9.e+-]+), ([0-9.e+-]+), ([0-9.e+-]+)\}' %
                      (name, prec.upper()), src)
        if m is None:
            sys.exit(f"fit_published.py: src/perf_fitted.c: no entry {{\"{name}\", IC_{prec.upper()}, ...}} to start from")
        per_gpu[g] = {"perf.compute_efficiency": float(m.group(1)), "perf.memory_efficiency": float(m.group(2)),
                      "perf.roofline_p": float(m.group(3)) or shared["perf.roofline_p"]}
    return shared, per_gpu


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    if "-h" in sys.argv or "--help" in sys.argv:
        print(__doc__)  # not a fit: --help used to start one with the defaults
        return
    if "--only" in sys.argv:
        fit_only(sys.argv[sys.argv.index("--only") + 1])
        return
    if "--show-start" in sys.argv:
        # What --from-fitted reads from src/perf_fitted.c (CTest
        # fit_published_reads_fitted: the parse keeps up with the file).
        shared, per_gpu = fitted_start()
        for g, p in per_gpu.items():
            print(f"{NVIDIA[g][0]} {NVIDIA[g][1]}: " + ", ".join(f"{k} = {v:.4g}" for k, v in p.items()))
        print("shared: " + ", ".join(f"{k} = {v:.4g}" for k, v in shared.items()))
        return
    gpus = arg("--gpus", "H100,H200").split(",")
    GPUS.clear()
    GPUS.update({g: NVIDIA[g][0] for g in gpus})
    per_gpu_keys = dict(PER_GPU)
    # --per-gpu-p: each NVIDIA entry its own transition (as the AMD entries
    # have), fitted with its efficiencies on all of that GPU's fit rows.
    if "--per-gpu-p" in sys.argv:
        per_gpu_keys["perf.roofline_p"] = SHARED["perf.roofline_p"]
    shared_keys = [k for k in arg("--shared", ",".join(SHARED)).split(",") if k and k not in per_gpu_keys]
    if "--from-fitted" in sys.argv:
        shared, per_gpu = fitted_start()
        per_gpu = {g: {k: per_gpu[g][k] for k in per_gpu_keys} for g in GPUS}
    else:
        shared = {k: v[0] for k, v in SHARED.items()}
        per_gpu = {g: {k: v[0] for k, v in per_gpu_keys.items()} for g in GPUS}
    # --set GPU:key=value or key=value: a starting value (e.g. the sixth
    # round's rescale), fitted from there.
    for i, a in enumerate(sys.argv):
        if a == "--set":
            where, _c, kv = sys.argv[i + 1].rpartition(":")
            k, v = kv.split("=")
            (per_gpu[where] if where else shared)[k] = float(v)
    held = {k: v for k, v in shared.items() if k not in shared_keys and k not in per_gpu_keys}
    fitted_shared = {k: shared[k] for k in shared_keys}
    gpu_rows_all = "--per-gpu-p" in sys.argv or "--per-gpu-rows" in sys.argv
    steps = tuple(float(x) for x in arg("--steps", "1.5,1.2,1.07").split(","))
    print(f"start: objective {100 * evaluate({**held, **fitted_shared}, per_gpu):.2f}% "
          f"(validate {' '.join(EXTRA) or 'defaults'})", flush=True)
    best = None
    for _ in range(int(arg("--passes", "2"))):
        for g in GPUS:
            per_gpu[g], _s = descend(per_gpu[g], {k: v[1:] for k, v in per_gpu_keys.items()},
                                     lambda p, g=g: evaluate({**held, **fitted_shared}, dict(per_gpu, **{g: p}), g,
                                                             throughput_only=not gpu_rows_all), g, steps)
        if fitted_shared:
            fitted_shared, best = descend(fitted_shared, {k: SHARED[k][1:] for k in fitted_shared},
                                          lambda p: evaluate({**held, **p}, per_gpu), "shared", steps)
        else:
            best = evaluate(held, per_gpu)
        print(f"round: objective {100 * best:.2f}%", flush=True)
    print("fitted:")
    for g, p in per_gpu.items():
        print(f"  {NVIDIA[g][0]} {NVIDIA[g][1]}: " + ", ".join(f"{k} = {v:.4g}" for k, v in p.items()))
    print("  shared: " + ", ".join(f"{k} = {v:.4g}" for k, v in {**held, **fitted_shared}.items()))


if __name__ == "__main__":
    main()
