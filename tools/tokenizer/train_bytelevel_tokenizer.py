#!/usr/bin/env python3
"""Trains a small byte-level BPE tokenizer with HF `tokenizers` (the recipe a fixture model uses: ByteLevel
pre-tokenizer and decoder, BOS template, merges saved in the ["a","b"] array form of tokenizers >= 0.20).
Usage (GPU machine): python3 train_bytelevel_tokenizer.py TEXT.txt OUT.tokenizer.json [vocab_size]"""
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers


def main():
    text_path, out_path = sys.argv[1], sys.argv[2]
    vocab_size = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|pad|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train([text_path], trainer)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", bos)])
    tok.save(out_path)
    print(f"trained {tok.get_vocab_size()} tokens -> {out_path}")


if __name__ == "__main__":
    main()
