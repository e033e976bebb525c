__version__ = "0.1.0"

# Later lessons teach more of the one GPT class: loading checkpoints (`GPT.from_pretrained`, notebook 12) and speculative
# decoding (`GPT.generate(draft_model=...)`, notebook 13). Importing the package attaches them, so `from mingpt_nb.model
# import GPT` gives minGPT's whole API. (The modules below import the model; the model never imports them.)
from . import pretrained as _pretrained, decoding as _decoding
