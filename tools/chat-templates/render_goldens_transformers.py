"""Renders the chat-template golden cases with transformers' apply_chat_template (GPU machine, no network).

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

import transformers
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast

root = Path(__file__).resolve().parents[2]
fixtures = root / "tests" / "fixtures" / "chat-templates"
out = Path(os.environ.get("OUT", "."))
out.mkdir(parents=True, exist_ok=True)
cases = json.loads((fixtures / "cases.json").read_text(encoding="utf-8"))["cases"]
committed = json.loads((fixtures / "goldens.json").read_text(encoding="utf-8"))

results, mismatches = {}, 0
for case in cases:
    special = {k: case[k] for k in ("bos_token", "eos_token") if case.get(k) is not None}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()), **special)
    template = (fixtures / "templates" / case["template"]).read_text(encoding="utf-8")
    kwargs = dict(case.get("extra") or {})
    if case.get("bos_token") is None:
        kwargs["bos_token"] = None
    try:
        text = tok.apply_chat_template(case["messages"], tools=case.get("tools"), chat_template=template,
                                       add_generation_prompt=case["add_generation_prompt"], tokenize=False, **kwargs)
        results[case["name"]] = {"output": text}
    except Exception as e:  # TemplateError from raise_exception, or anything else the template raises
        results[case["name"]] = {"error": str(e)}
    same = results[case["name"]] == committed.get(case["name"])
    mismatches += not same
    print(f"{'same' if same else 'DIFFERENT'}  {case['name']}")

(out / "goldens.transformers.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"transformers {transformers.__version__}: {len(cases) - mismatches} of {len(cases)} cases equal to goldens.json")
sys.exit(0)
