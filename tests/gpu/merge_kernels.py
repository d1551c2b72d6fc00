#!/usr/bin/env python3
"""Joins the CSV files that tests/gpu/run_kernels.sh wrote (kernels-GPU.csv,
sdpa-decode-GPU.csv, one or more GPUs) into the kernel table
(tests/data/published/kernels.csv): ids renumbered K001... in the order given,
and an `implementation` column: cublaslt (the GEMMs), written-here (the decode
kernel of tests/gpu/kernels.cu) or pytorch-sdpa (PyTorch's fused attention).
Usage: merge_kernels.py OUT.csv IN.csv...
"""
import csv
import sys


def implementation(row):
    if row["kernel"] == "gemm":
        return "cublaslt"
    if "scaled_dot_product_attention" in row["note"]:
        return "pytorch-sdpa"
    return "written-here"


def main():
    out_path, inputs = sys.argv[1], sys.argv[2:]
    header = None
    rows = []
    for path in inputs:
        with open(path, newline="") as f:
            lines = list(csv.reader(f))
        if lines and lines[0][0] == "id":
            header = header or lines[0]
            lines = lines[1:]
        rows += lines
    if header is None:
        sys.exit("merge_kernels.py: no input has the header row")
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + ["implementation"])
        for i, values in enumerate(rows):
            if len(values) != len(header):
                sys.exit("merge_kernels.py: a row of %d fields, not %d: %r" % (len(values), len(header), values[:5]))
            row = dict(zip(header, values))
            row["id"] = "K%03d" % (i + 1)
            w.writerow([row[k] for k in header] + [implementation(row)])
    print("%s: %d rows" % (out_path, len(rows)))


if __name__ == "__main__":
    main()
