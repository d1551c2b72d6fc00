#!/usr/bin/env python3
"""Independent reference for the simulated prefix cache of one replica.

Usage: python3 tests/prefix_lru.py FILE.jsonl CAPACITY_BLOCKS [BLOCK_TOKENS]

Replays a Mooncake-style JSON Lines trace (timestamp, input_length,
output_length, hash_ids) through one LRU cache of CAPACITY_BLOCKS blocks, one
request at a time in file order, as `infercost run` does with one replica,
serving.max_batch = 1, traffic.mode = offline and
serving.prefix_cache_blocks = CAPACITY_BLOCKS (docs/traffic.md):

- a request hits on the leading blocks of its prompt held in the cache
  (hit tokens: min(hit_blocks * BLOCK_TOKENS, input_length));
- it then pins its blocks in order: a held block is taken out of the LRU
  order, a missing one is added, evicting the least recently used unpinned
  block when the cache is full; the first block that finds only pinned
  blocks to evict, and every block after it, is not kept;
- when it ends, its pinned blocks are released from the last to the first,
  each becoming the most recently used.

A block is named by its node in a trie of the raw hash ids (the prefix it
ends), so nothing is shared with the C code's chained 64-bit hashes. A
CAPACITY_BLOCKS of 0 means unbounded. Prints the `hit tokens=` part of the
report's Prefix cache line.
"""
import collections
import gzip
import json
import sys


def simulate(rows, capacity, block):
    trie = {}  # (parent node, hash id) -> node
    lru = collections.OrderedDict()  # unpinned nodes, least recently used first
    pinned = {}  # node -> pins
    hit_total = prompt_total = 0
    for ids, n_in in rows:
        nodes, parent = [], -1
        for i in ids:
            node = trie.setdefault((parent, i), len(trie))
            nodes.append(node)
            parent = node
        hit = 0
        while hit < len(nodes) and (nodes[hit] in lru or nodes[hit] in pinned):
            hit += 1
        hit_total += min(hit * block, n_in)
        prompt_total += n_in
        got = []
        for node in nodes:
            if node in pinned:
                pinned[node] += 1
            elif node in lru:
                del lru[node]
                pinned[node] = 1
            else:
                if capacity and len(lru) + len(pinned) >= capacity:
                    if not lru:
                        break
                    lru.popitem(last=False)
                pinned[node] = 1
            got.append(node)
        for node in reversed(got):
            pinned[node] -= 1
            if pinned[node] == 0:
                del pinned[node]
                lru[node] = None
    return hit_total, prompt_total


def main():
    path, capacity = sys.argv[1], int(sys.argv[2])
    block = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    hit, total = simulate(((r["hash_ids"], int(r["input_length"])) for r in rows), capacity, block)
    print("hit tokens=%d of %d (%.6f)" % (hit, total, hit / total))


if __name__ == "__main__":
    main()
