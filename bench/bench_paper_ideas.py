"""GPT-1's fine-tuning, GPT-2's zero-shot transfer and GPT-3's in-context learning in miniature (notebook 14), over seeds.

    python bench/bench_paper_ideas.py --part lm     # pre-training, zero-shot and fine-tuning (about 25 minutes, one thread)
    python bench/bench_paper_ideas.py --part icl --jobs 2   # in-context learning (about 20 minutes on 2 cores)
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

`--part icl` writes bench/results/paper_ideas_icl.json. For each seed, each of the `ICL_SIZES` trained on random-mapping
sequences (`ICL_TRAIN`, seed = the stream of sequences and the initial weights), `--jobs` models at once, one thread
each: accuracy after k = 0..11 examples on 2000 fresh sequences; its accuracy every 100 steps of training and the step
at which the accuracy on inputs seen before passed halfway from the counting predictor's to perfect (the jump); every
head's induction and previous-token scores; the accuracy with each head removed in turn, and with every head after
the first layer whose induction score is over 3 times that of even attention removed together (likewise the
previous-token heads before the last layer). `--pos-emb learned` trains the same models with GPT-2's learned
positions and writes bench/results/paper_ideas_icl_learned.json.

Each file is rewritten after every seed (lm) or model (icl), so an interrupted run keeps what it finished, with the machine's conditions.
Accuracies do not depend on speed; the wall times are for planning only.
"""
import argparse, concurrent.futures, pathlib, statistics, sys, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORDER = 70
N_LABELS = [16, 64, 256, None]      # None: every training example


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


def run_icl_one(seed, name, dims, level, pos_emb, smoke=False, threads=None):
    "One in-context learner: accuracy by k, its training curve and steps to the jump, every head's induction and previous-token scores, and the accuracy with each head removed in turn."
    import torch
    if threads: torch.set_num_threads(threads)
    from mingpt_nb import paper_ideas as P
    task = P.MappingTask(seed=seed)
    kw = dict(max_iters=4, warmup_iters=1) if smoke else {}
    n_eval = 200 if smoke else 2000
    t0 = time.time()
    curve = P.ICLCurve(task, every=2 if smoke else 100)
    m = P.train_icl(dims, task, seed=seed, on_batch_end=curve, pos_emb=pos_emb, **kw)
    seconds = time.time() - t0
    acc, hits, seen = P.icl_accuracy(m, task, n=n_eval, seed=1234 + seed)
    probe = P.mapping_sequences(200, task.n_pairs, task.n_in, task.n_out, torch.Generator().manual_seed(7 + seed))
    maps = P.attention_maps(m, probe[:, :-1])
    ind_s, prev_s = P.induction_scores(maps, probe), P.previous_token_scores(maps)
    def late_seen(heads):
        with P.ablate_heads(m, heads):
            a, h, s = P.icl_accuracy(m, task, n=n_eval, seed=1234 + seed)
        return a[P.ICL_LATE:].mean().item(), h[s].mean().item()
    heads = []
    for l in range(m.config.n_layer):
        for h in range(m.config.n_head):
            late, on_seen = late_seen([(l, h)])
            heads.append(dict(layer=l, head=h, induction_score=ind_s[l, h].item(), previous_token_score=prev_s[l, h].item(),
                              ablated_late=late, ablated_seen=on_seen))
    ind = divmod(ind_s.argmax().item(), ind_s.size(1))
    T = maps.shape[-1]
    even = P.induction_scores(P.even_attention(T).expand(1, probe.size(0), 1, -1, -1), probe).item()
    even_prev = P.previous_token_scores(P.even_attention(T)[None, None, None]).item()
    ind_heads = [(l, h) for l in range(1, m.config.n_layer) for h in range(m.config.n_head) if ind_s[l, h] > 3 * even]
    prev_heads = [(l, h) for l in range(m.config.n_layer - 1) for h in range(m.config.n_head) if prev_s[l, h] > 3 * even_prev]
    groups = dict(induction_heads=dict(heads=ind_heads), previous_token_heads=dict(heads=prev_heads))
    for g in groups.values():
        if g['heads']: g['ablated_late'], g['ablated_seen'] = late_seen(g['heads'])
    return dict(seed=seed, size=name, params=m.num_params(), acc_by_k=acc.tolist(), seen_acc=hits[seen].mean().item(),
                unseen_acc=hits[~seen].mean().item(), curve=dict(steps=curve.steps, late=curve.late_acc, seen=curve.seen_acc),
                jump_level=level, steps_to_jump=P.steps_to(curve, level), induction_head=list(ind), induction_score=ind_s.max().item(),
                even_score=even, even_previous_token_score=even_prev, heads=heads, groups=groups, seconds=seconds)


def counting_levels(n=20_000, seed=3):
    "The counting predictor (notebook 14) on simulated sequences: accuracy after k >= ICL_LATE examples and on inputs seen before."
    import torch
    from mingpt_nb import paper_ideas as P
    task = P.MappingTask()
    seq = P.mapping_sequences(n, task.n_pairs, task.n_in, task.n_out, torch.Generator().manual_seed(seed))
    hits = P.counting_accuracy(seq, task.n_in, task.n_out)
    return hits[:, P.ICL_LATE:].mean().item(), hits[P.seen_before(seq)].mean().item()


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
    for path in [paths['icl']] + sorted(pathlib.Path(results_dir).glob('paper_ideas_icl_*.json')):
        if not path.exists(): continue
        r = json.loads(path.read_text())
        late, icl, n_pairs = r['late'], r['icl'], r['n_pairs']
        rows = []
        for s in r['icl_sizes']:
            rs = [x for x in icl if x['size'] == s]
            jumps = [x['steps_to_jump'] for x in rs]
            ind = [next(h['ablated_seen'] for h in x['heads'] if [h['layer'], h['head']] == x['induction_head']) for x in rs]
            grp = [x['groups']['induction_heads'].get('ablated_seen') for x in rs if 'groups' in x]
            if r['icl_sizes'][s][0] == 1: grp_s = 'no later layer'
            elif not grp: grp_s = 'not measured'
            elif None in grp: grp_s = (_spread([g for g in grp if g is not None]) + '; ' if any(g is not None for g in grp) else '') + f'no head over the threshold in {grp.count(None)} of {len(grp)} seeds'
            else: grp_s = _spread(grp)
            rows.append((s, _spread([statistics.mean(x['acc_by_k'][late:]) for x in rs]), _spread([x['seen_acc'] for x in rs]),
                         _spread(jumps, '{:,.0f}') if None not in jumps else f"{sum(j is not None for j in jumps)} of {len(jumps)} seeds",
                         'no later layer' if r['icl_sizes'][s][0] == 1 else _spread(ind), grp_s))
        pos = {'rope': 'rotary positions', 'learned': "GPT-2's learned positions"}.get(r.get('pos_emb', 'learned'), r.get('pos_emb'))
        lines += [f"Random mappings learned in context, models with {pos} ({n_pairs} examples a sequence, {r['icl_train']['max_iters']:,} steps): "
                  f"accuracy on the query, median (lowest to highest) over seeds {r['seeds']}; after {late} to {n_pairs - 1} examples the best "
                  f"possible is {statistics.mean(r['best_late']):.1%}, without the context {1 / 8:.1%}, counting the outputs in the context "
                  f"(no look-up of the input) {r['counting_late']:.1%} ({r['counting_seen']:.1%} on inputs seen before). The jump: the first step at which the "
                  f"accuracy on inputs seen before reached {r['jump_level']:.1%}, halfway from counting to perfect. Heads removed: the one with the "
                  f"highest induction score, and every head after the first layer whose induction score is over 3 times that of even attention.", '',
                  f'| model | after {late}-{n_pairs - 1} examples | on inputs seen before | steps to the jump | on inputs seen before, the top induction head removed | ... all induction heads removed |',
                  '|---|---|---|---|---|---|'] + [f'| {" | ".join(row)} |' for row in rows]
        lines += ['', f"{conditions(r['conditions'])}; `{r['command']}`", '']
    return '\n'.join(lines).strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--part', choices=('lm', 'icl', 'all'), default='all')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--pretrain-seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument('--results', default=None, help='folder for the results files (default bench/results)')
    ap.add_argument('--pos-emb', default=None, help="--part icl: the models' positions (default: ICL_POS_EMB); another writes paper_ideas_icl_<it>.json")
    ap.add_argument('--jobs', type=int, default=1, help='--part icl: models trained at once, each on one thread')
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
        args.pos_emb = args.pos_emb or P.ICL_POS_EMB
        torch.set_num_threads(1)                      # every model trains on one thread, --jobs of them at once
        task = P.MappingTask()
        c_late, c_seen = counting_levels()
        level = (c_seen + 1) / 2                     # halfway from the counting level to perfect, on inputs seen before
        sizes = {'1 layer': (1, 2, 16), '2 layers': (2, 2, 16)} if args.smoke else P.ICL_SIZES
        result_name = 'paper_ideas_icl' + ('' if args.pos_emb == P.ICL_POS_EMB else f'_{args.pos_emb}')
        out = dict(command=f'python bench/bench_paper_ideas.py --part icl --seeds {seeds} --jobs {args.jobs}'
                   + ('' if args.pos_emb == P.ICL_POS_EMB else f' --pos-emb {args.pos_emb}'), icl_sizes=sizes, pos_emb=args.pos_emb,
                   icl_train=P.ICL_TRAIN, n_pairs=task.n_pairs, late=P.ICL_LATE, jump_level=level, counting_late=c_late, counting_seen=c_seen,
                   best_late=[P.best_accuracy(k) for k in range(P.ICL_LATE, task.n_pairs)], seeds=list(args.seeds), icl=[])
        jobs = sorted(((seed, name, dims) for seed in args.seeds for name, dims in sizes.items()), key=lambda j: -j[2][0] * j[2][2])
        with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:   # largest first; each job on one thread
            futs = [pool.submit(run_icl_one, seed, name, dims, level, args.pos_emb, args.smoke, 1) for seed, name, dims in jobs]
            for f in concurrent.futures.as_completed(futs):
                row = f.result()
                out['icl'].append(row)
                out['icl'].sort(key=lambda x: (x['seed'], list(sizes).index(x['size'])))
                ind = next(h for h in row['heads'] if [h['layer'], h['head']] == row['induction_head'])
                print(f"seed {row['seed']} {row['size']}: k>={P.ICL_LATE} {sum(row['acc_by_k'][P.ICL_LATE:]) / (task.n_pairs - P.ICL_LATE):.1%}, "
                      f"seen {row['seen_acc']:.1%}, jump at {row['steps_to_jump']}, head {row['induction_head']} removed: seen {ind['ablated_seen']:.1%} "
                      f"({row['seconds']:.0f} s)", flush=True)
                if not args.smoke: print('wrote', save_result(result_name, {**out, 'seconds': time.time() - t0}, folder=args.results), flush=True)
    if args.smoke: print('smoke run finished; nothing written')
    else: print(readme_section(pathlib.Path(args.results) if args.results else ROOT / 'bench' / 'results'))


if __name__ == '__main__':
    main()
