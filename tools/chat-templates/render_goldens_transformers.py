"""Renders the chat-template golden cases with transformers' apply_chat_template (GPU machine, no network).

With --jinja2 it needs only jinja2 (no transformers): it renders with the environment transformers builds for chat
templates (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson, raise_exception and
strftime_now), which is how the goldens were also checked on the development machine:
    python3 tools/chat-templates/render_goldens_transformers.py --jinja2

Reads tests/fixtures/chat-templates/{cases.json,templates/*.jinja}, renders every case through a
PreTrainedTokenizerFast whose bos/eos tokens are the case's, and writes $OUT/goldens.transformers.json in the
same shape as tests/fixtures/chat-templates/goldens.json ({name: {"output": ...} or {"error": ...}}), then
compares with the committed goldens (made by @huggingface/jinja) and prints one line per case.

    python3 tools/chat-templates/render_goldens_transformers.py
"""
import json
import os
import sys
from pathlib import Path

USE_JINJA2 = "--jinja2" in sys.argv
if not USE_JINJA2:
    import transformers
    from tokenizers import Tokenizer, models

    try:
        from transformers import PreTrainedTokenizerFast
    except ImportError:  # a transformers without the class: render with its Jinja helper directly (below)
        PreTrainedTokenizerFast = None

root = Path(__file__).resolve().parents[2]
fixtures = root / "tests" / "fixtures" / "chat-templates"
out = Path(os.environ.get("OUT", "."))
out.mkdir(parents=True, exist_ok=True)
cases = json.loads((fixtures / "cases.json").read_text(encoding="utf-8"))["cases"]
committed = json.loads((fixtures / "goldens.json").read_text(encoding="utf-8"))



def render_jinja2(case, template, kwargs):
    """The environment of transformers.utils.chat_template_utils._compile_jinja_template, and its render call."""
    from datetime import datetime

    from jinja2.exceptions import TemplateError
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    special = {k: case.get(k) for k in ("bos_token", "eos_token")}
    return env.from_string(template).render(messages=case["messages"], tools=case.get("tools"), documents=None,
                                            add_generation_prompt=case["add_generation_prompt"], **{**special, **kwargs})


def render(case, template, kwargs):
    """transformers' apply_chat_template on a tokenizer whose special tokens are the case's."""
    if USE_JINJA2:
        return render_jinja2(case, template, kwargs)
    special = {k: case[k] for k in ("bos_token", "eos_token") if case.get(k) is not None}
    if PreTrainedTokenizerFast is not None:
        tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()), **special)
        return tok.apply_chat_template(case["messages"], tools=case.get("tools"), chat_template=template,
                                       add_generation_prompt=case["add_generation_prompt"], tokenize=False, **kwargs)
    from transformers.utils.chat_template_utils import render_jinja_template
    rendered, _ = render_jinja_template(conversations=[case["messages"]], tools=case.get("tools"), chat_template=template,
                                        add_generation_prompt=case["add_generation_prompt"], **{**special, **kwargs})
    return rendered[0]


results, mismatches = {}, 0
for case in cases:
    template = (fixtures / "templates" / case["template"]).read_text(encoding="utf-8")
    kwargs = dict(case.get("extra") or {})
    if case.get("bos_token") is None:
        kwargs["bos_token"] = None
    try:
        results[case["name"]] = {"output": render(case, template, kwargs)}
    except Exception as e:  # TemplateError from raise_exception, or anything else the template raises
        results[case["name"]] = {"error": str(e)}
    same = results[case["name"]] == committed.get(case["name"])
    mismatches += not same
    print(f"{'same' if same else 'DIFFERENT'}  {case['name']}")

name = "goldens.jinja2.json" if USE_JINJA2 else "goldens.transformers.json"
(out / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
import jinja2  # noqa: E402  (version report only)
engine = f"jinja2 {jinja2.__version__} (transformers' environment)" if USE_JINJA2 else f"transformers {transformers.__version__}"
print(f"{engine}: {len(cases) - mismatches} of {len(cases)} cases equal to goldens.json; wrote {out / name}")
sys.exit(0)
