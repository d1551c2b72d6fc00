#!/usr/bin/env python3
"""The load power model's weights from published figures, and ML.ENERGY's
decode energy per output token at the published step (sixth round (E),
docs/validation-published.md). Model: P = idle + (max - idle) min(1, w_c MFU + w_m MBU).

Usage: power_load_coefficients.py [TABLE.csv]   (default tests/data/published/measurements.csv)
       power_load_coefficients.py --check BIN TABLE.csv
           with the weights `BIN scenario` prints (the program's defaults): the
           held-out half's power at the published step must be within 25%
           (median |error|) and the phase model's 380 W must not be; exit 1 if not.

Every ML.ENERGY configuration (H100, vLLM, chat prompts of unpublished length)
publishes its mean power, median ITL, energy per output token and measured
batch. At its published step the decode step's MFU (2 x params x batch / ITL /
(GPUs x peak)) and the weights' MBU (weight bytes per GPU / ITL / HBM peak)
follow without the prompt; the KV cache's reads, which the prompt sets, are
not counted, so MBU and the predicted power are lower bounds.

Weights, fit half only:
  w_c: the largest value, in steps of 0.1, that no fit-half large-batch row
       refutes (its lower-bound activity w_c MFU + w_m MBU_weights must not
       exceed its measured (P - idle) / (max - idle)); Splitwise's prefill at
       TDP on an H100 asks for at least 1 / 0.535 = 1.87 (fitted compute efficiency).
  w_m: the median over the fit half's batch-8 rows of
       ((P - idle) / (max - idle) - w_c MFU) / MBU (their steps are weight-bound
       whatever the prompt); the two are solved together (a few rounds).
Then each configuration's decode energy per output token at its published
step, P x ITL / batch, is set beside the published energy per token (which
also holds prefill and the run's ramp): what the output energy would be if
the simulated step were the published one.
Standard library only."""
import csv
import math
import statistics
import sys

H100 = dict(idle_w=75.0, max_w=700.0, bw=3.35e12, peak={'bf16': 989e12, 'fp8': 1979e12})
# Parameters (Meta's model cards) and bytes per weight of each precision.
PARAMS = {'Llama-3.1-8B': 8.03e9, 'Llama-3.1-70B': 70.55e9, 'Llama-3.3-70B': 70.55e9, 'Llama-3.1-405B': 405.85e9}
BYTES = {'bf16': 2, 'fp8': 1}


def configs(path):
    rows = list(csv.DictReader(open(path)))
    out = {}
    for r in rows:
        if r['source_kind'] != 'mlenergy':
            continue
        c = out.setdefault(r['experiment'], dict(split=r['split'], model=r['model'], gpus=int(r['gpus']),
                                                 prec=r['precision'], cap=int(float(r['concurrency'])), ids={}))
        c[r['metric']] = float(r['value'])
        c['ids'][r['metric']] = r['id']
        if 'avg_batch_size=' in r['note']:
            c['batch'] = float(r['note'].split('avg_batch_size=')[1].split('"')[0].split(';')[0])
    return [c for c in out.values() if c['model'] in PARAMS]


def features(c):
    itl = c['itl'] / 1e3
    p = PARAMS[c['model']]
    act = (c['power'] / c['gpus'] - H100['idle_w']) / (H100['max_w'] - H100['idle_w'])
    mbu = p * BYTES[c['prec']] / c['gpus'] / itl / H100['bw']
    mfu = 2 * p * c['batch'] / itl / (c['gpus'] * H100['peak'][c['prec']])
    return act, mfu, mbu


def power_w(w_c, w_m, mfu, mbu):
    return H100['idle_w'] + (H100['max_w'] - H100['idle_w']) * min(1.0, w_c * mfu + w_m * mbu)


def program_weights(binary):
    import subprocess
    out = subprocess.run([binary, 'scenario'], capture_output=True, text=True, check=True).stdout
    section, w = None, {}
    for line in out.splitlines():
        if line.startswith('['):
            section = line.split(']')[0].lstrip('[')
        elif section == 'power' and '=' in line:
            key, value = line.split('#')[0].split('=')
            w[key.strip()] = value.strip()
    return float(w['load_compute_weight']), float(w['load_memory_weight'])


def check(binary, path):
    w_c, w_m = program_weights(binary)
    held = [c for c in configs(path) if c['split'] == 'holdout']
    load = statistics.median(abs(power_w(w_c, w_m, *features(c)[1:]) / (c['power'] / c['gpus']) - 1) for c in held)
    phase = statistics.median(abs(380.0 / (c['power'] / c['gpus']) - 1) for c in held)
    print(f'held-out power at the published step, {len(held)} configurations: load model (w_c {w_c:g}, w_m {w_m:g}) '
          f'median |error| {load:.1%}; phase model {phase:.1%}; bound 25%')
    return 0 if load <= 0.25 < phase else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2], sys.argv[3]))
    path = sys.argv[1] if len(sys.argv) > 1 else 'tests/data/published/measurements.csv'
    cs = configs(path)
    fit = [c for c in cs if c['split'] == 'fit']
    w_c, w_m = 2.0, 1.0
    for _ in range(5):
        w_m = statistics.median((a - w_c * f) / m for a, f, m in (features(c) for c in fit if c['cap'] == 8))
        bounds = [(a - w_m * m) / f for a, f, m in (features(c) for c in fit if c['cap'] > 8)]
        w_c = math.floor(min(bounds) * 10) / 10
    print(f'w_c = {w_c:.1f} (fit-half large-batch bounds: {", ".join(f"{b:.2f}" for b in sorted(bounds))}; '
          f'Splitwise prefill at TDP asks >= {1 / 0.535:.2f})')
    print(f'w_m = {w_m:.3f} (median of the fit-half batch-8 rows); the table uses it rounded, {round(w_m, 2):g}')
    w_m = round(w_m, 2)
    print()
    print('| config | half | batch | power row | W/GPU published | load model (lower bound) | phase (decode) '
          '| energy row | J/token published | P x ITL / batch: load | phase |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    errs = {}
    for c in cs:
        a, f, m = features(c)
        pl = power_w(w_c, w_m, f, m)
        e_load = pl * c['gpus'] * c['itl'] / 1e3 / c['batch']
        e_phase = 380.0 * c['gpus'] * c['itl'] / 1e3 / c['batch']
        pub_w = c['power'] / c['gpus']
        for key, v in (('power load', pl / pub_w - 1), ('power phase', 380.0 / pub_w - 1),
                       ('energy load', e_load / c['energy_per_token'] - 1),
                       ('energy phase', e_phase / c['energy_per_token'] - 1)):
            errs.setdefault((c['split'], key), []).append(abs(v))
        print(f"| {c['model']} x{c['gpus']} {c['prec']} | {c['split']} | {c['batch']:.0f} | {c['ids']['power']} "
              f"| {pub_w:.0f} | {pl:.0f} ({pl / pub_w - 1:+.1%}) | 380 ({380.0 / pub_w - 1:+.1%}) "
              f"| {c['ids']['energy_per_token']} | {c['energy_per_token']:.4g} | {e_load:.4g} ({e_load / c['energy_per_token'] - 1:+.1%}) "
              f"| {e_phase:.4g} ({e_phase / c['energy_per_token'] - 1:+.1%}) |")
    print()
    for (half, key), v in sorted(errs.items()):
        print(f'{half:8s} {key:13s} rows {len(v):2d}  median |error| {statistics.median(v):.1%}  max {max(v):.1%}')


if __name__ == '__main__':
    main()
