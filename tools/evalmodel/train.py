"""Train the evaluation model: a Llama with GQA 8/4 and context 8192 (--size small: 7.3 M parameters, the default,
small enough to commit; --size base: 23 M) on natural text plus retrieval tasks whose answers must be copied from
the prompt; save it in HF layout (bf16 shards <= 16 MiB) and measure
passkey / needle / free-text needle / multi-key (and the RULER-style tasks) with transformers, full cache.

GPU machine, one command (see tools/evalmodel/README.md):
  PYTHONUNBUFFERED=1 python3 tools/evalmodel/train.py --data .carry/fixture --out $OUT --budget 390 --deadline 535
A second call with --resume continues from the checkpoint in --ckpt (a git-ignored folder that stays on a warm
machine) until the step count fixed by the first call, then evaluates again.

CPU smoke test (tiny config, a few steps; falls back to tools/evalmodel/minibpe.py without HF tokenizers):
  python3 tools/evalmodel/train.py --data .carry/fixture --out /tmp/em --tiny --steps 6 --eval-n 2 --eval-lengths 512
"""
import argparse
import json
import math
import multiprocessing as mp
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
from llama import Llama, LlamaShape, load_hf, save_hf  # noqa: E402

BOS, EOS, PAD = 0, 1, 2
ANSWER_WEIGHT = 5.0  # marks answer tokens in the weight arrays (any value > 1.5)
ANSWER_SHARE = 1.0  # the answer tokens' mean cross-entropy is added to the text's with this factor (batch_loss)
T0 = time.time()


def log(*a):
    print("[%7.1fs]" % (time.time() - T0), *a, flush=True)


# ---------------------------------------------------------------- training data (worker processes)
# Task mix: plain text, then the C# harness's tasks (exact templates) and the RULER-style ones.
MIX = [("lm", 0.22), ("passkey", 0.08), ("needle", 0.10), ("textneedle", 0.18), ("multikey", 0.14),
       ("multivalue", 0.08), ("multiquery", 0.08), ("vartrack", 0.07), ("commonwords", 0.05)]


def set_mix(spec):
    """Overrides MIX weights from 'task=weight,...', renormalised (the trainer passes MIX to its spawned workers)."""
    names = [n for n, _ in MIX]
    weights = dict(MIX)
    for part in spec.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in weights:
            raise ValueError("--mix: '%s' is not task=weight with a task of %s" % (part, ", ".join(names)))
        try:
            w = float(value)
        except ValueError:
            raise ValueError("--mix: the weight of %s ('%s') is not a number" % (name, value)) from None
        if not w >= 0:
            raise ValueError("--mix: the weight of %s must not be negative (got %s)" % (name, value))
        weights[name] = w
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("--mix: every weight is 0")
    MIX[:] = [(n, weights[n] / total) for n in names]


class Sampler:
    """Builds token sequences of one task, with answer tokens weighted ANSWER_WEIGHT in the loss."""

    def __init__(self, tok, train_text, seed):
        self.tok = tok
        self.text = train_text
        self.hay = tasks.Haystack(train_text)
        self.rng = random.Random(seed)

    def lm(self, T):
        start = self.rng.randrange(len(self.text) - T * 6)
        ids = self.tok.encode(self.text[start:start + T * 6]).ids[:T]
        return np.asarray(ids, dtype=np.int64), np.ones(len(ids), dtype=np.float32)

    def task(self, name, T):
        gen = tasks.GENERATORS[name]
        kw = {}
        if name == "passkey":
            kw["key_digits"] = self.rng.choice([5, 5, 5, 4, 6, 7])
        elif name == "multivalue":
            kw["values"] = self.rng.randint(2, 5)
        elif name == "multiquery":
            kw["keys"] = self.rng.randint(2, 6)
            kw["queries"] = self.rng.randint(2, min(3, kw["keys"]))
        elif name == "vartrack":
            kw["hops"] = self.rng.randint(1, 4)
            kw["chains"] = self.rng.randint(1, 3)
        elif name == "commonwords":
            kw["common"] = self.rng.randint(2, 5)
            kw["common_freq"] = self.rng.randint(8, 30)
        # 48 tokens for the answer and EOS; 20 % of the task rows are shorter, 128 ... T tokens (as the fixture's
        # training, which learned to copy): short prompts teach the copy first, the long ones carry it to 8K.
        room = (T if self.rng.random() >= 0.2 else self.rng.randint(128, T)) - 48
        ids, _, answer, _ = tasks.fit(self.tok, gen, self.hay, self.rng.randrange(1 << 30), room, **kw)
        ans = self.tok.encode(answer, add_special_tokens=False).ids + [EOS]
        seq = np.asarray(ids + ans, dtype=np.int64)[:T]
        w = np.ones(len(seq), dtype=np.float32)
        w[len(ids):] = ANSWER_WEIGHT
        return seq, w

    def batch(self, T, bs):
        ids = np.full((bs, T), PAD, dtype=np.int64)
        w = np.zeros((bs, T), dtype=np.float32)
        kinds = np.zeros(bs, dtype=np.int64)
        probs = [p for _, p in MIX]
        for i in range(bs):
            k = self.rng.choices(range(len(MIX)), probs)[0]
            name = MIX[k][0]
            try:
                x, y = self.lm(T) if name == "lm" else self.task(name, T)
            except ValueError:  # the task's fixed parts do not fit a short sequence: plain text instead
                k, (x, y) = 0, self.lm(T)
            ids[i, :len(x)] = x
            w[i, :len(y)] = y
            kinds[i] = k
        return ids, w, kinds


def worker(tokenizer_path, train_txt, seed, lengths, tokens, queue, mix):
    try:
        MIX[:] = mix  # spawned processes import this module afresh: the trainer's (possibly --mix'ed) weights
        tok = minibpe.load(tokenizer_path)
        s = Sampler(tok, open(train_txt, encoding="utf-8").read(), seed)
        rng = random.Random(seed + 1)
        while True:
            T = rng.choices([t for t, _ in lengths], [p for _, p in lengths])[0]
            queue.put(s.batch(T, max(1, tokens // T)))
    except Exception:  # noqa: BLE001 - reported to the trainer, which stops
        import traceback
        queue.put(traceback.format_exc())


# ---------------------------------------------------------------- training
def batch_loss(model, ids, w, autocast, vocab):
    """The training loss of one batch: mean cross-entropy over the text tokens plus ANSWER_SHARE times the mean
    over the answer tokens (weight > 1.5 in `w`; PAD rows weigh 0). Averaging the answer tokens on their own keeps
    their pull independent of the sequence length: with one weighted mean over all tokens (answer tokens 5x), the
    7 answer tokens of an 8K sequence made 0.4 % of its gradient and the model never learned to copy them.
    Returns (loss, per-token cross-entropy, argmax predictions, targets, target weights), targets shifted by one."""
    with autocast:
        logits = model(ids[:, :-1])
    tgt, ww = ids[:, 1:], w[:, 1:]
    ce = F.cross_entropy(logits.float().reshape(-1, vocab), tgt.reshape(-1), reduction="none").view_as(tgt)
    ans = (ww > 1.5).float()
    txt = ((ww > 0) & (ww <= 1.5)).float()
    loss = (ce * txt).sum() / txt.sum().clamp(min=1) + ANSWER_SHARE * (ce * ans).sum() / ans.sum().clamp(min=1)
    return loss, ce, logits.argmax(-1), tgt, ww


def answer_stats(ce, pred, tgt, ww, kinds, names):
    """Per task: answer_<task> = share of rows whose every answer token (EOS included) is the argmax prediction;
    aloss_<task> = mean cross-entropy of its answer tokens (falls before the accuracy rises)."""
    ans = ww > 1.5
    ok = (pred == tgt) | ~ans
    rec = {}
    for k, name in enumerate(names):
        rows = (kinds == k) & ans.any(-1)
        if name != "lm" and bool(rows.any()):
            rec["answer_" + name] = round(ok[rows].all(-1).float().mean().item(), 3)
            a = ans[rows]
            rec["aloss_" + name] = round((ce[rows] * a).sum().item() / a.sum().item(), 3)
    return rec


def lr_at(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    prog = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))


def train(args, shape, device):
    torch.manual_seed(args.seed)
    model = Llama(shape).to(device)
    nparams = sum(p.numel() for p in model.parameters())
    log("params: %d (%s)" % (nparams, shape))
    if args.init:
        log("warm start: %d tensors from %s (fresh optimizer and LR schedule)" % (load_hf(model, args.init), args.init))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    nodecay = [p for p in model.parameters() if p.dim() < 2]
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8, **fused)
    step, total, history = 0, args.steps or None, []
    ckpt = os.path.join(args.ckpt, "ckpt.pt")
    if args.resume and os.path.exists(ckpt):
        state = torch.load(ckpt, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, total, history = state["step"], args.steps or state["total"], state["history"]
        log("resumed at step %d of %s" % (step, total))
    elif args.resume:
        log("no checkpoint at %s: starting fresh" % ckpt)

    ctx = mp.get_context("spawn")
    queue = ctx.Queue(maxsize=2 * args.workers)
    procs = [ctx.Process(target=worker, daemon=True,
                         args=(args.tokenizer, os.path.join(args.data, "train.txt"), args.seed * 1000 + step * 7 + i,
                               shape.lengths, args.tokens, queue, list(MIX))) for i in range(args.workers)]
    for p in procs:
        p.start()

    def save_ckpt():
        os.makedirs(args.ckpt, exist_ok=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "total": total,
                    "history": history, "shape": shape.__dict__}, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)
        log("checkpoint: step %d -> %s" % (step, ckpt))

    t_start = time.time()
    last_ckpt = t_start
    marks = []
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    first = step
    while total is None or step < total:
        el = time.time() - t_start
        if el > args.budget:
            log("training budget of %.0f s used at step %d of %s" % (args.budget, step, total))
            break
        marks.append(el)
        if total is None and step - first == 30:
            per = (el - marks[10]) / 20
            total = max(50, first + int(((args.plan_seconds or args.budget) - el) / per))
            log("measured %.1f ms/step -> total steps %d" % (per * 1000, total))
        lr = lr_at(step, total or 10 ** 9, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        item = queue.get(timeout=300)
        if isinstance(item, str):
            raise RuntimeError("data worker failed:\n" + item)
        ids, w, kinds = (torch.from_numpy(t).to(device, non_blocking=True) for t in item)
        loss, ce, pred, tgt, ww = batch_loss(model, ids, w, autocast, shape.vocab)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 25 == 0:
            with torch.no_grad():
                rec = {"step": step, "T": int(ids.shape[1]), "lr": round(lr, 6), "loss": round(loss.item(), 4),
                       "gnorm": round(gn.item(), 3), "elapsed": round(time.time() - t_start, 1)}
                rec.update(answer_stats(ce, pred, tgt, ww, kinds, [n for n, _ in MIX]))
            history.append(rec)
            if step % 100 == 0:
                log(" ".join("%s=%s" % kv for kv in rec.items()))
        step += 1
        if time.time() - last_ckpt > args.ckpt_every:
            save_ckpt()
            last_ckpt = time.time()
    for p in procs:
        p.terminate()
    save_ckpt()
    secs = time.time() - t_start
    log("trained steps %d..%d in %.1f s" % (first, step, secs))
    return model, {"params": nparams, "steps_done": step, "steps_total": total, "finished": step >= (total or 0),
                   "seconds_this_call": round(secs, 1), "tokens_per_step": args.tokens, "lr": args.lr,
                   "mix": dict(MIX), "lengths": dict(shape.lengths), "history": history}


# ---------------------------------------------------------------- evaluation (transformers, full cache)
EVAL_TASKS = ["passkey", "needle", "textneedle", "multikey", "multivalue", "multiquery", "vartrack", "commonwords"]


def eval_prompts(tok, hay, task, length, n, seed):
    gen = tasks.GENERATORS[task]
    out = []
    for i in range(n):
        kw = {}
        if task in ("passkey", "needle", "textneedle"):
            kw["depth"] = i / max(1, n - 1)
        if task == "textneedle":
            kw["evaluation"] = True
        if task == "multikey":
            kw["pairs"] = 4  # TaskTemplates.MultiKeyPairs
        ids, _, answer, items = tasks.fit(tok, gen, hay, seed * 7919 + length * 31 + i, length - 8, **kw)
        out.append({"index": i, "depth": kw.get("depth"), "ids": ids, "answer": answer, "items": items})
    return out


@torch.no_grad()
def greedy(model, ids, max_new, device, hf):
    x = torch.tensor([ids], device=device)
    res = []
    if hf:
        out = model(input_ids=x, use_cache=True)
        past, logits = out.past_key_values, out.logits[0, -1]
    else:
        logits = model(x)[0, -1]
    for _ in range(max_new):
        nxt = int(logits.argmax())
        if nxt == EOS:
            break
        res.append(nxt)
        if hf:
            out = model(input_ids=torch.tensor([[nxt]], device=device), past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[0, -1]
        else:
            x = torch.cat([x, torch.tensor([[nxt]], device=device)], 1)
            logits = model(x)[0, -1]
    return res


def evaluate(args, model_dir, own_model, tok, device):
    try:
        from transformers import AutoModelForCausalLM
        torch.backends.cuda.matmul.allow_tf32 = False
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
        model.to(device).eval()
        hf, engine = True, "transformers fp32 sdpa, from the saved bf16 files"
    except ImportError:
        model, hf, engine = own_model.float().eval(), False, "train.py's own module fp32 (transformers missing)"
    log("evaluating with " + engine)
    hay = tasks.Haystack(open(args.haystack, encoding="utf-8").read())
    metrics, records = {"engine": engine}, []
    lengths = [int(x) for x in args.eval_lengths.split(",")]
    order = [(t, L, args.eval_n if t in ("passkey", "needle", "textneedle", "multikey") else args.ruler_n)
             for t in EVAL_TASKS for L in lengths]
    for task, L, n in order:
        if n <= 0:
            continue
        if time.time() - T0 > args.deadline:
            log("deadline reached before %s@%d" % (task, L))
            continue
        try:
            prompts = eval_prompts(tok, hay, task, L, n, args.seed + 1000)
        except ValueError as e:  # a prompt that cannot be built skips its cell, never the whole evaluation
            log("skipping %s@%d: %s" % (task, L, e))
            metrics["%s_%d" % (task, L)] = {"skipped": str(e)}
            continue
        ok, done, first = 0, 0, None
        try:
            for p in prompts:
                if time.time() - T0 > args.deadline:
                    log("deadline reached in %s@%d after %d prompts" % (task, L, done))
                    break
                answer_tokens = len(tok.encode(p["answer"], add_special_tokens=False).ids)
                gen = greedy(model, p["ids"], answer_tokens + 4, device, hf)
                text = tok.decode(gen, skip_special_tokens=True)
                correct = tasks.score(text.split("\n")[0], p["answer"], p["items"])
                ok += correct
                done += 1
                first = first or (p["answer"].strip(), text)
                records.append({"task": task, "length": L, "index": p["index"], "depth": p["depth"],
                                "prompt_tokens": len(p["ids"]), "answer": p["answer"].strip(), "output": text,
                                "correct": bool(correct)})
        except Exception as e:  # noqa: BLE001 - one failing cell must not end the evaluation
            log("%s@%d failed after %d prompts: %r" % (task, L, done, e))
            metrics["%s_%d_failure" % (task, L)] = repr(e)
        if done:
            lo, hi = wilson(ok, done)
            metrics["%s_%d" % (task, L)] = {"accuracy": round(ok / done, 4), "n": done,
                                            "wilson95": [round(lo, 4), round(hi, 4)]}
            log("eval %s@%d: %d/%d = %.3f  e.g. %r -> %r" % (task, L, ok, done, ok / done, first[0], first[1]))
    return metrics, records


def wilson(k, n, z=1.96):
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=".carry/fixture", help="folder with train.txt (tools/fixtures/prepare_data.sh)")
    ap.add_argument("--tokenizer", default="models/fixture-llama/tokenizer.json")
    ap.add_argument("--haystack", default="models/fixture-llama/haystack.txt", help="held-out text of the eval prompts")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ckpt", default=".ckpt/evalmodel", help="checkpoint folder (git-ignored; kept on a warm machine)")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init", help="HF-layout folder (e.g. models/eval-llama) whose weights start the training instead of "
                    "random ones; a checkpoint found by --resume takes precedence")
    ap.add_argument("--budget", type=float, default=390.0, help="training seconds in this call")
    ap.add_argument("--plan-seconds", type=float, default=0.0,
                    help="training seconds the LR schedule spans over all calls (e.g. 780 for two calls of --budget 390); 0 = --budget")
    ap.add_argument("--deadline", type=float, default=535.0, help="seconds since start after which evaluation stops")
    ap.add_argument("--steps", type=int, default=0, help="total steps; 0 = as many as --budget allows")
    ap.add_argument("--tokens", type=int, default=131072, help="tokens per optimizer step")
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--workers", type=int, default=10, help="data processes")
    ap.add_argument("--ckpt-every", type=float, default=150.0, help="seconds between checkpoints")
    ap.add_argument("--eval-n", type=int, default=100, help="prompts per passkey/needle/textneedle/multikey cell")
    ap.add_argument("--ruler-n", type=int, default=50, help="prompts per RULER-style cell (0 = skip)")
    ap.add_argument("--eval-lengths", default="4096,8192")
    ap.add_argument("--size", default="small", choices=["small", "base"],
                    help="small: 8 layers x 256, 7.3 M parameters, 14.7 MB bf16 (fits the device tool's 64 MiB beside the "
                         "tracked tree and .carry); base: 8 layers x 512, 23 M parameters, 46.7 MB")
    ap.add_argument("--tiny", action="store_true", help="a 2-layer model at 512 tokens (CPU smoke test; overrides --size)")
    ap.add_argument("--mix", default="", help="task=weight,... overriding the training mix's weights (the rest keep "
                    "theirs; weights are renormalised), e.g. textneedle=0.34,passkey=0.04,needle=0.05")
    args = ap.parse_args()
    if args.mix:
        try:
            set_mix(args.mix)
        except ValueError as e:
            ap.error(str(e))
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    log("torch %s, device %s" % (torch.__version__, torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"))
    shape = LlamaShape.tiny() if args.tiny else LlamaShape.preset(args.size)
    if args.tiny:
        args.tokens = min(args.tokens, 2048)
        args.workers = min(args.workers, 2)
        args.warmup = min(args.warmup, 2)
    tok = minibpe.load(args.tokenizer)
    model, info = train(args, shape, device)
    model_dir = os.path.join(args.out, "model")
    files = save_hf(model, shape, model_dir)
    log("saved %s" % ", ".join("%s (%.1f MiB)" % (f, os.path.getsize(os.path.join(model_dir, f)) / 2 ** 20) for f in files))
    metrics, records, failure = {}, [], None
    try:
        metrics, records = evaluate(args, model_dir, model, tok, device)
    except Exception as e:  # noqa: BLE001 - the trained model and its training record are kept regardless
        import traceback
        failure = traceback.format_exc()
        log("evaluation failed (the model and metrics.json are still written):\n" + failure)
    json.dump({"train": info, "eval_full_cache": metrics, "eval_records": records, "eval_failure": failure,
               "seed": args.seed, "args": vars(args), "total_seconds": round(time.time() - T0, 1)},
              open(os.path.join(args.out, "metrics.json"), "w"), indent=1)
    log("all done" if failure is None else "done, but the evaluation failed (see above)")


if __name__ == "__main__":
    main()
