// GoTemplate: parsing with Ollama's touch-ups, its Vars(), and Execute() in its three modes
// (prompt+suffix, .Messages, per-turn legacy with the last turn cut at {{ .Response }}).
#include "template/go_template.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "template/go_eval.h"
#include "template/go_parser.h"

namespace corral::tmpl {
namespace {

using gotmpl::Arg;
using gotmpl::ArgKind;
using gotmpl::Node;
using gotmpl::NodeKind;
using gotmpl::NodeList;
using gotmpl::Pipeline;
using nlohmann::ordered_json;

// Ollama's Identifiers(): the field names in pipelines (not in variables or chains).
Status collect_identifiers(const NodeList& list, std::set<std::string>& out);

void insert_lower(std::string id, std::set<std::string>& out) {
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.insert(std::move(id));
}

// As Ollama's Identifiers: field names, and a variable's name and fields ($.Tools counts as tools).
void collect_pipe(const Pipeline& p, std::set<std::string>& out) {
  for (const auto& cmd : p.cmds) {
    for (const auto& a : cmd.args) {
      if (a.kind == ArgKind::Variable) insert_lower(a.name, out);
      if (a.kind == ArgKind::Field || a.kind == ArgKind::Variable)
        for (const auto& f : a.fields) insert_lower(f, out);
      if (a.kind == ArgKind::Sub && a.fields.empty() && a.sub) collect_pipe(*a.sub, out);
    }
  }
}

Status collect_identifiers(const NodeList& list, std::set<std::string>& out) {
  for (const auto& n : list) {
    switch (n->kind) {
      case NodeKind::Template:
        if (!n->pipe) return Error("undefined template specified");
        collect_pipe(*n->pipe, out);
        break;
      case NodeKind::Action: collect_pipe(*n->pipe, out); break;
      case NodeKind::If:
      case NodeKind::Range:
      case NodeKind::With:
        collect_pipe(*n->pipe, out);
        CORRAL_TRY(collect_identifiers(n->list, out));
        CORRAL_TRY(collect_identifiers(n->else_list, out));
        break;
      default: break;
    }
  }
  return {};
}

bool mentions_response(const Arg& a) {
  return a.kind == ArgKind::Field && std::find(a.fields.begin(), a.fields.end(), "Response") != a.fields.end();
}

// Ollama's deleteNode(): a pre-order walk that keeps everything up to and including the first
// {{ .Response }} field and drops every node visited after it.
class ResponseCutter {
 public:
  void list(NodeList& nodes) {
    NodeList kept;
    for (auto& n : nodes) {
      if (cut_) continue;
      if (node(*n)) kept.push_back(std::move(n));
    }
    nodes = std::move(kept);
  }

 private:
  // False when the node itself is to be removed.
  bool node(Node& n) {
    switch (n.kind) {
      case NodeKind::Action: return pipe(*n.pipe);
      case NodeKind::If:
      case NodeKind::Range:
      case NodeKind::With:
        list(n.list);
        if (cut_) {
          n.else_list.clear();
          n.has_else = false;
        } else {
          list(n.else_list);
        }
        return true;
      default: return true;
    }
  }

  bool pipe(Pipeline& p) {
    for (auto& cmd : p.cmds) {
      std::vector<Arg> kept;
      for (auto& a : cmd.args) {
        if (cut_) continue;
        if (mentions_response(a)) cut_ = true;
        if (a.kind == ArgKind::Sub && a.sub && !pipe(*a.sub)) continue;
        kept.push_back(std::move(a));
      }
      if (kept.empty()) return false;
      cmd.args = std::move(kept);
    }
    return true;
  }

  bool cut_ = false;
};

std::unique_ptr<Node> response_action() {
  auto n = std::make_unique<Node>();
  n->kind = NodeKind::Action;
  n->pipe = std::make_unique<Pipeline>();
  gotmpl::Command cmd;
  Arg a;
  a.kind = ArgKind::Field;
  a.fields = {"Response"};
  cmd.args.push_back(std::move(a));
  n->pipe->cmds.push_back(std::move(cmd));
  return n;
}

Result<gotmpl::Tree> parse_tree(std::string_view source, std::vector<std::string>& vars) {
  CORRAL_ASSIGN_OR_RETURN(std::vector<gotmpl::Tok> tokens, gotmpl::go_tokenize(source));
  CORRAL_ASSIGN_OR_RETURN(gotmpl::Tree tree, gotmpl::go_parse(tokens));
  std::set<std::string> ids;
  CORRAL_TRY(collect_identifiers(tree.root, ids));
  for (const auto& [name, body] : tree.defines) CORRAL_TRY(collect_identifiers(body, ids));
  if (!ids.count("messages") && !ids.count("response")) {
    tree.root.push_back(response_action());
    ids.insert("response");
  }
  vars.assign(ids.begin(), ids.end());
  return tree;
}

}  // namespace

Result<GoTemplate> GoTemplate::parse(std::string_view source) {
  GoTemplate t;
  t.source_.assign(source);
  CORRAL_ASSIGN_OR_RETURN(gotmpl::Tree tree, parse_tree(source, t.vars_));
  t.tree_ = std::make_shared<const gotmpl::Tree>(std::move(tree));
  return t;
}

bool GoTemplate::uses(std::string_view var) const {
  return std::find(vars_.begin(), vars_.end(), var) != vars_.end();
}

Result<std::string> GoTemplate::execute_data(const Value& data, const RenderLimits& limits) const {
  gotmpl::Executor exec(*tree_, limits);
  std::string out;
  CORRAL_TRY(exec.run(tree_->root, data, out));
  return out;
}

namespace {

void add_think(Entries& e, const GoTemplateValues& v) {
  e.emplace_back("Think", Value::boolean(v.think));
  e.emplace_back("ThinkLevel", Value::string(v.think_level));
  e.emplace_back("IsThinkSet", Value::boolean(v.is_think_set));
}

}  // namespace

Result<std::string> GoTemplate::execute(const GoTemplateValues& v, const RenderLimits& limits) const {
  Collated collated = collate(v.messages);
  if (!v.prompt.empty() && !v.suffix.empty()) {
    Entries e{
        {"Prompt", Value::string(v.prompt)}, {"Suffix", Value::string(v.suffix)}, {"Response", Value::string("")}};
    add_think(e, v);
    return execute_data(Value::object(std::move(e), ObjectStyle::GoMap), limits);
  }
  if (uses("messages")) {
    std::vector<Value> messages, tools;
    for (const auto& m : collated.messages) {
      CORRAL_ASSIGN_OR_RETURN(Value mv, go_message_value(m));
      messages.push_back(std::move(mv));
    }
    for (const auto& t : v.tools) {
      CORRAL_ASSIGN_OR_RETURN(Value tv, go_tool_value(t));
      tools.push_back(std::move(tv));
    }
    Entries e{{"System", Value::string(collated.system)},
              {"Messages", Value::array(std::move(messages))},
              {"Tools", Value::array(std::move(tools))},
              {"Response", Value::string("")}};
    add_think(e, v);
    return execute_data(Value::object(std::move(e), ObjectStyle::GoMap), limits);
  }
  return execute_legacy(v, collated.messages, limits);
}

Result<std::string> GoTemplate::execute_legacy(const GoTemplateValues& v, const ordered_json& messages,
                                               const RenderLimits& limits) const {
  std::string out;
  std::string system, prompt, response;
  auto data = [&]() {
    Entries e{
        {"System", Value::string(system)}, {"Prompt", Value::string(prompt)}, {"Response", Value::string(response)}};
    add_think(e, v);
    return Value::object(std::move(e), ObjectStyle::GoMap);
  };
  auto run_turn = [&]() -> Status {
    CORRAL_ASSIGN_OR_RETURN(std::string part, execute_data(data(), limits));
    if (out.size() + part.size() > limits.max_output_bytes)
      return Error::format("output size limit ({} bytes) exceeded", limits.max_output_bytes);
    out += part;
    system.clear();
    prompt.clear();
    response.clear();
    return {};
  };
  for (const auto& m : messages) {
    std::string role = m.value("role", "");
    std::string content = m.contains("content") && m["content"].is_string() ? m["content"].get<std::string>() : "";
    if (role == "system") {
      if (!prompt.empty() || !response.empty()) CORRAL_TRY(run_turn());
      system = content;
    } else if (role == "user") {
      if (!response.empty()) CORRAL_TRY(run_turn());
      prompt = content;
    } else if (role == "assistant") {
      response = content;
    }
  }
  // The last exchange runs only up to its {{ .Response }}, so generation continues from there.
  std::vector<std::string> unused;
  CORRAL_ASSIGN_OR_RETURN(gotmpl::Tree cut, parse_tree(source_, unused));
  ResponseCutter().list(cut.root);
  gotmpl::Executor exec(cut, limits);
  std::string last;
  CORRAL_TRY(exec.run(cut.root, data(), last));
  if (out.size() + last.size() > limits.max_output_bytes)
    return Error::format("output size limit ({} bytes) exceeded", limits.max_output_bytes);
  return out + last;
}

}  // namespace corral::tmpl
