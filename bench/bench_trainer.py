"""Benchmark the mingpt_nb Trainer against a plain PyTorch loop, and float32 vs bfloat16 vs torch.compile.

    python bench/bench_trainer.py                 # about 3-4 minutes on a 2-core CPU
    python bench/bench_trainer.py --quick         # a smoke run (about a minute, mostly torch.compile)
    python bench/bench_trainer.py --threads 1 --iters 200 --plot curves.png

Models: character-level GPTs on tiny Shakespeare (the copy packaged in mingpt_nb), dropout 0, block 64, batch 12:
  baby  = 4 layers, 4 heads, 128 channels (nanoGPT's CPU "baby" config), 0.8M parameters
  small = 6 layers, 6 heads, 384 channels (nanoGPT's shakespeare_char width), 10.7M parameters

1. Overhead (baby model): time per iteration of `Trainer.run()` and of a hand-written loop doing the same work (same model
   init, same batches, forward, backward, clip at 1.0, AdamW step), measured in the same process in alternating
   chunks so that machine load affects both alike; the ratio is median(trainer) / median(plain).
2. Peak memory (baby model): each loop runs in a fresh child process; reported is the child's peak resident set size
   (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes Python and torch themselves) and its growth
   during the loop (peak RSS minus RSS before the first iteration).
3. Precision and compile, for both models: the Trainer with dtype float32 / bfloat16, with and without compile=True, from the same
   init on the same batches, run in round-robin chunks: median time per chunk-iteration (without the first chunk,
   which compiles) and the mean loss of the last 20 iterations.
4. Matrix products alone: a 512x512 and a 128x128 float32 vs bfloat16 matmul (median of alternating rounds), the kernel
   speed that the precision results above rest on.

Everything measured, every raw chunk time included, goes to bench/results/trainer.json (notebook 05 and the README
render their tables from it).
"""
import argparse, json, os, pathlib, resource, statistics, subprocess, sys, time
import torch
from torch.utils.data import Dataset

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mingpt_nb.model import GPT
from mingpt_nb.trainer import Trainer, sample_indices, fused_adamw
from mingpt_nb.utils import set_seed, save_result, load_result, md_table, conditions

ORDER = 50   # place in the README's results section (bench/report.py)


class CharDataset(Dataset):
    "Chunks of `block_size + 1` characters: x is the chunk without its last character, y without its first."
    def __init__(self, text, block_size):
        chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(chars)}
        self.data = torch.tensor([self.stoi[c] for c in text], dtype=torch.long)
        self.block_size, self.vocab_size = block_size, len(chars)
    def __len__(self): return len(self.data) - self.block_size
    def __getitem__(self, i):
        chunk = self.data[i:i + self.block_size + 1]
        return chunk[:-1], chunk[1:]

def load_text():
    from mingpt_nb.utils import tiny_shakespeare
    return tiny_shakespeare(), 'tinyshakespeare.txt (packaged in mingpt_nb)'

SIZES = {'baby': (4, 4, 128), 'small': (6, 6, 384)}

def make(args, size='baby'):
    text, source = load_text()
    ds = CharDataset(text, args.block_size)
    set_seed(0)
    cfg = GPT.get_default_config()
    cfg.model_type = None
    cfg.n_layer, cfg.n_head, cfg.n_embd = SIZES[size]
    cfg.vocab_size, cfg.block_size = ds.vocab_size, args.block_size
    cfg.embd_pdrop = cfg.resid_pdrop = cfg.attn_pdrop = 0.0
    return ds, GPT(cfg), source

def trainer_config(args, **kw):
    c = Trainer.get_default_config()
    c.merge_from_dict(dict(device='cpu', num_workers=0, batch_size=args.batch_size, learning_rate=1e-3, seed=0,
                           progress=False, max_iters=0))
    c.merge_from_dict(kw)
    return c

class PlainLoop:
    "The hand-written loop: same batches (the Trainer's data order), forward, backward, clip, AdamW."
    def __init__(self, model, ds, args, seed=0):
        self.model, self.ds, self.B, self.seed, self.pos = model, ds, args.batch_size, seed, 0
        self.opt = fused_adamw(model.configure_optimizers(trainer_config(args)))   # the optimizer the Trainer uses: like for like
        self.losses = []
    def run(self, n):
        model, opt = self.model, self.opt
        model.train()
        for _ in range(n):
            idx = sample_indices(self.seed, self.pos, self.B, len(self.ds)); self.pos += self.B
            x, y = (torch.stack(t) for t in zip(*[self.ds[i] for i in idx]))
            _, loss = model(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            self.losses.append(loss.item())

def matmul_ms(n, dtype, reps=200):
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(5): a @ b
    t0 = time.perf_counter()
    for _ in range(reps): a @ b
    return (time.perf_counter() - t0) / reps * 1000

def run_chunk(runner, n):
    t0 = time.perf_counter()
    if isinstance(runner, Trainer): runner.config.max_iters += n; runner.run()
    else: runner.run(n)
    return (time.perf_counter() - t0) / n

def rss_mib(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

def current_rss_mib():
    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20

def child_main(args):
    ds, model, _ = make(args)
    before = current_rss_mib()
    runner = Trainer(trainer_config(args), model, ds) if args.child == 'trainer' else PlainLoop(model, ds, args)
    run_chunk(runner, args.mem_iters)
    print(json.dumps({'peak_rss_mib': rss_mib(), 'growth_mib': rss_mib() - before}))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: torch default)')
    p.add_argument('--iters', type=int, default=200, help='iterations per precision/compile variant, baby model')
    p.add_argument('--iters_small', type=int, default=80, help='iterations per precision/compile variant, small model')
    p.add_argument('--rounds', type=int, default=8, help='alternating chunks for the overhead measurement')
    p.add_argument('--chunk', type=int, default=20, help='iterations per chunk')
    p.add_argument('--batch_size', type=int, default=12)
    p.add_argument('--block_size', type=int, default=64)
    p.add_argument('--mem_iters', type=int, default=30)
    p.add_argument('--no_compile', action='store_true')
    p.add_argument('--quick', action='store_true', help='tiny sizes, to check that the script runs')
    p.add_argument('--plot', default=None, help='write the loss curves to this PNG')
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.quick: args.iters, args.iters_small, args.rounds, args.chunk, args.mem_iters = 20, 10, 2, 5, 5
    if args.threads: torch.set_num_threads(args.threads)
    if args.child: return child_main(args)

    ds, _, source = make(args)
    print(f'data: {source}; {len(ds):,} examples, vocab {ds.vocab_size}')
    print(f'batch {args.batch_size} x block {args.block_size}; torch {torch.__version__}, {torch.get_num_threads()} threads')

    def fresh_model(size='baby'):
        return make(args, size)[1]  # same seed: same init every time

    result = dict(args=vars(args), data=source)
    # 1. overhead, interleaved
    tr = Trainer(trainer_config(args), fresh_model(), ds)
    plain = PlainLoop(fresh_model(), ds, args)
    run_chunk(tr, 3); run_chunk(plain, 3)  # warm-up
    t_tr, t_pl = [], []
    for _ in range(args.rounds):
        t_pl.append(run_chunk(plain, args.chunk)); t_tr.append(run_chunk(tr, args.chunk))
    m_tr, m_pl = statistics.median(t_tr), statistics.median(t_pl)
    same = tr.history['loss'][:len(plain.losses)] == plain.losses[:len(tr.history['loss'])]
    print('\n1. Trainer vs plain loop (float32, same batches, median of %d chunks of %d iterations)' % (args.rounds, args.chunk))
    print(f'   plain loop {m_pl * 1000:8.2f} ms/iter')
    print(f'   Trainer    {m_tr * 1000:8.2f} ms/iter')
    print(f'   overhead ratio {m_tr / m_pl:.3f}  ({(m_tr / m_pl - 1) * 100:+.1f}%; target < 5%: {"met" if m_tr / m_pl < 1.05 else "NOT met"}); identical losses: {same}')
    result['overhead'] = dict(plain_ms=[t * 1000 for t in t_pl], trainer_ms=[t * 1000 for t in t_tr], plain_median_ms=m_pl * 1000,
                              trainer_median_ms=m_tr * 1000, ratio=m_tr / m_pl, identical_losses=same)

    # 2. memory, one child process per loop
    print('\n2. Peak memory (child process peak RSS from getrusage ru_maxrss; growth = peak - RSS before the loop)')
    for which in ('plain', 'trainer'):
        cmd = [sys.executable, __file__, '--child', which, '--mem_iters', str(args.mem_iters),
               '--batch_size', str(args.batch_size), '--block_size', str(args.block_size)] + (['--threads', str(args.threads)] if args.threads else [])
        out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        print(f"   {which:8s} peak RSS {out['peak_rss_mib']:7.1f} MiB, growth {out['growth_mib']:6.1f} MiB")
        result.setdefault('memory', {})[which] = out

    # 3. precision and compile
    variants = [('float32', False), ('bfloat16', False)] + ([] if args.no_compile else [('float32', True), ('bfloat16', True)])
    curves = {}
    for size, iters in (('baby', args.iters), ('small', args.iters_small)):
        nparams = sum(p.numel() for p in fresh_model(size).parameters()) / 1e6
        print(f'\n3. Precision and compile, {size} model ({SIZES[size]} = {nparams:.2f}M parameters; Trainer, {iters} iterations each, same init and batches)')
        print('   | model | dtype | compile | ms/iter | speed-up vs float32 | mean loss, last 20 iters |')
        print('   |---|---|---|---|---|---|')
        trainers, times, failed = {}, {}, set()
        for v in variants:
            trainers[v] = Trainer(trainer_config(args, dtype=v[0], compile=v[1]), fresh_model(size), ds)
            times[v] = []
        done = 0
        while done < iters:  # round-robin chunks, so that changes in machine load hit every variant alike
            n = min(args.chunk, iters - done)
            for v in variants:
                if v in failed: continue
                try: times[v].append(run_chunk(trainers[v], n))
                except Exception as e:  # e.g. no C++ compiler for inductor
                    failed.add(v); print(f'   | {size} | {v[0]} | {v[1]} | failed: {type(e).__name__}: {str(e)[:80]} | | |')
            done += n
        base = None
        for v in variants:
            if v in failed: continue
            med = statistics.median(times[v][1:] if len(times[v]) > 1 else times[v])  # the first chunk compiles
            base = base or med
            L = trainers[v].history['loss']
            curves[f'{size} {v[0]}{" + compile" if v[1] else ""}'] = L
            print(f'   | {size} | {v[0]} | {v[1]} | {med * 1000:.1f} | {base / med:.2f}x | {sum(L[-20:]) / len(L[-20:]):.4f} |', flush=True)
            result.setdefault('precision', []).append(dict(model=size, dims=SIZES[size], params_m=round(nparams, 3), iters=iters,
                dtype=v[0], compile=v[1], chunk_ms=[t * 1000 for t in times[v]], median_ms=med * 1000, speedup=base / med,
                final_loss=sum(L[-20:]) / len(L[-20:])))
    # 4. the kernels
    mm = {f'{n}_{d}': [] for n in (128, 512) for d in ('float32', 'bfloat16')}
    for _ in range(5):
        for n in (128, 512):
            for d in ('float32', 'bfloat16'): mm[f'{n}_{d}'].append(matmul_ms(n, getattr(torch, d)))
    result['matmul_ms'] = {k: dict(runs=v, median=statistics.median(v)) for k, v in mm.items()}
    print('\n4. matmul ms (median of 5 alternating rounds): ' + ', '.join(f'{k} {v["median"]:.3f}' for k, v in result['matmul_ms'].items()))
    if not args.quick: print('results written to', save_result('trainer', result))
    if args.plot:
        import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
        fig, axs = plt.subplots(1, 2, figsize=(11, 3.5))
        for k, L in curves.items(): axs[0 if k.startswith('baby') else 1].plot(L, label=k, alpha=0.7)
        for ax in axs: ax.set_xlabel('iteration'); ax.set_ylabel('train loss'); ax.legend()
        fig.tight_layout(); fig.savefig(args.plot)
        print(f'\nloss curves written to {args.plot}')

def rows(r):
    "The precision table of a results file, one row per (model, dtype, compile)."
    return [dict(model=f"{p['model']} ({p['dims'][0]}x{p['dims'][2]}, {p['params_m']:.2f}M)", dtype=p['dtype'], compile='yes' if p['compile'] else 'no',
                 ms=p['median_ms'], speedup=p['speedup'], loss=p['final_loss']) for p in r['precision']]

def readme_section(results_dir) -> str:
    r = load_result('trainer', results_dir)
    if r is None: return '### Trainer\n\nnot measured yet: run `python bench/bench_trainer.py`'
    o, c = r['overhead'], r['conditions']
    bf = {p['model']: p['speedup'] for p in r['precision'] if p['dtype'] == 'bfloat16' and not p['compile']}
    return '\n'.join([
        '### The Trainer (`python bench/bench_trainer.py`)', '',
        md_table([dict(what='Trainer vs a hand-written loop (same model, batches, fused AdamW), baby model, float32',
                       base=f"{o['plain_median_ms']:.1f} ms/iter", ours=f"{o['trainer_median_ms']:.1f} ms/iter", ratio=f"{o['ratio']:.2f}x"),
                  *[dict(what=f'bfloat16 autocast vs float32, {m} model', base='float32', ours='bfloat16', ratio=f'{s:.2f}x faster')
                    for m, s in bf.items()]], {'what': 'what', 'base': 'baseline', 'ours': 'mingpt_nb', 'ratio': 'ratio'}), '',
        f"Measured {c['date'][:10]}: {conditions(c)}."])

if __name__ == '__main__': main()
