#!/usr/bin/env python3
"""The load power model's weights from published figures (sixth round (E),
docs/validation-published.md): P = idle + (max - idle) min(1, w_c MFU + w_m MBU).

w_m: the fit half's three ML.ENERGY batch-8 rows (H100, vLLM), whose decode
step is weight-bound whatever the chat prompt: MBU = weight bytes per GPU /
published median ITL / HBM peak, MFU = 2 x params x 8 / ITL / (GPUs x peak).
w_c: Splitwise (ISCA 2024) measures an H100 prefill at its 700 W TDP, so
w_c x (prefill MFU) >= 1; at the fitted H100 compute efficiency 0.535 that
is w_c >= 1.87. An upper bound comes from the fit half's large-batch rows,
counting weight bytes only (the KV cache's reads, which the unknown prompt
sets, can only raise MBU, so lower w_c).
Standard library only; prints the table the docs quote."""
H100 = dict(idle_w=75.0, tdp_w=700.0, bw=3.35e12, peak={'bf16': 989e12, 'fp8': 1979e12})
# id (power row), model, params, bytes/param, GPUs, precision, batch, ITL p50 (ms), power (W, all GPUs)
ROWS = [
    ('P245', 'Llama-3.1-8B', 8.03e9, 2, 1, 'bf16', 8, 7.316111586987972, 486.4380535594687),
    ('P261', 'Llama-3.1-70B', 70.55e9, 2, 4, 'bf16', 8, 16.57271385192871, 1765.4278811426893),
    ('P277', 'Llama-3.1-405B', 405.85e9, 1, 8, 'fp8', 8, 33.19642134010792, 3260.4333583354814),
    ('P253', 'Llama-3.1-8B', 8.03e9, 2, 1, 'bf16', 128, 16.482017002999783, 669.2439022030471),
    ('P269', 'Llama-3.1-70B', 70.55e9, 2, 4, 'bf16', 256, 39.83728773891926, 2354.298369521534),
    ('P285', 'Llama-3.1-405B', 405.85e9, 1, 8, 'fp8', 256, 66.90175086259842, 4874.811811328656),
]


def main():
    w_m = []
    print('| row | model | batch | W per GPU | (P - idle) / (max - idle) | MFU | MBU (weights) |')
    print('|---|---|---|---|---|---|---|')
    for rid, model, params, bpp, gpus, prec, batch, itl_ms, watts in ROWS:
        itl = itl_ms / 1e3
        act = (watts / gpus - H100['idle_w']) / (H100['tdp_w'] - H100['idle_w'])
        mbu = params * bpp / gpus / itl / H100['bw']
        mfu = 2 * params * batch / itl / (gpus * H100['peak'][prec])
        print(f'| {rid} | {model} | {batch} | {watts / gpus:.0f} | {act:.3f} | {mfu:.3f} | {mbu:.3f} |')
        if batch == 8:
            w_m.append((act - 2.0 * mfu) / mbu)
        else:
            print(f'|   | upper bound on w_c at w_m = 1: {(act - mbu) / mfu:.2f} | | | | | |')
    w_m.sort()
    print(f'w_m from the batch-8 rows (w_c = 2): {", ".join(f"{x:.3f}" for x in w_m)}; median {w_m[1]:.3f}')
    print(f'w_c lower bound (Splitwise prefill at TDP, compute efficiency 0.535): {1 / 0.535:.2f}')


if __name__ == '__main__':
    main()
