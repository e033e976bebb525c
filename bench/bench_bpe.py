"""Benchmark mingpt_nb.bpe on tiny Shakespeare: encoding throughput and training time.

Run from the repo root: `python bench/bench_bpe.py` (the packaged Tiny Shakespeare by default, or --text PATH).

1. Encoding the whole text with each encoder, in `--runs` alternating rounds (one run of each encoder per round, the
   order rotated every round); every encoder must return the same ids. "Cold" encoders start with an empty chunk cache.
2. Training a vocabulary: the fast trainer on the whole text, and the textbook trainer against the fast one on the
   same slice (`--textbook-chars`), in alternating rounds; both must learn the same merges.

Every run's time, the medians and the conditions (date, CPU, threads, load average, torch, commit) go to
bench/results/bpe.json; notebook 04 and the README (bench/report.py) render their tables from that file.
"""
import argparse, statistics, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mingpt_nb.utils import save_result, load_result, md_table, conditions, machine_info  # noqa: E402

ORDER = 40   # place in the README's results section (bench/report.py)

ENCODERS = {  # key: label (the keys are the results file's; notebook 04 reads them)
    'mingpt_cold': 'minGPT-style encoder, cold cache',
    'ours_cold': 'ours, cold cache',
    'ours_warm': 'ours, warm cache',
    'tiktoken': "tiktoken (`backend='tiktoken'`)",
    'hf_tokenizers': 'Hugging Face `tokenizers`, one long string',
}

def timed(f):
    "Seconds one call of `f()` takes, and its result."
    t0 = time.perf_counter(); out = f(); return time.perf_counter() - t0, out

def summary(seconds):
    "Every run's seconds with their median, min and max."
    return dict(seconds=seconds, median_s=statistics.median(seconds), min_s=min(seconds), max_s=max(seconds))

def hf_tokenizer(enc):
    "Hugging Face's GPT-2 byte-level BPE (Rust) built offline from the encoder.json/vocab.bpe we write; None if not installed."
    try: from tokenizers import Tokenizer, models, pre_tokenizers, decoders
    except ImportError: return None
    import tempfile
    from mingpt_nb.bpe import save_gpt2_files
    with tempfile.TemporaryDirectory() as d:
        ej, vb = save_gpt2_files(enc, d)
        tok = Tokenizer(models.BPE.from_file(str(ej), str(vb)))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok

def alternate(fns, runs):
    "Time every function of `fns` (name -> f) once per round for `runs` rounds, rotating the order; {name: [seconds]}, {name: last result}."
    names, times, outs = list(fns), {k: [] for k in fns}, {}
    for r in range(runs):
        for k in names[r % len(names):] + names[:r % len(names)]:
            t, outs[k] = timed(fns[k]); times[k].append(t)
        print(f'  round {r + 1}/{runs}: ' + ', '.join(f'{k} {times[k][-1]:.3f} s' for k in names), flush=True)
    return times, outs

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--text', default=None, help='a UTF-8 text file (default: the packaged Tiny Shakespeare)')
    ap.add_argument('--runs', type=int, default=5, help='alternating rounds of the encoders (every run is kept)')
    ap.add_argument('--train-runs', type=int, default=3, help='alternating rounds of the trainers (every run is kept)')
    ap.add_argument('--vocab-size', type=int, default=1024)
    ap.add_argument('--textbook-chars', type=int, default=100_000, help='slice both trainers are timed on, like for like')
    ap.add_argument('--quick', action='store_true', help='a smoke test: 200k chars, 2 rounds, 10k-char slice; writes nothing')
    args = ap.parse_args()
    from mingpt_nb.bpe import get_encoder, _MinGPTEncoder, _train_textbook, _train_fast
    if args.text is None:
        from mingpt_nb.utils import tiny_shakespeare
        name, text = 'the packaged tinyshakespeare.txt', tiny_shakespeare()
    else:
        path = Path(args.text)
        if not path.exists(): sys.exit(f'{path} not found: pass --text PATH')
        name, text = path.name, path.read_text(encoding='utf-8')
    if args.quick: text, args.runs, args.train_runs, args.textbook_chars = text[:200_000], 2, 1, 10_000
    mb, at_start = len(text.encode('utf-8')) / 1e6, machine_info()
    print(f'text: {name}, {len(text):,} chars, {mb:.2f} MB\n{conditions(at_start)}')

    # 1. encoding
    enc = get_encoder()
    mg_vocab, mg_merges = enc.encoder, list(enc.bpe_ranks)  # minGPT's encoder.json / vocab.bpe as Python objects
    ref = get_encoder(backend='tiktoken'); ref.tiktoken     # build the tiktoken Encoding outside the timing
    warm = get_encoder(); warm.encode(text)
    fns = dict(mingpt_cold=lambda: _MinGPTEncoder(mg_vocab, mg_merges).encode(text),   # a fresh cache every run
               ours_cold=lambda: get_encoder().encode(text),                           # a fresh cache every run
               ours_warm=lambda: warm.encode(text),
               tiktoken=lambda: ref.encode(text))
    hf = hf_tokenizer(enc)
    if hf is not None: fns['hf_tokenizers'] = lambda: hf.encode(text).ids
    print(f'\n1. encoding, {args.runs} alternating rounds')
    times, outs = alternate(fns, args.runs)
    ids = outs['ours_cold']
    assert enc.decode(ids) == text
    same = {k: v == ids for k, v in outs.items()}
    assert all(v for k, v in same.items() if k != 'hf_tokenizers'), f'encoders disagree: {same}'
    encode = {k: dict(label=ENCODERS[k], identical_ids=same[k], mb_per_s=mb / statistics.median(t), **summary(t)) for k, t in times.items()}
    base = encode['mingpt_cold']['median_s']
    for k, e in encode.items():
        e['speedup_vs_mingpt'] = base / e['median_s']
        print(f"  {e['label']:45} {e['mb_per_s']:7.2f} MB/s (median; runs {e['min_s']:.3f}-{e['max_s']:.3f} s)"
              f"  {e['speedup_vs_mingpt']:5.2f}x minGPT-style{'' if e['identical_ids'] else '  [ids differ]'}")

    # 2. training
    vs, sl = args.vocab_size, text[:args.textbook_chars]
    print(f'\n2. training, vocab {vs} (incl. <|endoftext|>), {args.train_runs} alternating rounds')
    ttimes, touts = alternate(dict(fast_whole=lambda: _train_fast(text, vs - 1),
                                   textbook_slice=lambda: _train_textbook(sl, vs - 1),
                                   fast_slice=lambda: _train_fast(sl, vs - 1)), args.train_runs)
    assert touts['textbook_slice'] == touts['fast_slice'], 'trainers disagree'
    train = dict(vocab_size=vs, merges=len(touts['fast_whole']), slice_chars=len(sl), same_merges=True,
                 **{k: summary(t) for k, t in ttimes.items()})
    train['textbook_over_fast'] = train['textbook_slice']['median_s'] / train['fast_slice']['median_s']
    print(f"  fast trainer, whole text ({len(text):,} chars)  {train['fast_whole']['median_s']:7.2f} s (median)")
    print(f"  textbook trainer, {len(sl):,} chars      {train['textbook_slice']['median_s']:7.2f} s (median)")
    print(f"  fast trainer, {len(sl):,} chars          {train['fast_slice']['median_s']:7.3f} s (median)")
    print(f"  textbook / fast on the same slice: {train['textbook_over_fast']:.0f}x (same merges)")

    result = dict(args=vars(args), conditions_at_start=at_start, text=dict(name=name, chars=len(text), mb=mb), tokens=len(ids), encode=encode, train=train)
    if not args.quick: print('\nresults written to', save_result('bpe', result))

def encode_rows(r):
    "One row per encoder of a results file: MB/s (median), the range over runs, the speed-up over the minGPT-style encoder."
    mb = r['text']['mb']
    return [dict(encoder=e['label'], mbps=e['mb_per_s'], spread=f"{mb / e['max_s']:.2f}-{mb / e['min_s']:.2f}",
                 speedup=f"{e['speedup_vs_mingpt']:.1f}x", ids='same' if e['identical_ids'] else 'differ') for e in r['encode'].values()]

ENCODE_COLUMNS = {'encoder': 'encoder', 'mbps': 'MB/s (median)', 'spread': 'MB/s over the runs', 'speedup': 'vs minGPT-style', 'ids': 'ids'}

def train_rows(r):
    "One row per trainer measurement of a results file."
    t, chars = r['train'], r['text']['chars']
    return [dict(what=what, s=t[k]['median_s'], spread=f"{t[k]['min_s']:.3g}-{t[k]['max_s']:.3g}") for k, what in
            [('fast_whole', f'fast trainer, whole text ({chars:,} chars)'), ('textbook_slice', f"textbook trainer, first {t['slice_chars']:,} chars"),
             ('fast_slice', f"fast trainer, first {t['slice_chars']:,} chars (same merges)")]]

TRAIN_COLUMNS = {'what': 'training', 's': 'seconds (median)', 'spread': 'seconds over the runs'}

def readme_section(results_dir) -> str:
    r = load_result('bpe', results_dir)
    if r is None: return '### Byte-level BPE\n\nnot measured yet: run `python bench/bench_bpe.py`'
    t, a = r['train'], r['args']
    return '\n'.join([
        '### Byte-level BPE (`python bench/bench_bpe.py`)', '',
        f"Encoding all of {r['text']['name']} ({r['text']['mb']:.2f} MB, {r['tokens']:,} tokens), median of {a['runs']} alternating runs:", '',
        md_table(encode_rows(r), ENCODE_COLUMNS, {'mbps': '.2f'}), '',
        f"Training a {t['vocab_size']}-id vocabulary ({t['merges']} merges), median of {a['train_runs']} alternating runs; "
        f"the textbook trainer is {t['textbook_over_fast']:.0f}x slower than the fast one on the same slice:", '',
        md_table(train_rows(r), {**TRAIN_COLUMNS, 'what': f"training, vocab {t['vocab_size']}"}, {'s': '.3g'}), '',
        f"Measured {r['conditions']['date'][:10]}: {conditions(r['conditions'])}"
        + (f" (load average {r['conditions_at_start']['load_average'][0]:.2f} at the start)." if r.get('conditions_at_start', {}).get('load_average') else '.')])

if __name__ == '__main__': main()
