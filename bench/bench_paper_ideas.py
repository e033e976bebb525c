"""GPT-1's fine-tuning, GPT-2's zero-shot transfer and GPT-3's in-context learning in miniature (notebook 14), over seeds.

    python bench/bench_paper_ideas.py --part lm     # pre-training, zero-shot and fine-tuning (about 25 minutes, one thread)
    python bench/bench_paper_ideas.py --part icl    # in-context learning (about 2 minutes a seed, one thread)
    python bench/bench_paper_ideas.py               # both, one after the other
    python bench/bench_paper_ideas.py --smoke       # tiny models, a few steps: checks the script, writes nothing

Everything comes from `mingpt_nb.paper_ideas`, the functions notebook 14 teaches, with its settings.

`--part lm` writes bench/results/paper_ideas_lm.json. The speaker task (Tiny Shakespeare, 8 speakers, every fifth chunk
of the text held out); the three `LM_SIZES` pre-trained once (`PRETRAIN`, seed `--pretrain-seed`), each with its
held-out loss on every token of the held-out text and its zero-shot accuracy (GPT-2: the likelihood of each speaker's
`NAME:` after the context). Then for each of `--seeds` (which draw the labelled examples, the classifier's
initialisation, dropout and the batch order) GPT-1's fine-tuning (`finetune`: the recipe at `FT_LR`, at least
`FT_MIN_ITERS` steps) of the largest pre-trained model and of a fresh model of its shape on `N_LABELS` labelled
examples with λ = 0.5; on all labels the pre-trained model also with λ = 0 and with the paper's learning rate 6.25e-5.

`--part icl` writes bench/results/paper_ideas_icl.json. For each seed the `ICL_SIZES` trained on random-mapping
sequences (`ICL_TRAIN`); accuracy after k = 0..23 examples on 2000 fresh sequences; for the two-layer model its
accuracy during training, every head's induction score and the accuracy with each head removed in turn.

Each file is rewritten after every seed, so an interrupted run keeps what it finished, with the machine's conditions.
Accuracies do not depend on speed; the wall times are for planning only.
"""
import argparse, pathlib, statistics, sys, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORDER = 70
N_LABELS = [16, 64, 256, None]      # None: every training example
LATE = 16                           # in-context accuracy is summarised over the queries after k >= LATE examples


def _log(s): print(s, flush=True)


def speaker_setup():
    "The pre-training and held-out text, the BPE, the speaker task and GPT-1's task tokens, as notebook 14 builds them."
    import torch
    from mingpt_nb.utils import tiny_shakespeare
    from mingpt_nb.bpe import train_bpe
    from mingpt_nb import paper_ideas as P
    text = tiny_shakespeare()
    pre_text, held_text, _, _ = P.held_out_split(text)
    enc = train_bpe(pre_text, 1024, special_tokens=())
    task = P.speaker_task(text, enc)
    tt = P.TaskTokens.of(P.add_task_tokens(enc))
    return enc, task, tt, torch.tensor(enc.encode(pre_text)), torch.tensor(enc.encode(held_text))


def run_lm(seeds, pretrain_seed=0, smoke=False, save=None, log=_log):
    "Pre-training and zero-shot once per size, then fine-tuning for every seed; `save(out)` after each stage."
    import torch
    from mingpt_nb.utils import set_seed
    from mingpt_nb.chargpt import full_split_loss
    from mingpt_nb.model import GPT
    from mingpt_nb import paper_ideas as P
    enc, task, tt, train_ids, held_ids = speaker_setup()
    out = dict(task=dict(names=task.names, n_train=len(task.train_y), n_test=len(task.test_y), chance=1 / len(task.names),
                         majority=torch.bincount(task.test_y).max().item() / len(task.test_y)),
               pretrain_seed=pretrain_seed, seeds=[], zero_shot=[], finetune=[])
    sizes = {'2x16': (1, 2, 16), '2x32': (2, 2, 32)} if smoke else P.LM_SIZES
    pre_kw = dict(max_iters=4, warmup_iters=1) if smoke else {}
    cands = [enc.encode(n + ':') for n in task.names]
    lms = {}
    for name, dims in sizes.items():
        set_seed(pretrain_seed)
        lm = GPT(P.lm_config(enc.n_vocab, *dims))
        t0 = time.time()
        P.pretrain(lm, train_ids, seed=pretrain_seed, **pre_kw)
        loss = full_split_loss(lm, held_ids[:5000] if smoke else held_ids, lm.block_size)
        pred = P.candidate_logprobs(lm, task.test_ctx, cands).argmax(-1)
        hits = (pred == task.test_y)
        out['zero_shot'].append(dict(size=name, params=lm.num_params(), heldout_loss=loss, acc=hits.float().mean().item(),
                                     hits=hits.int().tolist(), predicted=torch.bincount(pred, minlength=len(task.names)).tolist(),
                                     seconds=time.time() - t0))
        lms[name] = lm
        log(f'{name}: held-out loss {loss:.3f}, zero-shot {hits.float().mean():.1%} ({time.time() - t0:.0f} s)')
    if save: save(out)
    base = lms[list(sizes)[-1]]
    ft_kw = dict(min_iters=2) if smoke else {}
    for seed in seeds:
        set_seed(seed)
        scratch = GPT(base.config)                   # the same shape, fresh weights (drawn by the seed)
        def ft(start, lm, n, **kw):
            t0 = time.time()
            r = P.finetune(lm, task, tt, n_labels=n, seed=seed, **ft_kw, **kw)
            row = dict(seed=seed, start=start, **{k: r[k] for k in ('n_labels', 'lm_coef', 'learning_rate', 'acc', 'steps')}, seconds=time.time() - t0)
            out['finetune'].append(row)
            log(f"seed {seed} fine-tune {start} n={row['n_labels']} λ={row['lm_coef']} lr={row['learning_rate']}: {row['acc']:.1%} ({row['seconds']:.0f} s)")
        for n in N_LABELS:
            ft('pre-trained', base, n)
            ft('scratch', scratch, n)
        ft('pre-trained', base, None, lm_coef=0.0)
        ft('pre-trained', base, None, learning_rate=P.GPT1_FINETUNE['learning_rate'])
        out['seeds'].append(seed)
        if save: save(out)
    return out


def run_icl(seed, smoke=False, log=_log):
    "The in-context learners of one seed: accuracy by k; for the two-layer model its training curve, induction scores and head ablations."
    import numpy as np, torch
    from mingpt_nb import paper_ideas as P
    icl, task = [], P.MappingTask(seed=seed)
    sizes = {'1 layer': (1, 2, 16), '2 layers': (2, 2, 16)} if smoke else P.ICL_SIZES
    kw = dict(max_iters=4, warmup_iters=1) if smoke else {}
    n_eval = 200 if smoke else 2000
    for name, dims in sizes.items():
        t0 = time.time()
        curve = []
        def record(trainer, every=2 if smoke else 50):
            if (trainer.iter_num + 1) % every == 0:
                curve.append([trainer.iter_num + 1, P.icl_accuracy(trainer.model, task, n=500, seed=99)[0][LATE:].mean().item()])
        m = P.train_icl(dims, task, seed=seed, on_batch_end=record if name == '2 layers' else None, **kw)
        acc, hits, seen = P.icl_accuracy(m, task, n=n_eval, seed=1234 + seed)
        row = dict(seed=seed, size=name, params=m.num_params(), acc_by_k=acc.tolist(),
                   seen_acc=hits[seen].mean().item(), unseen_acc=hits[~seen].mean().item())
        if name == '2 layers':
            probe = P.mapping_sequences(200, task.n_pairs, task.n_in, task.n_out, torch.Generator().manual_seed(7 + seed))
            scores = P.induction_scores(P.attention_maps(m, probe[:, :-1]), probe)
            ind = divmod(scores.argmax().item(), scores.size(1))
            heads = []
            for l in range(m.config.n_layer):
                for h in range(m.config.n_head):
                    with P.ablate_heads(m, [(l, h)]):
                        late = P.icl_accuracy(m, task, n=n_eval, seed=1234 + seed)[0][LATE:].mean().item()
                    heads.append(dict(layer=l, head=h, induction_score=scores[l, h].item(), ablated_late=late))
            row.update(curve=curve, induction_head=list(ind), induction_score=scores.max().item(), heads=heads,
                       ablated_induction_late=next(x['ablated_late'] for x in heads if (x['layer'], x['head']) == ind),
                       ablated_other_late_min=min(x['ablated_late'] for x in heads if (x['layer'], x['head']) != ind))
        row['seconds'] = time.time() - t0
        icl.append(row)
        log(f"seed {seed} in-context {name}: k>={LATE} {np.mean(row['acc_by_k'][LATE:]):.1%}, k<=1 {np.mean(row['acc_by_k'][:2]):.1%} ({row['seconds']:.0f} s)"
            + (f", head {row['induction_head']} (highest induction score) removed {row['ablated_induction_late']:.1%}" if 'induction_head' in row else ''))
    return icl


def counting_late(late=LATE, n=20_000, n_pairs=24, n_in=8, n_out=8, seed=3):
    "Accuracy after k >= `late` examples of predicting the output seen most often so far (notebook 14's counting predictor), simulated."
    import numpy as np
    rng = np.random.default_rng(seed)
    f = rng.integers(n_out, size=(n, n_in))
    ys = np.take_along_axis(f, rng.integers(n_in, size=(n, n_pairs)), 1)
    onehot = np.eye(n_out)[ys]
    before = onehot.cumsum(1) - onehot + rng.random(onehot.shape) * 1e-3   # ties broken at random
    return float((before.argmax(-1) == ys)[:, late:].mean())


def _spread(v, fmt='{:.1%}'):
    v = sorted(v)
    return f'{fmt.format(statistics.median(v))} ({fmt.format(v[0])} to {fmt.format(v[-1])})'


def readme_section(results_dir: pathlib.Path) -> str:
    "The README's rows: median (lowest to highest) over seeds of each idea's headline number."
    import json
    title = '### GPT-1, GPT-2, GPT-3 in miniature (notebook 14)'
    paths = {k: pathlib.Path(results_dir) / f'paper_ideas_{k}.json' for k in ('lm', 'icl')}
    if not any(p.exists() for p in paths.values()): return f'{title}\n\nnot measured yet: run `python bench/bench_paper_ideas.py`'
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    from mingpt_nb.utils import conditions
    lines = [title, '']
    if paths['lm'].exists():
        r = json.loads(paths['lm'].read_text())
        ft, zs, lr, t = r['finetune'], r['zero_shot'], r['ft_lr'], r['task']
        labels = sorted({x['n_labels'] for x in ft})
        def accs(start, n, lam=0.5): return [x['acc'] for x in ft if x['start'] == start and x['n_labels'] == n and x['lm_coef'] == lam and x['learning_rate'] == lr]
        rows = []
        for n in labels:
            rows.append((f'GPT-1: who speaks next, {n} labels, fine-tuned from pre-training', _spread(accs('pre-trained', n))))
            rows.append((f'GPT-1: who speaks next, {n} labels, trained from scratch', _spread(accs('scratch', n))))
        rows.append((f'GPT-1: {labels[-1]} labels, fine-tuned from pre-training with λ = 0', _spread(accs('pre-trained', labels[-1], 0.0))))
        for x in zs: rows.append((f"GPT-2: who speaks next, zero-shot, {x['size']} model (one pre-training run)", f"{x['acc']:.1%}"))
        lines += [f"Who speaks next in held-out Tiny Shakespeare: test accuracy, median (lowest to highest) over fine-tuning "
                  f"seeds {r['seeds']}; chance {t['chance']:.1%}, most frequent speaker {t['majority']:.1%} "
                  f"({t['n_test']} test speeches).", '', '| measurement | accuracy |', '|---|---|'] + [f'| {a} | {b} |' for a, b in rows]
        lines += ['', f"{conditions(r['conditions'])}; `{r['command']}`", '']
    if paths['icl'].exists():
        r = json.loads(paths['icl'].read_text())
        late, icl = r['late'], r['icl']
        rows = [(f'GPT-3: in-context accuracy after {late}-23 examples, {s}', _spread([statistics.mean(x['acc_by_k'][late:]) for x in icl if x['size'] == s]))
                for s in r['icl_sizes']]
        abl = [x['ablated_induction_late'] for x in icl if 'ablated_induction_late' in x]
        if abl: rows.append(('GPT-3: the same, 2 layers, the head with the highest induction score removed', _spread(abl)))
        lines += [f"Random mappings learned in context: accuracy on the query, median (lowest to highest) over seeds {r['seeds']}; "
                  f"the best possible is {statistics.mean(r['best_late']):.1%}, without the context {1 / 8:.1%}, counting the "
                  f"outputs in the context (no look-up of the input) {counting_late(late):.1%}.", '',
                  '| measurement | accuracy |', '|---|---|'] + [f'| {a} | {b} |' for a, b in rows]
        lines += ['', f"{conditions(r['conditions'])}; `{r['command']}`"]
    return '\n'.join(lines).strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--part', choices=('lm', 'icl', 'all'), default='all')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--pretrain-seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument('--results', default=None, help='folder for the results files (default bench/results)')
    ap.add_argument('--smoke', action='store_true', help='tiny models and a few steps; nothing is written')
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import torch
    if args.threads: torch.set_num_threads(args.threads)
    from mingpt_nb.utils import save_result
    from mingpt_nb import paper_ideas as P
    seeds = ' '.join(map(str, args.seeds))
    if args.part in ('lm', 'all'):
        t0 = time.time()
        head = dict(command=f'python bench/bench_paper_ideas.py --part lm --seeds {seeds} --pretrain-seed {args.pretrain_seed}',
                    lm_sizes=P.LM_SIZES, pretrain=P.PRETRAIN, ft_lr=P.FT_LR, ft_min_iters=P.FT_MIN_ITERS,
                    gpt1_finetune=P.GPT1_FINETUNE, n_labels=N_LABELS)
        def save(out):
            if not args.smoke: print('wrote', save_result('paper_ideas_lm', {**head, **out, 'seconds': time.time() - t0}, folder=args.results), flush=True)
        run_lm(args.seeds, args.pretrain_seed, args.smoke, save)
    if args.part in ('icl', 'all'):
        t0 = time.time()
        out = dict(command=f'python bench/bench_paper_ideas.py --part icl --seeds {seeds}', icl_sizes=P.ICL_SIZES,
                   icl_train=P.ICL_TRAIN, late=LATE, best_late=[P.best_accuracy(k) for k in range(LATE, 24)], seeds=[], icl=[])
        for seed in args.seeds:
            out['icl'] += run_icl(seed, args.smoke)
            out['seeds'].append(seed)
            if not args.smoke: print('wrote', save_result('paper_ideas_icl', {**out, 'seconds': time.time() - t0}, folder=args.results), flush=True)
    if args.smoke: print('smoke run finished; nothing written')
    else: print(readme_section(pathlib.Path(args.results) if args.results else ROOT / 'bench' / 'results'))


if __name__ == '__main__':
    main()
