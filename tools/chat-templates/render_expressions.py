"""Renders small Jinja expressions with Python's Jinja2 in transformers' chat-template environment and writes
tests/fixtures/chat-templates/expressions.json ({template, variables, output | error}) for the C# engine's tests.
Needs only jinja2 (present on the development machine and the GPU machine):
    python3 tools/chat-templates/render_expressions.py
"""
import json
from pathlib import Path

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

V = {"s": "  Hello, World  ", "n": 7, "f": 2.5, "l": [3, 1, 2], "d": {"b": 1, "a": [1, 2.0, None, True]},
     "msgs": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "tool_calls": [{"function": {"name": "x"}}]}],
     "u": "ünïcödé ✓", "e": "", "none": None}
CASES = [
    "{{ s | trim }}|{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|",
    "{{ s.split(',') }} {{ s.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ s.upper() }} {{ s.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ s | title }}",
    "{{ 'abcdef'[1:4] }} {{ 'abcdef'[::-2] }} {{ 'abcdef'[-2:] }} {{ l[1:] }} {{ l[::-1] }} {{ l[-1] }}",
    "{{ n / 2 }} {{ n // 2 }} {{ n % 3 }} {{ -n // 2 }} {{ -n % 3 }} {{ 2 ** 10 }} {{ f * 2 }} {{ n + f }} {{ 1e20 }} {{ 0.1 + 0.2 }}",
    "{{ d }} {{ l }} {{ none }} {{ true }} {{ [1, 'a', none, 2.0] }} {{ ('x', 1) }}",
    "{{ d | tojson }} {{ d | tojson(indent=2) }} {{ d | tojson(sort_keys=true) }} {{ u | tojson }} {{ 'a\"b\\\\c\\n' | tojson }}",
    "{{ l | length }} {{ u | length }} {{ d | length }} {{ l | first }} {{ l | last }} {{ l | sort }} {{ l | sort(reverse=true) }} {{ l | sum }} {{ l | min }} {{ l | max }}",
    "{{ msgs | selectattr('role', 'equalto', 'user') | list | length }} {{ msgs | map(attribute='role') | join(', ') }} {{ msgs | selectattr('tool_calls', 'defined') | list | length }} {{ msgs | rejectattr('tool_calls') | map(attribute='content') | first }}",
    "{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %} {% for k in d %}{{ k }}{% endfor %} {% for k, v in d.items() if k != 'a' %}{{ k }}{% endfor %}",
    "{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}",
    "{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% else %}empty{% endfor %}{% for x in [] %}{{ x }}{% else %}empty{% endfor %}",
    "{% set ns = namespace(total=0, names=[]) %}{% for m in msgs %}{% set ns.total = ns.total + 1 %}{% set ns.names = ns.names + [m.role] %}{% endfor %}{{ ns.total }} {{ ns.names }}",
    "{{ missing is defined }} {{ missing is undefined }} {{ none is none }} {{ 'x' is string }} {{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }} {{ d is mapping }} {{ l is iterable }} {{ 'x' is iterable }} {{ 4 is divisibleby 2 }} {{ 3 is odd }} {{ true is boolean }}",
    "{{ 'a' in 'cat' }} {{ 1 in l }} {{ 'a' in d }} {{ 'z' not in d }} {{ 'x' ~ 1 ~ none }} {{ 'ab' * 3 }} {{ l + [4] }}",
    "{{ missing | default('dflt') }} {{ e | default('dflt') }} {{ e | default('dflt', true) }} {{ none | default('dflt') }}",
    "{{ 'x' if n > 5 else 'y' }} {{ 'x' if n > 50 }}|{{ n > 5 and 'yes' or 'no' }} {{ none or 'fallback' }} {{ 0 and 1 }} {{ not e }}",
    "{{ '%d items' }} {{ 'a-b-c'.replace('-', '+') }} {{ 'a-b-c' | replace('-', '') }} {{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'a<b>' | e }} {{ 'hello'.find('l') }} {{ 'hello'.count('l') }}",
    "{{ [1, 2, 2, 3, 1] | unique | list }} {{ l | reverse | list }} {{ 'abc' | list }} {{ d | dictsort }} {{ 3.7 | int }} {{ '42' | int }} {{ 3 | float }} {{ -2 | abs }} {{ 2.345 | round(2) }} {{ 2.5 | round }}",
    "{{ 'line1\\nline2' | indent(2) }}|{{ 'line1\\nline2' | indent(2, true) }}|{{ 'a b  c' | wordcount }}",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(name='Cy') }}",
    "{% set x %}block {{ n }}{% endset %}[{{ x }}] {% set a, b = 1, 2 %}{{ a }}{{ b }} {% filter upper %}shout {{ s | trim }}{% endfilter %}",
    "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ dict(a=1, b='x') }} {{ l | batch(2) | list }}",
    "  {% if true %}\n    indented\n  {% endif %}\n{{- ' tight ' -}}\n  end  {# comment #}\n  {#- stripped -#}  x",
    "{{ msgs[0].role }} {{ msgs[0]['content'] }} {{ msgs[5] is defined }} {{ d.get('a') }} {{ d.get('zz', 'none!') }} {{ d.keys() | list }} {{ msgs[1].tool_calls[0].function.name }}",
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}",
    "{{ 1 < 2 < 3 }} {{ 'b' > 'a' }} {{ [1, 2] == [1, 2] }} {{ d == {'b': 1, 'a': [1, 2.0, none, true]} }} {{ 1 == 1.0 }}",
]

out = []
for template in CASES:
    try:
        out.append({"template": template, "output": env.from_string(template).render(**V)})
    except Exception as e:  # noqa: BLE001 - the error text is the golden
        out.append({"template": template, "error": f"{type(e).__name__}: {e}"})

path = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "chat-templates" / "expressions.json"
path.write_text(json.dumps({"renderer": "jinja2 (transformers' chat-template environment)", "variables": V, "cases": out},
                           indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"{len(out)} expressions, {sum('error' in c for c in out)} errors -> {path}")
