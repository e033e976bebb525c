"""Benchmark mingpt_nb.bpe on tiny Shakespeare: encoding throughput and training time.

Run from the repo root: `python bench/bench_bpe.py` (the packaged Tiny Shakespeare by default,
or pass --text PATH). All numbers and ratios come from the same run.
"""
import argparse, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mingpt_nb.bpe import get_encoder, _MinGPTEncoder, _train_textbook, _train_fast  # noqa: E402

def best_of(f, reps):
    "Fastest of `reps` runs of `f()` (seconds) and its last result."
    best, out = float('inf'), None
    for _ in range(reps):
        t0 = time.perf_counter(); out = f(); best = min(best, time.perf_counter() - t0)
    return best, out

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

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--text', default=None, help='a UTF-8 text file (default: the packaged Tiny Shakespeare)')
    ap.add_argument('--reps', type=int, default=3, help='runs per encoder measurement (best is reported)')
    ap.add_argument('--vocab-size', type=int, default=1024)
    ap.add_argument('--textbook-chars', type=int, default=100_000, help='slice the textbook trainer is timed on')
    args = ap.parse_args()
    if args.text is None:
        from mingpt_nb.utils import tiny_shakespeare
        path, text = Path('tinyshakespeare.txt (packaged)'), tiny_shakespeare()
    else:
        path = Path(args.text)
        if not path.exists(): sys.exit(f'{path} not found: pass --text PATH')
        text = path.read_text(encoding='utf-8')
    mb = len(text.encode('utf-8')) / 1e6
    print(f'text: {path.name}, {len(text):,} chars, {mb:.2f} MB')

    enc = get_encoder()
    mg_vocab, mg_merges = enc.encoder, list(enc.bpe_ranks)  # minGPT's encoder.json / vocab.bpe as Python objects
    ref = get_encoder(backend='tiktoken'); ref.tiktoken  # build the tiktoken Encoding outside the timing

    t_mg, ids_mg = best_of(lambda: _MinGPTEncoder(mg_vocab, mg_merges).encode(text), args.reps)   # fresh cache each run
    t_cold, ids = best_of(lambda: get_encoder().encode(text), args.reps)                        # fresh cache each run
    warm = get_encoder(); warm.encode(text)
    t_warm, ids_warm = best_of(lambda: warm.encode(text), args.reps)
    t_tt, ids_tt = best_of(lambda: ref.encode(text), args.reps)
    assert ids == ids_mg == ids_warm == ids_tt, 'encoders disagree'
    assert enc.decode(ids) == text
    print(f'\nencoding ({len(ids):,} tokens, identical ids from all of them)')
    for name, t in [('minGPT-style, cold cache', t_mg), ('ours, cold cache', t_cold), ('ours, warm cache', t_warm), ("tiktoken (backend='tiktoken')", t_tt)]:
        print(f'  {name:32} {mb/t:7.2f} MB/s  ({t:.3f} s)')
    hf = hf_tokenizer(enc)
    if hf is not None:
        t_hf, enc_hf = best_of(lambda: hf.encode(text).ids, args.reps)
        print(f'  {"HF tokenizers (one long string)":32} {mb/t_hf:7.2f} MB/s  ({t_hf:.3f} s)' + ('' if enc_hf == ids else '  [ids differ!]'))
    print(f'  ratio ours cold / minGPT-style cold: {t_mg/t_cold:.2f}x')
    print(f'  ratio ours warm / minGPT-style cold: {t_mg/t_warm:.2f}x')

    vs = args.vocab_size
    t0 = time.perf_counter(); merges = _train_fast(text, vs - 1, n_special=0); t_fast = time.perf_counter() - t0
    sl = text[:args.textbook_chars]
    t0 = time.perf_counter(); slow = _train_textbook(sl, vs - 1); t_slice = time.perf_counter() - t0
    assert _train_fast(sl, vs - 1) == slow, 'trainers disagree'
    t_text = t_slice * len(text) / len(sl)
    print(f'\ntraining, vocab {vs} (incl. <|endoftext|>), {vs - 257} merges')
    print(f'  fast trainer, whole text             {t_fast:7.2f} s')
    print(f'  textbook trainer, {len(sl):,} chars    {t_slice:7.2f} s  (same merges as the fast one on this slice)')
    print(f'  textbook trainer, whole text (x{len(text)/len(sl):.1f}) {t_text:7.1f} s  (extrapolated, linear in text length)')
    print(f'  ratio textbook / fast: {t_text/t_fast:.0f}x')

if __name__ == '__main__': main()
