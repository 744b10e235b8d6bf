// The scripted models the tools / thinking / OpenAI-surface / framework suites share, and the tool
// definitions they are asked with. Every answer is known: see each script.
import fs from 'node:fs';
import path from 'node:path';
import { LLAMA3_VOCAB, QWEN3_VOCAB, createScripted, templateLine } from './scripted.mjs';
import { sharedDir } from './harness.mjs';

export const LLAMA31_JINJA = path.join(sharedDir, 'fixtures/templates/jinja/llama3_1.jinja');
export const haveModels = Boolean(QWEN3_VOCAB && LLAMA3_VOCAB && fs.existsSync(LLAMA31_JINJA));
export const skipReason = haveModels ? false : 'fixture vocabularies absent (../shared/fixtures): scripted-model tests skipped';

export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
export const TIME_TOOL = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'The time in a time zone',
    parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  },
};

export const THOUGHT = 'The user wants the weather.';
export const HELLO = 'Hello! How can I help?';
export const HELLO_THOUGHT = 'A greeting.';
export const HOT = 'It is 22 degrees in Paris.';
export const COLD = 'It is 17 degrees in Paris.';
export const PARIS_CALL = { name: 'get_weather', arguments: { city: 'Paris' } };

const QWEN_TURN = '<|im_start|>assistant\n';
const QWEN_NO_THINK = '<think>\n\n</think>\n\n';
const CALL_TEXT = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

// "weather" (Qwen 3's vocabulary and Jinja template: tools and thinking):
//  - without tools: thinks "A greeting." and says hello (think:false: only the hello);
//  - with tools: thinks, then calls get_weather(Paris) (think:false: only the call);
//  - with a tool result: the answer depends on it — a result with a 2 (say 22) or with a 7 and no 2
//    (say 17) gives that temperature.
// The markers: <tool_call> (the tools' instructions and earlier calls hold it), <tool_response> (a
// tool result), and the result's digits (Qwen's tokenizer makes every digit its own token, so they
// are found whatever surrounds them).
export const WEATHER_SCRIPT = {
  rules: [
    { after: QWEN_TURN, unless: '<tool_call>', say: `<think>\n${HELLO_THOUGHT}\n</think>\n\n${HELLO}<|im_end|>` },
    { after: QWEN_NO_THINK, unless: '<tool_call>', say: `${HELLO}<|im_end|>` },
    { after: QWEN_TURN, when: '<tool_call>', unless: '<tool_response>', say: `<think>\n${THOUGHT}\n</think>\n\n${CALL_TEXT}<|im_end|>` },
    { after: QWEN_NO_THINK, when: '<tool_call>', unless: '<tool_response>', say: `${CALL_TEXT}<|im_end|>` },
    { after: QWEN_TURN, when: ['<tool_call>', '<tool_response>', '2'], say: `<think>\nThe tool answered.\n</think>\n\n${HOT}<|im_end|>` },
    { after: QWEN_TURN, when: ['<tool_call>', '<tool_response>', '7'], unless: '2', say: `<think>\nThe tool answered.\n</think>\n\n${COLD}<|im_end|>` },
    { after: QWEN_NO_THINK, when: ['<tool_call>', '<tool_response>', '2'], say: `${HOT}<|im_end|>` },
  ],
};

// "mistral" (Llama 3's vocabulary, a Mistral-style Go TEMPLATE): two calls in one answer,
// get_weather(city: Paris) and get_time(zone: CET).
export const MISTRAL_TEMPLATE =
  '{{- range $i, $_ := .Messages }}{{- if eq .Role "user" }}{{ if and $.Tools (eq $i 0) }}[AVAILABLE_TOOLS] ' +
  '{{ json $.Tools }}[/AVAILABLE_TOOLS]{{ end }}[INST] {{ .Content }} [/INST]' +
  '{{- else if eq .Role "assistant" }}{{ if .Content }} {{ .Content }}{{ else if .ToolCalls }}[TOOL_CALLS] [' +
  '{{- range $j, $c := .ToolCalls }}{{ if $j }}, {{ end }}{"name": "{{ $c.Function.Name }}", "arguments": {{ json $c.Function.Arguments }}}' +
  '{{- end }}]{{ end }}<|eot_id|>{{- else if eq .Role "tool" }}[TOOL_RESULTS] {"content": {{ .Content }}} [/TOOL_RESULTS]' +
  '{{- end }}{{- end }}';
export const MISTRAL_SCRIPT = {
  rules: [{
    after: ' [/INST]',
    // The second call in compact JSON with "parameters": a 3-token window must tell the two apart.
    say: '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}, ' +
      '{"name":"get_time","parameters":{"zone":"CET"}}]<|eot_id|>',
  }],
};

// "llama31" (Llama 3's vocabulary, the Llama 3.1 Jinja template): a bare JSON call with "parameters".
export const LLAMA31_SCRIPT = {
  rules: [{
    after: '<|start_header_id|>assistant<|end_header_id|>\n\n',
    say: '{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>',
  }],
};

// "plain" (Llama 3's vocabulary and its tool-less Jinja template): says hello.
export const PLAIN_SCRIPT = {
  rules: [{ after: '<|start_header_id|>assistant<|end_header_id|>\n\n', say: `${HELLO}<|eot_id|>` }],
};

export function createWeather(store, name = 'weather') {
  createScripted(store, name, { vocab: QWEN3_VOCAB, script: WEATHER_SCRIPT });
}
export function createMistral(store, name = 'mistral') {
  createScripted(store, name, { vocab: LLAMA3_VOCAB, script: MISTRAL_SCRIPT, modelfile: templateLine(MISTRAL_TEMPLATE) });
}
export function createLlama31(store, name = 'llama31') {
  createScripted(store, name, { vocab: LLAMA3_VOCAB, script: LLAMA31_SCRIPT, template: LLAMA31_JINJA });
}
export function createPlain(store, name = 'plain') {
  createScripted(store, name, { vocab: LLAMA3_VOCAB, script: PLAIN_SCRIPT });
}
