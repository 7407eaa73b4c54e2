#!/usr/bin/env python3
"""uncomp serve on the GPU machine, end to end (no .NET there: run the NativeAOT `uncomp`).

Starts `uncomp serve --device cuda` on the fixture model, then over HTTP on loopback:
  1. each prompt alone (greedy), then all of them at once: every concurrent answer must equal its solo answer;
  2. a streamed chat completion (SSE) must concatenate to the non-streamed text;
  3. throughput: N requests of M tokens one after another vs all at once (aggregate generated tokens/s);
  4. a client that disconnects mid-stream frees its slot (the next request still answers).
Writes $OUT/serve-check.json and $OUT/serve-check.log; exits 1 if a check fails.

usage: UNCOMP=path/to/aot/uncomp python3 tools/gpu/serve_check.py  (on the GPU machine: tools/gpu/serve-check.sh)
       [--slots 8] [--requests 16] [--tokens 64]
build the binary (on a machine with the .NET SDK):
  dotnet publish src/Cli -c Release -r linux-x64 -p:PublishAot=true -o .publish/uncomp-aot
"""
import argparse, json, os, socket, subprocess, sys, threading, time, urllib.request

PROMPTS = [
    "The pass key is 58213. Remember it. What is the pass key? The pass key is",
    "Once upon a time",
    "The grass is green. The sky is blue. The sun is yellow. Here we go. The grass is",
    "In the morning the baker",
    "There is a pass key hidden in this text. The pass key is 40911. What is the pass key? The pass key is",
    "The capital of the kingdom was",
]


def post(base, path, body, timeout=120):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--requests", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--model", default="models/fixture-llama")
    ap.add_argument("--device", default="cuda", help="cuda (the point), or cpu to try the script elsewhere")
    a = ap.parse_args()
    out = os.environ.get("OUT", ".")
    uncomp = os.environ.get("UNCOMP", ".publish/uncomp-aot/uncomp")
    log = open(os.path.join(out, "serve-check.log"), "w")

    def say(line):
        print(line)
        log.write(line + "\n")
        log.flush()

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([uncomp, "serve", "--device", a.device, "--model", a.model, "--slots", str(a.slots), "--port", str(port),
                               "--max-sequence", "1024", "--max-queue", str(4 * a.requests)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threading.Thread(target=lambda: [say("server: " + l.rstrip()) for l in server.stdout], daemon=True).start()
    result = {"slots": a.slots, "requests": a.requests, "tokens": a.tokens, "checks": {}}
    failed = []
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "health", timeout=1).read()
                break
            except Exception:
                if server.poll() is not None:
                    raise SystemExit(f"uncomp serve exited with {server.returncode}")
                time.sleep(0.1)

        def complete(prompt, n, temperature=0.0, seed=0):
            return post(base, "v1/completions", {"prompt": prompt, "max_tokens": n, "temperature": temperature, "seed": seed})

        # 1. concurrent == solo
        solo = [complete(p, 12 + 4 * i)["choices"][0]["text"] for i, p in enumerate(PROMPTS)]
        together = [None] * len(PROMPTS)

        def run(i):
            together[i] = complete(PROMPTS[i], 12 + 4 * i)["choices"][0]["text"]

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(PROMPTS))]
        [t.start() for t in threads]
        [t.join() for t in threads]
        ok = solo == together
        result["checks"]["concurrent_equals_solo"] = ok
        for i, (s, t) in enumerate(zip(solo, together)):
            say(f"prompt {i}: solo {s!r} | concurrent {t!r}")
        if not ok:
            failed.append("concurrent_equals_solo")

        # 2. streaming chat == non-streamed
        chat = {"messages": [{"role": "user", "content": "What is the pass key? 58213."}], "max_tokens": 16, "temperature": 0}
        plain = post(base, "v1/chat/completions", chat)["choices"][0]["message"]["content"]
        req = urllib.request.Request(base + "v1/chat/completions", data=json.dumps({**chat, "stream": True}).encode(), headers={"Content-Type": "application/json"})
        streamed = ""
        with urllib.request.urlopen(req, timeout=120) as r:
            for line in r:
                line = line.decode().strip()
                if line.startswith("data: ") and line != "data: [DONE]":
                    for c in json.loads(line[6:]).get("choices", []):
                        streamed += c.get("delta", {}).get("content") or ""
        ok = streamed == plain
        result["checks"]["stream_equals_plain"] = ok
        say(f"chat: {plain!r} streamed {streamed!r}")
        if not ok:
            failed.append("stream_equals_plain")

        # 3. throughput, sequential vs concurrent (eos ignored by asking for the full length: the fixture rarely stops)
        def timed(concurrent):
            counts = []
            def one(i):
                r = complete(PROMPTS[i % len(PROMPTS)], a.tokens, temperature=0.7, seed=i)
                counts.append(r["usage"]["completion_tokens"])
            t0 = time.perf_counter()
            if concurrent:
                ts = [threading.Thread(target=one, args=(i,)) for i in range(a.requests)]
                [t.start() for t in ts]
                [t.join() for t in ts]
            else:
                for i in range(a.requests):
                    one(i)
            dt = time.perf_counter() - t0
            return sum(counts), dt

        timed(True)  # warm-up: CUDA graphs per batch size
        seq_tokens, seq_s = timed(False)
        con_tokens, con_s = timed(True)
        result["sequential"] = {"tokens": seq_tokens, "seconds": seq_s, "tokens_per_s": seq_tokens / seq_s}
        result["concurrent"] = {"tokens": con_tokens, "seconds": con_s, "tokens_per_s": con_tokens / con_s}
        say(f"throughput: sequential {seq_tokens} tokens in {seq_s:.2f} s = {seq_tokens / seq_s:.1f} tok/s; "
            f"{a.requests} concurrent on {a.slots} slots {con_tokens} tokens in {con_s:.2f} s = {con_tokens / con_s:.1f} tok/s")

        # 4. disconnect mid-stream
        req = urllib.request.Request(base + "v1/completions", data=json.dumps({"prompt": "Once upon a time", "max_tokens": 900, "stream": True}).encode(),
                                     headers={"Content-Type": "application/json"})
        r = urllib.request.urlopen(req, timeout=120)
        r.readline()
        r.close()
        ok = complete("Once upon a time", 4)["usage"]["completion_tokens"] == 4
        result["checks"]["disconnect_frees_slot"] = ok
        if not ok:
            failed.append("disconnect_frees_slot")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    result["failed"] = failed
    json.dump(result, open(os.path.join(out, "serve-check.json"), "w"), indent=2)
    say("FAILED: " + ", ".join(failed) if failed else "all checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
