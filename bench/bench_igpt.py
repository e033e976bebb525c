"""Image GPT on scikit-learn's 8x8 digits (notebook 08), over seeds: held-out bits/dim, the linear probe of every layer
at every checkpoint of one run (the paper's Figure 3), and the BERT objective trained with the same budget.

    python bench/bench_igpt.py --seeds 0 1 2            # about 27 CPU minutes (two trainings of ~4 min per seed, probes)
    python bench/bench_igpt.py --seeds 0 1 2 --pdrop 0 --objectives ar --name igpt_pdrop0   # without dropout (~11 CPU min)
    python bench/bench_igpt.py --quick                   # a smoke run (tiny model, seconds; writes to a temporary folder)

Everything comes from mingpt_nb.igpt, the code notebook 08 teaches and runs: `digits_split`, `train_igpt` with
`DIGITS_MODEL` / `DIGITS_TRAINING`, `checkpoint_curve` (bits/dim and `probe_layers` at each kept checkpoint), the
baselines (`uniform_bits`, `histogram_bits`, `fit_pixel_logistic`) and the raw-pixel probe. Seed 0 is the run the
notebook shows. Each run's raw numbers go to bench/results/<name>.json (with the machine's conditions at the start and
at the end); the notebook and README render the spreads from that file.
"""
import argparse, pathlib, statistics, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORDER = 80
COMMAND = 'python bench/bench_igpt.py --seeds 0 1 2'
COMMAND_NODROP = 'python bench/bench_igpt.py --seeds 0 1 2 --pdrop 0 --objectives ar --name igpt_pdrop0'


def run(args):
    import torch
    sys.path.insert(0, str(ROOT))
    from mingpt_nb.igpt import (digits_split, igpt_config, bert_config, ImageBatches, MaskedImageBatches, train_igpt,
                                checkpoint_curve, probe_accuracy, masked_bits, bits_per_dim, uniform_bits, histogram_bits,
                                fit_pixel_logistic, DIGITS_LEVELS, DIGITS_MODEL, DIGITS_TRAINING, BERT_MASK_PROB, PROBE_CS)
    from mingpt_nb.utils import machine_info, save_result
    torch.set_num_threads(1)   # as the notebook: tiny models, one thread
    start = machine_info()
    x_train, y_train, x_test, y_test = digits_split()
    model_kw = {**DIGITS_MODEL, 'embd_pdrop': args.pdrop, 'resid_pdrop': args.pdrop}
    training = dict(DIGITS_TRAINING)
    if args.quick:
        model_kw.update(n_layer=1, n_head=2, n_embd=16); training.update(iters=40, checkpoints=(0, 20, 40))
    t0 = time.process_time()
    logistic = fit_pixel_logistic(x_train, iters=10 if args.quick else 100)
    baselines = {'uniform': uniform_bits(DIGITS_LEVELS), 'histogram': histogram_bits(x_train, x_test, DIGITS_LEVELS),
                 'pixel_logistic': logistic.bits_per_token(x_test), 'pixel_probe': probe_accuracy(x_train.float(), y_train, x_test.float(), y_test)}
    print('baselines', {k: round(v, 4) for k, v in baselines.items()}, f'({time.process_time() - t0:.0f} CPU s)', flush=True)
    runs = []
    for seed in args.seeds:
        r = {'seed': seed}
        for objective in args.objectives:
            t0 = time.process_time()
            if objective == 'ar': config, data = igpt_config(**model_kw), ImageBatches(x_train)
            else: config, data = bert_config(**model_kw), MaskedImageBatches(x_train, mask_id=DIGITS_LEVELS, seed=seed)
            model, trainer, snapshots = train_igpt(config, data, seed=seed, **training)
            train_cpu = time.process_time() - t0
            t0 = time.process_time()
            curve = checkpoint_curve(model, snapshots, x_train, y_train, x_test, y_test, channels=1)
            out = dict(train_cpu_s=train_cpu, probe_cpu_s=time.process_time() - t0, curve=curve,
                       final_train_loss=statistics.fmean(trainer.history['loss'][-20:]))
            if objective == 'ar': out['train_bits_per_dim'] = bits_per_dim(model, x_train, channels=1)
            else: out['test_masked_bits'] = masked_bits(model, x_test, DIGITS_LEVELS, seed=0)
            r[objective] = out
            last = curve[-1]
            print(f"seed {seed} {objective}: {train_cpu:.0f} CPU s training, {out['probe_cpu_s']:.0f} probing; final test bits/dim "
                  f"{last['test_bits_per_dim']}, probe {[round(a, 3) for a in last['probe']]}", flush=True)
        runs.append(r)
    data = dict(settings=dict(model=model_kw, training={**training, 'checkpoints': list(training['checkpoints'])}, quick=args.quick,
                              objectives=list(args.objectives), seeds=list(args.seeds), bert_mask_prob=BERT_MASK_PROB,
                              probe_Cs=list(PROBE_CS), n_train=len(x_train), n_test=len(x_test), channels=1),
                start_conditions=start, baselines=baselines, runs=runs)
    path = save_result(args.name, data, folder=tempfile.mkdtemp() if args.quick else None)   # --quick: never over the real results
    print('wrote', path)


def summary(result, objective='ar'):
    "Per seed: final test bits/dim (AR), best-layer probe accuracy at the end and untrained; the best layer."
    rows = []
    for r in result['runs']:
        if objective not in r: continue
        curve = r[objective]['curve']
        first, last = curve[0], curve[-1]
        rows.append(dict(seed=r['seed'], bits=last['test_bits_per_dim'], best=max(last['probe']), best_layer=last['probe'].index(max(last['probe'])),
                         untrained=max(first['probe']) if first['iter'] == 0 else None, last_layer=last['probe'][-1]))
    return rows


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs: return ''
    return f'{statistics.fmean(xs):.3f} ± {statistics.pstdev(xs):.3f}' if len(xs) > 1 else f'{xs[0]:.3f}'


def pct_spread(xs):
    xs = [100 * x for x in xs if x is not None]
    return f'{statistics.fmean(xs):.1f} ± {statistics.pstdev(xs):.1f}%' if len(xs) > 1 else f'{xs[0]:.1f}%'


def readme_section(results_dir: pathlib.Path) -> str:
    sys.path.insert(0, str(ROOT))
    from mingpt_nb.utils import conditions, load_result, md_table
    title = f'### Image GPT on 8×8 digits: likelihood and linear probes, notebook 08 (`{COMMAND}`)'
    res, nodrop = load_result('igpt', results_dir), load_result('igpt_pdrop0', results_dir)
    if res is None: return f'{title}\n\nnot measured yet: run `{COMMAND}`'
    b, s, m = res['baselines'], res['settings'], res['settings']['model']
    ar, bert = summary(res, 'ar'), summary(res, 'bert')
    rows = [dict(model='uniform over 17 levels', bits=f"{b['uniform']:.3f}"),
            dict(model='per-position histogram', bits=f"{b['histogram']:.3f}"),
            dict(model='autoregressive logistic on previous pixels', bits=f"{b['pixel_logistic']:.3f}"),
            dict(model='raw pixels', probe=f"{100 * b['pixel_probe']:.1f}%"),
            dict(model='the network untrained', bits=f"{b['uniform']:.3f}", probe=pct_spread([r['untrained'] for r in ar])),
            dict(model=f"Image GPT, next pixel, dropout {m['resid_pdrop']}", bits=f"**{spread([r['bits'] for r in ar])}**",
                 probe=f"**{pct_spread([r['best'] for r in ar])}**")]
    if nodrop is not None:
        nd = summary(nodrop, 'ar')
        rows.append(dict(model='Image GPT, next pixel, no dropout', bits=spread([r['bits'] for r in nd]), probe=pct_spread([r['best'] for r in nd])))
    if bert: rows.append(dict(model='Image GPT, BERT objective (15% masked), same budget', bits='none (no likelihood)', probe=pct_spread([r['best'] for r in bert])))
    cpu = statistics.fmean(r['ar']['train_cpu_s'] for r in res['runs'])
    return '\n'.join([title, '',
        f"{m['n_layer']} layers × {m['n_embd']} ({s['training']['iters']:,} iterations of batch {s['training']['batch_size']}, "
        f"about {cpu:.0f} CPU s per run), {s['n_train']:,} training and {s['n_test']} test images; mean ± standard deviation "
        f"over seeds {', '.join(str(r['seed']) for r in ar)}. Probe: logistic regression on one layer's mean-pooled features, best layer.", '',
        md_table(rows, {'model': 'model', 'bits': 'test bits/dim', 'probe': 'linear probe, best layer'}), '',
        f"Measured with {conditions(res['conditions'])} (commit {res['conditions']['commit']})."
        + (f" The no-dropout row: `{COMMAND_NODROP}`." if nodrop is not None else '')])


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--objectives', nargs='+', default=['ar', 'bert'], choices=['ar', 'bert'])
    ap.add_argument('--pdrop', type=float, default=0.1, help='dropout on embeddings and residual branches (the notebook: 0.1)')
    ap.add_argument('--name', default='igpt', help='results file bench/results/<name>.json')
    ap.add_argument('--quick', action='store_true', help='a tiny model for a few iterations: checks that the script runs')
    run(ap.parse_args())
