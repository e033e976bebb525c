"""The CPU speedrun (notebook 15): each change from GPT-2 to today's small GPTs, alone and combined, at equal CPU time on Tiny Shakespeare.

    python bench/bench_speedrun.py time                          # ms/iter of every config, alternating, 2 threads (under a quiet machine)
    python bench/bench_speedrun.py plan > jobs.json              # the runs: every switch at --budget calibrated seconds x seeds, the recipe search
    python bench/bench_speedrun.py worker --jobs jobs.json       # run them (any device: the iteration counts are fixed by the plan)
    python bench/bench_speedrun.py merge runs.jsonl              # add finished runs to bench/results/speedrun.json
    python bench/bench_speedrun.py run CONFIG --seed 0 --budget 300   # one run here, one thread
    python bench/bench_speedrun.py wall CONFIG --budget 900      # the real thing: one run timed by the clock, start to end, 2 threads

The data are the Tiny Shakespeare packaged in mingpt_nb, split 90/10 as `mingpt_chargpt` does. The baseline is
`mingpt_chargpt`'s default (`mingpt_nb.chargpt.BEST`: GPT-2's architecture as nanoGPT trains it: no biases, tied
embeddings, AdamW, warmup and cosine decay; bf16 matrix products, float32 attention); every other config changes
what its entry in `CONFIGS` says. The score is the loss on every character of the validation text
(`mingpt_nb.chargpt.full_split_loss`, what `mingpt_chargpt` reports as `val_loss_all`), at ten points of each run.

Equal time without a quiet machine for hours: `time` measures each config's milliseconds per iteration on this CPU
with 2 threads, in short alternating rounds in one process (a change of load hits every config alike). A run of
budget B seconds then trains `B / ms_per_iter` iterations (its schedule ends there), and its curve's time axis is
iterations x that ms/iter. What a run learns in a given number of iterations does not depend on where it runs, so
the runs themselves may go on any device, several at once (`worker`); each records where. `wall` makes no such
conversion: timed by the clock from start to end on this CPU, it checks the calibrated numbers (the headline runs).

Everything goes to bench/results/speedrun.json: `timing` (every calibration, raw step times), `runs` (every run:
config, recipe, seed, iterations, the curve [iteration, calibrated s, val, train], device, conditions), `wall`.
"""
import argparse, copy, fcntl, json, pathlib, statistics, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mingpt_nb.utils import machine_info, conditions, md_table, load_result, save_result, results_dir

ORDER = 75
NAME = 'speedrun'
ABLATION_BUDGET = 300          # calibrated seconds of 2 threads per ablation run
RECIPE_BUDGET = 900            # the 15-minute run

# The GPT-2 baseline: mingpt_chargpt's default (mingpt_nb.chargpt.BEST) without its iteration counts, which the budget sets.
BASE = dict(block_size=128, eval_block=128,   # eval_block: the windows of the whole-split score
            model=dict(model_type=None, n_layer=6, n_head=4, n_embd=128, bias=False, tie_weights=True, activation='gelu',
                       embd_pdrop=0.0, resid_pdrop=0.0, attn_pdrop=0.0, attn_fp32=True),
            trainer=dict(batch_size=16, learning_rate=1.5e-3, betas=(0.9, 0.99), weight_decay=0.1, grad_norm_clip=1.0,
                         warmup_iters=200, min_lr=1e-4, dtype='bfloat16'))

# One change at a time, in the order the course teaches them.
SWITCHES = {
    'baseline':  {},
    'rope':      dict(model=dict(pos_emb='rope')),
    'no_pos':    dict(model=dict(pos_emb='none')),
    'gqa':       dict(model=dict(n_kv_head=1)),
    'swiglu':    dict(model=dict(activation='swiglu')),
    'relu2':     dict(model=dict(activation='relu2')),
    'qk_norm':   dict(model=dict(qk_norm=True)),
    'rmsnorm':   dict(model=dict(norm='rmsnorm')),
    'bias':      dict(model=dict(bias=True)),          # the baseline has none (nanoGPT's choice): what dropping them bought
    'untied':    dict(model=dict(tie_weights=False)),
    'wsd':       dict(trainer=dict(lr_schedule='wsd', decay_frac=0.3)),
    'muon':      dict(trainer=dict(optimizer='muon', muon_lr=0.02)),
}

def _cat(*parts):
    "Overrides `parts` merged in order (nested dicts updated key by key)."
    out = {}
    for p in parts:
        for k, v in p.items():
            if isinstance(v, dict): out.setdefault(k, {}).update(v)
            else: out[k] = v
    return out

def shape(L, C, H, T=128, B=16):
    return dict(block_size=T, model=dict(n_layer=L, n_embd=C, n_head=H), trainer=dict(batch_size=B))

# Everything at once, before tuning
MODERN = dict(model=dict(pos_emb='rope', activation='relu2', qk_norm=True, norm='rmsnorm', tie_weights=False),
              trainer=dict(optimizer='muon', muon_lr=0.02, learning_rate=3e-3, lr_schedule='wsd', decay_frac=0.3, min_lr=0.0))
# Only the changes that cost no time (or save it): Muon, ReLU², the WSD schedule
LITE = dict(model=dict(activation='relu2'),
            trainer=dict(optimizer='muon', muon_lr=0.02, learning_rate=3e-3, lr_schedule='wsd', decay_frac=0.3, min_lr=0.0))

# The search for the combined recipe of a 15-minute run (each at RECIPE_BUDGET calibrated seconds)
SEARCH = {
    'modern': MODERN, 'lite': LITE,
    'lite-rope-untied': _cat(LITE, dict(model=dict(pos_emb='rope', tie_weights=False))),
    'modern-mlr0.04': _cat(MODERN, dict(trainer=dict(muon_lr=0.04, learning_rate=6e-3))),
    'modern-8x128': _cat(MODERN, shape(8, 128, 4)),
    'modern-6x192-drop0.1': _cat(MODERN, shape(6, 192, 6), dict(model=dict(resid_pdrop=0.1))),
    'lite-8x128': _cat(LITE, shape(8, 128, 4)),
    'lite-8x128-drop0.1': _cat(LITE, shape(8, 128, 4), dict(model=dict(resid_pdrop=0.1))),
}
# The race to nanoGPT's validation loss on its own CPU configuration (4 layers of 128, 64 characters, batch 12), at
# fixed iteration counts (RACE_ITERS); scored in windows of 64 as nanoGPT's whole-split loss is.
RACE = {
    'race-modern': _cat(MODERN, shape(4, 128, 4, 64, 12), dict(trainer=dict(warmup_iters=50))),
    'race-modern-mlr0.04': _cat(MODERN, shape(4, 128, 4, 64, 12), dict(trainer=dict(warmup_iters=50, muon_lr=0.04, learning_rate=6e-3))),
    'race-lite': _cat(LITE, shape(4, 128, 4, 64, 12), dict(trainer=dict(warmup_iters=50))),
    'race-lite-mlr0.04': _cat(LITE, shape(4, 128, 4, 64, 12), dict(trainer=dict(warmup_iters=50, muon_lr=0.04, learning_rate=6e-3))),
    'race-modern-b24': _cat(MODERN, shape(4, 128, 4, 64, 24), dict(trainer=dict(warmup_iters=50))),
    'race-baseline': _cat(shape(4, 128, 4, 64, 12), dict(trainer=dict(warmup_iters=100, learning_rate=1e-3))),
}
for v in RACE.values(): v['eval_block'] = 64
RACE_ITERS = (200, 300, 400, 500, 700, 1000)

CONFIGS = {**SWITCHES, **SEARCH, **RACE}

def merge(*parts):
    "The baseline with the overrides of `parts` applied in order."
    out = copy.deepcopy(BASE)
    for k, v in _cat(*parts).items():
        if isinstance(v, dict): out[k].update(v)
        else: out[k] = v
    return out

def recipe(name):
    "The full recipe of config `name`, as it reads back from JSON (tuples become lists)."
    if name not in CONFIGS: raise KeyError(f'unknown config {name!r}; known: {", ".join(CONFIGS)}')
    return json.loads(json.dumps(merge(CONFIGS[name])))

# ---------------------------------------------------------------------------------------------------------------------
def load(folder=None):
    return load_result(NAME, folder) or {'name': NAME, 'timing': [], 'runs': [], 'wall': []}

def update(fn, folder=None):
    "Read speedrun.json, apply `fn(data)`, write it back with `save_result`, under a lock (several runs may finish at once)."
    folder = pathlib.Path(folder) if folder else results_dir(ROOT)
    folder.mkdir(parents=True, exist_ok=True)
    with open(pathlib.Path(tempfile.gettempdir()) / f'{NAME}.json.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = load(folder); fn(data)
        data = {k: v for k, v in data.items() if k not in ('name', 'conditions')}
        return save_result(NAME, data, folder)

# ---------------------------------------------------------------------------------------------------------------------
def build(rec, seed, max_iters, device='cpu'):
    "Data, model and Trainer of recipe `rec` (a dict as `merge` returns) for a run of `max_iters` iterations."
    import torch
    from mingpt_nb.chargpt import CHARGPT, make_data
    from mingpt_nb.model import GPT
    from mingpt_nb.trainer import Trainer
    c = CHARGPT.get_config()
    c.data.block_size = rec['block_size']
    data = make_data(c)
    c.model.merge_from_dict(dict(rec['model'], vocab_size=data.vocab_size, block_size=data.block_size))
    c.trainer.merge_from_dict(dict(rec['trainer'], max_iters=max_iters, lr_decay_iters=max_iters, device=device,
                                   progress=False, log_interval=0, eval_interval=None, ckpt_path=None, seed=seed))
    c.trainer.warmup_iters = min(c.trainer.warmup_iters, max_iters // 2)
    torch.manual_seed(seed)
    model = GPT(c.model)
    return data, model, Trainer(c.trainer, model, data.train, data.val)

def compute_sig(rec):
    "What decides the time of an iteration: shapes, model switches, batch, optimizer (not learning rates or schedule)."
    t = rec['trainer']
    return json.dumps([rec['block_size'], rec['model'], t.get('batch_size'), t.get('optimizer', 'adamw'), t.get('dtype')], sort_keys=True)

def timing(names, rounds=6, steps=5, threads=2):
    "Median ms/iter of each config of distinct compute: `rounds` rounds, each `steps` steps of every config in turn (after 3 warm-up steps)."
    import torch
    torch.set_num_threads(threads)
    setups, seen = {}, set()
    for n in names:
        sig = compute_sig(recipe(n))
        if sig in seen: continue
        seen.add(sig)
        data, model, tr = build(recipe(n), 0, 10**6)
        setups[n] = (tr, iter(tr._loader(data.train, 0, 0, tr.config.batch_size, tr.config.grad_accum_steps)))
        for _ in range(3): tr._train_step(setups[n][1])
    ms = {n: [] for n in setups}
    for _ in range(rounds):
        for n, (tr, batches) in setups.items():
            for _ in range(steps):
                t0 = time.perf_counter(); tr._train_step(batches); ms[n].append((time.perf_counter() - t0) * 1000)
    return {n: dict(ms_per_iter=statistics.median(v), raw_ms=[round(x, 2) for x in v], recipe=recipe(n)) for n, v in ms.items()}

def calibrated_ms(data, name):
    "ms/iter of config `name` from the latest calibration that timed a config of the same compute (None if none did)."
    sig = compute_sig(recipe(name))
    for t in reversed(data.get('timing', [])):
        for c in t['configs'].values():
            if compute_sig(c['recipe']) == sig: return c['ms_per_iter']
    return None

def train_run(name, seed, max_iters, n_evals=10, threads=None, device='cpu', final_only=False):
    "Train config `name` for `max_iters` iterations; whole-split val loss at `n_evals` points (or at the end only); the curve and times."
    import torch
    from mingpt_nb.chargpt import full_split_loss
    if threads: torch.set_num_threads(threads)
    t_start = time.perf_counter()
    rec = recipe(name)
    data, model, tr = build(rec, seed, max_iters, device)
    batches = iter(tr._loader(data.train, tr.data_seed, 0, tr.config.batch_size, tr.config.grad_accum_steps))
    every = max(1, max_iters // n_evals)
    T_eval = min(rec.get('eval_block', data.block_size), data.block_size)
    curve, train_s, eval_s = [], 0.0, 0.0
    for it in range(max_iters):
        tr.iter_num = it
        t0 = time.perf_counter(); tr._train_step(batches); train_s += time.perf_counter() - t0
        if it + 1 == max_iters or (not final_only and (it + 1) % every == 0):
            t0 = time.perf_counter()
            val = full_split_loss(model, data.val.data, T_eval)
            recent = tr.history['loss'][-every:]
            curve.append([it + 1, round(train_s, 2), round(val, 4), round(sum(recent) / len(recent), 4)])
            eval_s += time.perf_counter() - t0
    return dict(config=name, recipe=rec, seed=seed, max_iters=max_iters, curve=curve, val_loss_all=curve[-1][2], eval_block=T_eval,
                train_s=round(train_s, 2), eval_s=round(eval_s, 2), wall_s=round(time.perf_counter() - t_start, 2),
                params=model.num_params(include_head=True), threads=torch.get_num_threads(), device=device,
                device_name=torch.cuda.get_device_name() if device == 'cuda' else None, conditions=machine_info())

# ---------------------------------------------------------------------------------------------------------------------
def cmd_time(args):
    names = args.configs or list(CONFIGS)
    res = timing(names, args.rounds, args.steps, args.threads)
    info = machine_info()
    first = next(iter(res))
    for n, r in res.items(): print(f"{n:24s} {r['ms_per_iter']:7.1f} ms/iter  x{r['ms_per_iter'] / res[first]['ms_per_iter']:.3f}")
    print(conditions(info))
    if not args.no_save:
        update(lambda d: d.setdefault('timing', []).append(dict(threads=args.threads, rounds=args.rounds, steps=args.steps,
                                                                conditions=info, configs=res)))

def plan(data, seeds=(0, 1, 2), search_seeds=(0,), ablation_budget=ABLATION_BUDGET, recipe_budget=RECIPE_BUDGET, race_device=None, check_device=None):
    "The jobs, most wanted first: the ablation (every switch x seeds), the recipe search, the race grid (scored at the end only)."
    jobs = []
    def add(name, seed, budget=None, iters=None, **kw):
        ms = calibrated_ms(data, name)
        if iters is None:
            if ms is None: print(f'{name}: not calibrated, skipped', file=sys.stderr); return
            iters = int(budget * 1000 / ms)
        jobs.append(dict(config=name, seed=seed, max_iters=iters, budget_s=budget, ms_per_iter=ms, **kw))
    for s in seeds[:2]:
        for n in SWITCHES: add(n, s, ablation_budget)
    for s in search_seeds:
        for n in SEARCH: add(n, s, recipe_budget)
    for n in RACE:
        for it in RACE_ITERS: add(n, 0, iters=it, evals=1, **({'device': race_device} if race_device else {}))
    for s in seeds[2:]:
        for n in SWITCHES: add(n, s, ablation_budget)
    if check_device:            # the same race runs on another device: does what a run learns depend on where it runs?
        for n in ('race-modern', 'race-baseline'):
            for it in (500, 1000): add(n, 0, iters=it, evals=1, device=check_device)
    return jobs

def cmd_plan(args):
    print(json.dumps(plan(load(), tuple(range(args.seeds)), tuple(range(args.search_seeds)), args.budget, args.recipe_budget, args.race_device, args.check_device)))

def cmd_worker(args):
    "Run the jobs of --jobs (a JSON list) in --procs processes per device (a job's 'device', else --device), new jobs until --deadline s; results appended to --out."
    import subprocess
    jobs = json.loads(pathlib.Path(args.jobs).read_text())
    for j in jobs: j.setdefault('device', args.device)
    if args.index is None:      # the parent: start the processes; process i of a device takes every procs-th of that device's jobs
        t0, procs = time.time(), []
        for dev in dict.fromkeys(j['device'] for j in jobs):
            n = args.procs_cpu if dev == 'cpu' and args.procs_cpu else args.procs
            for w in range(n):
                procs.append(subprocess.Popen([sys.executable, __file__, 'worker', '--jobs', args.jobs, '--out', args.out, '--device', args.device,
                                               '--procs', str(n), '--index', str(w), '--only', dev, '--deadline', str(args.deadline)]))
        for p in procs: p.wait()
        done = [json.loads(l) for l in pathlib.Path(args.out).read_text().splitlines()] if pathlib.Path(args.out).exists() else []
        print(f'{len(done)} of {len(jobs)} jobs in {time.time() - t0:.0f} s', flush=True)
        return
    import torch
    torch.set_num_threads(1)
    t0 = time.time()
    for j in [j for j in jobs if j['device'] == args.only][args.index::args.procs]:
        if time.time() - t0 > args.deadline: break
        try:
            r = train_run(j['config'], j['seed'], j['max_iters'], n_evals=j.get('evals', 10), device=j['device'], final_only=j.get('evals') == 1)
        except Exception as e:
            print(f"{j['config']} seed {j['seed']} on {j['device']} failed: {e!r}", flush=True); continue
        r.update(budget_s=j.get('budget_s'), ms_per_iter=j.get('ms_per_iter'))
        with open(args.out, 'a') as f:
            fcntl.flock(f, fcntl.LOCK_EX); f.write(json.dumps(r) + '\n')
        print(f"[{time.time() - t0:4.0f}s] {j['device']} {j['config']} seed {j['seed']} {j['max_iters']} it: val {r['val_loss_all']:.4f} ({r['wall_s']:.0f} s)", flush=True)

def cmd_merge(args):
    new = [json.loads(l) for f in args.files for l in pathlib.Path(f).read_text().splitlines() if l.strip()]
    def add(d):
        have = {(r['config'], r['seed'], r['max_iters'], r['device']) for r in d.setdefault('runs', [])}
        fresh = [r for r in new if (r['config'], r['seed'], r['max_iters'], r['device']) not in have]
        d['runs'] += fresh
        print(f'{len(fresh)} new runs ({len(new) - len(fresh)} already there)')
    update(add)

def cmd_run(args):
    data = load()
    ms = calibrated_ms(data, args.config)
    if ms is None and not args.iters: sys.exit(f'{args.config} has no calibrated ms/iter: run `bench_speedrun.py time --configs {args.config}` first')
    max_iters = args.iters or int(args.budget * 1000 / ms)
    r = train_run(args.config, args.seed, max_iters, n_evals=args.evals, threads=args.threads)
    r.update(budget_s=None if args.iters else args.budget, ms_per_iter=ms)
    print(f"{args.config} seed {args.seed}: {max_iters} iterations, val {r['val_loss_all']:.4f}, train {r['train_s']:.0f} s", flush=True)
    if not args.no_save: update(lambda d: d.setdefault('runs', []).append(r))

def cmd_wall(args):
    "A run timed by the clock: measure this machine's speed on 25 steps, size the schedule to what is left of the budget, train, score."
    import torch
    t0 = time.perf_counter()
    torch.set_num_threads(args.threads)
    data, model, tr = build(recipe(args.config), args.seed, 10**6)
    batches = iter(tr._loader(data.train, 0, 0, tr.config.batch_size, tr.config.grad_accum_steps))
    dts = []
    for i in range(25):
        t = time.perf_counter(); tr._train_step(batches); dts.append(time.perf_counter() - t)
    ms = statistics.median(dts[5:]) * 1000
    left = args.budget - (time.perf_counter() - t0) - args.reserve   # (reserve: building the run, the final evaluation)
    max_iters = args.iters or int(left * 1000 / ms * args.margin)
    del data, model, tr
    r = train_run(args.config, args.seed, max_iters, threads=args.threads, final_only=True)
    r.update(kind='wall', budget_s=args.budget, probe_ms_per_iter=round(ms, 2), process_s=round(time.perf_counter() - t0, 2),
             session=args.session)
    print(f"{args.config}: {max_iters} iterations ({ms:.1f} ms/iter probed) in {r['train_s']:.0f} s of training, "
          f"{r['process_s']:.0f} s start to end (budget {args.budget:.0f} s); val {r['val_loss_all']:.4f}; {conditions(r['conditions'])}", flush=True)
    if not args.no_save: update(lambda d: d.setdefault('wall', []).append(r))

# ---------------------------------------------------------------------------------------------------------------------
def ablation_rows(data, budget=ABLATION_BUDGET):
    "One row per switch at `budget` calibrated seconds: median and range of the final whole-split val over seeds; the change from the baseline, paired by seed (median and range)."
    by = {}
    for r in data.get('runs', []):
        if r.get('budget_s') == budget and r['config'] in SWITCHES: by.setdefault(r['config'], []).append(r)
    if 'baseline' not in by: return []
    base = {r['seed']: r['val_loss_all'] for r in by['baseline']}
    rows = []
    for name in SWITCHES:
        if name not in by: continue
        v = [r['val_loss_all'] for r in by[name]]
        d = [r['val_loss_all'] - base[r['seed']] for r in by[name] if r['seed'] in base]
        rows.append(dict(config=name, seeds=len(v), val=statistics.median(v), lo=min(v), hi=max(v), delta=statistics.median(d), d_lo=min(d), d_hi=max(d),
                         iters=statistics.median(r['max_iters'] for r in by[name]), ms=by[name][0]['ms_per_iter'], params=by[name][0]['params'],
                         devices=sorted({r['device'] for r in by[name]})))
    return rows

def readme_section(results_dir) -> str:
    data = load_result(NAME, results_dir)
    race = load_result('nanogpt_speedrun', results_dir)
    title = '### The CPU speedrun (notebook 15)'
    if data is None: return f'{title}\n\nnot measured yet: run `python bench/bench_speedrun.py time`, `plan`, `worker`, `merge`, `wall` (see the script)'
    out = [title, '']
    walls = data.get('wall', [])
    if walls:
        out += ['15-minute runs on this CPU, 2 threads, each timed by the clock from start to end:', '',
                md_table([dict(config=w['config'], iters=w['max_iters'], time=f"{w['process_s']:.0f} s", val=w['val_loss_all'],
                               when=conditions(w['conditions'])) for w in walls],
                         {'config': 'recipe', 'iters': 'iterations', 'time': 'start to end', 'val': 'val loss, every character', 'when': 'conditions'},
                         {'val': '.4f'}), '']
    if race and 'speedrun' in race.get('summary', {}):
        n, s = race['nanogpt'], race['summary']['speedrun']
        out += [f"Race to nanoGPT's validation loss on its CPU configuration ({race['setup']['runs']} alternating runs each, {conditions(race['conditions'])}):", '',
                md_table([dict(p=f"nanoGPT `train.py`, float32, {race['setup']['iters']} iterations", t=n['train_s_median'], v=n['val_all']['median'], r='1'),
                          dict(p=f"ours, `SPEEDRUN_RACE`, {s['iters']:.0f} iterations", t=s['train_s_median'], v=s['val_all']['median'],
                               r=f"{s['time_ratio_median']:.2f} ({min(s['time_ratios']):.2f}-{max(s['time_ratios']):.2f})")],
                         {'p': 'program', 't': 'training s (median)', 'v': 'val loss, every character (median)', 'r': 'time / nanoGPT (median, range)'},
                         {'t': '.1f', 'v': '.4f'}),
                '', '`python bench/bench_nanogpt.py ../shared/ref/nanoGPT --runs 2 --variants speedrun --threads 2 --passive --name nanogpt_speedrun`', '']
    rows = ablation_rows(data)
    if rows:
        devs = sorted({d for r in rows for d in r['devices']})
        out += [f'Each change alone against the GPT-2 baseline at the same {ABLATION_BUDGET} s of this CPU (2 threads; iteration counts from the '
                f'calibration, runs trained on: {", ".join(devs)}); whole-split val loss, median and range over seeds, and the change paired by seed:', '',
                md_table([dict(r, val=f"{r['val']:.4f} ({r['lo']:.4f}-{r['hi']:.4f})", delta=f"{r['delta']:+.4f} ({r['d_lo']:+.4f} to {r['d_hi']:+.4f})") for r in rows],
                         {'config': 'change', 'seeds': 'seeds', 'iters': 'iterations', 'ms': 'ms/iter', 'val': 'val loss', 'delta': 'vs baseline'},
                         {'ms': '.1f', 'iters': '.0f'}), '']
    if data.get('timing'): out.append(f"Calibration: {conditions(data['timing'][-1]['conditions'])}.")
    out.append('`python bench/bench_speedrun.py time`, then `plan > jobs.json`, `worker --jobs jobs.json`, `merge runs.jsonl`; `wall CONFIG --budget 900`')
    return '\n'.join(out)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('time'); t.add_argument('--configs', nargs='*'); t.add_argument('--rounds', type=int, default=6)
    t.add_argument('--steps', type=int, default=5); t.add_argument('--threads', type=int, default=2); t.add_argument('--no-save', action='store_true')
    p = sub.add_parser('plan'); p.add_argument('--seeds', type=int, default=3); p.add_argument('--search-seeds', type=int, default=1)
    p.add_argument('--budget', type=float, default=ABLATION_BUDGET); p.add_argument('--recipe-budget', type=float, default=RECIPE_BUDGET)
    p.add_argument('--race-device', help='device of the race grid (default: the worker\'s)')
    p.add_argument('--check-device', help='also run race-modern and race-baseline at 500 and 1000 iterations on this device')
    wk = sub.add_parser('worker'); wk.add_argument('--jobs', required=True); wk.add_argument('--out', default='runs.jsonl')
    wk.add_argument('--device', default='cpu'); wk.add_argument('--procs', type=int, default=1); wk.add_argument('--index', type=int)
    wk.add_argument('--deadline', type=float, default=1e9); wk.add_argument('--only'); wk.add_argument('--procs-cpu', type=int)
    m = sub.add_parser('merge'); m.add_argument('files', nargs='+')
    r = sub.add_parser('run'); r.add_argument('config'); r.add_argument('--seed', type=int, default=0); r.add_argument('--evals', type=int, default=10)
    r.add_argument('--budget', type=float, default=ABLATION_BUDGET); r.add_argument('--iters', type=int); r.add_argument('--threads', type=int, default=1)
    r.add_argument('--no-save', action='store_true')
    w = sub.add_parser('wall'); w.add_argument('config'); w.add_argument('--seed', type=int, default=0)
    w.add_argument('--budget', type=float, default=RECIPE_BUDGET); w.add_argument('--iters', type=int); w.add_argument('--threads', type=int, default=2)
    w.add_argument('--margin', type=float, default=0.97); w.add_argument('--reserve', type=float, default=15)
    w.add_argument('--session', default=None, help='a label shared by the runs of one comparison'); w.add_argument('--no-save', action='store_true')
    args = ap.parse_args()
    dict(time=cmd_time, plan=cmd_plan, worker=cmd_worker, merge=cmd_merge, run=cmd_run, wall=cmd_wall)[args.cmd](args)

if __name__ == '__main__': main()
