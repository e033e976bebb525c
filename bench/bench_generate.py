"""Decoding speed at batch 1: mingpt_nb's `generate` in fp32, bf16, int8 and int4 vs Hugging Face transformers' fp32
`generate` on the same weights, and the ceiling of each format (a bare sequence of matrix-vector products over
exactly the model's matrices, with the kernels that format uses).

Greedy, 256 new tokens after a 1-token prompt, GPT-2's vocabulary (50,257) and context (1,024), 2 threads
(BENCH_THREADS changes it). Everything is timed in alternating rounds in one process (`--repeats` rounds) and each ratio
is the median of the per-round ratios, so that load on a shared machine hits every decoder alike. The rows
(see nbs/13_fast_decoding.ipynb):

  transformers fp32 generate   the baseline
  fp32 generate                GPT.generate with a KV cache (notebook 03)
  fp32 lean step               the same weights, the lean one-token step of `mingpt_nb.decoding.use_fast_decode`
  bf16 model.to(bf16)          plain bf16 weights, GPT.generate
  bf16 / int8 / int4 / int8-dyn quantize()   `mingpt_nb.decoding.quantize(model, fmt)` (lean step included)
  ceiling: X                   the bare matvec pass of decoder X, in passes/s (= tokens/s if nothing else took time)

"of its ceiling" is a decoder's tokens/s over its own ceiling's passes/s, same rounds. The roofline lines divide the
measured memory read bandwidth by the bytes of weights each format reads per token. Also printed: minGPT's loop
(recompute the whole context and all its logits for every token), against transformers.

    python bench/bench_generate.py                  # gpt-mini and gpt2 (124M)
    python bench/bench_generate.py --presets gpt2 --repeats 5
    BENCH_THREADS=1 python bench/bench_generate.py --presets gpt2
"""
import os, sys, time, argparse, statistics
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from mingpt_nb.model import GPT, MODEL_PRESETS
from mingpt_nb.decoding import decode_table, format_table, read_bandwidth

FORMAT_BYTES = {'fp32': 4, 'bf16': 2, 'int8': 1, 'int4': 0.5}


@torch.no_grad()
def mingpt_loop(model, idx, max_new_tokens):
    "minGPT's generate: forward the whole cropped context (logits at every position), keep the last."
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= model.block_size else idx[:, -model.block_size:]
        logits, _ = model(idx_cond)
        idx = torch.cat((idx, logits[:, -1].argmax(-1, keepdim=True)), dim=1)
    return idx


def bench(preset, n_new, repeats, loop_tokens, bandwidth):
    p = MODEL_PRESETS[preset]
    t0 = time.perf_counter()
    rows = decode_table(preset, n_new=n_new, repeats=repeats)
    n_weights = 12 * p['n_embd'] ** 2 * p['n_layer'] + 50257 * p['n_embd']
    print(f'\n{preset} ({n_weights / 1e6:.1f}M matrix weights), batch 1, {n_new} new tokens, {torch.get_num_threads()} threads, '
          f'{repeats} alternating rounds (medians), load average at start {os.getloadavg()[0]:.1f}, {time.perf_counter() - t0:.0f} s')
    print(format_table(rows))
    base = next(r['tok_s'] for r in rows if r['name'] == 'transformers fp32 generate')
    print(f'roofline (read bandwidth {bandwidth:.0f} GB/s / weight bytes per token): ' +
          ', '.join(f'{k} {bandwidth * 1e9 / (n_weights * b):.0f} tok/s' for k, b in FORMAT_BYTES.items()))
    if loop_tokens:
        torch.manual_seed(0)
        c = GPT.get_default_config()
        c.merge_from_dict({**p, 'vocab_size': 50257, 'block_size': 1024, 'tie_weights': True})
        model, prompt = GPT(c).eval(), torch.ones(1, 1, dtype=torch.long)
        mingpt_loop(model, prompt, 2)
        t = time.perf_counter(); mingpt_loop(model, prompt, loop_tokens); rate = loop_tokens / (time.perf_counter() - t)
        print(f'minGPT loop (recompute), {loop_tokens} tokens: {rate:.1f} tok/s, {rate / base:.2f}x transformers (not alternated)')
    return rows


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--presets', default='gpt-mini,gpt2')
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--no-loop', action='store_true', help="skip minGPT's recompute loop")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', 2)))
    import transformers; transformers.logging.set_verbosity_error()
    bw = read_bandwidth()
    for preset in args.presets.split(','):
        bench(preset, args.tokens, args.repeats, 0 if args.no_loop else (32 if preset.startswith('gpt2') else 128), bw)
