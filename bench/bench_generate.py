"""Decoding speed at batch 1: mingpt_nb's `generate` against Hugging Face transformers' `generate` in fp32 and in bf16, on
the same weights (notebook 13).

Greedy, 256 new tokens after a 1-token prompt, GPT-2's shape (124M; `--presets` for others), 2 threads (BENCH_THREADS
changes it). Every decoder is timed in alternating rounds in one process (`--repeats` rounds) and each ratio is the
median of the per-round ratios, so that load on a shared machine hits all alike. The rows:

  transformers fp32 / bf16     GPT2LMHeadModel.generate, the model in float32 / in bfloat16
  fp32 generate                GPT.generate with a KV cache (notebook 03), PyTorch's kernels
  fp32 lean step               the same weights, the lean one-token step of `use_fast_decode`
  F quantize(), ours           `quantize(model, F)`: our matrix-vector kernels (F = fp32, bf16, int8, int4)
  F quantize(), PyTorch        the same model with PyTorch's kernels (`use_kernels(False)`), and int8-dyn (torch.ao)

Also printed, not alternated: minGPT's loop (recompute the whole context and all its logits for every token).

    python bench/bench_generate.py                       # gpt2 (124M)
    python bench/bench_generate.py --presets gpt-mini,gpt2 --repeats 5
"""
import copy, os, sys, time, argparse, statistics
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mingpt_nb.utils import load_result, save_result, conditions, machine_info, md_table

ORDER = 61
NAME = 'generate'


@torch.no_grad()
def mingpt_loop(model, idx, max_new_tokens):
    "minGPT's generate: forward the whole cropped context (logits at every position), keep the last."
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= model.block_size else idx[:, -model.block_size:]
        logits, _ = model(idx_cond)
        idx = torch.cat((idx, logits[:, -1].argmax(-1, keepdim=True)), dim=1)
    return idx


def decoders(preset):
    "name -> (model, use our kernels) for every decoder in the table; the transformers models first."
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel
    from mingpt_nb.model import GPT, MODEL_PRESETS
    from mingpt_nb.decoding import quantize, use_fast_decode
    transformers.logging.set_verbosity_error()
    p = MODEL_PRESETS[preset]
    torch.manual_seed(0)
    hf = GPT2LMHeadModel(GPT2Config(n_layer=p['n_layer'], n_head=p['n_head'], n_embd=p['n_embd'], vocab_size=50257, n_positions=1024)).eval()
    fp32 = GPT.from_hf(hf).eval()
    out = {'transformers fp32': (hf, False), 'transformers bf16': (copy.deepcopy(hf).to(torch.bfloat16), False),
           'fp32 generate': (fp32, False), 'fp32 lean step': (use_fast_decode(copy.deepcopy(fp32)), False)}
    for f in ('fp32', 'bf16', 'int8', 'int4'):
        q = quantize(fp32, f)
        out[f'{f} quantize(), ours'], out[f'{f} quantize(), PyTorch'] = (q, True), (q, False)
    out['int8-dyn quantize(), PyTorch'] = (quantize(fp32, 'int8-dyn'), False)
    return out, hf, fp32


def run(preset, n_new, repeats):
    from mingpt_nb.decoding import use_kernels, alternate
    models, hf, fp32 = decoders(preset)
    prompt = torch.ones(1, 1, dtype=torch.long)
    mask = torch.ones_like(prompt)
    def fn(name, m, ours):
        if name.startswith('transformers'):
            return lambda: m.generate(prompt, attention_mask=mask, max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False, pad_token_id=50256)
        def go():
            with use_kernels(ours): m.generate(prompt, n_new)
        return go
    with torch.inference_mode():
        if not torch.equal(hf.generate(prompt, attention_mask=mask, max_new_tokens=16, do_sample=False, pad_token_id=50256), fp32.generate(prompt, 16)):
            raise RuntimeError('mingpt_nb and transformers disagree on the greedy tokens')
    times = alternate({k: fn(k, m, ours) for k, (m, ours) in models.items()}, repeats)
    rate = {k: [n_new / t for t in v] for k, v in times.items()}
    rows = []
    for k, v in rate.items():
        rows.append(dict(name=k, tok_s=statistics.median(v), runs=v,
                         x_transformers_fp32=statistics.median(a / b for a, b in zip(v, rate['transformers fp32'])),
                         x_transformers_bf16=statistics.median(a / b for a, b in zip(v, rate['transformers bf16']))))
    return rows


def readme_section(results_dir: Path) -> str:
    res = load_result(NAME, results_dir)
    cmd = 'python bench/bench_generate.py --repeats 3 --tokens 64'
    if res is None: return f'### Decoding speed against transformers\n\nnot measured yet: run `{cmd}`'
    parts = ['### Decoding speed against transformers', '']
    for preset, r in res['presets'].items():
        parts += [f"{preset}, batch 1, greedy, {res['n_new']} new tokens, {res['threads']} threads, {res['repeats']} alternating rounds (medians):", '',
                  md_table(r['rows'], dict(name='decoder', tok_s='tok/s', x_transformers_fp32='x transformers fp32', x_transformers_bf16='x transformers bf16'),
                           fmt=dict(tok_s='.1f', x_transformers_fp32='.2f', x_transformers_bf16='.2f')), '']
    parts += [f"Conditions: {conditions(res['conditions'])}. Reproduce: `{cmd}`"]
    return '\n'.join(parts)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--presets', default='gpt2')
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--loop', action='store_true', help="also time minGPT's recompute loop (not alternated)")
    args = ap.parse_args()
    threads = int(os.environ.get('BENCH_THREADS', 2))
    torch.set_num_threads(threads)
    from mingpt_nb.decoding import load_kernels
    load_kernels()
    data = dict(threads=threads, n_new=args.tokens, repeats=args.repeats, machine_start=machine_info(), presets={})
    for preset in args.presets.split(','):
        t0 = time.perf_counter()
        rows = run(preset, args.tokens, args.repeats)
        data['presets'][preset] = dict(rows=rows, seconds=round(time.perf_counter() - t0))
        if args.loop:
            from mingpt_nb.model import GPT, MODEL_PRESETS
            torch.manual_seed(0)
            c = GPT.get_default_config(); c.merge_from_dict({**MODEL_PRESETS[preset], 'vocab_size': 50257, 'block_size': 1024})
            m, p, n = GPT(c).eval(), torch.ones(1, 1, dtype=torch.long), 32
            mingpt_loop(m, p, 2); t = time.perf_counter(); mingpt_loop(m, p, n)
            data['presets'][preset]['mingpt_loop_tok_s'] = n / (time.perf_counter() - t)
    path = save_result(NAME, data)
    print(readme_section(path.parent))
