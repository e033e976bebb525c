"""Where the time of one decoding step goes, ours and llama.cpp's (notebook 13's "why" section).

1. The machine: read bandwidth (a sum over 512 MB) and the FLOP/s of a 2048 x 2048 matrix product (fp32, bf16), 1 and 2 threads.
2. Our kernels, matrix by matrix: one vector through GPT-2 124M's 49 matrices in decoding order (so nothing stays in the
   caches), each product timed on its own, ours and PyTorch's per format; per kind of matrix: microseconds and GB/s.
3. One decoding step of ours: tokens/s of `generate` (256 new tokens, the lean step) against the time of its matrix
   products alone (the pass above): the rest is attention, norms, GELU, Python and dispatch; and `torch.profiler`'s
   split of that rest by operator.
4. Both engines under `perf` (sampling, all threads): the share of CPU time in matrix-vector kernels, in quantising
   activations, attention, other operators, waiting for other threads (OpenMP barriers, spinning) and, for ours, the Python
   interpreter (at the thread count of the race); and tokens/s of both at 1 and 2 threads.

    python bench/bench_decode_profile.py --llama /path/to/llama.cpp      # or LLAMA_CPP=...; without it, ours only
"""
import argparse, json, os, re, shutil, subprocess, sys, statistics, tempfile, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'bench'))
from mingpt_nb.utils import load_result, save_result, conditions, machine_info, md_table

ORDER = 62
NAME = 'decode_profile'
KINDS = ['qkv', 'attn proj', 'mlp fc', 'mlp proj', 'head']
FORMATS = ('fp32', 'bf16', 'int8', 'int4')


def machine(threads_list):
    from mingpt_nb.decoding import read_bandwidth, peak_flops
    return {str(t): dict(read_gbs=read_bandwidth(512, threads=t), fp32_flops=peak_flops(torch.float32, threads=t),
                         bf16_flops=peak_flops(torch.bfloat16, threads=t)) for t in threads_list}


def gpt2(seed=0):
    from mingpt_nb.model import GPT
    torch.manual_seed(seed)
    c = GPT.get_default_config(); c.merge_from_dict(dict(model_type='gpt2', tie_weights=True))
    return GPT(c).eval()


def per_matrix(model, threads, rounds=5):
    "Microseconds and GB/s per kind of matrix, ours and PyTorch's, per format: each product timed alone inside a full pass."
    from mingpt_nb.decoding import quantize, decode_linears, use_kernels
    torch.set_num_threads(threads)
    out = {}
    for f in FORMATS:
        mq = quantize(model, f, fast_decode=False)
        lins = [m for _, m in decode_linears(mq)]
        xs = [torch.randn(1, m.in_features) for m in lins]
        for ours in (True, False):
            times = [[] for _ in lins]
            with torch.inference_mode(), use_kernels(ours):
                for r in range(rounds + 1):
                    for i, (m, x) in enumerate(zip(lins, xs)):
                        t = time.perf_counter(); m._matmul(x); dt = time.perf_counter() - t
                        if r: times[i].append(dt)
            med = [statistics.median(t) for t in times]
            kinds = {}
            for i, (m, t) in enumerate(zip(lins, med)):
                k = KINDS[4] if i == len(lins) - 1 else KINDS[i % 4]
                d = kinds.setdefault(k, dict(us=0.0, bytes=0, count=0)); d['us'] += 1e6 * t; d['bytes'] += m.weight_bytes(); d['count'] += 1
            for d in kinds.values(): d['gbs'] = d['bytes'] / d['us'] / 1e3
            out[f'{f} {"ours" if ours else "PyTorch"}'] = dict(kinds=kinds, pass_ms=1e3 * sum(med), bytes=sum(m.weight_bytes() for m in lins))
    return out


def step_split(model, threads, n_new=256, rounds=3):
    "Per format: ms per token of `generate` vs ms of its matrix products alone, and torch.profiler's operators of 16 lean steps."
    from mingpt_nb.decoding import quantize, decode_linears, _lean_layers, lean_step
    from mingpt_nb.attention import KVCache
    torch.set_num_threads(threads)
    prompt, out = torch.ones(1, 1, dtype=torch.long), {}
    for f in FORMATS:
        mq = quantize(model, f)
        lins = [m for _, m in decode_linears(mq)]
        xs = [torch.randn(1, m.in_features) for m in lins]
        def kernels_only():
            with torch.inference_mode():
                for m, x in zip(lins, xs): m._matmul(x)
        mq.generate(prompt, 8); kernels_only()
        gen, ker = [], []
        for _ in range(rounds):
            t = time.perf_counter(); mq.generate(prompt, n_new); gen.append((time.perf_counter() - t) / n_new)
            t = time.perf_counter()
            for _ in range(16): kernels_only()
            ker.append((time.perf_counter() - t) / 16)
        c = mq.config
        cache = KVCache(c.n_layer, 1, c.n_head, 160, c.n_embd // c.n_head, dtype=torch.float32)
        with torch.inference_mode():
            mq.hidden_states(torch.ones(1, 128, dtype=torch.long), cache)   # a context of 128, the middle of a 256-token run
            layers, tok = _lean_layers(mq, 1), torch.ones(1, 1, dtype=torch.long)
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
                for _ in range(16): mq.lm_head(lean_step(mq, layers, tok, cache)[:, -1]).argmax(-1)
        ops = sorted(((e.key, e.self_cpu_time_total / 16) for e in prof.key_averages()), key=lambda kv: -kv[1])
        out[f] = dict(ms_per_token=1e3 * statistics.median(gen), kernels_ms=1e3 * statistics.median(ker),
                      profiler_us_per_step={k: round(v, 1) for k, v in ops[:15]})
    return out


# ---- perf: the share of CPU time by category, for any program ----
CATEGORIES = [('matrix-vector kernels', r'mingpt_mv|vec_dot|gemv|gemm|mul_mat|sgemm|tinyBLAS|_mm_for_cpu|int4pack|int8pack|dnnl|mkl_blas|mkl_|jit'),
              ('quantising activations', r'quantize_row|from_float|quantize_q8'),
              ('attention', r'flash_attn|soft_max|sdpa|scaled_dot|_scaled_dot|attention'),
              ('waiting for threads', r'gomp|GOMP|omp_|barrier|sched_yield|futex|do_spin|spin'),
              ('Python interpreter', r'python3|libpython|_PyEval|PyObject|_Py'),
              ('other operators', r'ggml_compute_forward|at::native|aten|layer_norm|gelu|add_|cpu_kernel|vectorized')]


def perf_profile(cmd, seconds_note=''):
    "Share of sampled CPU time (all threads) per category, running `cmd` under `perf record`."
    if shutil.which('perf') is None: return None
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, 'perf.data')
        r = subprocess.run(['perf', 'record', '-F', '1999', '-o', data, '--'] + cmd, capture_output=True, text=True)
        if r.returncode: return None
        rep = subprocess.run(['perf', 'report', '-i', data, '--stdio', '--no-children', '--sort', 'dso,symbol', '-F', 'overhead,dso,symbol',
                              '--percent-limit', '0.05'], capture_output=True, text=True).stdout
    shares, top = {k: 0.0 for k, _ in CATEGORIES}, []
    shares['everything else'] = 0.0
    for line in rep.splitlines():
        m = re.match(r'\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)', line)
        if not m: continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        cat = next((k for k, pat in CATEGORIES if re.search(pat, sym) or re.search(pat, dso)), 'everything else')
        shares[cat] += pct
        top.append(dict(pct=pct, dso=dso, symbol=sym[:80], category=cat))
    return dict(shares={k: round(v, 1) for k, v in shares.items()}, top=sorted(top, key=lambda t: -t['pct'])[:15])


OURS_SCRIPT = r'''
import sys, torch
sys.path.insert(0, sys.argv[1])
from mingpt_nb.model import GPT
from mingpt_nb.decoding import quantize
torch.set_num_threads(int(sys.argv[2])); torch.manual_seed(0)
c = GPT.get_default_config(); c.merge_from_dict(dict(model_type='gpt2', tie_weights=True))
m = quantize(GPT(c).eval(), sys.argv[3]); p = torch.ones(1, 1, dtype=torch.long)
m.generate(p, 8)
for _ in range(int(sys.argv[4])): m.generate(p, 256)
'''


def engines_under_perf(llama, threads_list, reps=1):
    out = {}
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f: f.write(OURS_SCRIPT); script = f.name
    ggufs = None
    if llama is not None:
        import bench_llamacpp as bl
        _, ggufs = bl.gpt2_checkpoint(llama)
    for t in threads_list:
        for fmt in FORMATS:
            out[f'ours {fmt} {t}'] = perf_profile([sys.executable, script, str(ROOT), str(t), fmt, str(reps)])
            if ggufs:
                out[f'llama.cpp {fmt} {t}'] = perf_profile([str(llama/'build'/'bin'/'llama-bench'), '-m', str(ggufs[fmt]), '-p', '0', '-n', '256',
                                                            '-r', str(reps), '-t', str(t)])
    os.unlink(script)
    return out


def threads_speed(llama, threads_list, rounds=2, n_new=256):
    "tok/s of both engines per format at each thread count, alternating."
    from mingpt_nb.decoding import quantize
    model, prompt = gpt2(), torch.ones(1, 1, dtype=torch.long)
    ours = {f: quantize(model, f) for f in FORMATS}
    ggufs = None
    if llama is not None:
        import bench_llamacpp as bl
        _, ggufs = bl.gpt2_checkpoint(llama)
    runs = {}
    for r in range(rounds):
        for t in threads_list:
            torch.set_num_threads(t)
            for f, m in ours.items():
                m.generate(prompt, 4)
                t0 = time.perf_counter(); m.generate(prompt, n_new); runs.setdefault(f'ours {f} {t}', []).append(n_new / (time.perf_counter() - t0))
                if ggufs:
                    o = subprocess.run([str(llama/'build'/'bin'/'llama-bench'), '-m', str(ggufs[f]), '-p', '0', '-n', str(n_new), '-r', '1',
                                        '-t', str(t), '-o', 'json'], capture_output=True, text=True, check=True)
                    runs.setdefault(f'llama.cpp {f} {t}', []).append(json.loads(o.stdout)[0]['avg_ts'])
    return {k: dict(median=statistics.median(v), runs=v) for k, v in runs.items()}


def readme_section(results_dir: Path) -> str:
    res = load_result(NAME, results_dir)
    cmd = 'LLAMA_CPP=/path/to/llama.cpp python bench/bench_decode_profile.py'
    if res is None: return f'### Where a decoding step goes\n\nnot measured yet: run `{cmd}`'
    t, ts, perf = str(res['threads']), res['threads_speed'], res.get('perf') or {}
    rows = []
    for f in FORMATS:
        row = dict(fmt=f, o1=ts[f'ours {f} 1']['median'], l1=ts.get(f'llama.cpp {f} 1', {}).get('median'),
                   gbs=res['per_matrix'][f'{f} ours']['bytes'] / res['per_matrix'][f'{f} ours']['pass_ms'] / 1e6,
                   gbs_pt=res['per_matrix'][f'{f} PyTorch']['bytes'] / res['per_matrix'][f'{f} PyTorch']['pass_ms'] / 1e6)
        o, l = perf.get(f'ours {f} {t}'), perf.get(f'llama.cpp {f} {t}')
        if o and l:
            row['wo'] = o['shares']['waiting for threads'] / o['shares']['matrix-vector kernels']
            row['wl'] = l['shares']['waiting for threads'] / l['shares']['matrix-vector kernels']
        rows.append(row)
    m = res['machine'][t]
    return '\n'.join(['### Where a decoding step goes', '',
                      f"GPT-2 124M, batch 1; this machine reads {m['read_gbs']:.1f} GB/s with {t} threads (a sum over 512 MB). "
                      f"Tokens/s with one thread (alternating rounds); GB/s of one pass over the 49 matrices, each product timed alone ({t} threads); "
                      f"under `perf` with {t} threads, CPU time spent waiting for the other thread per unit of time in matrix products.", '',
                      md_table(rows, dict(fmt='format', o1='ours tok/s, 1 thread', l1='llama.cpp tok/s, 1 thread', gbs='our products GB/s',
                                          gbs_pt="PyTorch's products GB/s", wo='waiting / products, ours', wl='llama.cpp'), fmt='.2f'),
                      '', f"Conditions: {conditions(res['conditions'])}. Reproduce: `{cmd}`"])


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--llama', help='llama.cpp source folder (with build/bin); default $LLAMA_CPP')
    ap.add_argument('--threads', type=int, default=int(os.environ.get('BENCH_THREADS', 2)))
    ap.add_argument('--no-perf', action='store_true')
    args = ap.parse_args()
    import bench_llamacpp as bl
    llama = bl.find_llama(args.llama)
    if llama is None: print('llama.cpp not found (--llama or LLAMA_CPP): profiling ours only')
    from mingpt_nb.decoding import load_kernels
    load_kernels()
    tl = sorted({1, args.threads})
    data = dict(threads=args.threads, load_average_start=list(os.getloadavg()), machine_start=machine_info())
    data['machine'] = machine(tl); print('machine', data['machine'], flush=True)
    model = gpt2()
    data['per_matrix'] = per_matrix(model, args.threads); print('per matrix done', flush=True)
    data['step'] = step_split(model, args.threads); print('step', {f: (round(v['ms_per_token'], 2), round(v['kernels_ms'], 2)) for f, v in data['step'].items()}, flush=True)
    data['threads_speed'] = threads_speed(llama, tl); print('threads', {k: round(v['median'], 1) for k, v in data['threads_speed'].items()}, flush=True)
    save_result(NAME, data)   # what is measured so far, kept if perf fails or is cut short
    if not args.no_perf: data['perf'] = engines_under_perf(llama, [args.threads])   # perf at the race's thread count
    path = save_result(NAME, data)
    print(readme_section(path.parent))
