// `corral debug scripted`: writes a scripted test model (scripted_model.h) — a llama GGUF with a
// real vocabulary and chat template whose greedy answers are the script's, so tests of tool calls,
// thinking and the client libraries get known answers out of a real forward pass.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "base/read_file.h"
#include "cli/command.h"
#include "cli/scripted_model.h"

namespace corral::cli {
namespace {

struct ScriptedOptions {
  std::string vocab, script, out, template_file;
};

Status write_scripted(const ScriptedOptions& o) {
  CORRAL_ASSIGN_OR_RETURN(std::string script_text, read_whole_file(o.script));
  auto j = nlohmann::json::parse(script_text, nullptr, false);
  if (j.is_discarded()) return Error::format("{}: not valid JSON", o.script);
  auto script = parse_script(j);
  if (!script.ok()) return std::move(script).error().with_context(o.script);
  CORRAL_ASSIGN_OR_RETURN(GgufFile vocab, GgufFile::open(o.vocab));
  std::optional<std::string> chat_template;
  if (!o.template_file.empty()) {
    CORRAL_ASSIGN_OR_RETURN(chat_template, read_whole_file(o.template_file));
  }
  GgufWriter w;
  auto info = build_scripted_model(vocab, *script, chat_template, w);
  if (!info.ok()) return std::move(info).error().with_context(o.script);
  CORRAL_TRY(w.write_file(o.out));
  fmt::print("wrote {}: {} tokens, n_embd {}, {} heads, {} units, {} markers, codes ≥ {} bits apart\n", o.out,
             info->n_vocab, info->n_embd, info->n_head, info->n_units, info->n_markers, info->min_code_distance);
  return {};
}

}  // namespace

void register_debug_scripted(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<ScriptedOptions>();
  auto* cmd = debug.add_subcommand("scripted", "Write a test model whose greedy answers follow a script");
  cmd->add_option("--vocab", opts->vocab, "GGUF whose vocabulary (and chat template) the model takes")->required();
  cmd->add_option("--script", opts->script, "The script (JSON)")->required();
  cmd->add_option("--template", opts->template_file, "A Jinja chat template to store instead of the vocabulary's");
  cmd->add_option("-o,--output", opts->out, "The GGUF file to write")->required();
  cmd->footer(
      "The script: {\"window\": 3, \"rules\": [{\"after\": \"<|im_start|>assistant\\n\", \"say\": "
      "\"Hello!<|im_end|>\"},\n"
      "  {\"after\": \"...\", \"when\": \"<tool_response>\", \"say\": \"...\"}]}. Once the context ends with a\n"
      "rule's `after` (its last `window` tokens count) the model says `say`; `when` / `unless` name\n"
      "one-token markers that must / must not occur anywhere in the context. Anything else: the\n"
      "fallback token (default the vocabulary's EOS) ends the answer.\n"
      "Example: corral debug scripted --vocab qwen3.gguf --script weather.json -o weather.gguf");
  cmd->callback([opts, &action] {
    action = [opts] {
      if (auto st = write_scripted(*opts); !st.ok()) {
        fmt::print(stderr, "Error: {}\n", st.error().to_string());
        return kExitError;
      }
      return kExitOk;
    };
  });
}

}  // namespace corral::cli
