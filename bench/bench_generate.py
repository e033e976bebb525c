"""Decoding speed: mingpt_nb's KV-cache `generate` vs Hugging Face transformers' `generate` on the same weights.

Batch 1, greedy, 256 new tokens after a 1-token prompt, fp32, 2 threads (set BENCH_THREADS to change).
Prints tokens/s for each and the ratios measured in this run; also mingpt_nb without the cache
(minGPT/nanoGPT's recompute loop) and with bf16 weights. Run: python bench/bench_generate.py [--quick]
"""
import os, sys, time, argparse
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from mingpt_nb.model import GPT, MODEL_PRESETS


def tok_per_s(fn, n_new, repeats):
    fn(8)  # warm-up
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(n_new); best = max(best, n_new / (time.perf_counter() - t0))
    return best


def bench(preset, n_new, repeats, recompute_tokens):
    from transformers import GPT2Config, GPT2LMHeadModel
    p = MODEL_PRESETS[preset]
    torch.manual_seed(0)
    hf = GPT2LMHeadModel(GPT2Config(n_layer=p['n_layer'], n_head=p['n_head'], n_embd=p['n_embd'],
                                    vocab_size=50257, n_positions=1024)).eval()
    ours = GPT.from_hf(hf).eval()
    prompt = torch.ones(1, 1, dtype=torch.long)
    mask = torch.ones_like(prompt)
    with torch.inference_mode():
        # same weights, same greedy tokens
        a = ours.generate(prompt, 32)
        b = hf.generate(prompt, attention_mask=mask, max_new_tokens=32, do_sample=False, pad_token_id=50256)
        assert torch.equal(a, b), 'mingpt_nb and transformers disagree'
        r = {}
        r['transformers (KV cache)'] = tok_per_s(lambda n: hf.generate(prompt, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=50256), n_new, repeats)
        r['mingpt_nb (KV cache)'] = tok_per_s(lambda n: ours.generate(prompt, n), n_new, repeats)
        r['mingpt_nb (recompute, minGPT loop)'] = tok_per_s(lambda n: ours.generate(prompt, n, use_cache=False), recompute_tokens, 1)
        bf = GPT.from_hf(hf).eval().to(torch.bfloat16)
        r['mingpt_nb (KV cache, bf16 weights)'] = tok_per_s(lambda n: bf.generate(prompt, n), n_new, repeats)
    base = r['transformers (KV cache)']
    print(f'\n{preset} ({ours.num_params() / 1e6:.1f}M params), batch 1, {n_new} new tokens, {torch.get_num_threads()} threads')
    for k, v in r.items(): print(f'  {k:<38} {v:8.1f} tok/s   {v / base:5.2f}x transformers')
    return r


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true', help='fewer tokens and repeats')
    ap.add_argument('--presets', default='gpt-mini,gpt2')
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', 2)))
    import transformers; transformers.logging.set_verbosity_error()
    n_new, repeats = (64, 1) if args.quick else (256, 3)
    for preset in args.presets.split(','):
        bench(preset, n_new, repeats, recompute_tokens=32 if preset == 'gpt2' else 64)
