// See chat_repl.h. The session state (model, messages, system, user parameters) lives in one
// ChatRepl; each input line is either part of a message or one slash command.
#include "cli/chat_repl.h"

#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli/line_editor.h"
#include "cli/show_format.h"
#include "cli/thinking_display.h"
#include "cli/word_wrap.h"
#include "sched/keep_alive.h"
#include "store/parameters.h"

namespace corral::cli {

using nlohmann::json;

void print_generation_stats(const json& done) {
  using std::chrono::nanoseconds;
  auto ns = [&](const char* key) { return done.value(key, int64_t{0}); };
  auto line = [](std::string_view label, const std::string& value) {
    fmt::print(stderr, "{:<22}{}\n", fmt::format("{}:", label), value);
  };
  auto rate = [](int64_t count, int64_t duration) {
    return fmt::format("{:.2f} tokens/s", static_cast<double>(count) / (static_cast<double>(duration) / 1e9));
  };
  if (ns("total_duration") > 0) line("total duration", sched::format_duration(nanoseconds(ns("total_duration"))));
  if (ns("load_duration") > 0) line("load duration", sched::format_duration(nanoseconds(ns("load_duration"))));
  if (ns("prompt_eval_count") > 0) line("prompt eval count", fmt::format("{} token(s)", ns("prompt_eval_count")));
  if (ns("prompt_eval_duration") > 0) {
    line("prompt eval duration", sched::format_duration(nanoseconds(ns("prompt_eval_duration"))));
    line("prompt eval rate", rate(ns("prompt_eval_count"), ns("prompt_eval_duration")));
  }
  if (ns("eval_count") > 0) line("eval count", fmt::format("{} token(s)", ns("eval_count")));
  if (ns("eval_duration") > 0) {
    line("eval duration", sched::format_duration(nanoseconds(ns("eval_duration"))));
    line("eval rate", rate(ns("eval_count"), ns("eval_duration")));
  }
}

namespace {

constexpr std::string_view kTripleQuote = R"(""")";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool cut_prefix(std::string& s, std::string_view prefix) {
  if (!starts_with(s, prefix)) return false;
  s.erase(0, prefix.size());
  return true;
}
bool cut_suffix(std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  s.resize(s.size() - suffix.size());
  return true;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

std::string join(const std::vector<std::string>& parts, size_t from, std::string_view sep) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += (i > from ? std::string(sep) : "") + parts[i];
  return out;
}

// Help texts, as `ollama run` prints them (on stderr).
void print_usage() {
  fmt::print(stderr,
             "Available Commands:\n"
             "  /set            Set session variables\n"
             "  /show           Show model information\n"
             "  /load <model>   Load a session or model\n"
             "  /save <model>   Save your current session\n"
             "  /clear          Clear session context\n"
             "  /bye            Exit\n"
             "  /?, /help       Help for a command\n"
             "  /? shortcuts    Help for keyboard shortcuts\n\n"
             "Use \"\"\" to begin a multi-line message.\n\n");
}

void print_usage_set() {
  fmt::print(stderr,
             "Available Commands:\n"
             "  /set parameter ...     Set a parameter\n"
             "  /set system <string>   Set system message\n"
             "  /set history           Enable history\n"
             "  /set nohistory         Disable history\n"
             "  /set wordwrap          Enable wordwrap\n"
             "  /set nowordwrap        Disable wordwrap\n"
             "  /set format json       Enable JSON mode\n"
             "  /set noformat          Disable formatting\n"
             "  /set verbose           Show LLM stats\n"
             "  /set quiet             Disable LLM stats\n"
             "  /set think             Enable thinking\n"
             "  /set nothink           Disable thinking\n\n");
}

void print_usage_shortcuts() {
  fmt::print(stderr,
             "Available keyboard shortcuts:\n"
             "  Ctrl + a            Move to the beginning of the line (Home)\n"
             "  Ctrl + e            Move to the end of the line (End)\n"
             "   Alt + b            Move back (left) one word\n"
             "   Alt + f            Move forward (right) one word\n"
             "  Ctrl + k            Delete the sentence after the cursor\n"
             "  Ctrl + u            Delete the sentence before the cursor\n"
             "  Ctrl + w            Delete the word before the cursor\n\n"
             "  Ctrl + l            Clear the screen\n"
             "  Ctrl + c            Stop the model from responding\n"
             "  Ctrl + d            Exit corral (/bye)\n\n");
}

void print_usage_show() {
  fmt::print(stderr,
             "Available Commands:\n"
             "  /show info         Show details for this model\n"
             "  /show license      Show model license\n"
             "  /show modelfile    Show Modelfile for this model\n"
             "  /show parameters   Show parameters for this model\n"
             "  /show system       Show system message\n"
             "  /show template     Show prompt template\n\n");
}

void print_usage_parameters() {
  fmt::print(stderr,
             "Available Parameters:\n"
             "  /set parameter seed <int>             Random number seed\n"
             "  /set parameter num_predict <int>      Max number of tokens to predict\n"
             "  /set parameter top_k <int>            Pick from top k num of tokens\n"
             "  /set parameter top_p <float>          Pick token based on sum of probabilities\n"
             "  /set parameter min_p <float>          Pick token based on top token probability * min_p\n"
             "  /set parameter num_ctx <int>          Set the context size\n"
             "  /set parameter temperature <float>    Set creativity level\n"
             "  /set parameter repeat_penalty <float> How strongly to penalize repetitions\n"
             "  /set parameter repeat_last_n <int>    Set how far back to look for repetitions\n"
             "  /set parameter num_gpu <int>          The number of layers to send to the GPU\n"
             "  /set parameter stop <string> <string> ...   Set the stop parameters\n\n");
}

// SIGINT during an answer (the terminal is in cooked mode then) sets `flag`. The signal is blocked
// in every thread and taken here with sigwait, so no handler or global flag is needed.
class InterruptWatch {
 public:
  explicit InterruptWatch(std::atomic<bool>& flag) : flag_(flag) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    thread_ = std::thread([this] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0) continue;
        if (stopping_) return;
        flag_ = true;
      }
    });
  }
  ~InterruptWatch() {
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGINT);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

 private:
  std::atomic<bool>& flag_;
  std::atomic<bool> stopping_ = false;
  sigset_t set_{}, previous_{};
  std::thread thread_;
};

enum class Multiline { kNone, kPrompt, kSystem };

class ChatRepl {
 public:
  ChatRepl(ApiClient& client, ChatOptions options, std::optional<std::filesystem::path> history)
      : client_(client), o_(std::move(options)), editor_(std::move(history)) {}

  int run();

 private:
  enum class Step { kContinue, kExit };

  Status load_model();
  void replay(const json& messages);
  Step handle_line(const std::string& line);
  Step handle_command(const std::string& line);
  void set_command(const std::vector<std::string>& args, const std::string& line);
  void show_command(const std::vector<std::string>& args);
  void load_command(const std::vector<std::string>& args);
  void save_command(const std::vector<std::string>& args);
  void set_system(const std::string& text);
  void send_message(std::string content);
  void print_answer_text(WordWrapper& wrap, const std::string& text);
  void warn_without_thinking();

  ApiClient& client_;
  ChatOptions o_;
  LineEditor editor_;
  std::atomic<bool> interrupt_ = false;
  json messages_ = json::array();
  std::string system_;
  nlohmann::ordered_json parameters_ = nlohmann::ordered_json::object();  // /set parameter values
  Multiline multiline_ = Multiline::kNone;
  std::string buffer_;  // the message (or system text) being typed over several lines
};

int ChatRepl::run() {
  InterruptWatch watch(interrupt_);
  if (auto s = load_model(); !s.ok()) {
    fmt::print(stderr, "Error: {}\n", s.error().to_string());
    return 1;
  }
  for (;;) {
    LineRead in = editor_.read(multiline_ == Multiline::kNone ? ">>> " : "... ");
    if (in.kind == LineRead::Kind::kEof) {
      fmt::print("\n");
      return 0;
    }
    if (in.kind == LineRead::Kind::kInterrupt) {
      fmt::print("\n");
      if (in.text.empty()) fmt::print("Use Ctrl + d or /bye to exit.\n");
      multiline_ = Multiline::kNone;
      buffer_.clear();
      continue;
    }
    editor_.remember(in.text);
    if (handle_line(in.text) == Step::kExit) return 0;
  }
}

// Checks the model exists, loads it (an empty generate, as `ollama run` does) and shows the
// conversation stored with it (MESSAGE lines, or a saved session), which becomes the history.
Status ChatRepl::load_model() {
  CORRAL_ASSIGN_OR_RETURN(json show, client_.post_json("/api/show", json{{"model", o_.model}}));
  json load{{"model", o_.model}};
  if (!o_.keepalive.empty()) load["keep_alive"] = o_.keepalive;
  CORRAL_TRY(client_.post_json("/api/generate", load));
  messages_ = json::array();
  if (!system_.empty()) messages_.push_back(json{{"role", "system"}, {"content", system_}});
  if (auto it = show.find("messages"); it != show.end() && it->is_array()) replay(*it);
  return {};
}

void ChatRepl::replay(const json& messages) {
  for (const auto& m : messages) {
    if (!m.is_object()) continue;
    const std::string role = m.value("role", "");
    const std::string content = m.value("content", "");
    if (role == "user") {
      fmt::print(">>> {}\n", content);
    } else if (role == "assistant") {
      WordWrapper wrap(o_.wordwrap ? terminal_width() - 1 : 0, [](std::string_view s) { fmt::print("{}", s); });
      print_answer_text(wrap, content);
      wrap.finish();
      fmt::print("\n\n");
    }
    messages_.push_back(m);
  }
  std::fflush(stdout);
}

// As Ollama: asking a model without the capability to think is a warning, not an error here.
void ChatRepl::warn_without_thinking() {
  auto show = client_.post_json("/api/show", json{{"model", o_.model}});
  if (!show.ok()) return;
  const json caps = show->value("capabilities", json::array());
  if (std::find(caps.begin(), caps.end(), "thinking") == caps.end())
    fmt::print(stderr, "warning: model {:?} does not support thinking output\n", o_.model);
}

void ChatRepl::print_answer_text(WordWrapper& wrap, const std::string& text) {
  wrap.write(text);
  std::fflush(stdout);
}

ChatRepl::Step ChatRepl::handle_line(const std::string& raw) {
  std::string line = raw;
  if (multiline_ != Multiline::kNone) {
    const bool ends = cut_suffix(line, kTripleQuote);
    buffer_ += line;
    if (!ends) {
      buffer_ += "\n";
      return Step::kContinue;
    }
    const Multiline finished = multiline_;
    multiline_ = Multiline::kNone;
    if (finished == Multiline::kSystem) {
      set_system(buffer_);
      buffer_.clear();
      return Step::kContinue;
    }
  } else if (cut_prefix(line, kTripleQuote)) {
    const bool ends = cut_suffix(line, kTripleQuote);
    buffer_ += line;
    if (!ends) {
      buffer_ += "\n";
      multiline_ = Multiline::kPrompt;
      return Step::kContinue;
    }
  } else if (starts_with(line, "/")) {
    return handle_command(line);
  } else {
    buffer_ += line;
  }
  if (!buffer_.empty()) send_message(std::exchange(buffer_, {}));
  return Step::kContinue;
}

ChatRepl::Step ChatRepl::handle_command(const std::string& line) {
  const std::vector<std::string> args = fields(line);
  const std::string& verb = args[0];
  if (verb == "/bye" || verb == "/exit") return Step::kExit;
  if (verb == "/load") {
    load_command(args);
  } else if (verb == "/save") {
    save_command(args);
  } else if (verb == "/clear") {
    messages_ = json::array();
    if (!system_.empty()) messages_.push_back(json{{"role", "system"}, {"content", system_}});
    fmt::print("Cleared session context\n");
  } else if (verb == "/set") {
    set_command(args, line);
  } else if (verb == "/show") {
    show_command(args);
  } else if (verb == "/?" || verb == "/help") {
    const std::string topic = args.size() > 1 ? args[1] : "";
    if (topic == "set" || topic == "/set")
      print_usage_set();
    else if (topic == "show" || topic == "/show")
      print_usage_show();
    else if (topic == "shortcut" || topic == "shortcuts")
      print_usage_shortcuts();
    else
      print_usage();
  } else {
    fmt::print("Unknown command '{}'. Type /? for help\n", verb);
  }
  std::fflush(stdout);
  return Step::kContinue;
}

void ChatRepl::set_system(const std::string& text) {
  system_ = text;
  json message{{"role", "system"}, {"content", text}};
  // A new system message replaces the one at the end of the history (a /set system just before).
  if (!messages_.empty() && messages_.back().value("role", "") == "system")
    messages_.back() = message;
  else
    messages_.push_back(message);
  fmt::print("Set system message.\n");
}

void ChatRepl::set_command(const std::vector<std::string>& args, const std::string& line) {
  if (args.size() < 2) return print_usage_set();
  const std::string& what = args[1];
  if (what == "history") {
    editor_.set_history_enabled(true);
  } else if (what == "nohistory") {
    editor_.set_history_enabled(false);
  } else if (what == "wordwrap") {
    o_.wordwrap = true;
    fmt::print("Set 'wordwrap' mode.\n");
  } else if (what == "nowordwrap") {
    o_.wordwrap = false;
    fmt::print("Set 'nowordwrap' mode.\n");
  } else if (what == "verbose") {
    o_.verbose = true;
    fmt::print("Set 'verbose' mode.\n");
  } else if (what == "quiet") {
    o_.verbose = false;
    fmt::print("Set 'quiet' mode.\n");
  } else if (what == "think") {
    if (args.size() > 2 && !valid_think(args[2])) {
      fmt::print("Invalid think value '{}': use /set think, /set think high|medium|low, or /set nothink\n", args[2]);
      return;
    }
    o_.think = args.size() > 2 ? args[2] : "true";
    warn_without_thinking();
    if (args.size() > 2)
      fmt::print("Set 'think' mode to '{}'.\n", args[2]);
    else
      fmt::print("Set 'think' mode.\n");
  } else if (what == "nothink") {
    o_.think = "false";
    fmt::print("Set 'nothink' mode.\n");
  } else if (what == "format") {
    if (args.size() < 3 || args[2] != "json") {
      fmt::print("Invalid or missing format. For 'json' mode use '/set format json'\n");
    } else {
      o_.format = "json";
      fmt::print("Set format to 'json' mode.\n");
    }
  } else if (what == "noformat") {
    o_.format.clear();
    fmt::print("Disabled format.\n");
  } else if (what == "parameter") {
    if (args.size() < 4) return print_usage_parameters();
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 3; i < args.size(); ++i) pairs.emplace_back(args[2], args[i]);
    Status valid;
    for (const auto& [name, value] : pairs)
      if (valid = store::validate_parameter(name, value); !valid.ok()) break;
    auto parsed = valid.ok() ? store::parameters_to_json(pairs) : Result<nlohmann::ordered_json>(valid.error());
    if (!parsed.ok() || !parsed->contains(args[2])) {
      std::string why = parsed.ok() ? fmt::format("parameter '{}' is deprecated", args[2]) : parsed.error().to_string();
      fmt::print("Couldn't set parameter: {:?}\n", why);
      return;
    }
    parameters_[args[2]] = (*parsed)[args[2]];
    fmt::print("Set parameter '{}' to '{}'\n", args[2], join(args, 3, ", "));
  } else if (what == "system") {
    if (args.size() < 3) return print_usage_set();
    // The text after "/set system", spaces kept, possibly opening a """ block.
    std::string text = line.substr(line.find("system") + std::string_view("system").size());
    text.erase(0, text.find_first_not_of(" \t"));
    if (cut_prefix(text, kTripleQuote) && !cut_suffix(text, kTripleQuote)) {
      buffer_ = text + "\n";
      multiline_ = Multiline::kSystem;
      return;
    }
    set_system(text);
  } else {
    fmt::print("Unknown command '/set {}'. Type /? for help\n", what);
  }
}

void ChatRepl::show_command(const std::vector<std::string>& args) {
  if (args.size() < 2) return print_usage_show();
  json request{{"model", o_.model}};
  if (!system_.empty()) request["system"] = system_;
  if (!parameters_.empty()) request["options"] = parameters_;
  auto show = client_.post_json("/api/show", request);
  if (!show.ok()) {
    fmt::print("error: couldn't get model: {}\n", show.error().to_string());
    return;
  }
  const json& r = *show;
  auto text = [&](const char* key) { return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : ""; };
  const std::string& what = args[1];
  if (what == "info") {
    fmt::print(stderr, "{}", format_show(r, false));  // Ollama writes this one to stderr
  } else if (what == "license") {
    const std::string license = text("license");
    fmt::print("{}\n", license.empty() ? "No license was specified for this model." : license);
  } else if (what == "modelfile") {
    fmt::print("{}\n", text("modelfile"));
  } else if (what == "parameters") {
    fmt::print("Model defined parameters:\n");
    // As in Ollama, the server's list already holds the session's values (sent as options), and
    // they are listed again on their own below.
    const std::string params = text("parameters");
    if (params.empty()) fmt::print("  No additional parameters were specified for this model.\n");
    std::istringstream in(params);
    for (std::string l; std::getline(in, l);) fmt::print("  {}\n", l);
    fmt::print("\n");
    if (!parameters_.empty()) {
      fmt::print("User defined parameters:\n");
      for (const auto& [k, v] : parameters_.items())
        fmt::print("  {:<30} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
      fmt::print("\n");
    }
  } else if (what == "system") {
    const std::string system = !system_.empty() ? system_ : text("system");
    if (system.empty())
      fmt::print("No system message was specified for this model.\n");
    else
      fmt::print("{}\n\n", system);
  } else if (what == "template") {
    const std::string tmpl = text("template");
    fmt::print("{}\n", tmpl.empty() ? "No prompt template was specified for this model." : tmpl);
  } else {
    fmt::print("Unknown command '/show {}'. Type /? for help\n", what);
  }
}

void ChatRepl::load_command(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    fmt::print("Usage:\n  /load <modelname>\n");
    return;
  }
  const std::string previous = o_.model;
  const json previous_messages = messages_;
  o_.model = args[1];
  fmt::print("Loading model '{}'\n", o_.model);
  std::fflush(stdout);
  if (auto s = load_model(); !s.ok()) {
    if (client_.last_status() == 404)
      fmt::print("Couldn't find model '{}'\n", o_.model);
    else
      fmt::print("error: {}\n", s.error().to_string());
    o_.model = previous;
    messages_ = previous_messages;
  }
}

// The session as a new model: the current model as its base, with this session's system message,
// parameters and conversation (Ollama's /save).
void ChatRepl::save_command(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    fmt::print("Usage:\n  /save <modelname>\n");
    return;
  }
  json request{{"model", args[1]}, {"from", o_.model}, {"stream", false}};
  if (!system_.empty()) request["system"] = system_;
  if (!parameters_.empty()) request["parameters"] = parameters_;
  if (!messages_.empty()) request["messages"] = messages_;
  if (auto created = client_.post_json("/api/create", request); !created.ok()) {
    fmt::print("error: {}\n", created.error().to_string());
    return;
  }
  fmt::print("Created new model '{}'\n", args[1]);
}

// One user message and the streamed answer. An interrupted answer is dropped from the history
// (the question stays, as in Ollama).
void ChatRepl::send_message(std::string content) {
  messages_.push_back(json{{"role", "user"}, {"content", std::move(content)}});
  json request{{"model", o_.model}, {"messages", messages_}, {"stream", true}};
  if (!parameters_.empty()) request["options"] = parameters_;
  if (!o_.format.empty()) request["format"] = o_.format;
  if (!o_.keepalive.empty()) request["keep_alive"] = o_.keepalive;
  if (!o_.think.empty()) request["think"] = think_value(o_.think);

  const int width = o_.wordwrap ? terminal_width() - 1 : 0;
  WordWrapper wrap(width, [](std::string_view s) { fmt::print("{}", s); });
  ThinkingDisplay thinking(o_.hide_thinking, true, width);
  std::string answer;
  json done;
  interrupt_ = false;
  Status s = client_.post_stream(
      "/api/chat", request,
      [&](const json& line) {
        if (auto m = line.find("message"); m != line.end() && m->is_object()) {
          thinking.thinking(m->value("thinking", ""));
          const std::string piece = m->value("content", "");
          if (!piece.empty()) thinking.close();
          answer += piece;
          print_answer_text(wrap, piece);
        }
        if (line.value("done", false)) done = line;
        return true;
      },
      &interrupt_);
  thinking.close();
  wrap.finish();
  if (interrupt_) {
    fmt::print("\n\n");
    std::fflush(stdout);
    return;
  }
  if (!s.ok()) {
    fmt::print("\n");
    std::fflush(stdout);
    fmt::print(stderr, "Error: {}\n\n", s.error().to_string());
    return;
  }
  fmt::print("{}", answer.empty() ? "\n" : "\n\n");
  std::fflush(stdout);
  if (o_.verbose && done.is_object()) {
    print_generation_stats(done);
    fmt::print(stderr, "\n");
  }
  messages_.push_back(json{{"role", "assistant"}, {"content", answer}});
}

}  // namespace

bool valid_think(const std::string& value) {
  for (const char* v : {"true", "false", "high", "medium", "low", "max"})
    if (value == v) return true;
  return false;
}

json think_value(const std::string& value) {
  if (value == "true" || value == "false") return value == "true";
  return value;
}

int run_chat_repl(ApiClient& client, ChatOptions options, const Env& env) {
  std::optional<std::filesystem::path> history;
  auto no_history = env.get_bool("NOHISTORY", false);
  auto home = env.raw("HOME");
  if (!(no_history.ok() && *no_history) && home && !home->empty())
    history = std::filesystem::path(*home) / ".corral" / "history";
  ChatRepl repl(client, std::move(options), std::move(history));
  return repl.run();
}

}  // namespace corral::cli
