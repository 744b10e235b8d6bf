// `corral debug tokenize` and `corral debug detokenize`: a GGUF file's tokenizer on the command
// line, for comparing ids with other engines and round-tripping text through scripts.
#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/read_file.h"
#include "cli/command.h"
#include "gguf/file.h"
#include "tokenizer/tokenizer.h"

namespace corral::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string text_file;
  bool no_add_special = false;
  bool parse_special = false;
};

struct DetokenizeOptions {
  std::string model;
  std::string tokens;
  bool render_special = false;
};

int fail(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

Result<std::unique_ptr<Tokenizer>> load(const std::string& path) {
  auto file = GgufFile::open(path);
  if (!file.ok()) return std::move(file).error();
  auto tok = Tokenizer::from_metadata(file->metadata());
  if (!tok.ok()) return std::move(tok).error().with_context(path);
  return tok;
}

// Ids separated by spaces, commas or newlines.
Result<std::vector<TokenId>> parse_ids(std::string_view text, size_t vocab_size) {
  std::vector<TokenId> ids;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ' || text[pos] == ',' || text[pos] == '\n' || text[pos] == '\t' || text[pos] == '\r') {
      ++pos;
      continue;
    }
    size_t end = text.find_first_of(" ,\n\t\r", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(pos, end - pos);
    int64_t id = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (ec != std::errc() || ptr != word.data() + word.size()) return Error::format("\"{}\" is not a token id", word);
    if (id < 0 || static_cast<uint64_t>(id) >= vocab_size)
      return Error::format("token id {} is not in the vocabulary (ids 0 to {})", id, vocab_size - 1);
    ids.push_back(static_cast<TokenId>(id));
    pos = end;
  }
  return ids;
}

int tokenize(const TokenizeOptions& opts) {
  auto tok = load(opts.model);
  if (!tok.ok()) return fail(tok.error().to_string());
  std::string text = opts.text;
  if (!opts.text_file.empty()) {
    auto content = read_whole_file(opts.text_file);
    if (!content.ok()) return fail(content.error().to_string());
    text = std::move(content).value();
  }
  auto ids = (*tok)->encode(text, {.add_special = !opts.no_add_special, .parse_special = opts.parse_special});
  if (!ids.ok()) return fail(ids.error().to_string());
  fmt::print("{}\n", fmt::join(*ids, " "));
  return kExitOk;
}

int detokenize(const DetokenizeOptions& opts) {
  auto tok = load(opts.model);
  if (!tok.ok()) return fail(tok.error().to_string());
  const Tokenizer& t = **tok;
  auto parsed = parse_ids(opts.tokens, t.size());
  if (!parsed.ok()) return fail("--tokens: " + parsed.error().to_string());
  std::span<const TokenId> ids = *parsed;
  // Undo what `tokenize` adds, so that detokenize(tokenize(T)) == T exactly.
  if (!opts.render_special) {
    if (t.config().add_bos && !ids.empty() && ids.front() == t.config().bos) ids = ids.subspan(1);
    if (t.config().add_eos && !ids.empty() && ids.back() == t.config().eos) ids = ids.first(ids.size() - 1);
  }
  const std::string text = t.decode(ids, {.render_special = opts.render_special, .clean_spaces = false});
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

void register_tokenize(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<TokenizeOptions>();
  auto* cmd = debug.add_subcommand("tokenize", "Print the token ids of a text under a GGUF file's tokenizer");
  cmd->add_option("model", opts->model, "A GGUF file with tokenizer.ggml.* metadata")->required();
  auto* text = cmd->add_option("--text", opts->text, "The text");
  auto* file = cmd->add_option("--text-file", opts->text_file, "Read the text from this file (bytes as they are)");
  text->excludes(file);
  file->excludes(text);
  cmd->add_flag("--no-add-special", opts->no_add_special, "Do not add BOS/EOS (added by default when the model asks)");
  cmd->add_flag("--parse-special", opts->parse_special,
                "Control tokens written in the text (<|eot_id|>, <start_of_turn>, ...) become their ids");
  cmd->footer(
      "Prints the ids on one line, separated by single spaces.\n"
      "Examples:\n"
      "  corral debug tokenize model.gguf --text 'Hello world'\n"
      "  corral debug tokenize model.gguf --text-file prompt.txt --parse-special");
  cmd->callback([opts, &action, text, file] {
    if (text->count() == 0 && file->count() == 0) {
      action = [] {
        fmt::print(stderr, "Error: give --text or --text-file\n");
        return kExitUsage;
      };
      return;
    }
    action = [opts] { return tokenize(*opts); };
  });
}

void register_detokenize(CLI::App& debug, Action& action) {
  auto opts = std::make_shared<DetokenizeOptions>();
  auto* cmd = debug.add_subcommand("detokenize", "Print the text of token ids under a GGUF file's tokenizer");
  cmd->add_option("model", opts->model, "A GGUF file with tokenizer.ggml.* metadata")->required();
  cmd->add_option("--tokens", opts->tokens, "Token ids separated by spaces or commas")->required();
  cmd->add_flag("--render-special", opts->render_special,
                "Show control tokens (BOS, <|eot_id|>, ...) as their text instead of hiding them");
  cmd->footer(
      "Writes the text exactly as decoded, with no newline added: a leading BOS and a trailing EOS\n"
      "(as `tokenize` adds them) are dropped, so the round trip is exact:\n"
      "  corral debug detokenize m.gguf --tokens \"$(corral debug tokenize m.gguf --text-file t.txt)\" > t2.txt\n"
      "gives t2.txt identical to t.txt (no space clean-up is applied).");
  cmd->callback([opts, &action] { action = [opts] { return detokenize(*opts); }; });
}

}  // namespace

void register_debug_tokenize(CLI::App& debug, Action& action) {
  register_tokenize(debug, action);
  register_detokenize(debug, action);
}

}  // namespace corral::cli
