#!/usr/bin/env python3
"""Times whole serving iterations of Llama-3.1-8B (random weights, bf16, one GPU)
written here in PyTorch, layer by layer as an engine runs them: RMSNorm, the
fused QKV projection, rotary embedding, the KV-cache write, fused attention
(scaled_dot_product_attention, grouped-query), the output projection, RMSNorm,
the fused gate+up projection, SiLU x up, the down projection, residuals; then
the final norm and the LM head (128,256 tokens) for the last position of each
sequence. For the compute model's step table (tests/data/published/steps.csv,
docs/validation-kernels.md).

- decode: `batch` sequences of `context` cached tokens each take one token;
- prefill: `batch` prompts of `context` tokens each, causal.
Each configuration is captured once as a CUDA graph (as vLLM and TensorRT-LLM
replay decode steps) and also run eagerly (kernels launched one by one from
Python). The median and 10th / 90th percentiles of 15 timed replays after 3
warm-ups, CUDA events. Prints CSV rows (no header) on stdout.
Needs a GPU and PyTorch; never run by the tests.
Usage: step_torch.py --source TEXT --gpu NAME [--quick]
"""
import argparse
import math

import torch
import torch.nn.functional as F

LAYERS, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN, VOCAB = 32, 4096, 32, 8, 128, 14336, 128256


def pct(v, q, up):
    i = (len(v) - 1) * q
    return v[math.ceil(i) if up else math.floor(i)]


class Model:
    def __init__(self, dev, dtype):
        g = torch.Generator(device=dev).manual_seed(1)

        def w(*shape):
            return (torch.randn(*shape, device=dev, dtype=dtype, generator=g) * 0.02)

        self.layers = [dict(qkv=w((HEADS + 2 * KV_HEADS) * HEAD_DIM, HIDDEN), o=w(HIDDEN, HEADS * HEAD_DIM),
                            gu=w(2 * FFN, HIDDEN), down=w(HIDDEN, FFN),
                            n1=torch.ones(HIDDEN, device=dev, dtype=dtype),
                            n2=torch.ones(HIDDEN, device=dev, dtype=dtype)) for _ in range(LAYERS)]
        self.norm = torch.ones(HIDDEN, device=dev, dtype=dtype)
        self.lm = w(VOCAB, HIDDEN)

    def forward(self, x, pos, caches, start, causal):
        """x: [B, T, HIDDEN]; caches: per layer (K, V) of [B, KV_HEADS, start + T, HEAD_DIM];
        the new tokens' K and V go to positions start..start+T-1."""
        b, t, _ = x.shape
        cos, sin = pos
        for layer, (kc, vc) in zip(self.layers, caches):
            h = F.rms_norm(x, (HIDDEN,), layer["n1"])
            qkv = h @ layer["qkv"].t()
            q, k, v = qkv.split([HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM], dim=-1)
            q = q.view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
            k = k.view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
            v = v.view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
            q = q * cos + torch.cat((-q[..., HEAD_DIM // 2:], q[..., :HEAD_DIM // 2]), dim=-1) * sin
            k = k * cos + torch.cat((-k[..., HEAD_DIM // 2:], k[..., :HEAD_DIM // 2]), dim=-1) * sin
            kc[:, :, start:start + t].copy_(k)
            vc[:, :, start:start + t].copy_(v)
            a = F.scaled_dot_product_attention(q, kc, vc, is_causal=causal, enable_gqa=True)
            x = x + a.transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM) @ layer["o"].t()
            h = F.rms_norm(x, (HIDDEN,), layer["n2"])
            g_, u = (h @ layer["gu"].t()).chunk(2, dim=-1)
            x = x + (F.silu(g_) * u) @ layer["down"].t()
        x = F.rms_norm(x[:, -1], (HIDDEN,), self.norm)
        return x @ self.lm.t()


def time_it(fn, reps=15):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        e0 = torch.cuda.Event(enable_timing=True)
        e1 = torch.cuda.Event(enable_timing=True)
        e0.record()
        fn()
        e1.record()
        e1.synchronize()
        times.append(1000.0 * e0.elapsed_time(e1))
    times.sort()
    return pct(times, 0.5, False) if reps % 2 else 0.5 * (times[reps // 2 - 1] + times[reps // 2]), pct(
        times, 0.1, False), pct(times, 0.9, True), reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--gpu", default="h100-sxm")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    dev, dtype = torch.device("cuda"), torch.bfloat16
    model = Model(dev, dtype)
    row = 1
    cases = [("decode", b, c) for c in (512, 2048) for b in (1, 8, 32, 64, 128, 256) if b * c <= 262144]
    cases += [("prefill", 1, c) for c in (128, 512, 1024, 2048, 4096, 8192)]
    if a.quick:
        cases = [("decode", 8, 512), ("prefill", 1, 1024)]
    for phase, batch, ctx in cases:
        t = 1 if phase == "decode" else ctx
        start = ctx if phase == "decode" else 0
        total = start + t
        caches = [(torch.randn(batch, KV_HEADS, total, HEAD_DIM, device=dev, dtype=dtype),
                   torch.randn(batch, KV_HEADS, total, HEAD_DIM, device=dev, dtype=dtype)) for _ in range(LAYERS)]
        x = torch.randn(batch, t, HIDDEN, device=dev, dtype=dtype)
        ang = torch.arange(start, total, device=dev, dtype=torch.float32)[:, None] * (
            10000.0 ** (-torch.arange(0, HEAD_DIM // 2, device=dev, dtype=torch.float32) / (HEAD_DIM // 2)))
        ang = torch.cat((ang, ang), dim=-1)
        pos = (ang.cos().to(dtype), ang.sin().to(dtype))
        causal = phase == "prefill"

        def step():
            return model.forward(x, pos, caches, start, causal)

        with torch.no_grad():
            eager = time_it(step)
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(2):
                    step()
            torch.cuda.current_stream().wait_stream(s)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                step()
            graphed = time_it(graph.replay)
            del graph
        for how, (p50, p10, p90, reps) in (("graph", graphed), ("eager", eager)):
            note = ("Llama-3.1-8B bf16 %s step, random weights, written here (tests/gpu/step_torch.py); PyTorch %s, "
                    "%s; attention by scaled_dot_product_attention" % (
                        phase, torch.__version__, "one CUDA graph replay" if how == "graph"
                        else "eager, kernels launched from Python"))
            print('S%03d,"%s",%s,llama3.1-8b,bf16,%s,%s,%d,%d,%d,%.3f,%.3f,%.3f,%d,"%s"' % (
                row, a.source, a.gpu, phase, how, batch, ctx, batch * t, p50, p10, p90, reps, note), flush=True)
            row += 1
        del caches, x
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
