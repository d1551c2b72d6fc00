#!/usr/bin/env python3
"""Times PyTorch's fused attention (scaled_dot_product_attention: FlashAttention
or cuDNN, whichever PyTorch picks, as serving engines call them) for whole-prompt
prefill (causal) and, with --decode, one decode step on a GPU, for the compute model's kernel table
(tests/data/published/kernels.csv, docs/validation-kernels.md).

Prints CSV rows in the table's schema (no header) on stdout; ids from --first-id.
Each launch follows a 256 MiB write that evicts L2; the median and 10th / 90th
percentiles of 25 trials. Needs a GPU and PyTorch; never run by the tests.
Usage: attn_torch.py --first-id N --source TEXT --gpu NAME
"""
import argparse
import statistics

import torch
import torch.nn.functional as F


def percentile(sorted_values, q, up):
    import math
    i = (len(sorted_values) - 1) * q
    return sorted_values[math.ceil(i) if up else math.floor(i)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--first-id", type=int, required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--gpu", default="h100-sxm")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--decode", action="store_true", help="one query token against a contiguous KV cache")
    a = ap.parse_args()
    dev = torch.device("cuda")
    flush = torch.empty(256 << 20, dtype=torch.uint8, device=dev)
    row = a.first_id
    shapes = [(32, 8, "Llama-3.1-8B TP 1 prefill attention"),
              (8, 1, "Llama-3.1-70B TP 8 prefill attention"),
              (64, 8, "Llama-3.1-70B TP 1 prefill attention")]
    lengths = [512, 2048, 8192] if a.quick else [256, 512, 1024, 2048, 4096, 8192, 16384]
    cases = [(max(1, 16384 // ctx), ctx) for ctx in lengths]
    kind, causal = "attn_prefill", True
    if a.decode:
        shapes = [(h, kv, w.replace("prefill", "decode")) for h, kv, w in shapes] + [
            (32, 32, "Llama-2-7B (multi-head) decode attention")]
        cases = [(b, c) for b in (1, 8, 32, 128) for c in (512, 2048, 8192)]
        kind, causal = "attn_decode", False
    for dtype, pname in ((torch.float16, "fp16"), (torch.bfloat16, "bf16")):
        if (a.quick or a.decode) and pname == "bf16":
            continue
        for heads, kv_heads, what in shapes:
            for batch, ctx in cases:
                if batch * ctx * kv_heads * 128 * 4 > 8 * 2**30:
                    continue
                q = torch.randn(batch, heads, 1 if a.decode else ctx, 128, dtype=dtype, device=dev)
                k = torch.randn(batch, kv_heads, ctx, 128, dtype=dtype, device=dev)
                v = torch.randn(batch, kv_heads, ctx, 128, dtype=dtype, device=dev)
                gqa = heads != kv_heads

                def run():
                    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)

                for _ in range(3):
                    run()
                torch.cuda.synchronize()
                times = []
                for t in range(25):
                    flush.fill_(t & 0xFF)
                    e0 = torch.cuda.Event(enable_timing=True)
                    e1 = torch.cuda.Event(enable_timing=True)
                    e0.record()
                    run()
                    e1.record()
                    e1.synchronize()
                    times.append(1000.0 * e0.elapsed_time(e1))
                times.sort()
                p50 = statistics.median(times)
                if a.decode:
                    kv_tbs = 2.0 * batch * kv_heads * ctx * 128 * 2 / (p50 * 1e-6) / 1e12
                    note = ("%s; PyTorch %s scaled_dot_product_attention (one query token%s, contiguous KV cache), "
                            "L2 evicted before each launch; %.2f TB/s of KV read" % (
                                what, torch.__version__, ", GQA" if gqa else "", kv_tbs))
                else:
                    flops = 4.0 * batch * heads * 128 * ctx * (ctx + 1) / 2
                    note = ("%s; PyTorch %s scaled_dot_product_attention (causal%s), L2 evicted before each launch; "
                            "%.1f TFLOP/s counting the causal half" % (what, torch.__version__, ", GQA" if gqa else "",
                                                                        flops / (p50 * 1e-6) / 1e12))
                print('K%03d,"%s",%s,%s,%s,,,,%d,%d,%d,128,%d,%.3f,%.3f,%.3f,25,"%s"' % (
                    row, a.source, a.gpu, kind, pname, batch, heads, kv_heads, ctx, p50,
                    percentile(times, 0.1, False), percentile(times, 0.9, True), note), flush=True)
                row += 1
                del q, k, v


if __name__ == "__main__":
    main()
