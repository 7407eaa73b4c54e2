#!/usr/bin/env python3
"""Tokenise calibration text into JSONL token ids for `uncomp calibrate --data X.jsonl`.

A fallback for machines where the C# tokenizer is not available: a plain-Python byte-level BPE encoder for
Hugging Face tokenizer.json files with a ByteLevel pre-tokenizer (GPT-2 regex), a BPE model with merges and no
normalizer -- the fixture model's tokenizer. Needs only the `regex` module. Verify with --check against ids
produced by HF tokenizers when available.

usage: tokenize_jsonl.py TOKENIZER_JSON TEXT_FILE OUT_JSONL [--doc-chars N]
Each output line is {"ids": [...]}; the text is split into documents at blank lines and packed into chunks of
about N characters (default: one document for the whole file).
"""
import json
import sys

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class ByteLevelBpe:
    def __init__(self, path):
        spec = json.load(open(path, encoding="utf-8"))
        model = spec["model"]
        if model.get("type") != "BPE":
            raise SystemExit(f"{path}: model type {model.get('type')} is not BPE")
        if spec.get("normalizer"):
            raise SystemExit(f"{path}: a normalizer is set; this encoder supports none")
        self.vocab = model["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_map = bytes_to_unicode()
        self.cache = {}

    def bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best = min(((self.ranks.get((parts[i], parts[i + 1]), 1 << 60), i) for i in range(len(parts) - 1)))
            if best[0] == 1 << 60:
                break
            a, b = parts[best[1]], parts[best[1] + 1]
            merged, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for piece in regex.findall(GPT2_PATTERN, text):
            ids.extend(self.bpe("".join(self.byte_map[b] for b in piece.encode("utf-8"))))
        return ids


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    tok = ByteLevelBpe(argv[1])
    text = open(argv[2], encoding="utf-8").read()
    doc_chars = int(argv[argv.index("--doc-chars") + 1]) if "--doc-chars" in argv else 0
    docs = [text]
    if doc_chars > 0:
        docs, current = [], ""
        for para in text.split("\n\n"):
            current = current + "\n\n" + para if current else para
            if len(current) >= doc_chars:
                docs.append(current)
                current = ""
        if current:
            docs.append(current)
    total = 0
    with open(argv[3], "w", encoding="utf-8") as out:
        for d in docs:
            ids = tok.encode(d)
            total += len(ids)
            out.write(json.dumps({"ids": ids}) + "\n")
    print(f"{argv[3]}: {len(docs)} document(s), {total} tokens")


if __name__ == "__main__":
    main(sys.argv)
