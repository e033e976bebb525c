"""Speculative decoding measured (notebook 13): acceptance and speed-up against the number of drafted tokens k.

Target and draft trained here on one tokenizer (`bench/decode_models.py`: a 6-block, 384-wide target and a 1-block,
64-wide draft, BPE of 2,048 ids on Tiny Shakespeare), with their held-out perplexities. Prompts: 16-token windows of the held-out text. Per k, in
alternating rounds: the target's own greedy `generate` (100 new tokens by default: prompt and continuation fit the context of 128) and `generate(..., draft_model=draft, num_draft=k)`;
the outputs must be the same tokens. Acceptance: the share of drafted tokens the target kept; tokens per round: how many
tokens each pass of the target produced. Targets in fp32 and int8 (`quantize`), the draft in fp32. Then `distilgpt2`
drafting for `gpt2` if both are in the local Hugging Face cache (nothing is downloaded).

    python bench/bench_decode_speculative.py            # trains the two models first if bench/decode_models.py has not
"""
import argparse, os, sys, statistics, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'bench'))
from mingpt_nb.utils import load_result, save_result, conditions, machine_info, md_table

ORDER = 64
NAME = 'decode_speculative'


def measure(target, draft, prompts, ks, rounds, n_new):
    from mingpt_nb.decoding import _speculative_row
    runs = {k: [] for k in ['target alone'] + [f'k={k}' for k in ks]}
    stats = {k: [] for k in ks}
    for r in range(rounds):
        for p in prompts:
            t = time.perf_counter(); ref = target.generate(p, n_new); runs['target alone'].append(n_new / (time.perf_counter() - t))
            for k in ks:
                st = []
                t = time.perf_counter()
                with torch.inference_mode(): out = _speculative_row(target, draft, p, n_new, k, 1.0, False, None, None, None, None, st)
                runs[f'k={k}'].append(n_new / (time.perf_counter() - t))
                if not torch.equal(out, ref): raise RuntimeError(f'speculative decoding changed the tokens (k={k})')
                if r == 0: stats[k] += st
    rows = []
    base = runs['target alone']
    rows.append(dict(k=0, tok_s=statistics.median(base), speedup=1.0, acceptance=None, tokens_per_pass=1.0))
    for k in ks:
        v, st = runs[f'k={k}'], stats[k]
        drafted, kept = sum(a for a, _ in st), sum(b for _, b in st)
        rows.append(dict(k=k, tok_s=statistics.median(v), speedup=statistics.median(a / b for a, b in zip(v, base)),
                         speedup_range=[min(a / b for a, b in zip(v, base)), max(a / b for a, b in zip(v, base))],
                         acceptance=kept / max(drafted, 1), tokens_per_pass=(kept + len(st)) / len(st)))
    return dict(rows=rows, runs=runs)


def hf_pair():
    "distilgpt2 and gpt2 from the local Hugging Face cache only, or the reason they are not there."
    try:
        from huggingface_hub import try_to_load_from_cache
        for repo in ('distilgpt2', 'gpt2'):
            if not isinstance(try_to_load_from_cache(repo, 'config.json'), str): return None, f'{repo} is not in the local Hugging Face cache'
        from mingpt_nb.model import GPT
        return (GPT.from_pretrained('distilgpt2', local_files_only=True).eval(), GPT.from_pretrained('gpt2', local_files_only=True).eval()), None
    except Exception as e: return None, f'{type(e).__name__}: {e}'


def readme_section(results_dir: Path) -> str:
    res = load_result(NAME, results_dir)
    cmd = 'python bench/bench_decode_speculative.py --rounds 3 --prompts 4'
    if res is None: return f'### Speculative decoding\n\nnot measured yet: run `{cmd}`'
    parts = ['### Speculative decoding', '', f"Greedy, {res['n_new']} new tokens, batch 1, {res['threads']} threads; {res['pair']}. "
             'The outputs are the target\'s own tokens (checked on every run).']
    for fmt, r in res['targets'].items():
        rows = [dict(k=str(x['k']) if x['k'] else 'target alone', tok=x['tok_s'], sp=x['speedup'], acc=(100 * x['acceptance']) if x['acceptance'] is not None else None,
                     tpp=x['tokens_per_pass']) for x in r['rows']]
        parts += ['', f'Target in {fmt}:', '', md_table(rows, dict(k='drafted tokens k', tok='tok/s', sp='speed-up', acc='% of drafts kept', tpp='tokens per target pass'), fmt='.2f')]
    parts += ['', f"distilgpt2 drafting for gpt2: {res.get('hf_pair', 'not measured')}", '',
              f"Conditions: {conditions(res['conditions'])}. Reproduce: `{cmd}`"]
    return '\n'.join(parts)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--prompts', type=int, default=2)
    ap.add_argument('--tokens', type=int, default=100)
    ap.add_argument('--ks', default='1,2,3,4,6,8')
    ap.add_argument('--threads', type=int, default=int(os.environ.get('BENCH_THREADS', 2)))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import decode_models as dm
    from mingpt_nb.decoding import quantize, load_kernels
    load_kernels()
    target, draft = dm.model('target'), dm.model('draft')
    held = dm.token_ids()[1]
    prompts = [held[i * 1000:i * 1000 + 16][None] for i in range(args.prompts)]   # 16 tokens: read row by row like every step (exact)
    ks = [int(k) for k in args.ks.split(',')]
    if 16 + args.tokens > target.block_size:
        sys.exit(f'--tokens {args.tokens}: a 16-token prompt plus the new tokens must fit the context of {target.block_size}')
    data = dict(threads=args.threads, n_new=args.tokens, rounds=args.rounds, prompts=args.prompts, machine_start=machine_info(),
                pair='target 6 blocks of 384 and draft 1 block of 64, trained here (bench/decode_models.py), 16-token held-out prompts',
                targets={})
    from mingpt_nb.decoding import perplexity
    data['perplexity'] = {n: perplexity(m, held, dm.BLOCK) for n, m in (('target', target), ('draft', draft))}   # held-out, fp32
    print('held-out perplexity', data['perplexity'], flush=True)
    drf = quantize(draft, 'fp32')
    for fmt in ('fp32', 'int8'):
        data['targets'][fmt] = measure(quantize(target, fmt), drf, prompts, ks, args.rounds, args.tokens)
        print(fmt, [(r['k'], round(r['speedup'], 2), r['acceptance'] and round(r['acceptance'], 2)) for r in data['targets'][fmt]['rows']], flush=True)
    pair, why = hf_pair()
    if pair is None: data['hf_pair'] = f'skipped: {why}'
    else:
        d, g = pair
        p = torch.tensor([[464, 3290, 286, 262]])
        r = measure(quantize(g, 'fp32'), quantize(d, 'fp32'), [p], [4], args.rounds, 64)['rows'][-1]
        data['hf_pair'] = f"k=4: speed-up {r['speedup']:.2f}x, {100 * r['acceptance']:.0f}% of drafts kept"
    path = save_result(NAME, data)
    print(readme_section(path.parent))
