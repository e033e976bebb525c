"""CUDA checks of the model: run on a machine with an NVIDIA GPU (CI has none). Prints PASS/FAIL lines and timings.

    python bench/check_cuda.py

1. fp32 forward on the GPU equals the CPU forward; the loss backward runs.
2. Greedy generation with the KV cache equals recomputation, past block_size, in fp32 (dense and banded layers).
3. bf16 / fp16 weights: cached vs recomputed generation agree (low precision may legitimately flip near-ties, so the
   agreement is reported), and autocast training steps run on the flash-attention kernel with dropout.
4. torch.compile(model): forward/backward match eager.
5. Speculative decoding on the GPU (notebook 13): the target's own greedy tokens with a random draft; a bf16 KV cache.
6. Parity with transformers' GPT-2 on the GPU, and decode speed (batch 1, 256 tokens) vs transformers, fp32 and bf16.
"""
import os, sys, time
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from mingpt_nb.model import GPT   # importing the package attaches GPT._speculative (notebook 13)

failures = []
def check(name, ok, extra=''):
    print(f"{'PASS' if ok else 'FAIL'} {name} {extra}", flush=True)
    if not ok: failures.append(name)

def cfg(**kw): return GPT.get_default_config().merge_from_dict(kw)

assert torch.cuda.is_available(), 'no CUDA device'
dev = 'cuda'
print(torch.__version__, torch.cuda.get_device_name(), flush=True)
torch.manual_seed(0)

# 1. forward on GPU == CPU
m = GPT(cfg(model_type='gpt-micro', vocab_size=1000, block_size=64)).eval()
x = torch.randint(0, 1000, (4, 64))
with torch.no_grad(): ref = m(x)[0]
mg = GPT(cfg(model_type='gpt-micro', vocab_size=1000, block_size=64)).to(dev).eval()
mg.load_state_dict(m.state_dict())
with torch.no_grad(): out = mg(x.to(dev))[0].cpu()
torch.backends.cuda.matmul.allow_tf32 = False
check('fp32 forward GPU == CPU', torch.allclose(out, ref, atol=1e-4), f'max diff {(out - ref).abs().max():.1e}')
mg.train(); _, loss = mg(x.to(dev), x.to(dev)); loss.backward(); mg.eval()
check('fp32 backward runs', all(p.grad is not None for p in mg.parameters()))

# 2. cached == recomputed, fp32, dense and banded
for name, c in [('dense', cfg(model_type='gpt-micro', vocab_size=1000, block_size=64)),
                ('banded', cfg(n_layer=4, n_head=4, n_embd=128, vocab_size=1000, block_size=64, attn_windows=[None, 16, None, 16]))]:
    g = GPT(c).to(dev).eval()
    p = torch.randint(0, 1000, (3, 10), device=dev)
    a, b = g.generate(p, 100), g.generate(p, 100, use_cache=False)
    check(f'fp32 {name}: cached == recomputed generation (100 tokens, block 64)', torch.equal(a, b))
    s1 = g.generate(p, 80, do_sample=True, top_k=50, top_p=0.9, generator=torch.Generator(dev).manual_seed(1))
    s2 = g.generate(p, 80, do_sample=True, top_k=50, top_p=0.9, use_cache=False, generator=torch.Generator(dev).manual_seed(1))
    check(f'fp32 {name}: sampled generation equal with the same generator', torch.equal(s1, s2))

# 3. low precision
for dt in (torch.bfloat16, torch.float16):
    g = GPT(cfg(model_type='gpt-micro', vocab_size=1000, block_size=256)).to(dev).eval().to(dt)
    p = torch.randint(0, 1000, (4, 8), device=dev)
    a, b = g.generate(p, 120), g.generate(p, 120, use_cache=False)
    agree = (a == b).float().mean().item()
    check(f'{dt}: cached vs recomputed generation runs', a.shape == b.shape, f'(token agreement {agree:.3f})')
from torch.nn.attention import sdpa_kernel, SDPBackend
for dt in (torch.bfloat16, torch.float16):
    g = GPT(cfg(model_type='gpt-mini', vocab_size=1000, block_size=256)).to(dev).train()
    opt = g.configure_optimizers(type('C', (), dict(learning_rate=1e-3, betas=(0.9, 0.95), weight_decay=0.1))())
    scaler = torch.amp.GradScaler(enabled=dt == torch.float16)
    xb = torch.randint(0, 1000, (8, 256), device=dev)
    losses = []
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
        for _ in range(20):
            with torch.autocast('cuda', dtype=dt): _, loss = g(xb, xb)
            scaler.scale(loss).backward(); scaler.step(opt); scaler.update(); opt.zero_grad(set_to_none=True)
            losses.append(loss.item())
    check(f'{dt} autocast training on the flash kernel with dropout', losses[-1] < losses[0] and all(map(lambda l: l == l, losses)),
          f'loss {losses[0]:.3f} -> {losses[-1]:.3f}')

# 4. torch.compile
g = GPT(cfg(model_type='gpt-micro', vocab_size=1000, block_size=64)).to(dev).eval()
cg = torch.compile(g)
xb = torch.randint(0, 1000, (4, 64), device=dev)
with torch.no_grad(): e, c_ = g(xb)[0], cg(xb)[0]
check('torch.compile forward == eager', torch.allclose(e, c_, atol=1e-4), f'max diff {(e - c_).abs().max():.1e}')
_, loss = cg(xb, xb); loss.backward()
check('torch.compile backward runs', g.transformer.wte.weight.grad is not None)

# 5. speculative decoding and a bf16 KV cache on the GPU
tgt = GPT(cfg(model_type='gpt-micro', vocab_size=1000, block_size=128, embd_pdrop=0.0, resid_pdrop=0.0, attn_pdrop=0.0)).to(dev).eval()
drf = GPT(cfg(model_type='gpt-nano', vocab_size=1000, block_size=128)).to(dev).eval()
p = torch.randint(0, 1000, (2, 6), device=dev)
for k in (1, 4):
    check(f'speculative decoding (k={k}) == the target alone, greedy', torch.equal(tgt.generate(p, 60, draft_model=drf, num_draft=k), tgt.generate(p, 60)))
a, b = tgt.generate(p, 60, cache_dtype=torch.bfloat16), tgt.generate(p, 60)
check('bf16 KV cache: generation runs', a.shape == b.shape, f'(token agreement with an fp32 cache {(a == b).float().mean().item():.3f})')

# 6. transformers parity and decode speed
try:
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel
    transformers.logging.set_verbosity_error()
    hf = GPT2LMHeadModel(GPT2Config(n_layer=12, n_head=12, n_embd=768, vocab_size=50257, n_positions=1024)).to(dev).eval()
    ours = GPT.from_hf(hf).to(dev).eval()
    xb = torch.randint(0, 50257, (2, 128), device=dev)
    with torch.no_grad(): d = (ours(xb)[0] - hf(xb).logits).abs().max().item()
    check('GPT-2 124M logits == transformers on GPU', d < 1e-3, f'max diff {d:.1e}')
    prompt = torch.ones(1, 1, dtype=torch.long, device=dev); mask = torch.ones_like(prompt)
    hf_gen = lambda n: hf.generate(prompt, attention_mask=mask, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=50256)
    check('GPT-2 124M greedy tokens == transformers on GPU', torch.equal(ours.generate(prompt, 64), hf_gen(64)))
    def speed(f, n=256):
        f(16); torch.cuda.synchronize(); t = time.perf_counter(); f(n); torch.cuda.synchronize(); return n / (time.perf_counter() - t)
    with torch.inference_mode():
        s_hf, s_ours = speed(hf_gen), speed(lambda n: ours.generate(prompt, n))
        ours_bf = GPT.from_hf(hf).to(dev).eval().to(torch.bfloat16)
        s_bf = speed(lambda n: ours_bf.generate(prompt, n))
    print(f'decode 124M batch 1: transformers {s_hf:.0f} tok/s, mingpt_nb {s_ours:.0f} tok/s ({s_ours / s_hf:.2f}x), '
          f'mingpt_nb bf16 {s_bf:.0f} tok/s ({s_bf / s_hf:.2f}x)')
except ImportError as e:
    print('skipped transformers checks:', e)

print(f'\n{len(failures)} failed: {failures}' if failures else '\nall CUDA checks passed')
sys.exit(1 if failures else 0)
