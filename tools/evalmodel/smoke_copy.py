"""CPU smoke test of train.py's training logic: does a tiny model learn to COPY an answer from its prompt?

Trains a 2-layer model for a few hundred steps on passkey prompts only (the C# template, 4-7 digit keys, short
sequences) with train.py's own data sampler (`Sampler`), loss (`batch_loss`) and training statistics
(`answer_stats`), then answers held-out passkey prompts greedily and scores them with `tasks.score`, as the
evaluation does. Exits 1 when the held-out accuracy is not above --min-accuracy.

  /usr/bin/python3 tools/evalmodel/smoke_copy.py                 # train.py's loss (about 4 minutes on 2 cores)
  /usr/bin/python3 tools/evalmodel/smoke_copy.py --old-loss      # the loss before 2026-11-27 (for comparison)

Needs only torch and numpy (falls back to minibpe.py without HF tokenizers); reads the training text from
--data/train.txt (tools/fixtures/prepare_data.sh) and the fixture's tokenizer. Not part of the xunit suite.
"""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minibpe  # noqa: E402
import tasks  # noqa: E402
import train  # noqa: E402
from llama import Llama, LlamaShape  # noqa: E402


def old_loss(model, ids, w, autocast, vocab):
    """The loss train.py had until 2026-11-27: one mean over all tokens, answer tokens weighted 5x."""
    with autocast:
        logits = model(ids[:, :-1])
    tgt, ww = ids[:, 1:], w[:, 1:]
    ce = F.cross_entropy(logits.float().reshape(-1, vocab), tgt.reshape(-1), reduction="none").view_as(tgt)
    return (ce * ww).sum() / ww.sum(), ce, logits.argmax(-1), tgt, ww


class Compact:
    """Maps the tokenizer's ids onto the few hundred that passkey prompts use (digits, filler, template), so the
    tiny model's output layer is 20x smaller and a CPU run takes minutes; ids outside the map become UNK."""

    def __init__(self, sampler, rows=400):
        seen = set(range(3))  # BOS, EOS, PAD
        for _ in range(rows):
            ids, _ = sampler.task("passkey", 192)
            seen.update(int(i) for i in ids)
        for d in range(10):  # every digit token, with and without a leading space
            for t in (str(d), " " + str(d)):
                seen.update(sampler.tok.encode(t, add_special_tokens=False).ids)
        self.ids = sorted(seen)
        self.fwd = np.full(4096, len(self.ids), dtype=np.int64)
        self.fwd[self.ids] = np.arange(len(self.ids))
        self.vocab = len(self.ids) + 1  # + UNK

    def map(self, a):
        return self.fwd[np.asarray(a, dtype=np.int64)]

    def unmap(self, ids):
        return [self.ids[i] for i in ids if i < len(self.ids)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=".carry/fixture", help="folder with train.txt")
    ap.add_argument("--tokenizer", default="models/fixture-llama/tokenizer.json")
    ap.add_argument("--haystack", default="models/fixture-llama/haystack.txt")
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--length", type=int, default=128, help="training sequence length (tokens)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--eval-n", type=int, default=40)
    ap.add_argument("--min-accuracy", type=float, default=0.2)
    ap.add_argument("--old-loss", action="store_true", help="train with the pre-fix loss instead of train.batch_loss")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    t0 = time.time()

    tok = minibpe.load(args.tokenizer)
    text = open(os.path.join(args.data, "train.txt"), encoding="utf-8").read()[:300_000]  # passkey uses no haystack
    sampler = train.Sampler(tok, text, args.seed)
    names = [n for n, _ in train.MIX]
    train.MIX[:] = [(n, 1.0 if n == "passkey" else 0.0) for n in names]  # passkey rows only
    compact = Compact(sampler)
    shape = LlamaShape(vocab=compact.vocab, layers=2, hidden=64, heads=4, kv_heads=2, head_dim=16, ff=128, context=512,
                       lengths=[(args.length, 1.0)])
    model = Llama(shape)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    loss_fn = old_loss if args.old_loss else train.batch_loss
    autocast = torch.autocast("cpu", enabled=False)
    print("loss: %s; vocabulary compacted to %d ids; %d parameters; %d steps of %d x %d tokens" % (
        "old (one weighted mean)" if args.old_loss else "train.batch_loss (text mean + answer mean)", compact.vocab,
        sum(p.numel() for p in model.parameters()), args.steps, args.batch, args.length), flush=True)
    for step in range(args.steps):
        lr = train.lr_at(step, args.steps, args.lr, 20)
        for g in opt.param_groups:
            g["lr"] = lr
        ids, w, kinds = sampler.batch(args.length, args.batch)
        ids, w, kinds = torch.from_numpy(compact.map(ids)), torch.from_numpy(w), torch.from_numpy(kinds)
        loss, ce, pred, tgt, ww = loss_fn(model, ids, w, autocast, shape.vocab)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 25 == 0 or step == args.steps - 1:
            with torch.no_grad():
                st = train.answer_stats(ce, pred, tgt, ww, kinds, names)
            print("step %4d  %5.1fs  loss %.3f  answer loss %.3f  answer accuracy %.3f" % (
                step, time.time() - t0, loss.item(), st["aloss_passkey"], st["answer_passkey"]), flush=True)

    # Held-out prompts (new keys; the training rows' length and key lengths), all depths, the evaluation's
    # greedy decoding and scoring.
    model.eval()
    hay = tasks.Haystack(open(args.haystack, encoding="utf-8").read())
    ok = 0
    rng = random.Random(args.seed + 99)
    for i in range(args.eval_n):
        ids, _, answer, items = tasks.fit(tok, tasks.passkey, hay, rng.randrange(1 << 30), args.length - 48,
                                          depth=i / max(1, args.eval_n - 1), key_digits=rng.choice([5, 5, 5, 4, 6, 7]))
        n_ans = len(tok.encode(answer, add_special_tokens=False).ids)
        gen = train.greedy(model, [int(i) for i in compact.map(ids)], n_ans + 2, torch.device("cpu"), False)
        out = tok.decode(compact.unmap(gen), skip_special_tokens=True)
        good = tasks.score(out.split("\n")[0], answer, items)
        ok += good
        if i < 3:
            print("  e.g. %r -> %r (%s)" % (answer.strip(), out, "right" if good else "wrong"))
    acc = ok / args.eval_n
    lo, hi = train.wilson(ok, args.eval_n)
    print("held-out passkey accuracy: %d/%d = %.3f (95 %% Wilson %.3f-%.3f) in %.0f s" % (
        ok, args.eval_n, acc, lo, hi, time.time() - t0))
    if acc <= args.min_accuracy:
        print("FAIL: the model did not learn to copy (accuracy <= %.2f)" % args.min_accuracy)
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
