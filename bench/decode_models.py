"""The trained models that the decoding benchmarks measure quality and speculative decoding on (notebook 13).

A byte-level BPE tokenizer of 2,048 ids learned on the first 90% of Tiny Shakespeare (`mingpt_nb.bpe.train_bpe`), and two
GPT-2-architecture models trained on the same 90% with it: `target` (6 blocks of 384, 12.3M parameters with embeddings) and
`draft` (1 block of 64), context 128, batches of 16. The last 10% is held out for perplexity. Trained once and cached in
`$MINGPT_NB_CACHE/decode_models` (default `~/.cache/mingpt_nb/decode_models`); later calls load them.

    python bench/decode_models.py            # train what is missing (about 6 minutes on one core), print held-out perplexities
"""
import os, sys, json, time
from pathlib import Path
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from mingpt_nb.model import GPT
from mingpt_nb.bpe import train_bpe, save_encoder, load_encoder
from mingpt_nb.utils import tiny_shakespeare, set_seed

VOCAB, BLOCK = 2048, 128
SPECS = {'target': dict(n_layer=6, n_head=6, n_embd=384, iters=250, lr=1e-3, dropout=0.0),    # 512k tokens: ~1.5 passes over the text
         'draft':  dict(n_layer=1, n_head=2, n_embd=64, iters=300, lr=3e-3, dropout=0.0)}

def cache_dir() -> Path:
    d = Path(os.environ.get('MINGPT_NB_CACHE', Path.home()/'.cache'/'mingpt_nb'))/'decode_models'
    d.mkdir(parents=True, exist_ok=True)
    return d

def split_text():
    "Tiny Shakespeare cut 90/10 at a character (the chargpt split): (train text, held-out text)."
    text = tiny_shakespeare()
    n = int(0.9 * len(text))
    return text[:n], text[n:]

def tokenizer():
    "The BPE tokenizer (2,048 ids) learned on the training text; cached."
    path = cache_dir()/'bpe2048.json'
    if path.exists(): return load_encoder(path)
    enc = train_bpe(split_text()[0], VOCAB, name='shakespeare-bpe2048')
    save_encoder(enc, path)
    return enc

def token_ids():
    "(train ids, held-out ids) as 1-d long tensors."
    enc = tokenizer()
    return tuple(torch.tensor(enc.encode(t), dtype=torch.long) for t in split_text())

class Windows(torch.utils.data.Dataset):
    "Random windows of BLOCK + 1 tokens: (x, y) with y = x shifted by one."
    def __init__(self, ids, block): self.ids, self.block = ids, block
    def __len__(self): return len(self.ids) - self.block - 1
    def __getitem__(self, i): c = self.ids[i:i + self.block + 1]; return c[:-1], c[1:]

def config(name):
    s = SPECS[name]
    c = GPT.get_default_config()
    c.merge_from_dict(dict(n_layer=s['n_layer'], n_head=s['n_head'], n_embd=s['n_embd'], vocab_size=VOCAB, block_size=BLOCK,
                           embd_pdrop=s['dropout'], resid_pdrop=s['dropout'], attn_pdrop=0.0))
    return c

def model(name, train=True):
    "The trained model `name` ('target' or 'draft'), in eval mode; trained and cached if missing (unless train=False: None)."
    path = cache_dir()/f'{name}.pt'
    if path.exists():
        m = GPT(config(name)); m.load_state_dict(torch.load(path, weights_only=True)); return m.eval()
    if not train: return None
    from mingpt_nb.trainer import Trainer
    s = SPECS[name]
    set_seed(0)
    m = GPT(config(name))
    tc = Trainer.get_default_config()
    tc.merge_from_dict(dict(max_iters=s['iters'], batch_size=16, learning_rate=s['lr'], betas=(0.9, 0.99), weight_decay=0.1,
                            warmup_iters=min(100, s['iters'] // 5), lr_decay_iters=s['iters'], min_lr=s['lr'] / 10, num_workers=0, device='cpu', seed=0,
                            dtype='bfloat16', sdpa_backend='math', log_interval=250, progress=True))
    t0 = time.time()
    Trainer(tc, m.train(), Windows(token_ids()[0], BLOCK)).run()
    torch.save(m.state_dict(), path)
    (cache_dir()/f'{name}.json').write_text(json.dumps(dict(spec=s, seconds=round(time.time() - t0), torch=torch.__version__)))
    return m.eval()

if __name__ == '__main__':
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', 2)))
    from mingpt_nb.decoding import perplexity
    _, val = token_ids()
    for name in SPECS:
        m = model(name)
        print(f'{name}: {sum(p.numel() for p in m.parameters()) / 1e6:.2f}M parameters, held-out perplexity {perplexity(m, val, BLOCK):.3f}')
