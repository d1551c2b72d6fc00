#!/usr/bin/env python3
"""Checks tests/data/published/submission_configs.csv, the submissions'
scheduler settings (docs/validation-published.md, "Fifth round (S)"):
every row well formed (columns, whole numbers in range, choices), one row
per experiment and mode, each naming an experiment of measurements.csv that
has rows of that mode, and a source_url on GitHub at a fixed commit that
ends in the row's source_path. --self-test feeds it broken copies and
expects each to be refused. gpu_memory_utilization, where stated, is a
share in (0, 1]; prefill_chunk_max_tokens (vLLM's long_prefill_token_threshold),
where stated, a whole number >= 1 on a row that chunks. Standard library only."""
import csv
import io
import re
import sys

COLUMNS = ["experiment", "mode", "max_batch", "max_num_tokens", "chunked_prefill", "scheduler_steps",
           "prefill_min_queue", "gpu_memory_utilization", "prefill_chunk_max_tokens", "source_url", "source_path",
           "note"]
URL = re.compile(r"^https://github\.com/mlcommons/inference_results_v5\.[01]/blob/[0-9a-f]{40}/(.+)$")


def count(text, least, name, where, errors):
    if text == "":
        return None
    if not re.fullmatch(r"\d+", text) or int(text) < least or int(text) > 10**9:
        errors.append(f"{where}: column {name}: expected a whole number >= {least}, got '{text}'")
        return None
    return int(text)


def check(configs_text, measurements_text):
    errors = []
    modes = {}
    for r in csv.DictReader(io.StringIO(measurements_text)):
        modes.setdefault(r["experiment"], set()).add(r["mode"])
    reader = csv.DictReader(io.StringIO(configs_text))
    if reader.fieldnames != COLUMNS:
        return [f"header: expected {','.join(COLUMNS)}, got {','.join(reader.fieldnames or [])}"]
    seen = set()
    rows = 0
    for line, r in enumerate(reader, start=2):
        rows += 1
        where = f"line {line}"
        if None in r or any(v is None for v in r.values()):
            errors.append(f"{where}: expected {len(COLUMNS)} fields")
            continue
        key = (r["experiment"], r["mode"])
        if key in seen:
            errors.append(f"{where}: {key[0]}, {key[1]} given twice")
        seen.add(key)
        if r["mode"] not in ("offline", "server", "interactive"):
            errors.append(f"{where}: column mode: '{r['mode']}' is not offline, server or interactive")
        elif r["mode"] not in modes.get(r["experiment"], set()):
            errors.append(f"{where}: experiment {r['experiment']} has no {r['mode']} rows in measurements.csv")
        if r["max_batch"] == "":
            errors.append(f"{where}: column max_batch: every row states its batch cap")
        count(r["max_batch"], 1, "max_batch", where, errors)
        count(r["max_num_tokens"], 1, "max_num_tokens", where, errors)
        count(r["scheduler_steps"], 1, "scheduler_steps", where, errors)
        count(r["prefill_min_queue"], 1, "prefill_min_queue", where, errors)
        mem = r["gpu_memory_utilization"]
        if mem != "" and not (re.fullmatch(r"\d*\.?\d+", mem) and 0 < float(mem) <= 1):
            errors.append(f"{where}: column gpu_memory_utilization: expected a share in (0, 1], got '{mem}'")
        cap = count(r["prefill_chunk_max_tokens"], 1, "prefill_chunk_max_tokens", where, errors)
        if cap is not None and r["chunked_prefill"] != "yes":
            errors.append(f"{where}: column prefill_chunk_max_tokens: a per-prompt chunk cap needs chunked_prefill yes")
        if r["chunked_prefill"] not in ("yes", "no"):
            errors.append(f"{where}: column chunked_prefill: expected yes or no, got '{r['chunked_prefill']}'")
        m = URL.match(r["source_url"])
        if not m:
            errors.append(f"{where}: column source_url: expected a github.com/mlcommons/inference_results_v5.x "
                          f"address at a 40-digit commit, got '{r['source_url']}'")
        elif m.group(1) != r["source_path"]:
            errors.append(f"{where}: source_url ends in {m.group(1)}, source_path says {r['source_path']}")
        if not r["note"].strip():
            errors.append(f"{where}: column note: say which settings were read")
    if rows == 0:
        errors.append("no rows")
    return errors


def self_test(configs_text, measurements_text):
    lines = configs_text.splitlines(keepends=True)
    header, first = lines[0], lines[1]
    fields = next(csv.reader([first]))
    def with_field(i, v, j=None, w=None):
        f = list(fields)
        f[i] = v
        if j is not None:
            f[j] = w
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(f)
        return header + out.getvalue()
    broken = {
        "unknown experiment": with_field(0, "mlperf-v9-none"),
        "bad mode": with_field(1, "batch"),
        "zero batch": with_field(2, "0"),
        "no batch": with_field(2, ""),
        "bad chunked": with_field(4, "maybe"),
        "memory share over 1": with_field(7, "1.5"),
        "memory share zero": with_field(7, "0"),
        "chunk cap zero": with_field(8, "0"),
        "chunk cap without chunks": with_field(4, "no", 8, "256"),
        "bad url": with_field(9, "https://example.com/x"),
        "url and path differ": with_field(10, "closed/other.py"),
        "twice": header + first + first,
        "header": header.replace("max_batch", "batch") + first,
    }
    ok = not check(configs_text, measurements_text)
    for name, text in broken.items():
        if not check(text, measurements_text):
            print(f"self-test: '{name}' was not refused")
            ok = False
    return ok


def main(argv):
    args = [a for a in argv[1:] if a != "--self-test"]
    if len(args) != 2:
        print("usage: check_submission_configs.py [--self-test] submission_configs.csv measurements.csv")
        return 2
    configs_text = open(args[0], encoding="utf-8").read()
    measurements_text = open(args[1], encoding="utf-8").read()
    if "--self-test" in argv:
        ok = self_test(configs_text, measurements_text)
        print("self-test", "passed" if ok else "FAILED")
        return 0 if ok else 1
    errors = check(configs_text, measurements_text)
    for e in errors:
        print(f"{args[0]}: {e}")
    if not errors:
        n = sum(1 for _ in csv.DictReader(io.StringIO(configs_text)))
        print(f"{args[0]}: {n} rows, every experiment and mode in {args[1]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
