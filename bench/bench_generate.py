"""Decoding speed: mingpt_nb's KV-cache `generate` vs Hugging Face transformers' `generate` on the same weights.

Batch 1, greedy, 256 new tokens after a 1-token prompt, fp32, 2 threads (BENCH_THREADS changes it), GPT-2's
vocabulary (50,257) and context (1,024). The two are timed alternately, `--repeats` times, and the ratio is the median
of the per-round ratios, so that load on the machine affects both alike. Also shown, each against transformers:
minGPT's loop (recompute the whole cropped context and all its logits for every token) and our cache with bf16 weights.

    python bench/bench_generate.py                  # gpt-mini and gpt2 (124M)
    python bench/bench_generate.py --presets gpt2 --repeats 5
"""
import os, sys, time, argparse, statistics
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from mingpt_nb.model import GPT, MODEL_PRESETS


@torch.no_grad()
def mingpt_loop(model, idx, max_new_tokens):
    "minGPT's generate: forward the whole cropped context (logits at every position), keep the last."
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= model.block_size else idx[:, -model.block_size:]
        logits, _ = model(idx_cond)
        idx = torch.cat((idx, logits[:, -1].argmax(-1, keepdim=True)), dim=1)
    return idx


def timed(fn, n):
    t0 = time.perf_counter(); fn(n); return n / (time.perf_counter() - t0)


def bench(preset, n_new, repeats, loop_tokens):
    from transformers import GPT2Config, GPT2LMHeadModel
    p = MODEL_PRESETS[preset]
    torch.manual_seed(0)
    hf = GPT2LMHeadModel(GPT2Config(n_layer=p['n_layer'], n_head=p['n_head'], n_embd=p['n_embd'],
                                    vocab_size=50257, n_positions=1024)).eval()
    ours = GPT.from_hf(hf).eval()
    ours_bf16 = GPT.from_hf(hf).eval().to(torch.bfloat16)
    prompt = torch.ones(1, 1, dtype=torch.long)
    mask = torch.ones_like(prompt)
    runs = {
        'transformers generate (KV cache)': lambda n: hf.generate(prompt, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                                                                  do_sample=False, pad_token_id=50256),
        'mingpt_nb generate (KV cache)': lambda n: ours.generate(prompt, n),
        'mingpt_nb generate, bf16 weights': lambda n: ours_bf16.generate(prompt, n),
    }
    with torch.inference_mode():
        a = ours.generate(prompt, 32)
        b = runs['transformers generate (KV cache)'](32)
        assert torch.equal(a, b), 'mingpt_nb and transformers disagree on the greedy tokens'
        assert torch.equal(mingpt_loop(ours, prompt, 16), a[:, :17]), "minGPT's loop disagrees"
        for f in runs.values(): f(8)  # warm-up
        speeds = {k: [] for k in runs}
        for _ in range(repeats):
            for k, f in runs.items(): speeds[k].append(timed(f, n_new))
        loop = timed(lambda n: mingpt_loop(ours, prompt, n), loop_tokens)
    base = speeds['transformers generate (KV cache)']
    print(f'\n{preset} ({ours.num_params() / 1e6:.1f}M params), batch 1, {n_new} new tokens, '
          f'{torch.get_num_threads()} threads, {repeats} alternating rounds (median)')
    for k, v in speeds.items():
        ratio = statistics.median(x / y for x, y in zip(v, base))
        print(f'  {k:<36} {statistics.median(v):8.1f} tok/s   {ratio:5.2f}x transformers')
    print(f"  {'minGPT loop (recompute), ' + str(loop_tokens) + ' tokens':<36} {loop:8.1f} tok/s   "
          f'{loop / statistics.median(base):5.2f}x transformers')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--presets', default='gpt-mini,gpt2')
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', 2)))
    import transformers; transformers.logging.set_verbosity_error()
    for preset in args.presets.split(','):
        bench(preset, args.tokens, args.repeats, loop_tokens=32 if preset.startswith('gpt2') else 128)
