#!/usr/bin/env python3
"""Joins the CSV files that tests/gpu/run_kernels.sh wrote (kernels-GPU.csv,
sdpa-decode-GPU.csv, steps-GPU.csv; one or more GPUs) into the kernel table
(tests/data/published/kernels.csv): ids renumbered K001... in the order given,
an `implementation` column (cublaslt: the GEMMs; written-here: the decode
kernel of tests/gpu/kernels.cu; pytorch-sdpa: PyTorch's fused attention;
pytorch-graph: a whole iteration of tests/gpu/step_torch.py replayed as one
CUDA graph) and a `model` column (steps only). A step file's eager rows
(kernels launched one by one from Python, which no serving engine does) stay
in its own table (tests/data/published/steps.csv) and are not joined.
Usage: merge_kernels.py OUT.csv IN.csv...
"""
import csv
import sys


def implementation(row):
    if row["kernel"].startswith("step_"):
        return "pytorch-graph"
    if row["kernel"] == "gemm":
        return "cublaslt"
    if "scaled_dot_product_attention" in row["note"]:
        return "pytorch-sdpa"
    return "written-here"


STEP_HEADER = ["id", "source", "gpu", "model", "precision", "phase", "launch", "batch", "context", "new_tokens",
               "time_us", "time_us_p10", "time_us_p90", "reps", "note"]


def step_rows(lines, header):
    """The graph rows of a step file, in the kernel table's columns (less the two added)."""
    out = []
    for values in lines:
        if values[0] == "id":
            continue
        s = dict(zip(STEP_HEADER, values))
        if s["launch"] != "graph":
            continue
        row = {k: "" for k in header}
        row.update({k: s[k] for k in ("id", "source", "gpu", "precision", "batch", "context", "time_us",
                                      "time_us_p10", "time_us_p90", "reps", "note")})
        row["kernel"] = "step_" + s["phase"]
        row["model"] = s["model"]
        out.append([row[k] for k in header] + [s["model"]])
    return out


def main():
    out_path, inputs = sys.argv[1], sys.argv[2:]
    header = None
    rows = []
    for path in inputs:
        with open(path, newline="") as f:
            lines = list(csv.reader(f))
        if lines and lines[0][0] == "id" and "phase" not in lines[0]:
            header = header or lines[0]
            lines = lines[1:]
        if lines and len(lines[0]) == len(STEP_HEADER) and lines[0][5] in ("decode", "prefill", "phase"):
            if header is None:
                sys.exit("merge_kernels.py: give a kernel file before a step file")
            rows += step_rows(lines, header)
        else:
            rows += [values + [""] for values in lines]
    if header is None:
        sys.exit("merge_kernels.py: no input has the header row")
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + ["implementation", "model"])
        for i, values in enumerate(rows):
            if len(values) != len(header) + 1:
                sys.exit("merge_kernels.py: a row of %d fields, not %d: %r" % (len(values), len(header) + 1, values[:5]))
            row = dict(zip(header + ["model"], values))
            row["id"] = "K%03d" % (i + 1)
            w.writerow([row[k] for k in header] + [implementation(row), row["model"]])
    print("%s: %d rows" % (out_path, len(rows)))


if __name__ == "__main__":
    main()
