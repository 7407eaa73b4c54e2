#!/usr/bin/env python3
"""Writes the deterministic tokenizer parity corpus: tests/fixtures/tokenizers/corpus.jsonl.gz.

One JSON object per line: {"id": n, "cat": category, "text": str, "lone": [hex, ...]}.
Lone surrogates cannot be encoded as UTF-8 (HF tokenizers only sees UTF-8), so a string that should carry
lone surrogates stores U+FFFD in "text" and lists, in order, the surrogate code units ("d800") that the .NET
test puts back in place of each U+FFFD. Both sides therefore agree that a lone surrogate tokenizes as U+FFFD.
Plain python3, no dependencies; the output is byte-identical on every run (fixed seed, gzip mtime 0).
"""
import gzip
import json
import os
import random

R = random.Random(20241003)

WORDS = {
    "en": "the quick brown fox jumps over the lazy dog while compression of key value caches keeps "
          "attention heads honest and entropy guides every budget".split(),
    "fr": "élève façade garçon déjà vu où naïve Noël cœur être forêt hôpital".split(),
    "de": "Straße Größe Übermäßig schön Fußgänger Mädchen Ärger öffentlich".split(),
    "ru": "Привет мир как дела сжатие кэша ключей значений внимание головы".split(),
    "el": "Καλημέρα κόσμε γλώσσα αλφάβητο μήνυμα".split(),
    "zh": "我们 今天 学习 压缩 注意力 机制 模型 北京 上海 你好 世界".split(),
    "ja": "こんにちは 世界 東京 カタカナ ひらがな 日本語 テスト".split(),
    "ko": "안녕하세요 세계 한국어 토큰 압축 모델".split(),
    "ar": "مرحبا بالعالم اللغة العربية نموذج ضغط الذاكرة".split(),
    "he": "שלום עולם עברית מודל".split(),
    "hi": "नमस्ते दुनिया हिन्दी भाषा मॉडल संपीड़न".split(),
    "th": "สวัสดี ชาวโลก ภาษาไทย".split(),
    "vi": "Xin chào thế giới tiếng Việt mô hình".split(),
    "tr": "İstanbul ılık şöyle çağ İĞÜŞÖÇ".split(),
}
EMOJI = ["😀", "👍", "👍🏽", "❤️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "🇯🇵", "🧑🏿‍💻", "🤖", "✨", "🔥", "☃", "⭐", "🫠", "👩‍❤️‍💋‍👨"]
CODE = [
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
    "public static async Task<int> RunAsync(string[] args) => await Task.FromResult(0);",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "{\"key\": [1, 2.5, -3e10, null, true], \"s\": \"a\\nb\"}",
    "<div class=\"x\">Hello &amp; bye</div>",
    "x = lambda a, b: a if a > b else b  \r\n",
    "#include <stdio.h>\nint main(void){printf(\"%d\\n\", 42);}",
    "    if (a != b && c || !d) { return -1; }",
    "let v: Vec<u32> = (0..10).map(|i| i * i).collect();",
]
SPECIAL_LIKE = ["<s>", "</s>", "<unk>", "<|begin_of_text|>", "<|end_of_text|>", "<|endoftext|>", "<|eot_id|>",
                "<|start_header_id|>", "<|reserved_special_token_5|>", "<|begin_of_text", "begin_of_text|>",
                "<|", "|>", "< s>", "<s", "s>", "</ s>", "<<s>>", "<|begin_of_text|><|begin_of_text|>",
                "<|BEGIN_OF_TEXT|>", "<0x0A>", "<0xFF>", "▁", "▁▁", "Ġ", "Ċ"]
CONTRACTIONS = ["it's", "don't", "they're", "we've", "I'm", "you'll", "he'd", "IT'S", "DON'T", "They'Re",
                "o'clock", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'", "''", "'ſ", "'S'T", "rock'n'roll"]
WS = [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", " \n", "\t\t", "\u00a0", "\u3000", "\u2009", "\v", "\f",
      "\u2028", "\u0085", "\u200b", "\ufeff"]
COMBINING = ["e\u0301", "a\u0308", "n\u0303", "\u0915\u094d\u0937", "o\u0302\u0323", "\u1100\u1161\u11a8",
             "A\u030a", "\u212b", "\ufb01", "\u2460", "\u00bd", "x\u0336y\u0336", "Z\u0351\u0352\u0353"]
SCRIPT_RANGES = [(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x5ff), (0x600, 0x6ff),
                 (0x900, 0x97f), (0xe00, 0xe7f), (0x3040, 0x30ff), (0x4e00, 0x4fff), (0xac00, 0xad00),
                 (0x2000, 0x206f), (0x2190, 0x22ff), (0x1f300, 0x1f64f), (0x1d400, 0x1d4ff), (0x20000, 0x200ff),
                 (0xff00, 0xffef)]
LANGS = list(WORDS)


def words(lang, n):
    return [R.choice(WORDS[lang]) for _ in range(n)]


def sentence():
    lang = R.choice(LANGS)
    sep = "" if lang in ("zh", "ja", "th") and R.random() < 0.5 else " "
    s = sep.join(words(lang, R.randint(1, 12)))
    if R.random() < 0.5:
        s = s[0].upper() + s[1:]
    return s + R.choice(["", ".", "!", "?", "。", "…", ",", ":"])


def random_scripts():
    out = []
    for _ in range(R.randint(1, 30)):
        lo, hi = R.choice(SCRIPT_RANGES)
        c = R.randint(lo, hi)
        if 0xd800 <= c <= 0xdfff:
            continue
        out.append(chr(c))
    return "".join(out)


def mixed():
    parts = []
    for _ in range(R.randint(2, 10)):
        k = R.random()
        if k < 0.3:
            parts.append(sentence())
        elif k < 0.4:
            parts.append(R.choice(EMOJI))
        elif k < 0.5:
            parts.append(R.choice(WS))
        elif k < 0.6:
            parts.append(str(R.randint(0, 10 ** R.randint(1, 12))))
        elif k < 0.7:
            parts.append(R.choice(CONTRACTIONS))
        elif k < 0.8:
            parts.append(R.choice(SPECIAL_LIKE))
        elif k < 0.9:
            parts.append(R.choice(COMBINING))
        else:
            parts.append(random_scripts())
    return "".join(parts)


def gen():
    items = []

    def add(cat, text, lone=None):
        items.append({"cat": cat, "text": text, "lone": lone or []})

    fixed = ["", " ", "  ", "\n", "a", "Hello world", " Hello world", "Hello  world", "Hello world ", "hello\n\nworld",
             "\t\tindent", "ends with newline\n", "\r\n\r\n", "   leading", "trailing   ", "a\u00a0b", "🤖", " 🤖",
             "🤖abc", "abc🤖", "1234567890", " 12345", "x1y22z333", "٣٤٥ ١٢", "१२३", "𝟘𝟙𝟚", "Ⅻ", "𝐀𝐁𝐂 𝐚𝐛", "𠀀𠀁 𠀂",
             "<s>Hello</s>", "<s> Hello </s>", "Hello<s>world", "<|begin_of_text|>Hi<|end_of_text|>",
             "<|endoftext|>", "a<|endoftext|>b", " <|endoftext|> ", "it's", "It'S", "'ſ", "ﬅ", "ǅungla",
             "A" * 300, "ab" * 400, " " * 64, "\n" * 20, "\t" * 17, "x" + " " * 33 + "y", "!!!???...", "....\n\n",
             "$$$ 100%", "C++/C#", "http://example.com/a?b=c&d=e", "foo_bar_baz", "CamelCaseWordsHere"]
    for t in fixed:
        add("fixed", t)
    for _ in range(1500):
        add("sentence", sentence())
    for _ in range(1500):
        add("mixed", mixed())
    for _ in range(400):
        add("code", "".join(R.choice(CODE) for _ in range(R.randint(1, 3))))
    for _ in range(300):
        add("digits", "".join(R.choice(["", " ", ",", ".", "-", "x"]) + str(R.randint(0, 10 ** R.randint(1, 15)))
                              for _ in range(R.randint(1, 6))))
    for _ in range(300):
        add("whitespace", "".join(R.choice(WS) * R.randint(1, 5) + R.choice(["", "a", "word", "1", "!", "é"])
                                  for _ in range(R.randint(1, 8))))
    for _ in range(300):
        add("emoji", "".join(R.choice(EMOJI + [" ", "a", "b", "!", "\u200d", "\ufe0f"]) for _ in range(R.randint(1, 12))))
    for _ in range(300):
        add("special_like", "".join(R.choice(SPECIAL_LIKE + [" ", "x", "Hello", "\n", " world"])
                                    for _ in range(R.randint(1, 8))))
    for _ in range(250):
        add("contractions", " ".join(R.choice(CONTRACTIONS + WORDS["en"]) for _ in range(R.randint(1, 8))))
    for _ in range(300):
        add("scripts", random_scripts())
    for _ in range(150):
        add("combining", "".join(R.choice(COMBINING + [" ", "a"]) for _ in range(R.randint(1, 8))))
    for _ in range(60):
        add("long_word", R.choice(["a", "ab", "xyz", "é", "字", "ü", "q"]) * R.randint(50, 2000)
            + R.choice(["", " end", "!"]))
    for _ in range(100):
        n = R.randint(1, 3)
        lone = [format(R.choice([R.randint(0xd800, 0xdbff), R.randint(0xdc00, 0xdfff)]), "x") for _ in range(n)]
        parts = [sentence() for _ in range(n + 1)]
        text = parts[0]
        for p in parts[1:]:
            text += "\ufffd" + p
        # Only texts with no genuine U+FFFD besides the placeholders.
        add("lone_surrogate", text, lone)
    return items


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = os.path.join(root, "tests", "fixtures", "tokenizers", "corpus.jsonl.gz")
    items = gen()
    lines = []
    for i, item in enumerate(items):
        lines.append(json.dumps({"id": i, "cat": item["cat"], "text": item["text"], "lone": item["lone"]},
                                ensure_ascii=True))
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(out, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
            g.write(data)
    print(f"{len(items)} strings -> {out}")


if __name__ == "__main__":
    main()
