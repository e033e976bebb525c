"""Decoding race against llama.cpp, the engine a CPU user would pick: the same random GPT-2 124M weights in four formats,
same threads, alternating rounds.

The weights are written once by `save_pretrained` in Hugging Face's layout (with GPT-2's `vocab.json`/`merges.txt`),
converted by llama.cpp's own `convert_hf_to_gguf.py` to f32, then by `llama-quantize --pure` to bf16, q8_0 and q4_0
(`--pure`: every matrix in that format, the tied head included, as our `quantize` does). Ours loads the same folder and
`quantize`s it to fp32 / bf16 / int8 / int4. Per round and format: our `generate` (256 new tokens after a 1-token prompt,
greedy) and our prefill (a 512-token prompt through the model with a KV cache, head on the last position), then
`llama-bench -p 512 -n 256 -r 1` on the matching file (its tg256 and pp512). Ratios are medians of per-round ratios.

Quality (`--quality`): held-out perplexity of a model trained here (`bench/decode_models.py`, the `target`: 6 blocks of 384,
BPE of 2,048 ids on Tiny Shakespeare) in each format, ours and llama.cpp's (`llama-perplexity`), both scoring the second
half of each 128-token window (the model's context) as llama-perplexity does, on the same tokens; ours through the
decoding kernels (every row, as in generation).

llama.cpp is not built by CI. Build it from the source vendored in the `llama-cpp-python` sdist (see the README):

    pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 && tar xzf llama_cpp_python-0.3.36.tar.gz
    cd llama_cpp_python-0.3.36/vendor/llama.cpp && cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF
    cmake --build build -j --target llama-bench llama-quantize llama-perplexity llama-simple
    pip install ./gguf-py     # the converter's Python package

    LLAMA_CPP=/path/to/llama.cpp python bench/bench_llamacpp.py            # or --llama /path/to/llama.cpp
    python bench/bench_llamacpp.py --rounds 3 --quality                    # + perplexity per format (trains the model once)
"""
import argparse, json, os, re, subprocess, sys, statistics, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mingpt_nb.utils import load_result, save_result, conditions, machine_info, md_table

ORDER = 60
NAME = 'llamacpp'
FORMATS = {'fp32': 'f32', 'bf16': 'bf16', 'int8': 'q8_0', 'int4': 'q4_0'}  # ours: llama.cpp's
TOOLS = ('llama-bench', 'llama-quantize')


def find_llama(path=None):
    "The llama.cpp source folder (with build/bin/llama-bench and convert_hf_to_gguf.py) from `path` or $LLAMA_CPP, else None."
    for p in (path, os.environ.get('LLAMA_CPP')):
        if not p: continue
        p = Path(p).expanduser()
        for root in (p, p.parent.parent):  # the source folder, or its build/bin
            if (root/'build'/'bin'/'llama-bench').exists() and (root/'convert_hf_to_gguf.py').exists(): return root
    return None


def work_dir() -> Path:
    d = Path(os.environ.get('MINGPT_NB_CACHE', Path.home()/'.cache'/'mingpt_nb'))/'llamacpp'
    d.mkdir(parents=True, exist_ok=True)
    return d


def _save_pretrained():
    try: from mingpt_nb.checkpoint import save_pretrained
    except ImportError: from mingpt_nb.pretrained import save_pretrained
    return save_pretrained


def _load_pretrained():
    try: from mingpt_nb.checkpoint import load_pretrained
    except ImportError: from mingpt_nb.pretrained import load_pretrained
    return load_pretrained


def convert(llama: Path, folder: Path, out: Path, gpt2_pretokenizer=False):
    "Run llama.cpp's converter on a Hugging Face folder (f32 GGUF). A BPE vocabulary of our own is declared GPT-2's (same split pattern)."
    code = ('import sys; sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[1:2] + sys.argv[2:]\n'
            'import conversion.base as b\n'
            + ("b.TextModel.get_vocab_base_pre = lambda self, tokenizer: 'gpt-2'\n" if gpt2_pretokenizer else '') +
            'import convert_hf_to_gguf as c; c.main()')
    subprocess.run([sys.executable, '-c', code, str(llama), str(folder), '--outtype', 'f32', '--outfile', str(out)],
                   check=True, capture_output=True, text=True, cwd=str(llama))


def quantize_gguf(llama: Path, src: Path, fmt: str) -> Path:
    dst = src.with_name(src.name.replace('-f32.gguf', f'-{fmt}.gguf'))
    if fmt != 'f32' and not dst.exists():
        subprocess.run([str(llama/'build'/'bin'/'llama-quantize'), '--pure', str(src), str(dst), fmt], check=True, capture_output=True)
    return src if fmt == 'f32' else dst


def gpt2_checkpoint(llama: Path):
    "A random GPT-2 124M (seed 0) in Hugging Face's layout with GPT-2's tokenizer files, and its GGUF files: (folder, {fmt: path})."
    from mingpt_nb.model import GPT
    from mingpt_nb.bpe import get_encoder
    folder = work_dir()/'gpt2-random'
    if not (folder/'model.safetensors').exists():
        torch.manual_seed(0)
        c = GPT.get_default_config(); c.merge_from_dict(dict(model_type='gpt2', tie_weights=True))
        _save_pretrained()(GPT(c).eval(), folder, tokenizer=get_encoder())
    cfg = json.loads((folder/'config.json').read_text())
    if 'n_ctx' not in cfg: cfg['n_ctx'] = cfg['n_positions']; (folder/'config.json').write_text(json.dumps(cfg, indent=2))  # the converter wants it
    f32 = work_dir()/'gpt2-random-f32.gguf'
    if not f32.exists(): convert(llama, folder, f32)
    return folder, {ours: quantize_gguf(llama, f32, theirs) for ours, theirs in FORMATS.items()}


def llama_bench(llama, gguf, threads, n_prompt, n_gen):
    "llama-bench's tok/s for prefill (pp) and generation (tg), one repetition each (after its own warm-up)."
    out = subprocess.run([str(llama/'build'/'bin'/'llama-bench'), '-m', str(gguf), '-p', str(n_prompt), '-n', str(n_gen), '-r', '1',
                          '-t', str(threads), '-o', 'json'], check=True, capture_output=True, text=True)
    rows = json.loads(out.stdout)
    res = {('prefill' if r['n_prompt'] else 'generate'): r['avg_ts'] for r in rows}
    return res, {k: rows[0][k] for k in ('build_commit', 'build_number', 'cpu_info', 'backends') if k in rows[0]}


def same_greedy_tokens(llama, gguf, model, tokenizer, n=24):
    "llama-simple's greedy continuation of a prompt equals ours (the same model in both engines)."
    prompt = 'The meaning of life is'
    out = subprocess.run([str(llama/'build'/'bin'/'llama-simple'), '-m', str(gguf), '-n', str(n), prompt], capture_output=True, text=True)
    if out.returncode: return None
    ids = torch.tensor([tokenizer.encode(prompt)])
    ours = tokenizer.decode(model.generate(ids, n)[0, ids.size(1):].tolist())
    return ours.strip() in out.stdout.replace('\n', ' ') or ours.strip().split('\n')[0] in out.stdout


def race(llama, rounds, threads, n_gen, n_prompt):
    from mingpt_nb.decoding import quantize, load_kernels
    from mingpt_nb.bpe import get_encoder
    folder, ggufs = gpt2_checkpoint(llama)
    torch.set_num_threads(threads)
    fp32 = _load_pretrained()(str(folder)).eval()
    kernels = load_kernels() is not None
    ours = {f: quantize(fp32, f) for f in FORMATS}
    same = same_greedy_tokens(llama, ggufs['fp32'], ours['fp32'], get_encoder())
    one, prompt = torch.ones(1, 1, dtype=torch.long), torch.randint(0, 50257, (1, n_prompt), generator=torch.Generator().manual_seed(0))

    def gen(m):
        t = time.perf_counter(); m.generate(one, n_gen); return n_gen / (time.perf_counter() - t)

    @torch.inference_mode()
    def prefill(m):
        from mingpt_nb.attention import KVCache
        c = m.config
        cache = KVCache(c.n_layer, 1, c.n_head, n_prompt, c.n_embd // c.n_head, dtype=torch.float32)
        t = time.perf_counter(); m.lm_head(m.hidden_states(prompt, cache)[:, -1]); return n_prompt / (time.perf_counter() - t)

    for m in ours.values(): m.generate(one, 8); prefill(m)  # warm up (kernels compiled, caches allocated)
    runs, meta = {f'{e} {f} {t}': [] for e in ('ours', 'llama.cpp') for f in FORMATS for t in ('generate', 'prefill')}, {}
    machine = machine_info()
    for r in range(rounds):
        for f, m in ours.items():
            runs[f'ours {f} generate'].append(gen(m))
            runs[f'ours {f} prefill'].append(prefill(m))
            res, meta = llama_bench(llama, ggufs[f], threads, n_prompt, n_gen)
            runs[f'llama.cpp {f} generate'].append(res['generate']); runs[f'llama.cpp {f} prefill'].append(res['prefill'])
        print(f'round {r + 1}/{rounds}: ' + ', '.join(f'{k} {v[-1]:.0f}' for k, v in runs.items() if 'generate' in k), flush=True)
    rows = []
    for f, g in FORMATS.items():
        row = dict(format=f, llama_format=g)
        for t in ('generate', 'prefill'):
            a, b = runs[f'ours {f} {t}'], runs[f'llama.cpp {f} {t}']
            row.update({f'ours_{t}': statistics.median(a), f'llama_{t}': statistics.median(b),
                        f'ratio_{t}': statistics.median(x / y for x, y in zip(a, b)),
                        f'ratio_{t}_range': [min(x / y for x, y in zip(a, b)), max(x / y for x, y in zip(a, b))]})
        rows.append(row)
    return dict(rows=rows, runs=runs, rounds=rounds, threads=threads, n_gen=n_gen, n_prompt=n_prompt, our_kernels=kernels,
                same_greedy_tokens=same, machine=machine, llama_cpp=meta,
                weights='random GPT-2 124M (seed 0), GPT-2 tokenizer; llama.cpp files by convert_hf_to_gguf.py + llama-quantize --pure')


def llama_perplexity(llama, gguf, text_file, n_ctx, threads, tries=2):
    "llama-perplexity's final estimate (no BOS token, windows of n_ctx); tried again once if a run ends without one."
    for _ in range(tries):
        out = subprocess.run([str(llama/'build'/'bin'/'llama-perplexity'), '-m', str(gguf), '-f', str(text_file), '-c', str(n_ctx),
                              '-b', str(n_ctx), '-t', str(threads), '--override-kv', 'tokenizer.ggml.add_bos_token=bool:false'],
                             capture_output=True, text=True)
        m = re.search(r'Final estimate: PPL = ([\d.]+)', out.stdout + out.stderr)
        if m: return float(m.group(1))
    raise RuntimeError(f'llama-perplexity failed (exit code {out.returncode}): {out.stderr[-800:]}')


def quality(llama, threads):
    "Held-out perplexity of the trained `target` model in every format, ours and llama.cpp's, on the same tokens."
    sys.path.insert(0, str(ROOT/'bench'))
    import decode_models as dm
    from mingpt_nb.decoding import quantize, perplexity_llama_cpp, use_kernels
    torch.set_num_threads(threads)
    model, enc = dm.model('target'), dm.tokenizer()
    folder = work_dir()/'shakespeare-target'
    if not (folder/'model.safetensors').exists():
        _save_pretrained()(model, folder, tokenizer=enc)
        cfg = json.loads((folder/'config.json').read_text()); cfg['n_ctx'] = cfg['n_positions']
        (folder/'config.json').write_text(json.dumps(cfg, indent=2))
    f32 = work_dir()/'shakespeare-target-f32.gguf'
    if not f32.exists(): convert(llama, folder, f32, gpt2_pretokenizer=True)
    text = dm.split_text()[1]
    text_file = work_dir()/'heldout.txt'; text_file.write_text(text)
    ids = torch.tensor(enc.encode(text))
    rows = []
    for f, g in FORMATS.items():
        with use_kernels(True, max_rows=10**9):   # every row through the decoding kernels: the numerics of decoding
            ours = perplexity_llama_cpp(quantize(model, f), ids, dm.BLOCK)
        theirs = llama_perplexity(llama, quantize_gguf(llama, f32, g), text_file, dm.BLOCK, threads) if llama else None
        rows.append(dict(format=f, llama_format=g, ours=ours, llama=theirs))
        print(f'{f}: ours {ours:.4f}, llama.cpp {theirs}', flush=True)
    for r in rows:
        r['ours_change'] = r['ours'] / rows[0]['ours'] - 1
        if r['llama'] is not None: r['llama_change'] = r['llama'] / rows[0]['llama'] - 1
    return dict(rows=rows, model='target of bench/decode_models.py (6 blocks of 384, BPE 2,048 ids, Tiny Shakespeare, trained here)',
                tokens=len(ids), n_ctx=dm.BLOCK, protocol=f"llama-perplexity's: {dm.BLOCK}-token windows, the second half of each scored")


def readme_section(results_dir: Path) -> str:
    res = load_result(NAME, results_dir)
    cmd = 'LLAMA_CPP=/path/to/llama.cpp python bench/bench_llamacpp.py --rounds 3 --quality'
    if res is None: return f'### Decoding against llama.cpp\n\nnot measured yet: run `{cmd}`'
    r = res['race']
    rows = [dict(fmt=f"{x['format']} / {x['llama_format']}", lg=x['llama_generate'], og=x['ours_generate'], rg=f"{x['ratio_generate']:.2f}x",
                 lp=x['llama_prefill'], op=x['ours_prefill'], rp=f"{x['ratio_prefill']:.2f}x") for x in r['rows']]
    cols = dict(fmt='format (ours / llama.cpp)', lg='llama.cpp generate tok/s', og='ours', rg='ours / llama.cpp',
                lp='llama.cpp prefill tok/s', op='ours', rp='ours / llama.cpp')
    q = res.get('quality')
    if q:
        for row, qr in zip(rows, q['rows']):
            row['q'] = f"{100 * qr['ours_change']:+.2f}% / " + (f"{100 * qr['llama_change']:+.2f}%" if 'llama_change' in qr else 'n/a')
        cols['q'] = 'perplexity vs fp32: ours / llama.cpp'
    text = ['### Decoding against llama.cpp', '',
            f"GPT-2 124M (random weights), batch 1, {r['threads']} threads: generation of {r['n_gen']} tokens and prefill of a "
            f"{r['n_prompt']}-token prompt, {r['rounds']} alternating rounds, medians (ratios: median of per-round ratios).", '',
            md_table(rows, cols, fmt='.1f')]
    if q: text += ['', f"Perplexity: {q['model']}, {q['tokens']:,} held-out tokens, {q['protocol']}."]
    text += ['', f"Conditions: {conditions(r['machine'])}. Reproduce: `{cmd}`"]
    return '\n'.join(text)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--llama', help='llama.cpp source folder (with build/bin); default $LLAMA_CPP')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--threads', type=int, default=int(os.environ.get('BENCH_THREADS', 2)))
    ap.add_argument('--tokens', type=int, default=256)
    ap.add_argument('--prompt', type=int, default=512)
    ap.add_argument('--quality', action='store_true', help='also the perplexity of a trained model per format')
    ap.add_argument('--quality-only', action='store_true')
    args = ap.parse_args()
    llama = find_llama(args.llama)
    if llama is None:
        print('llama.cpp not found: pass --llama /path/to/llama.cpp (a build with build/bin/llama-bench) or set LLAMA_CPP; '
              'see this script\'s docstring for how to build it. Nothing measured.')
        sys.exit(0)
    old = load_result(NAME) or {}
    data = {'race': old.get('race'), 'quality': old.get('quality')}
    if not args.quality_only:
        data['race'] = race(llama, args.rounds, args.threads, args.tokens, args.prompt)
        save_result(NAME, {k: v for k, v in data.items() if v is not None})   # kept even if the quality part fails
    if args.quality or args.quality_only: data['quality'] = quality(llama, args.threads)
    path = save_result(NAME, {k: v for k, v in data.items() if v is not None})
    print(readme_section(path.parent))
