"""A slow pure-Python reader of a byte-level BPE tokenizer.json, used only where HF `tokenizers` is missing
(the CPU smoke test of train.py on a machine without it). ASCII text only: the GPT-2 pre-tokenizer's
\\p{L} / \\p{N} classes are approximated by [A-Za-z] / [0-9]. The GPU machine always uses `tokenizers`.
Offers the two calls train.py makes: encode(text).ids (BOS prepended) and decode(ids)."""
import json
import re

_PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def _byte_map():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class Encoding:
    def __init__(self, ids):
        self.ids = ids


class MiniBpe:
    def __init__(self, path):
        t = json.load(open(path, encoding="utf-8"))
        self.vocab = t["model"]["vocab"]
        self.inv = {v: k for k, v in self.vocab.items()}
        merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in t["model"]["merges"]]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.bmap = _byte_map()
        self.unmap = {v: k for k, v in self.bmap.items()}
        self.bos = self.vocab["<s>"]
        self.cache = {}

    def _word(self, w):
        if w in self.cache:
            return self.cache[w]
        parts = [self.bmap[b] for b in w.encode("utf-8")]
        while len(parts) > 1:
            best = min(range(len(parts) - 1), key=lambda i: self.ranks.get((parts[i], parts[i + 1]), 1 << 30))
            if (parts[best], parts[best + 1]) not in self.ranks:
                break
            parts[best:best + 2] = [parts[best] + parts[best + 1]]
        ids = [self.vocab[p] for p in parts]
        self.cache[w] = ids
        return ids

    def encode(self, text, add_special_tokens=True):
        ids = [self.bos] if add_special_tokens else []
        for w in _PAT.findall(text):
            ids += self._word(w)
        return Encoding(ids)

    def encode_batch(self, texts, add_special_tokens=True):
        return [self.encode(t, add_special_tokens) for t in texts]

    def decode(self, ids, skip_special_tokens=True):
        s = "".join(self.inv[i] for i in ids if not (skip_special_tokens and i < 3))
        return bytes(self.unmap[c] for c in s).decode("utf-8", errors="replace")


def load(path):
    try:
        from tokenizers import Tokenizer
        return Tokenizer.from_file(path)
    except ImportError:
        return MiniBpe(path)
