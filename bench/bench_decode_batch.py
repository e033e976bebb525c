"""Batches and the KV cache (notebook 13): where decoding turns from reading weights to computing, prefill against decode,
and a bf16 KV cache.

1. Batch sweep, GPT-2 124M (random weights), fp32 and int4: tokens/s of B sequences decoded together (64 new tokens after a
   1-token prompt, the lean step) for B = 1 ... 64, through our matrix-vector kernels (which read each weight once per
   step and multiply it by all B rows) and through PyTorch's matrix-matrix products; alternating rounds.
2. Prefill against decode: tokens/s of a 512-token prompt in one pass against one token at a time.
3. A bf16 KV cache (`generate(..., cache_dtype=torch.bfloat16)`): speed against an fp32 cache with a long context
   (a 768-token prompt, 128 new tokens, the general path for both), and held-out perplexity of the trained `target`
   (`bench/decode_models.py`) with its keys and values stored in bf16.

    python bench/bench_decode_batch.py
"""
import argparse, os, sys, statistics, time, math
from pathlib import Path
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'bench'))
from mingpt_nb.utils import load_result, save_result, conditions, machine_info, md_table

ORDER = 66
NAME = 'decode_batch'


def gpt2(seed=0):
    from mingpt_nb.model import GPT
    torch.manual_seed(seed)
    c = GPT.get_default_config(); c.merge_from_dict(dict(model_type='gpt2', tie_weights=True))
    return GPT(c).eval()


def batch_sweep(model, batches, formats, rounds, n_new=64):
    from mingpt_nb.decoding import quantize, use_kernels
    runs = {}
    models = {f: quantize(model, f) for f in formats}
    for r in range(rounds):
        for B in batches:
            prompt = torch.ones(B, 1, dtype=torch.long)
            for f, m in models.items():
                for ours in (True, False):
                    with use_kernels(ours, max_rows=10**6):
                        if r == 0: m.generate(prompt, 2)
                        t = time.perf_counter(); m.generate(prompt, n_new); dt = time.perf_counter() - t
                    runs.setdefault(f'{f} {"ours" if ours else "PyTorch"} B={B}', []).append(B * n_new / dt)
        print(f'round {r + 1}: ' + ', '.join(f'{k} {v[-1]:.0f}' for k, v in runs.items() if k.startswith('fp32')), flush=True)
    return {k: dict(median=statistics.median(v), runs=v) for k, v in runs.items()}


@torch.inference_mode()
def prefill_vs_decode(model, formats, rounds, n_prompt=512, n_new=128):
    from mingpt_nb.decoding import quantize
    from mingpt_nb.attention import KVCache
    out = {}
    prompt = torch.randint(0, 50257, (1, n_prompt), generator=torch.Generator().manual_seed(0))
    for f in formats:
        m = quantize(model, f)
        c = m.config
        pre, dec = [], []
        m.generate(prompt[:, :1], 4)
        for _ in range(rounds):
            cache = KVCache(c.n_layer, 1, c.n_head, n_prompt, c.n_embd // c.n_head, dtype=torch.float32)
            t = time.perf_counter(); m.lm_head(m.hidden_states(prompt, cache)[:, -1]); pre.append(n_prompt / (time.perf_counter() - t))
            t = time.perf_counter(); m.generate(prompt[:, :1], n_new); dec.append(n_new / (time.perf_counter() - t))
        out[f] = dict(prefill=statistics.median(pre), decode=statistics.median(dec), prefill_runs=pre, decode_runs=dec)
    return out


def kv_cache_speed(model, rounds, n_prompt=768, n_new=128):
    prompt = torch.randint(0, 50257, (1, n_prompt), generator=torch.Generator().manual_seed(0))
    runs = {'fp32 cache': [], 'bf16 cache': []}
    model.generate(prompt[:, :8], 4)
    for _ in range(rounds):
        for name, dt in (('fp32 cache', torch.float32), ('bf16 cache', torch.bfloat16)):
            t = time.perf_counter(); model.generate(prompt, n_new, cache_dtype=dt); runs[name].append(n_new / (time.perf_counter() - t))
    return dict(n_prompt=n_prompt, n_new=n_new, runs=runs, medians={k: statistics.median(v) for k, v in runs.items()},
                ratio=statistics.median(b / a for a, b in zip(runs['fp32 cache'], runs['bf16 cache'])))


@torch.inference_mode()
def kv_cache_quality():
    "Held-out perplexity of the trained target with its keys and values stored in fp32 and in bf16 (windows of its context, all scored)."
    import decode_models as dm
    from mingpt_nb.attention import KVCache
    model, ids = dm.model('target'), dm.token_ids()[1]
    c, n = model.config, dm.BLOCK
    out = {}
    for name, dt in (('fp32 cache', torch.float32), ('bf16 cache', torch.bfloat16)):
        total, count = 0.0, 0
        for s in range(0, len(ids) - n - 1, n * 8):
            rows = torch.stack([ids[i:i + n + 1] for i in range(s, min(s + 8 * n, len(ids) - n - 1), n)])
            cache = KVCache(c.n_layer, rows.size(0), c.n_head, n, c.n_embd // c.n_head, dtype=dt)
            logits = model.lm_head(model.hidden_states(rows[:, :-1], cache))
            total += F.cross_entropy(logits.flatten(0, 1).float(), rows[:, 1:].flatten(), reduction='sum').item(); count += rows[:, 1:].numel()
        out[name] = math.exp(total / count)
    out['change'] = out['bf16 cache'] / out['fp32 cache'] - 1
    return out


def readme_section(results_dir: Path) -> str:
    res = load_result(NAME, results_dir)
    cmd = 'python bench/bench_decode_batch.py --rounds 2 --batches 1,8,64'
    if res is None: return f'### Batches and the KV cache\n\nnot measured yet: run `{cmd}`'
    sw = res['sweep']
    rows = []
    for B in res['batches']:
        row = dict(B=B)
        for f in res['formats']:
            for e in ('ours', 'PyTorch'): row[f'{f} {e}'] = sw[f'{f} {e} B={B}']['median']
        rows.append(row)
    cols = {'B': 'batch'} | {f'{f} {e}': f'{f} {e} tok/s' for f in res['formats'] for e in ('ours', 'PyTorch')}
    kv = res['kv_speed']
    lines = ['### Batches and the KV cache', '', f"GPT-2 124M (random weights), {res['threads']} threads, {res['n_new']} new tokens per sequence; "
             'tokens/s summed over the batch (medians of alternating rounds).', '', md_table(rows, cols, fmt='.0f'), '',
             f"bf16 KV cache, {kv['n_prompt']}-token prompt + {kv['n_new']} new tokens: {kv['ratio']:.2f}x the speed of an fp32 cache" +
             (f"; held-out perplexity of the trained target {100 * res['kv_quality']['change']:+.3f}%" if res.get('kv_quality') else ''),
             '', f"Conditions: {conditions(res.get('timing_conditions') or res['conditions'])}. Reproduce: `{cmd}`"]
    return '\n'.join(lines)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--batches', default='1,2,4,8,16,32,64')
    ap.add_argument('--formats', default='fp32,int4')
    ap.add_argument('--threads', type=int, default=int(os.environ.get('BENCH_THREADS', 2)))
    ap.add_argument('--no-quality', action='store_true')
    ap.add_argument('--quality-only', action='store_true', help='add the bf16-cache perplexity to the existing results (no timing)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.quality_only:
        old = load_result(NAME)
        if old is None: sys.exit('no bench/results/decode_batch.json yet: run the timings first')
        old.pop('name'); old['kv_quality'] = kv_cache_quality(); old['timing_conditions'] = old.pop('timing_conditions', None) or old.pop('conditions')
        old.pop('conditions', None)
        print(readme_section(save_result(NAME, old).parent)); sys.exit(0)
    from mingpt_nb.decoding import load_kernels
    load_kernels()
    model = gpt2()
    batches, formats = [int(b) for b in args.batches.split(',')], args.formats.split(',')
    data = dict(threads=args.threads, batches=batches, formats=formats, n_new=64, rounds=args.rounds, machine_start=machine_info())
    data['sweep'] = batch_sweep(model, batches, formats, args.rounds)
    data['prefill_decode'] = prefill_vs_decode(model, ('fp32', 'bf16', 'int8', 'int4'), args.rounds)
    print('prefill vs decode', {f: (round(v['prefill']), round(v['decode'])) for f, v in data['prefill_decode'].items()}, flush=True)
    data['kv_speed'] = kv_cache_speed(model, args.rounds); print('kv speed', data['kv_speed']['medians'], flush=True)
    if not args.no_quality: data['kv_quality'] = kv_cache_quality(); print('kv quality', data['kv_quality'], flush=True)
    path = save_result(NAME, data)
    print(readme_section(path.parent))
