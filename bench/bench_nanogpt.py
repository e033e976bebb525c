"""`mingpt_chargpt` against nanoGPT's `train.py` on nanoGPT's documented CPU run, measured in alternation.

    python bench/bench_nanogpt.py ../shared/ref/nanoGPT --runs 5 --variants fp32 fast speedrun   # what bench/results/nanogpt.json holds
    python bench/bench_nanogpt.py ../shared/ref/nanoGPT                 # 2 runs of each, ~6 minutes on a quiet 2-core CPU
    python bench/bench_nanogpt.py PATH --runs 3 --threads 1 --variants fast fp32
    python bench/bench_nanogpt.py PATH --iters 300 --runs 1             # a smoke run
    python bench/bench_nanogpt.py PATH --runs 5 --threads 1              # five seeds each: the loss spread too

PATH is a nanoGPT checkout (`train.py`, `model.py`, `configurator.py`, `config/train_shakespeare_char.py`,
`data/shakespeare_char/prepare.py`); nothing of it is copied into this repository. The checkout is copied to a
temporary directory, its `data/shakespeare_char/input.txt` is written from the Tiny Shakespeare that ships in
mingpt_nb (so `prepare.py` makes its train/val files offline, the same text and 90/10 split as ours), then:

- nanoGPT: `python train.py config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20
  --log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
  --lr_decay_iters=2000 --dropout=0.0` (its README's CPU command);
- ours: `mingpt_chargpt` with `mingpt_nb.chargpt.NANOGPT_CPU` (the same model: no biases, tied embeddings, exact GELU,
  no dropout; the same split, schedule and evaluation every 250 iterations on 20 batches), plus per variant
  `fast` = `FAST_CPU` (bf16 autocast, float32 attention) or `fp32` (nothing else: nanoGPT's float32);
- the race, variant `speedrun`: our own recipe (`mingpt_nb.chargpt.SPEEDRUN_RACE`: today's architecture and Muon, notebook
  15) trained for `--speedrun-iters` iterations without evaluations, so that its time is training time only. It races
  nanoGPT to nanoGPT's own validation loss: the time of its run against nanoGPT's time for its 2000 iterations.

Losses are measured the same way on both sides: every character of the validation text in consecutive windows of 64
(nanoGPT's block size), from each program's final model (nanoGPT: its `ckpt.pt`; ours: `ckpt.pt` of the work_dir).
Training time: nanoGPT's per-iteration times summed, except the iterations that carry an evaluation (every 250th),
which count at the median; ours: the Trainer's training loop (`results.json`'s `wall_time_s`; the `speedrun` variant
evaluates nothing during training). Every run and the medians go to bench/results/nanogpt.json (unless `--no-save`).

Run i of each program uses seed 1337 + i: nanoGPT's `train.py` runs unchanged under a small wrapper that adds i
to the seed it gives `torch.manual_seed` (nanoGPT fixes 1337 + rank; run 0 is exactly its own run), ours gets
`--system.seed`. The validation loss of this configuration moves by about 0.01 between seeds, for both programs,
so compare losses over several runs.

Each run is its own process, with the same threads (`--threads` sets OMP_NUM_THREADS for both; default: torch's).
On a busy machine use `--passive` (OMP_WAIT_POLICY=PASSIVE for both) or `--threads 1`: OpenMP's spinning worker
threads otherwise make every 2-thread run many times slower whenever another process wants a core.
The programs take turns (nanoGPT, then each variant, `--runs` times), so a change in machine load hits all of them.
Measured per run: the median time per iteration (nanoGPT: its per-iteration `time` lines; ours: `results.json`'s
median of the Trainer's iteration times; in both an evaluation lands in the iteration after it, which the median
ignores), wall time of the process, the final train/val loss (20 batches at iteration max_iters), and the
process's peak resident memory (`ru_maxrss` from `os.wait4`). Printed: a table, and per variant the ratio
ours/nanoGPT of the median ms/iter for each alternating pair, their median and range.
"""
import argparse, json, os, pathlib, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mingpt_nb.utils import tiny_shakespeare, save_result, load_result, md_table, conditions
from mingpt_nb.chargpt import NANOGPT_CPU, FAST_CPU
try: from mingpt_nb.chargpt import SPEEDRUN_RACE, SPEEDRUN_RACE_ITERS      # (notebook 11, from notebook 15's speedrun)
except ImportError: SPEEDRUN_RACE, SPEEDRUN_RACE_ITERS = None, None

ORDER = 40
EVAL_BLOCK = 64        # both programs' whole-split validation loss: consecutive windows of nanoGPT's block size

NANOGPT_ARGS = ('config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20 --log_interval=1 '
                '--block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --dropout=0.0').split()
VARIANTS = {'fast': FAST_CPU, 'fp32': [], **({'speedrun': SPEEDRUN_RACE} if SPEEDRUN_RACE else {})}
OURS = 'import sys; from mingpt_nb.chargpt import main; main()'
# nanoGPT's train.py, unchanged, with its seed moved by argv[1] (run from the checkout's directory)
NANOGPT_SEEDED = ("import runpy, sys, torch; off = int(sys.argv.pop(1)); ms = torch.manual_seed; "
                  "torch.manual_seed = lambda s: ms(s + off); sys.argv[0] = 'train.py'; sys.path.insert(0, ''); "
                  "runpy.run_path('train.py', run_name='__main__')")
# nanoGPT's saved model (its best evaluation, normally the last) on every character of its val.bin, in consecutive
# windows of block_size: the same measurement as results.json's eval.val_loss_all on our side (no sampling noise).
NANOGPT_FULL_VAL = """
import sys, numpy as np, torch
from model import GPT, GPTConfig
ck = torch.load(sys.argv[1], map_location='cpu', weights_only=False)
m = GPT(GPTConfig(**ck['model_args'])); m.load_state_dict({k.removeprefix('_orig_mod.'): v for k, v in ck['model'].items()}); m.eval()
val = torch.from_numpy(np.fromfile('data/shakespeare_char/val.bin', dtype=np.uint16).astype(np.int64))
T = ck['model_args']['block_size']; n = (len(val) - 1) // T; tot = 0.0
with torch.no_grad():
    for s in range(0, n, 16):
        rows = torch.arange(s, min(n, s + 16)) * T
        c = val[rows[:, None] + torch.arange(T + 1)]
        tot += m(c[:, :-1].contiguous(), c[:, 1:].contiguous())[1].item() * len(rows)
print(tot / n, ck['iter_num'])
"""
# Our saved model (the work_dir's ckpt.pt, the end of the run) measured exactly as NANOGPT_FULL_VAL measures nanoGPT's
OURS_FULL_VAL = """
import sys, torch
from mingpt_nb.chargpt import CHARGPT, full_split_loss
from mingpt_nb.project import load_config
from mingpt_nb.model import GPT
from mingpt_nb.trainer import read_checkpoint, strip_prefixes
c = load_config(CHARGPT, sys.argv[1]); m = GPT(c.model)
m.load_state_dict(strip_prefixes(read_checkpoint(sys.argv[1] + '/ckpt.pt')['model'])); m.eval()
print(full_split_loss(m, CHARGPT.make_data(c).val.data, int(sys.argv[2])))
"""

def prepare_nanogpt(src, dest):
    "Copy the checkout to `dest`, write the packaged text as its input.txt and run its prepare.py there."
    src = pathlib.Path(src).expanduser().resolve()
    need = ['train.py', 'model.py', 'configurator.py', 'config/train_shakespeare_char.py', 'data/shakespeare_char/prepare.py']
    missing = [f for f in need if not (src / f).exists()]
    if missing: sys.exit(f'{src} is not a nanoGPT checkout: missing {", ".join(missing)}')
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns('out*', '*.bin', '*.pt', '__pycache__'))
    (dest / 'data/shakespeare_char/input.txt').write_text(tiny_shakespeare(), encoding='utf-8')
    subprocess.run([sys.executable, 'data/shakespeare_char/prepare.py'], cwd=dest, check=True, capture_output=True)

def run_process(cmd, cwd, env, log_path):
    "Run `cmd`, output to `log_path`; returns (exit status, wall seconds, peak RSS in MiB) of that process alone."
    with open(log_path, 'w') as log:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 2**20 if sys.platform == 'darwin' else usage.ru_maxrss / 2**10
    return p.returncode, wall, rss

def warmup(iters): return min(100, iters // 2)   # nanoGPT's 100, shortened for smoke runs

def run_nanogpt(workdir, iters, env, log_path, seed_offset=0):
    cmd = [sys.executable, '-u', '-c', NANOGPT_SEEDED, str(seed_offset), *NANOGPT_ARGS, f'--max_iters={iters}', f'--lr_decay_iters={iters}',
           f'--warmup_iters={warmup(iters)}', f'--out_dir={workdir}/out-nanogpt']
    status, wall, rss = run_process(cmd, workdir, env, log_path)
    out = pathlib.Path(log_path).read_text()
    if status != 0: sys.exit(f'nanoGPT failed (exit {status}); its output is in {log_path}:\n{out[-2000:]}')
    its_times = [(int(i), float(t)) for i, t in re.findall(r'^iter (\d+): loss [\d.]+, time ([\d.]+)ms', out, re.M)]
    times = [t for _, t in its_times]
    evals = re.findall(r'^step (\d+): train loss ([\d.]+), val loss ([\d.]+)', out, re.M)
    step, train, val = evals[-1]
    val_all, ck_iter = None, None
    ckpt = pathlib.Path(workdir) / 'out-nanogpt' / 'ckpt.pt'
    if ckpt.exists():   # (nanoGPT saves only after an evaluation that improved; none for runs shorter than 250 iterations)
        out = subprocess.run([sys.executable, '-c', NANOGPT_FULL_VAL, str(ckpt)], cwd=workdir, env=env, capture_output=True, text=True)
        if out.returncode == 0: val_all, ck_iter = (float(v) for v in out.stdout.split()[-2:])
        shutil.rmtree(ckpt.parent, ignore_errors=True)
    med = statistics.median(times)   # iterations that carry an evaluation (0, 250, ...) count at the median: training time only
    train_s = sum(med if i % 250 == 0 else t for i, t in its_times) / 1000
    return dict(ms=med, train_s=train_s, wall=wall, rss=rss, iters=len(times), train=float(train), val=float(val),
                eval_at=int(step), val_all=val_all, val_all_at=ck_iter)

def run_ours(variant, workdir, iters, threads, env, log_path, seed=1337):
    wd = pathlib.Path(tempfile.mkdtemp(dir=workdir, prefix=f'chargpt-{variant}-'))
    sched = [f'--trainer.max_iters={iters}', f'--trainer.lr_decay_iters={iters}']
    if variant != 'speedrun': sched.append(f'--trainer.warmup_iters={warmup(iters)}')   # (the race recipe sets its own)
    args = NANOGPT_CPU + VARIANTS[variant] + sched + [
            f'--system.work_dir={wd}', f'--system.seed={seed}', '--trainer.progress=False', '--sample.num_samples=0']
    if threads: args.append(f'--system.num_threads={threads}')
    status, wall, rss = run_process([sys.executable, '-c', OURS, *args], ROOT, env, log_path)
    if status != 0: sys.exit(f'mingpt_chargpt failed (exit {status}); its output is in {log_path}:\n'
                             f'{pathlib.Path(log_path).read_text()[-2000:]}')
    r = json.loads((wd / 'results.json').read_text())
    val_all = r['eval'].get('val_loss_all')
    if json.loads((wd / 'config.json').read_text())['data']['block_size'] != EVAL_BLOCK:   # measure it as nanoGPT's is measured
        out = subprocess.run([sys.executable, '-c', OURS_FULL_VAL, str(wd), str(EVAL_BLOCK)], cwd=ROOT, env=env, capture_output=True, text=True)
        if out.returncode != 0: sys.exit(f'evaluating {wd} failed:\n{out.stderr[-2000:]}')
        val_all = float(out.stdout.split()[-1])
    return dict(ms=r['median_ms_per_iter'], train_s=r['wall_time_s'], wall=wall, rss=rss, iters=r['iterations'], train=r['train_loss'],
                val=r['val_loss'], eval_at=r['iterations'], val_all=val_all)

def mean_or_dash(xs):
    "Mean (and, for 2+ values, sample standard deviation and range) of the values that are not None."
    xs = [x for x in xs if x is not None]
    if len(xs) < 2: return f'{xs[0]:.4f}' if xs else '-'
    return f'{statistics.mean(xs):.4f} ± {statistics.stdev(xs):.4f} ({min(xs):.4f}-{max(xs):.4f})'

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('nanogpt', help='path of a nanoGPT checkout')
    ap.add_argument('--runs', type=int, default=2, help='runs of each program (alternating)')
    ap.add_argument('--iters', type=int, default=2000, help='max_iters (and lr_decay_iters) of every run')
    ap.add_argument('--threads', type=int, default=None, help='OMP_NUM_THREADS for both (default: torch decides)')
    ap.add_argument('--passive', action='store_true', help='OMP_WAIT_POLICY=PASSIVE for both (a must on a busy machine with 2+ threads)')
    ap.add_argument('--variants', nargs='+', default=['fast'], choices=list(VARIANTS), help='our configurations to run')
    ap.add_argument('--speedrun-iters', type=int, default=SPEEDRUN_RACE_ITERS, help="iterations of the 'speedrun' variant")
    ap.add_argument('--no-save', action='store_true', help='do not write bench/results/NAME.json')
    ap.add_argument('--name', default='nanogpt', help="the results file's name (the speedrun's race: nanogpt_speedrun)")
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory (logs, work_dirs)')
    args = ap.parse_args()

    tmp = pathlib.Path(tempfile.mkdtemp(prefix='bench_nanogpt_'))
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    if args.threads: env['OMP_NUM_THREADS'] = str(args.threads)
    if args.passive: env['OMP_WAIT_POLICY'] = 'PASSIVE'   # idle OpenMP threads sleep instead of spinning
    nano_dir = tmp / 'nanoGPT'
    prepare_nanogpt(args.nanogpt, nano_dir)
    load_before = os.getloadavg()[0]
    import torch
    print(f'torch {torch.__version__}, {os.cpu_count()} CPUs, threads: {args.threads or "torch default"}, '
          f'OMP_WAIT_POLICY={env.get("OMP_WAIT_POLICY", "default")}, {args.iters} iterations, {args.runs} run(s) each, load average before: {os.getloadavg()[0]:.2f}', flush=True)
    rows = []
    for i in range(args.runs):
        for prog in ['nanoGPT'] + [f'ours-{v}' for v in args.variants]:
            log = tmp / f'{prog}-{i}.log'
            v = prog.split('-', 1)[1] if prog != 'nanoGPT' else None
            r = (run_nanogpt(nano_dir, args.iters, env, log, seed_offset=i) if prog == 'nanoGPT'
                 else run_ours(v, tmp, args.speedrun_iters if v == 'speedrun' else args.iters, args.threads, env, log, seed=1337 + i))
            r.update(run=i, seed=1337 + i, prog=prog, load=os.getloadavg()[0])
            rows.append(r)
            print(f"run {i} (seed {1337 + i}) {prog:10s} {r['ms']:7.2f} ms/iter  wall {r['wall']:6.1f} s  train {r['train']:.4f}  "
                  f"val {r['val']:.4f}  peak RSS {r['rss']:5.0f} MiB  (load {r['load']:.1f})", flush=True)

    print('\n| run (seed) | program | median ms/iter | wall s | train loss | val loss (20 batches) | val loss (all) | peak RSS MiB |')
    print('|---|---|---|---|---|---|---|---|')
    for r in rows:
        va = f"{r['val_all']:.4f}" if r['val_all'] is not None else '-'
        if r.get('val_all_at') is not None and r['val_all_at'] != r['iters'] - 1: va += f" (at {r['val_all_at']:.0f})"
        print(f"| {r['run']} ({r['seed']}) | {r['prog']} | {r['ms']:.2f} | {r['wall']:.1f} | {r['train']:.4f} | {r['val']:.4f} | {va} | {r['rss']:.0f} |")
    nano = {r['run']: r for r in rows if r['prog'] == 'nanoGPT'}
    print()
    for v in args.variants:
        ours = {r['run']: r for r in rows if r['prog'] == f'ours-{v}'}
        ratios = [ours[i]['ms'] / nano[i]['ms'] for i in sorted(ours)]
        rss = [ours[i]['rss'] / nano[i]['rss'] for i in sorted(ours)]
        print(f"ours-{v} / nanoGPT, median ms/iter: {statistics.median(ratios):.3f}x (pairs: {', '.join(f'{x:.3f}' for x in ratios)}); "
              f"peak RSS {statistics.median(rss):.2f}x\n"
              f"  val loss, 20 batches: ours-{v} {mean_or_dash(o['val'] for o in ours.values())}, nanoGPT {mean_or_dash(n['val'] for n in nano.values())}\n"
              f"  val loss, every val character: ours-{v} {mean_or_dash(o['val_all'] for o in ours.values())}, "
              f"nanoGPT {mean_or_dash(n['val_all'] for n in nano.values())}")
    result = summarize(rows, args.variants)
    for v, sm in result['summary'].items():
        print(f"{v}: training time {sm['time_ratio_median']:.3f}x nanoGPT's (pairs {', '.join(f'{x:.3f}' for x in sm['time_ratios'])}); "
              f"val (every character, windows of {EVAL_BLOCK}) {sm['val_all_median']:.4f} vs nanoGPT {result['nanogpt']['val_all_median']:.4f}")
    if not args.no_save:
        info = dict(iters=args.iters, speedrun_iters=args.speedrun_iters, runs=args.runs, threads=args.threads, passive=args.passive,
                    variants=args.variants, nanogpt_args=NANOGPT_ARGS, ours_args=NANOGPT_CPU, variant_args={v: VARIANTS[v] for v in args.variants},
                    eval_block=EVAL_BLOCK, load_before=load_before, load_after=os.getloadavg()[0])
        print('results written to', save_result(args.name, dict(setup=info, rows=rows, **result)))
    if args.keep: print(f'logs and work_dirs kept in {tmp}')
    else: shutil.rmtree(tmp, ignore_errors=True)

def spread(xs):
    xs = [x for x in xs if x is not None]
    return dict(median=statistics.median(xs), min=min(xs), max=max(xs), n=len(xs)) if xs else None

def summarize(rows, variants):
    "Per variant: ours/nanoGPT ratios of the median ms/iter and of the training time, pair by pair (alternating runs), and the losses."
    nano = {r['run']: r for r in rows if r['prog'] == 'nanoGPT'}
    out = {'nanogpt': dict(ms_median=statistics.median(r['ms'] for r in nano.values()),
                           train_s_median=statistics.median(r['train_s'] for r in nano.values()),
                           val_all_median=statistics.median(r['val_all'] for r in nano.values() if r['val_all'] is not None),
                           val_all=spread(r['val_all'] for r in nano.values()))}
    out['summary'] = {}
    for v in variants:
        ours = {r['run']: r for r in rows if r['prog'] == f'ours-{v}'}
        ms_r = [ours[i]['ms'] / nano[i]['ms'] for i in sorted(ours)]
        t_r = [ours[i]['train_s'] / nano[i]['train_s'] for i in sorted(ours)]
        out['summary'][v] = dict(ms_ratios=ms_r, ms_ratio_median=statistics.median(ms_r), time_ratios=t_r,
                                 time_ratio_median=statistics.median(t_r), train_s_median=statistics.median(o['train_s'] for o in ours.values()),
                                 val_all_median=statistics.median(o['val_all'] for o in ours.values()), val_all=spread(o['val_all'] for o in ours.values()),
                                 iters=statistics.median(o['iters'] for o in ours.values()))
    return out

def readme_section(results_dir) -> str:
    r = load_result('nanogpt', results_dir)
    title = '### mingpt_chargpt against nanoGPT on its CPU run'
    if r is None or 'summary' not in r: return f'{title}\n\nnot measured yet: run `python bench/bench_nanogpt.py ../shared/ref/nanoGPT --runs 5 --variants fp32 fast speedrun`'
    n, sm = r['nanogpt'], r['summary']
    what = {'fp32': 'ours, float32 (like for like)', 'fast': 'ours, bf16 autocast (`FAST_CPU`)', 'speedrun': 'ours, the speedrun recipe (notebook 15)'}
    def row(v):
        s = sm[v]
        return dict(what=what.get(v, v), iters=f"{s['iters']:.0f}", time=f"{s['train_s_median']:.1f} s",
                    ratio=f"{s['time_ratio_median']:.2f}x ({min(s['time_ratios']):.2f}-{max(s['time_ratios']):.2f})",
                    val=f"{s['val_all']['median']:.4f} ({s['val_all']['min']:.4f}-{s['val_all']['max']:.4f})")
    rows = [dict(what='nanoGPT `train.py`, float32', iters=f"{r['setup']['iters']}", time=f"{n['train_s_median']:.1f} s", ratio='1',
                 val=f"{n['val_all']['median']:.4f} ({n['val_all']['min']:.4f}-{n['val_all']['max']:.4f})")] + [row(v) for v in sm]
    return '\n'.join([title, '', md_table(rows, {'what': 'program', 'iters': 'iterations', 'time': 'training time (median)',
                                                   'ratio': 'time / nanoGPT (median, range over alternating pairs)',
                                                   'val': f"val loss, every character (median, range; {r['setup']['runs']} seeds)"}), '',
                      f"nanoGPT's README CPU command on Tiny Shakespeare; {conditions(r['conditions'])}. "
                      f"`python bench/bench_nanogpt.py ../shared/ref/nanoGPT --runs {r['setup']['runs']} --variants {' '.join(r['setup']['variants'])}`"])

if __name__ == '__main__': main()
