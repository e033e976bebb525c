"""`mingpt_chargpt` against nanoGPT's `train.py` on nanoGPT's documented CPU run, measured in alternation.

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
  `fast` = `FAST_CPU` (bf16 autocast, math attention kernel) or `fp32` (nothing else: nanoGPT's float32).

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
from mingpt_nb.utils import tiny_shakespeare
from mingpt_nb.chargpt import NANOGPT_CPU, FAST_CPU

NANOGPT_ARGS = ('config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20 --log_interval=1 '
                '--block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --dropout=0.0').split()
VARIANTS = {'fast': FAST_CPU, 'fp32': []}
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
    times = [float(t) for t in re.findall(r'^iter \d+: loss [\d.]+, time ([\d.]+)ms', out, re.M)]
    evals = re.findall(r'^step (\d+): train loss ([\d.]+), val loss ([\d.]+)', out, re.M)
    step, train, val = evals[-1]
    val_all, ck_iter = None, None
    ckpt = pathlib.Path(workdir) / 'out-nanogpt' / 'ckpt.pt'
    if ckpt.exists():   # (nanoGPT saves only after an evaluation that improved; none for runs shorter than 250 iterations)
        out = subprocess.run([sys.executable, '-c', NANOGPT_FULL_VAL, str(ckpt)], cwd=workdir, env=env, capture_output=True, text=True)
        if out.returncode == 0: val_all, ck_iter = (float(v) for v in out.stdout.split()[-2:])
        shutil.rmtree(ckpt.parent, ignore_errors=True)
    return dict(ms=statistics.median(times), wall=wall, rss=rss, iters=len(times), train=float(train), val=float(val),
                eval_at=int(step), val_all=val_all, val_all_at=ck_iter)

def run_ours(variant, workdir, iters, threads, env, log_path, seed=1337):
    wd = pathlib.Path(tempfile.mkdtemp(dir=workdir, prefix=f'chargpt-{variant}-'))
    args = NANOGPT_CPU + VARIANTS[variant] + [f'--trainer.max_iters={iters}', f'--trainer.lr_decay_iters={iters}',
            f'--trainer.warmup_iters={warmup(iters)}',
            f'--system.work_dir={wd}', f'--system.seed={seed}', '--trainer.progress=False', '--sample.num_samples=0']
    if threads: args.append(f'--system.num_threads={threads}')
    status, wall, rss = run_process([sys.executable, '-c', OURS, *args], ROOT, env, log_path)
    if status != 0: sys.exit(f'mingpt_chargpt failed (exit {status}); its output is in {log_path}:\n'
                             f'{pathlib.Path(log_path).read_text()[-2000:]}')
    r = json.loads((wd / 'results.json').read_text())
    return dict(ms=r['median_ms_per_iter'], wall=wall, rss=rss, iters=r['iterations'], train=r['train_loss'],
                val=r['val_loss'], eval_at=r['iterations'], val_all=r['eval'].get('val_loss_all'))

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
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory (logs, work_dirs)')
    args = ap.parse_args()

    tmp = pathlib.Path(tempfile.mkdtemp(prefix='bench_nanogpt_'))
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    if args.threads: env['OMP_NUM_THREADS'] = str(args.threads)
    if args.passive: env['OMP_WAIT_POLICY'] = 'PASSIVE'   # idle OpenMP threads sleep instead of spinning
    nano_dir = tmp / 'nanoGPT'
    prepare_nanogpt(args.nanogpt, nano_dir)
    import torch
    print(f'torch {torch.__version__}, {os.cpu_count()} CPUs, threads: {args.threads or "torch default"}, '
          f'OMP_WAIT_POLICY={env.get("OMP_WAIT_POLICY", "default")}, {args.iters} iterations, {args.runs} run(s) each, load average before: {os.getloadavg()[0]:.2f}', flush=True)
    rows = []
    for i in range(args.runs):
        for prog in ['nanoGPT'] + [f'ours-{v}' for v in args.variants]:
            log = tmp / f'{prog}-{i}.log'
            r = (run_nanogpt(nano_dir, args.iters, env, log, seed_offset=i) if prog == 'nanoGPT'
                 else run_ours(prog.split('-', 1)[1], tmp, args.iters, args.threads, env, log, seed=1337 + i))
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
    if args.keep: print(f'logs and work_dirs kept in {tmp}')
    else: shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__': main()
