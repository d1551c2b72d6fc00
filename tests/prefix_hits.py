#!/usr/bin/env python3
"""Independent reference for the prefix-block line of `infercost trace stats`.

Usage: python3 tests/prefix_hits.py FILE.jsonl [BLOCK_TOKENS]

Reads a Mooncake-style JSON Lines trace (timestamp, input_length,
output_length, hash_ids) with the standard library only, and counts what an
unbounded prefix cache would hit: every block of every earlier row is kept,
and a row hits on the longest prefix of its hash_ids that an earlier row
also began with. Prefixes are kept in a trie of the raw ids (no hashing), so
this shares nothing with the C code's chained 64-bit hashes. Hit tokens of a
row: min(hit_blocks * BLOCK_TOKENS, input_length). Prints the line the C
code prints, in the same format. tests/trace_stats_ref.py uses hit_line
for the same line of the whole `trace stats` output.
"""
import gzip
import json
import sys


def hit_line(records, block):
    """The line for records of (hash_ids, input_length), in file order."""
    root = {}
    distinct = rows = prompt_total = hit_total = hit_rows = 0
    for ids, n_in in records:
        node, hit, matching = root, 0, True
        for i in ids:
            if matching and i in node:
                hit += 1
            else:
                matching = False
                if i not in node:
                    node[i] = {}
                    distinct += 1
            node = node[i]
        rows += 1
        prompt_total += n_in
        hit_total += min(hit * block, n_in)
        hit_rows += hit > 0
    return ("prefix blocks of %d tokens: rows=%d distinct=%d, unbounded cache: hit tokens=%d of %d (%.6f), "
            "rows with a hit=%d" % (block, rows, distinct, hit_total, prompt_total, hit_total / prompt_total, hit_rows))


def main():
    path = sys.argv[1]
    block = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = (json.loads(line) for line in f if line.strip())
        print(hit_line(((r["hash_ids"], int(r["input_length"])) for r in rows), block))


if __name__ == "__main__":
    main()
