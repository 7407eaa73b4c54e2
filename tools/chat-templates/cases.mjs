// The chat-template golden cases: every public template under tests/fixtures/chat-templates/templates is
// rendered for these conversations. render-goldens.mjs (node + @huggingface/jinja) and
// render_goldens_transformers.py (GPU machine, transformers' apply_chat_template) render the same cases.
const chat = [
  { role: "user", content: "Hello, how are you?" },
  { role: "assistant", content: "I'm doing great. How can I help you today?" },
  { role: "user", content: "  What is the pass key?  " },
];
const system = { role: "system", content: "You are a terse assistant. Answer with numbers only." };
const weatherTool = {
  type: "function",
  function: {
    name: "get_current_temperature",
    description: "Get the current temperature at a location.",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string", description: "The location, as \"City, Country\"." },
        unit: { type: "string", enum: ["celsius", "fahrenheit"], description: "The unit (défaut: celsius)." },
      },
      required: ["location", "unit"],
    },
  },
};
const toolTurn = (id) => [
  { role: "user", content: "What's the temperature in Paris now?" },
  {
    role: "assistant",
    content: "",
    tool_calls: [{ id, type: "function", function: { name: "get_current_temperature", arguments: { location: "Paris, France", unit: "celsius" } } }],
  },
  { role: "tool", tool_call_id: id, name: "get_current_temperature", content: "22.5" },
];

const llamaTokens = { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" };
const mistralTokens = { bos_token: "<s>", eos_token: "</s>" };
const qwenTokens = { bos_token: null, eos_token: "<|im_end|>" };

export const cases = [
  // Llama 3 (meta-llama/Meta-Llama-3-8B-Instruct)
  { name: "llama-3/multi-turn", template: "llama-3-instruct.jinja", ...llamaTokens, add_generation_prompt: true, messages: chat },
  { name: "llama-3/system-multi-turn", template: "llama-3-instruct.jinja", ...llamaTokens, add_generation_prompt: true, messages: [system, ...chat] },
  // Llama 3.1 (meta-llama/Llama-3.1-8B-Instruct)
  { name: "llama-3.1/multi-turn", template: "llama-3.1-instruct.jinja", ...llamaTokens, add_generation_prompt: true, messages: chat },
  { name: "llama-3.1/system-no-generation-prompt", template: "llama-3.1-instruct.jinja", ...llamaTokens, add_generation_prompt: false, messages: [system, ...chat], extra: { date_string: "27 Nov 2026" } },
  { name: "llama-3.1/tools", template: "llama-3.1-instruct.jinja", ...llamaTokens, add_generation_prompt: true, messages: [system, ...toolTurn("call_1")], tools: [weatherTool] },
  { name: "llama-3.1/tools-in-system", template: "llama-3.1-instruct.jinja", ...llamaTokens, add_generation_prompt: true, messages: [system, ...toolTurn("call_1")], tools: [weatherTool], extra: { tools_in_user_message: false } },
  // Mistral 7B Instruct v0.1 and Mixtral 8x7B Instruct v0.1
  { name: "mistral-v0.1/multi-turn", template: "mistral-7b-instruct-v0.1.jinja", ...mistralTokens, add_generation_prompt: true, messages: chat },
  { name: "mistral-v0.1/system-rejected", template: "mistral-7b-instruct-v0.1.jinja", ...mistralTokens, add_generation_prompt: true, messages: [system, ...chat] },
  { name: "mixtral/multi-turn", template: "mixtral-8x7b-instruct-v0.1.jinja", ...mistralTokens, add_generation_prompt: true, messages: chat },
  // Mistral NeMo Instruct 2407 (tool calls with 9-character ids)
  { name: "mistral-nemo/system-multi-turn", template: "mistral-nemo-instruct-2407.jinja", ...mistralTokens, add_generation_prompt: true, messages: [system, ...chat] },
  { name: "mistral-nemo/tools", template: "mistral-nemo-instruct-2407.jinja", ...mistralTokens, add_generation_prompt: true, messages: [...toolTurn("abcDEF123"), { role: "assistant", content: "It is 22.5 °C in Paris." }, { role: "user", content: "Thanks!" }], tools: [weatherTool] },
  { name: "mistral-nemo/bad-tool-id", template: "mistral-nemo-instruct-2407.jinja", ...mistralTokens, add_generation_prompt: true, messages: toolTurn("call_1"), tools: [weatherTool] },
  // Qwen2 Instruct (Qwen/Qwen2-0.5B-Instruct, as printed in transformers' chat-template docs)
  { name: "qwen2/multi-turn", template: "qwen2-instruct.jinja", ...qwenTokens, add_generation_prompt: true, messages: chat },
  { name: "qwen2/system-no-generation-prompt", template: "qwen2-instruct.jinja", ...qwenTokens, add_generation_prompt: false, messages: [system, ...chat] },
  // Qwen2.5 Instruct (default system prompt, tools, consecutive tool messages)
  { name: "qwen2.5/multi-turn", template: "qwen2.5-instruct.jinja", ...qwenTokens, add_generation_prompt: true, messages: chat },
  { name: "qwen2.5/system-multi-turn", template: "qwen2.5-instruct.jinja", ...qwenTokens, add_generation_prompt: true, messages: [system, ...chat] },
  { name: "qwen2.5/tools", template: "qwen2.5-instruct.jinja", ...qwenTokens, add_generation_prompt: true,
    messages: [system, ...toolTurn("call_1"), { role: "tool", tool_call_id: "call_2", content: "{\"humidity\": 40}" }], tools: [weatherTool] },
  // Qwen3 (thinking sections, reversed loop, string methods)
  { name: "qwen3/thinking-multi-turn", template: "qwen3.jinja", ...qwenTokens, add_generation_prompt: true,
    messages: [system, { role: "user", content: "2+2?" }, { role: "assistant", content: "<think>\nsimple sum\n</think>\n\n4" }, { role: "user", content: "3+3?" }] },
  { name: "qwen3/tools-no-thinking", template: "qwen3.jinja", ...qwenTokens, add_generation_prompt: true, messages: toolTurn("call_1"), tools: [weatherTool], extra: { enable_thinking: false } },
];
