// Renders chat templates with @huggingface/jinja, the reference renderer of the Jinja fixtures.
// Usage: node render_jinja.cjs NPM_DIR INPUT.json OUTPUT.json
//   INPUT  = {"template": "...", "cases": [{variables...}, ...]}
//   OUTPUT = [{"ok": true, "text": "..."} | {"ok": false, "error": "..."}, ...]
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const [npmDir, inputPath, outputPath] = process.argv.slice(2);
const requireFromNpm = createRequire(path.join(path.resolve(npmDir), "package.json"));
const { Template } = requireFromNpm("@huggingface/jinja");

const input = JSON.parse(fs.readFileSync(inputPath, "utf8"));
const template = new Template(input.template);
const results = input.cases.map((vars) => {
  try {
    return { ok: true, text: template.render(vars) };
  } catch (e) {
    return { ok: false, error: String(e && e.message) };
  }
});
fs.writeFileSync(outputPath, JSON.stringify(results));
