// Recursive-descent parser for Go templates.
#include "template/go_parser.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "template/limits.h"

namespace corral::tmpl::gotmpl {
namespace {

std::vector<std::string> split_fields(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

Result<Value> parse_number(const std::string& text) {
  std::string t;
  for (char c : text)
    if (c != '_') t += c;
  bool neg = !t.empty() && t[0] == '-';
  std::string body = (neg || (!t.empty() && t[0] == '+')) ? t.substr(1) : t;
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) base = 16;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) base = 8;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) base = 2;
  std::string digits = base == 10 ? body : body.substr(2);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec == std::errc() && p == digits.data() + digits.size()) return Value::integer(neg ? -v : v);
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || t.empty() || !std::isfinite(d))
    return Error::format("bad number syntax: {}", text);
  return Value::number(d);
}

class Parser {
 public:
  explicit Parser(const std::vector<Tok>& t) : t_(t) {}

  Result<Tree> run() {
    std::string end;
    CORRAL_TRY(parse_list(tree_.root, false, end));
    return std::move(tree_);
  }

 private:
  const Tok& cur() const { return t_[i_]; }
  const Tok& peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  void advance() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  Error fail(std::string msg) const { return go_error_at(cur().pos, std::move(msg)); }
  Status expect_close(std::string_view what) {
    if (cur().kind != TokKind::Close) return fail(fmt::format("unexpected \"{}\" in {}", cur().text, what));
    advance();
    return {};
  }

  // Parses nodes until {{end}} / {{else}} (when `in_block`) or EOF; `found` is "end", "else" or "".
  Status parse_list(NodeList& list, bool in_block, std::string& found) {
    if (++depth_ > kMaxParseDepth) return fail(fmt::format("template nested too deeply (limit {})", kMaxParseDepth));
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    while (true) {
      const Tok& tok = cur();
      if (tok.kind == TokKind::End) {
        if (in_block) return fail("unexpected EOF");
        found.clear();
        return {};
      }
      if (tok.kind == TokKind::Text) {
        auto n = std::make_unique<Node>();
        n->kind = NodeKind::Text;
        n->pos = tok.pos;
        n->text = tok.text;
        list.push_back(std::move(n));
        advance();
        continue;
      }
      // An action.
      advance();
      const Tok& word = cur();
      if (word.kind == TokKind::Ident && (word.text == "end" || word.text == "else")) {
        if (!in_block) return fail(fmt::format("unexpected {{{{{}}}}}", word.text));
        found = word.text;
        advance();
        if (found == "end") return expect_close("end");
        return {};  // the caller handles `else`, `else if`, `else with`
      }
      CORRAL_ASSIGN_OR_RETURN(std::unique_ptr<Node> node, parse_action());
      if (node) list.push_back(std::move(node));
    }
  }

  Result<std::unique_ptr<Node>> parse_action() {
    const Tok& word = cur();
    auto n = std::make_unique<Node>();
    n->pos = word.pos;
    if (word.kind == TokKind::Ident) {
      if (word.text == "if" || word.text == "range" || word.text == "with") {
        n->kind = word.text == "if" ? NodeKind::If : word.text == "range" ? NodeKind::Range : NodeKind::With;
        advance();
        CORRAL_TRY(parse_branch(*n));
        return n;
      }
      if (word.text == "break" || word.text == "continue") {
        if (ranges_ == 0) return fail(fmt::format("{{{{{}}}}} outside {{{{range}}}}", word.text));
        n->kind = word.text == "break" ? NodeKind::Break : NodeKind::Continue;
        advance();
        CORRAL_TRY(expect_close(word.text));
        return n;
      }
      if (word.text == "define" || word.text == "block") return parse_define(word.text == "block");
      if (word.text == "template") {
        n->kind = NodeKind::Template;
        advance();
        CORRAL_TRY(parse_template_call(*n));
        return n;
      }
    }
    n->kind = NodeKind::Action;
    CORRAL_ASSIGN_OR_RETURN(n->pipe, parse_pipeline("command", true));
    return n;
  }

  Status parse_template_call(Node& n) {
    if (cur().kind != TokKind::String) return fail("template name must be a string");
    n.text = cur().text;
    advance();
    if (cur().kind == TokKind::Close) {
      advance();
    } else {
      CORRAL_ASSIGN_OR_RETURN(n.pipe, parse_pipeline("template clause", false));
    }
    return {};
  }

  Result<std::unique_ptr<Node>> parse_define(bool is_block) {
    Pos pos = cur().pos;
    advance();
    if (cur().kind != TokKind::String) return fail("define name must be a string");
    std::string name = cur().text;
    advance();
    std::unique_ptr<Node> call;
    if (is_block) {
      call = std::make_unique<Node>();
      call->kind = NodeKind::Template;
      call->pos = pos;
      call->text = name;
      if (cur().kind == TokKind::Close) {
        advance();
      } else {
        CORRAL_ASSIGN_OR_RETURN(call->pipe, parse_pipeline("block clause", false));
      }
    } else {
      CORRAL_TRY(expect_close("define clause"));
    }
    NodeList body;
    std::string found;
    CORRAL_TRY(parse_list(body, true, found));
    if (found != "end") return go_error_at(pos, "unexpected {{else}} in define");
    tree_.defines[name] = std::move(body);
    return call;
  }

  // if/range/with: pipeline, list, optional else (or else-if chain), end.
  Status parse_branch(Node& n) {
    CORRAL_ASSIGN_OR_RETURN(n.pipe, parse_pipeline(n.kind == NodeKind::If ? "if" : "range", false));
    if (n.kind == NodeKind::Range) ++ranges_;
    std::string found;
    CORRAL_TRY(parse_list(n.list, true, found));
    if (n.kind == NodeKind::Range) --ranges_;
    if (found == "end") return {};
    n.has_else = true;
    // {{else if ...}} / {{else with ...}}: a nested branch that shares this {{end}}.
    if (cur().kind == TokKind::Ident &&
        ((n.kind == NodeKind::If && cur().text == "if") || (n.kind == NodeKind::With && cur().text == "with"))) {
      auto inner = std::make_unique<Node>();
      inner->kind = n.kind;
      inner->pos = cur().pos;
      advance();
      CORRAL_TRY(parse_branch(*inner));
      n.else_list.push_back(std::move(inner));
      return {};
    }
    CORRAL_TRY(expect_close("else"));
    CORRAL_TRY(parse_list(n.else_list, true, found));
    if (found != "end") return fail("expected {{end}}");
    return {};
  }

  // Parses until Close (consumed) or, when nested, RParen (left for the caller).
  Result<std::unique_ptr<Pipeline>> parse_pipeline(std::string_view context, bool allow_empty_end) {
    (void)allow_empty_end;
    if (++depth_ > kMaxParseDepth) return fail(fmt::format("template nested too deeply (limit {})", kMaxParseDepth));
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    auto p = std::make_unique<Pipeline>();
    p->pos = cur().pos;
    // Declarations: $x := / $x = / $i, $v :=
    if (cur().kind == TokKind::Variable) {
      if (peek().kind == TokKind::Declare || peek().kind == TokKind::Assign) {
        p->is_assign = peek().kind == TokKind::Assign;
        p->decl.push_back(cur().text);
        advance();
        advance();
      } else if (peek().kind == TokKind::Comma && peek(2).kind == TokKind::Variable &&
                 (peek(3).kind == TokKind::Declare || peek(3).kind == TokKind::Assign)) {
        p->is_assign = peek(3).kind == TokKind::Assign;
        p->decl.push_back(cur().text);
        p->decl.push_back(peek(2).text);
        for (int k = 0; k < 4; ++k) advance();
      }
      for (const auto& d : p->decl)
        if (d.find('.') != std::string::npos) return fail("bad variable declaration");
    }
    while (true) {
      Command cmd;
      cmd.pos = cur().pos;
      while (true) {
        const Tok& tok = cur();
        if (tok.kind == TokKind::Close || tok.kind == TokKind::Pipe || tok.kind == TokKind::RParen) break;
        if (tok.kind == TokKind::End) return fail("unclosed action");
        CORRAL_ASSIGN_OR_RETURN(Arg a, parse_operand());
        cmd.args.push_back(std::move(a));
      }
      if (cmd.args.empty()) return fail(fmt::format("missing value for {}", context));
      p->cmds.push_back(std::move(cmd));
      if (cur().kind == TokKind::Pipe) {
        advance();
        continue;
      }
      if (cur().kind == TokKind::Close) advance();
      return p;
    }
  }

  Result<Arg> parse_operand() {
    const Tok& tok = cur();
    Arg a;
    a.pos = tok.pos;
    switch (tok.kind) {
      case TokKind::Field:
        a.kind = ArgKind::Field;
        a.fields = split_fields(tok.text);
        advance();
        return a;
      case TokKind::Dot:
        a.kind = ArgKind::Dot;
        advance();
        return a;
      case TokKind::Variable: {
        a.kind = ArgKind::Variable;
        auto parts = split_fields(tok.text);
        a.name = parts[0];
        a.fields.assign(parts.begin() + 1, parts.end());
        advance();
        return a;
      }
      case TokKind::String:
        a.kind = ArgKind::Constant;
        a.constant = Value::string(tok.text);
        advance();
        return a;
      case TokKind::Number:
      case TokKind::Char: {
        a.kind = ArgKind::Constant;
        auto v = parse_number(tok.text);
        if (!v.ok()) return fail(v.error().message());
        a.constant = std::move(v).value();
        advance();
        return a;
      }
      case TokKind::Ident:
        a.kind = ArgKind::Constant;
        if (tok.text == "true" || tok.text == "false") {
          a.constant = Value::boolean(tok.text == "true");
        } else if (tok.text == "nil") {
          a.constant = Value::none();
        } else {
          if (!is_known_function(tok.text)) return fail(fmt::format("function \"{}\" not defined", tok.text));
          a.kind = ArgKind::Function;
          a.name = tok.text;
        }
        advance();
        return a;
      case TokKind::LParen: {
        advance();
        a.kind = ArgKind::Sub;
        CORRAL_ASSIGN_OR_RETURN(a.sub, parse_pipeline("parenthesized pipeline", false));
        if (cur().kind != TokKind::RParen) return fail("unclosed left paren");
        advance();
        if (cur().kind == TokKind::Field && cur().glued) {
          a.fields = split_fields(cur().text);
          advance();
        }
        return a;
      }
      default: return fail(fmt::format("unexpected \"{}\" in operand", tok.text));
    }
  }

  const std::vector<Tok>& t_;
  size_t i_ = 0;
  int depth_ = 0;
  int ranges_ = 0;
  Tree tree_;
};

}  // namespace

Result<Tree> go_parse(const std::vector<Tok>& tokens) {
  return Parser(tokens).run();
}

bool is_known_function(std::string_view name) {
  for (std::string_view f : {"and",
                             "or",
                             "not",
                             "eq",
                             "ne",
                             "lt",
                             "le",
                             "gt",
                             "ge",
                             "len",
                             "index",
                             "slice",
                             "print",
                             "printf",
                             "println",
                             "html",
                             "js",
                             "urlquery",
                             "call",
                             "json",
                             "currentDate",
                             "yesterdayDate",
                             "toTypeScriptType"})
    if (f == name) return true;
  return false;
}

}  // namespace corral::tmpl::gotmpl
