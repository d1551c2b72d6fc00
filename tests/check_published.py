#!/usr/bin/env python3
"""Check that the published-measurements table is well formed.

Usage: check_published.py TABLE.csv            check the table, exit 1 on any error
       check_published.py --self-test TABLE.csv break one field at a time in memory
                                                and make sure each break is caught

Standard library only, so CTest can run it wherever python3 exists.
The rules are the ones tests/data/published/README.md states.
"""
import copy
import csv
import math
import re
import sys

COLUMNS = ['id', 'experiment', 'split', 'source_kind', 'report', 'round', 'submitter', 'system',
           'gpu', 'gpus', 'nodes', 'tp', 'precision', 'engine', 'model', 'model_variant', 'mode',
           'concurrency', 'input_tokens', 'output_tokens', 'dataset', 'ttft_limit_ms',
           'tpot_limit_ms', 'metric', 'statistic', 'value', 'unit', 'url', 'source_path', 'note']
MIN_ROWS = 60
GPUS = {'H100', 'H200', 'B200', 'MI300X', 'MI325X'}
SOURCE_KINDS = {'mlperf', 'trtllm_perf_overview', 'nim', 'mlenergy'}
MODES = {'offline', 'server', 'interactive', 'fixed_concurrency', 'max_batch'}
PRECISIONS = {'', 'fp4', 'fp8', 'bf16', 'fp16'}
# metric -> the units it may carry
METRIC_UNITS = {
    'throughput_output': {'tokens/s'},
    'ttft': {'ms', 'ns'},
    'tpot': {'ms', 'ns'},
    'itl': {'ms', 'ns'},
    'energy_per_token': {'J/token'},
    'system_energy_per_token': {'J/token'},
    'system_power': {'W'},
    'system_rest_power': {'W'},
    'power': {'W'},
}
UNITS = set().union(*METRIC_UNITS.values())
STATISTICS = {'total', 'mean', 'p50', 'p99'}
# column -> the values it may take
ALLOWED = {'gpu': GPUS, 'source_kind': SOURCE_KINDS, 'mode': MODES, 'precision': PRECISIONS,
           'statistic': STATISTICS, 'unit': UNITS, 'metric': set(METRIC_UNITS),
           'split': {'fit', 'holdout'}}
# optional numeric columns: empty, or a positive number
POSITIVE_OPTIONAL = ['concurrency', 'input_tokens', 'output_tokens', 'ttft_limit_ms', 'tpot_limit_ms']
POSITIVE_INT_REQUIRED = ['gpus', 'nodes']
REQUIRED_TEXT = ['id', 'experiment', 'split', 'source_kind', 'report', 'submitter', 'system', 'gpu',
                 'engine', 'model', 'mode', 'dataset', 'metric', 'statistic', 'value', 'unit', 'url',
                 'source_path']
# what the table must cover (the list)
LLAMA2_GPUS = ['H100', 'H200', 'B200', 'MI300X', 'MI325X']
MLPERF_MODELS = ['Llama-2-70B', 'Mixtral-8x7B', 'Llama-3.1-8B', 'Llama-3.1-405B']


def positive_number(text):
    try:
        v = float(text)
    except ValueError:
        return None
    if not math.isfinite(v) or v <= 0:
        return None
    return v


def expected_splits(rows):
    """The documented rule: an experiment stays whole; experiments are grouped
    by (gpu, the set of metrics they report) and, in file order within a
    group, alternate fit, holdout, fit, ..."""
    metrics_of = {}
    for r in rows:
        metrics_of.setdefault(r['experiment'], set()).add(r['metric'])
    order = {}
    out = []
    for r in rows:
        group = (r['gpu'], tuple(sorted(metrics_of[r['experiment']])))
        exps = order.setdefault(group, [])
        if r['experiment'] not in exps:
            exps.append(r['experiment'])
        out.append('fit' if exps.index(r['experiment']) % 2 == 0 else 'holdout')
    return out


def check(header, rows):
    """Return a list of 'line N: column: problem' strings; empty when well formed."""
    errs = []
    if header != COLUMNS:
        errs.append('header: columns are %s, expected %s' % (header, COLUMNS))
        return errs
    if len(rows) < MIN_ROWS:
        errs.append('table: %d rows, at least %d required' % (len(rows), MIN_ROWS))
    seen_ids = set()
    want_split = expected_splits(rows)
    for n, (r, split) in enumerate(zip(rows, want_split)):
        line = n + 2  # header is line 1

        def bad(col, what):
            errs.append('line %d: %s: %s (value %r)' % (line, col, what, r.get(col)))

        for col in REQUIRED_TEXT:
            if not r[col].strip():
                bad(col, 'empty')
        if not re.fullmatch(r'P\d{3,}', r['id']):
            bad('id', 'not of the form P001')
        if r['id'] in seen_ids:
            bad('id', 'duplicate')
        seen_ids.add(r['id'])
        for col, allowed in ALLOWED.items():
            if r[col] not in allowed:
                bad(col, 'not one of %s' % sorted(allowed))
        if r['metric'] in METRIC_UNITS and r['unit'] in UNITS \
                and r['unit'] not in METRIC_UNITS[r['metric']]:
            bad('unit', 'not a unit of metric %s' % r['metric'])
        if positive_number(r['value']) is None:
            bad('value', 'not a positive finite number')
        for col in POSITIVE_INT_REQUIRED:
            if not r[col].isdigit() or int(r[col]) <= 0:
                bad(col, 'not a positive integer')
        if r['tp'] and (not r['tp'].isdigit() or int(r['tp']) <= 0):
            bad('tp', 'not a positive integer')
        for col in POSITIVE_OPTIONAL:
            if r[col] and positive_number(r[col]) is None:
                bad(col, 'not a positive number')
        if not re.match(r'https?://\S+$', r['url']):
            bad('url', 'not an http(s) address')
        if r['source_kind'] == 'mlperf' and r['round'] not in ('v5.0', 'v5.1'):
            bad('round', 'an MLPerf row needs round v5.0 or v5.1')
        limited = r['mode'] in ('server', 'interactive')
        for col in ('ttft_limit_ms', 'tpot_limit_ms'):
            if limited and not r[col]:
                bad(col, 'a %s row needs its latency limit' % r['mode'])
            if not limited and r[col]:
                bad(col, 'only server / interactive rows carry latency limits')
        if r['mode'] in ('fixed_concurrency', 'max_batch') and not r['concurrency']:
            bad('concurrency', 'a %s row needs its concurrency' % r['mode'])
        if r['split'] in ('fit', 'holdout') and r['split'] != split:
            bad('split', 'the documented rule puts this row in %s' % split)

    splits = {r['split'] for r in rows}
    for half in ('fit', 'holdout'):
        if half not in splits:
            errs.append('table: the %s half is empty' % half)

    # coverage the issue asks for
    def have(**kw):
        return any(all(r[k] == v for k, v in kw.items()) for r in rows)

    for rnd in ('v5.0', 'v5.1'):
        if not have(source_kind='mlperf', round=rnd):
            errs.append('coverage: no MLPerf %s row' % rnd)
    for gpu in LLAMA2_GPUS:
        for mode in ('offline', 'server'):
            if not have(source_kind='mlperf', model='Llama-2-70B', gpu=gpu, mode=mode,
                        metric='throughput_output'):
                errs.append('coverage: no MLPerf Llama-2-70B %s throughput on %s' % (mode, gpu))
    for model in MLPERF_MODELS:
        if not have(source_kind='mlperf', model=model):
            errs.append('coverage: no MLPerf %s row' % model)
    for kind in SOURCE_KINDS:
        if not have(source_kind=kind):
            errs.append('coverage: no %s row' % kind)
    if not have(source_kind='mlenergy', gpu='H100', metric='energy_per_token'):
        errs.append('coverage: no ML.ENERGY energy per token on H100')
    for metric in ('ttft', 'tpot', 'itl'):
        if not have(metric=metric):
            errs.append('coverage: no %s row' % metric)
    return errs


def load(path):
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.reader(f)
        header = next(reader, [])
        rows = []
        for n, cells in enumerate(reader):
            if len(cells) != len(header):
                raise SystemExit('%s: line %d: %d fields, header has %d'
                                 % (path, n + 2, len(cells), len(header)))
            rows.append(dict(zip(header, cells)))
    return header, rows


def self_test(header, rows):
    """Each break below must be reported, naming the column it broke."""
    if check(header, rows):
        return ['self-test: the table itself does not pass']
    breaks = [
        ('report', lambda r: r.update(report='')),
        ('url', lambda r: r.update(url='')),
        ('url', lambda r: r.update(url='mlcommons results')),
        ('source_path', lambda r: r.update(source_path=' ')),
        ('unit', lambda r: r.update(unit='furlongs')),
        ('unit', lambda r: r.update(unit='W')),          # a unit of another metric
        ('value', lambda r: r.update(value='0')),
        ('value', lambda r: r.update(value='-3.5')),
        ('value', lambda r: r.update(value='12,000')),
        ('value', lambda r: r.update(value='nan')),
        ('gpus', lambda r: r.update(gpus='eight')),
        ('gpu', lambda r: r.update(gpu='A100')),
        ('split', lambda r: r.update(split='train')),
        ('split', lambda r: r.update(split='holdout' if r['split'] == 'fit' else 'fit')),
        ('id', lambda r: r.update(id='P001')),           # duplicate of the first row
        ('metric', lambda r: r.update(metric='latency')),
        ('ttft_limit_ms', lambda r: r.update(mode='server', ttft_limit_ms='', tpot_limit_ms='')),
        ('ttft_limit_ms', lambda r: r.update(mode='offline', ttft_limit_ms='2000')),
    ]
    problems = []
    target = 1  # break the second row (the first keeps id P001)
    for col, mutate in breaks:
        broken = copy.deepcopy(rows)
        mutate(broken[target])
        errs = check(header, broken)
        if not any((': %s: ' % col) in e for e in errs):
            problems.append('self-test: breaking %s was not reported (%s)' % (col, errs[:3]))
    whole = [
        ('too few rows', rows[:MIN_ROWS - 1], 'rows, at least'),
        ('no holdout half', [dict(r, split='fit') for r in rows], 'holdout half is empty'),
        ('no MLPerf v5.0', [r for r in rows if r['round'] != 'v5.0'], 'no MLPerf v5.0'),
        ('no MI300X server', [r for r in rows if not (r['gpu'] == 'MI300X' and r['mode'] == 'server')],
         'Llama-2-70B server throughput on MI300X'),
    ]
    for name, table, needle in whole:
        errs = check(header, table)
        if not any(needle in e for e in errs):
            problems.append('self-test: %s was not reported (%s)' % (name, errs[:3]))
    return problems


def main(argv):
    args = argv[1:]
    selftest = False
    if args and args[0] == '--self-test':
        selftest = True
        args = args[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = args[0]
    header, rows = load(path)
    errs = self_test(header, rows) if selftest else check(header, rows)
    for e in errs:
        print('%s: %s' % (path, e), file=sys.stderr)
    if errs:
        return 1
    splits = {h: sum(1 for r in rows if r['split'] == h) for h in ('fit', 'holdout')}
    print('%s: %d rows well formed (fit %d, holdout %d)%s'
          % (path, len(rows), splits['fit'], splits['holdout'],
             '; every break caught' if selftest else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
