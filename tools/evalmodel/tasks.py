"""Prompt templates of the evaluation model's tasks: the exact strings of the C# harness
(src/Runtime/Evaluation/TaskTemplates.cs, TaskGenerator.cs, RulerTasks.cs), so a model trained on them is
evaluated by `uncomp eval` with its default templates.

Standard library only. Every generator takes a `random.Random` and a haystack slicer and returns
(prompt, answer, expected_items): the model must continue the prompt with `answer`; a continuation is correct
when every item of `expected_items` appears in it (single-answer tasks: it starts with the answer).

Answers are random digits, random letter strings or random combinations of words: nothing a model could
recall from training, so it has to copy them from the prompt.
"""
import random
import re

# ---------------- the C# defaults (TaskTemplates.Default) ----------------
PASSKEY_INTRO = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. "
                 "I will quiz you about the important information there. ")
PASSKEY_FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. "
PASSKEY_NEEDLE = "The pass key is {key}. Remember it. {key} is the pass key. "
PASSKEY_QUESTION = "What is the pass key? The pass key is"

NEEDLE_SENTENCE = "The special magic {city} number is {number}.\n\n"
NEEDLE_QUESTION = "\nQuestion: What is the special magic {city} number?\nAnswer: The special magic {city} number is"
NEEDLE_CITIES = ["Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Dublin", "Quito", "Hanoi", "Nairobi", "Lisbon",
                 "Ottawa", "Madrid", "Berlin", "Vienna", "Prague", "Athens", "Havana", "Manila", "Seoul", "Santiago"]

MULTIKEY_SENTENCE = "The value of key {key} is {value}.\n\n"
MULTIKEY_QUESTION = "\nQuestion: What is the value of key {key}?\nAnswer: The value of key {key} is"

# Free-text needle: "<prefix> <answer>.\n\n" ... "\nQuestion: <question>\nAnswer: <prefix>" -> " <answer>."
TEXT_NEEDLE_SENTENCE = "{prefix} {answer}.\n\n"
TEXT_NEEDLE_QUESTION = "\nQuestion: {question}\nAnswer: {prefix}"

# ---------------- RULER-style tasks (RulerTemplates in C#) ----------------
MV_SENTENCE = "One of the special magic numbers for {key} is: {value}.\n\n"
MV_QUESTION = ("\nQuestion: What are all the special magic numbers for {key} mentioned in the text?\n"
               "Answer: The special magic numbers for {key} are:")
MQ_QUESTION = ("\nQuestion: What are all the special magic numbers for {keys} mentioned in the text?\n"
               "Answer: The special magic numbers for {keys} are:")
VT_FIRST = "VAR {name} = {value}.\n\n"
VT_NEXT = "VAR {name} = VAR {prev}.\n\n"
VT_QUESTION = ("\nQuestion: Find all variables that are assigned the value {value} in the text above.\n"
               "Answer: The variables assigned the value {value} are:")
CWE_INTRO = ("Below is a numbered list of words. In these words, some appear more often than others. "
             "Memorize the ones that appear most often.\n")
CWE_LINE = "{n}. {word}\n"
CWE_QUESTION = ("Question: What are the {count} most common words in the above list?\n"
                "Answer: The top {count} words that appear most often in the list are:")

# Words for keys and free-text answers (also in TaskTemplates.KeyWords).
WORDS = ['apple', 'river', 'stone', 'garden', 'quiet', 'yellow', 'morning', 'window', 'silver', 'paper', 'bread',
         'music', 'bridge', 'candle', 'forest', 'garlic', 'honey', 'lantern', 'marble', 'orchard', 'pepper', 'saddle',
         'thunder', 'violet', 'walnut', 'anchor', 'basket', 'cedar', 'donkey', 'feather', 'glacier', 'harbor',
         'island', 'jacket', 'kettle', 'lemon', 'meadow', 'needle', 'ocean', 'pebble', 'quilt', 'ribbon', 'shadow',
         'tulip', 'umbrella', 'velvet', 'wagon', 'yarn', 'zebra', 'amber', 'blanket', 'copper', 'desert', 'ember',
         'fountain', 'granite', 'hammock', 'ivory', 'jungle', 'kiwi', 'ladder', 'mango', 'nutmeg', 'olive', 'parrot',
         'quartz', 'raven', 'saffron', 'tiger', 'valley', 'willow', 'almond', 'biscuit', 'cactus', 'dragon', 'engine',
         'falcon', 'gravel', 'hazel', 'iron', 'jasmine', 'koala', 'lilac', 'maple', 'nickel', 'onion', 'pumpkin',
         'rocket', 'spinach', 'tomato', 'vinegar', 'whistle']

# Free-text needle subjects for training (evaluation uses TEXT_EVAL_SUBJECTS, never trained on).
TEXT_TRAIN_SUBJECTS = [
    ("The best thing to do in {x} is", "What is the best thing to do in {x}?",
     ["Paris", "Berlin", "Rome", "Boston", "Denver", "Toronto", "Oslo", "Cairo", "Osaka", "Sydney", "Havana",
      "Munich", "Geneva", "Bangkok", "Warsaw", "Austin", "Seattle", "Dublin", "Athens", "Venice"]),
    ("The secret ingredient in {x}'s soup is", "What is the secret ingredient in {x}'s soup?",
     ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack", "Karen", "Leo"]),
    ("The name of {x}'s dog is", "What is the name of {x}'s dog?",
     ["Maria", "Nathan", "Olivia", "Peter", "Quinn", "Rachel", "Samuel", "Tina", "Victor", "Wendy"]),
    ("The password of the {x} account is", "What is the password of the {x} account?",
     ["bank", "school", "office", "garden club", "chess club", "library", "museum", "hotel"]),
]
# Synthetic free-text subjects (training only): random WORDS in sentence shapes unlike the evaluation's, so the copy
# skill does not hang on the few TEXT_TRAIN_SUBJECTS templates (run 2 of 2026-11-27 reached 36-39 % on the unseen
# evaluation subjects). Half of the training rows of the task use one.
TEXT_SYNTHETIC_FORMS = [
    ("The {a} of the {b} is", "What is the {a} of the {b}?"),
    ("The colour of the {a} {b} is", "What is the colour of the {a} {b}?"),
    ("The code word of the {a} team is", "What is the code word of the {a} team?"),
    ("The favourite {a} of the {b} {c} is", "What is the favourite {a} of the {b} {c}?"),
    ("Everyone at the {a} {b} says the answer is", "What does everyone at the {a} {b} say the answer is?"),
]
TEXT_EVAL_SUBJECTS = [
    ("The best thing to do in San Francisco is", "What is the best thing to do in San Francisco?"),
    ("The secret ingredient in Grandma Rosa's goulash is", "What is the secret ingredient in Grandma Rosa's goulash?"),
    ("The name of the lighthouse keeper's donkey is", "What is the name of the lighthouse keeper's donkey?"),
    ("The best thing to do in Kyoto is", "What is the best thing to do in Kyoto?"),
    ("The motto of the midnight bakery is", "What is the motto of the midnight bakery?"),
]


def digits(rng, n):
    """n random digits, no leading zero (as TaskGenerator.Digits)."""
    return str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))


def letters(rng, n):
    return "".join(chr(ord("A") + rng.randrange(26)) for _ in range(n))


def word_key(rng):
    return "%s-%s" % (rng.choice(WORDS), rng.choice(WORDS))


def random_words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


class Haystack:
    """Slices of held-out text starting at a line start, cut after the last whole line (as TaskGenerator)."""

    def __init__(self, text):
        self.text = text.replace("\r\n", "\n")
        words = re.findall(r"\b[a-z]{4,10}\b", self.text)
        counts = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        # Distinct lower-case words of the haystack in first-seen order: the common-word task's vocabulary.
        self.vocabulary = list(dict.fromkeys(w for w in words if counts[w] >= 2))

    def slice(self, start, chars):
        t = self.text
        ls = t.rfind("\n", 0, min(start, len(t) - 1) + 1)
        i = 0 if ls < 0 else ls + 1
        out, n = [], 0
        while n < chars:
            take = min(chars - n, len(t) - i)
            out.append(t[i:i + take])
            n += take
            i = (i + take) % len(t)
            if i == 0 and n < chars and not out[-1].endswith("\n"):
                out.append("\n")
                n += 1
        s = "".join(out)
        nl = s.rfind("\n")
        return s[:nl + 1] if nl > len(s) // 2 else s


def snap_to_line(text, index):
    index = max(0, min(index, len(text)))
    if index in (0, len(text)):
        return index
    nl = text.find("\n", index - 1)
    return len(text) if nl < 0 else nl + 1


def insert_at_depths(hay, pieces):
    """pieces: list of (depth in [0,1], text), inserted at line starts in depth order (stable)."""
    at = sorted(((snap_to_line(hay, round(d * len(hay))), i, p) for i, (d, p) in enumerate(pieces)))
    out, prev = [], 0
    for a, _, p in at:
        out.append(hay[prev:a])
        out.append(p)
        prev = a
    out.append(hay[prev:])
    return "".join(out)


# ---------------- generators: (rng, hay: Haystack, chars) -> (prompt, answer, items) ----------------
def passkey(rng, hay, chars, depth=None, key_digits=5):
    key = digits(rng, key_digits)
    depth = rng.random() if depth is None else depth
    units = max(chars // len(PASSKEY_FILLER), 0)
    nb = round(depth * units)
    prompt = (PASSKEY_INTRO + PASSKEY_FILLER * nb + PASSKEY_NEEDLE.replace("{key}", key)
              + PASSKEY_FILLER * (units - nb) + PASSKEY_QUESTION)
    return prompt, " " + key + ".", [key]


def needle(rng, hay, chars, depth=None, number_digits=7):
    city = rng.choice(NEEDLE_CITIES)
    number = digits(rng, number_digits)
    depth = rng.random() if depth is None else depth
    h = hay.slice(rng.randrange(len(hay.text)), chars)
    body = insert_at_depths(h, [(depth, NEEDLE_SENTENCE.replace("{city}", city).replace("{number}", number))])
    return body + NEEDLE_QUESTION.replace("{city}", city), " " + number + ".", [number]


def text_needle(rng, hay, chars, depth=None, evaluation=False):
    if evaluation:
        prefix, question = rng.choice(TEXT_EVAL_SUBJECTS)
    elif rng.random() < 0.5:
        p, q = rng.choice(TEXT_SYNTHETIC_FORMS)
        a, b, c = (rng.choice(WORDS) for _ in range(3))
        prefix, question = p.format(a=a, b=b, c=c), q.format(a=a, b=b, c=c)
    else:
        p, q, xs = rng.choice(TEXT_TRAIN_SUBJECTS)
        x = rng.choice(xs)
        prefix, question = p.replace("{x}", x), q.replace("{x}", x)
    r = rng.random()
    answer = random_words(rng, 2, 6) if r < 0.7 else (letters(rng, rng.randint(4, 8)) if r < 0.85 else digits(rng, rng.randint(4, 8)))
    depth = rng.random() if depth is None else depth
    h = hay.slice(rng.randrange(len(hay.text)), chars)
    body = insert_at_depths(h, [(depth, TEXT_NEEDLE_SENTENCE.format(prefix=prefix, answer=answer))])
    return body + TEXT_NEEDLE_QUESTION.format(question=question, prefix=prefix), " " + answer + ".", [answer]


def multikey(rng, hay, chars, pairs=None, key_digits=4, value_digits=5):
    pairs = pairs or rng.randint(2, max(2, chars // 400))
    keys = []
    while len(keys) < pairs:
        k = digits(rng, key_digits)
        if k not in keys:
            keys.append(k)
    values = [digits(rng, value_digits) for _ in keys]
    asked = rng.randrange(pairs)
    h = hay.slice(rng.randrange(len(hay.text)), chars)
    body = insert_at_depths(h, [(rng.random(), MULTIKEY_SENTENCE.format(key=k, value=v)) for k, v in zip(keys, values)])
    return body + MULTIKEY_QUESTION.replace("{key}", keys[asked]), " " + values[asked] + ".", [values[asked]]


def multivalue(rng, hay, chars, values=4, value_digits=7):
    key = word_key(rng)
    vals = [digits(rng, value_digits) for _ in range(values)]
    depths = sorted(rng.random() for _ in vals)
    h = hay.slice(rng.randrange(len(hay.text)), chars)
    body = insert_at_depths(h, [(d, MV_SENTENCE.format(key=key, value=v)) for d, v in zip(depths, vals)])
    return body + MV_QUESTION.format(key=key), " " + ", ".join(vals) + ".", vals


def multiquery(rng, hay, chars, keys=4, queries=2, value_digits=7):
    ks = []
    while len(ks) < keys:
        k = word_key(rng)
        if k not in ks:
            ks.append(k)
    vals = [digits(rng, value_digits) for _ in ks]
    depths = [rng.random() for _ in ks]
    asked = sorted(rng.sample(range(keys), queries))
    h = hay.slice(rng.randrange(len(hay.text)), chars)
    body = insert_at_depths(h, [(d, MV_SENTENCE.format(key=k, value=v)) for d, k, v in zip(depths, ks, vals)])
    names = " and ".join(ks[i] for i in asked)
    return body + MQ_QUESTION.format(keys=names), " " + ", ".join(vals[i] for i in asked) + ".", [vals[i] for i in asked]


def variable_tracking(rng, hay, chars, hops=4, chains=2, value_digits=5):
    """`chains` chains of `hops` assignments; the first chain is asked for, the others distract."""
    names, all_pieces, values = [], [], []
    for c in range(chains):
        chain = []
        while len(chain) < hops + 1:
            n = letters(rng, 5)
            if n not in names and n not in chain:
                chain.append(n)
        names += chain
        v = digits(rng, value_digits)
        while v in values:
            v = digits(rng, value_digits)
        values.append(v)
        depths = sorted(rng.random() for _ in chain)
        pieces = [(depths[0], VT_FIRST.format(name=chain[0], value=v))]
        pieces += [(depths[i], VT_NEXT.format(name=chain[i], prev=chain[i - 1])) for i in range(1, len(chain))]
        all_pieces += pieces
        if c == 0:
            asked = chain
    h = hay.slice(rng.randrange(len(hay.text)), chars)
    body = insert_at_depths(h, all_pieces)
    return body + VT_QUESTION.format(value=values[0]), " " + " ".join(asked) + ".", asked


def common_words(rng, hay, chars, common=3, common_freq=30, rare_freq=3):
    """A numbered word list: `common` words `common_freq` times each, the rest `rare_freq` times each."""
    line = 10  # about "123. word\n"
    total = chars // line
    common_freq = max(2, min(common_freq, total // (2 * common)))
    total = max(total, common * common_freq + rare_freq)
    rare_n = max(1, (total - common * common_freq) // rare_freq)
    words = rng.sample(hay.vocabulary, common + rare_n)
    top, rare = words[:common], words[common:]
    items = top * common_freq + rare * rare_freq
    rng.shuffle(items)
    body = CWE_INTRO + "".join(CWE_LINE.format(n=i + 1, word=w) for i, w in enumerate(items))
    first = sorted(top, key=items.index)
    return body + CWE_QUESTION.format(count=common), " " + " ".join(first) + ".", first


GENERATORS = {
    "passkey": passkey, "needle": needle, "textneedle": text_needle, "multikey": multikey,
    "multivalue": multivalue, "multiquery": multiquery, "vartrack": variable_tracking, "commonwords": common_words,
}


def score(continuation, answer, items):
    """Single answers: the stripped continuation starts with the answer, not followed by a letter or digit
    (the fixture's rule). Several items: every item occurs as a whole word."""
    if len(items) == 1:
        c, a = continuation.lstrip(), items[0]
        return c.startswith(a) and (len(c) == len(a) or not c[len(a)].isalnum())
    return all(re.search(r"(?<![A-Za-z0-9])" + re.escape(i) + r"(?![A-Za-z0-9])", continuation) for i in items)


def fit(tok, gen, hay, seed, target_tokens, chars_per_token=3.2, **kw):
    """Builds a prompt of at most target_tokens tokens (BOS included) by shrinking the text budget until it
    fits; returns (ids, prompt, answer, items). Deterministic for a seed. The budget shrinks in proportion to the
    measured tokens (a numbered word list has about 1.4 characters per token, prose about 3.2), so any task fits
    whose fixed parts do; raises ValueError naming the task otherwise."""
    chars = int(target_tokens * chars_per_token)
    tokens = None
    for _ in range(16):
        prompt, answer, items = gen(random.Random(seed), hay, chars, **kw)
        ids = tok.encode(prompt).ids
        tokens = len(ids)
        if tokens <= target_tokens:
            return ids, prompt, answer, items
        # Only the haystack (or word list) shrinks, and by whole lines: in proportion, at least 3 % a try.
        chars = min(int(chars * target_tokens / tokens * 0.97), int(chars * 0.97))
        if chars <= 0:
            break
    raise ValueError("could not fit a %s prompt into %d tokens (last try: %s tokens)" % (gen.__name__, target_tokens, tokens))
