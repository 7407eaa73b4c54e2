// Renders every case of cases.mjs with @huggingface/jinja (the Jinja implementation of transformers.js) and
// writes tests/fixtures/chat-templates/{cases.json,goldens.json}. Usage (from this folder):
//   npm ci && node render-goldens.mjs
// The GPU machine cross-checks the same cases with transformers' apply_chat_template:
//   python3 tools/chat-templates/render_goldens_transformers.py   (writes $OUT/goldens.transformers.json)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";
import { cases } from "./cases.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "..", "..", "tests", "fixtures", "chat-templates");
const goldens = {};
for (const c of cases) {
  const source = readFileSync(join(fixtures, "templates", c.template), "utf8");
  const context = { messages: c.messages, add_generation_prompt: c.add_generation_prompt, bos_token: c.bos_token, eos_token: c.eos_token, ...(c.extra ?? {}) };
  if (c.tools) context.tools = c.tools;
  try {
    goldens[c.name] = { output: new Template(source).render(context) };
  } catch (e) {
    goldens[c.name] = { error: String(e.message ?? e) };
  }
}
writeFileSync(join(fixtures, "cases.json"), JSON.stringify({ renderer: "@huggingface/jinja", cases }, null, 2) + "\n");
writeFileSync(join(fixtures, "goldens.json"), JSON.stringify(goldens, null, 2) + "\n");
console.log(`${cases.length} cases, ${Object.values(goldens).filter((g) => g.error).length} raise errors`);
