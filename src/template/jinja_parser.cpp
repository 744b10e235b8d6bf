// Recursive-descent parser for Jinja. Precedence (loosest first): ternary, or, and, not, comparisons
// and `in`, + -, ~, * / // %, **, unary - +, then postfix (. [] ()), filters (|) and tests (is).
#include "template/jinja_parser.h"

#include <fmt/format.h>

#include <charconv>

#include "template/limits.h"

namespace corral::tmpl::jinja {
namespace {

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

  Result<Body> run() {
    Body body;
    std::string end;
    CORRAL_TRY(parse_body(body, {}, end));
    return body;
  }

 private:
  // ---- helpers ----
  const Token& cur() const { return t_[i_]; }
  const Token& next_token() const { return t_[i_ + 1 < t_.size() ? i_ + 1 : i_]; }
  bool at_op(std::string_view op) const { return cur().kind == TokenKind::Op && cur().text == op; }
  bool at_name(std::string_view n) const { return cur().kind == TokenKind::Name && cur().text == n; }
  void advance() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  Error fail(std::string message) const { return error_at(cur().pos, std::move(message)); }
  Error unexpected(std::string_view expected) const {
    std::string got = cur().kind == TokenKind::End         ? "end of template"
                      : cur().kind == TokenKind::ExprClose ? "'}}'"
                      : cur().kind == TokenKind::StmtClose ? "'%}'"
                                                           : "'" + cur().text + "'";
    return fail(fmt::format("expected {}, got {}", expected, got));
  }
  Status expect_op(std::string_view op) {
    if (!at_op(op)) return unexpected(fmt::format("'{}'", op));
    advance();
    return {};
  }
  Result<std::string> expect_name() {
    if (cur().kind != TokenKind::Name) return unexpected("a name");
    std::string n = cur().text;
    advance();
    return n;
  }
  Status expect_stmt_close() {
    if (cur().kind != TokenKind::StmtClose) return unexpected("'%}'");
    advance();
    return {};
  }
  Status enter() {
    if (++depth_ > kMaxParseDepth) return fail(fmt::format("template nested too deeply (limit {})", kMaxParseDepth));
    return {};
  }
  struct Leave {
    int& d;
    ~Leave() { --d; }
  };

  static ExprPtr make(ExprKind kind, SourcePos pos, std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    e->name = std::move(name);
    return e;
  }

  // ---- statements ----

  // Parses statements until `{% <one of ends>`; leaves the position after the end keyword.
  Status parse_body(Body& body, std::initializer_list<std::string_view> ends, std::string& found) {
    CORRAL_TRY(enter());
    Leave leave{depth_};
    while (true) {
      const Token& tok = cur();
      if (tok.kind == TokenKind::End) {
        if (ends.size() == 0) return {};
        return fail(
            fmt::format("unclosed block: expected '{{% {} %}}' before the end of the template", *(ends.end() - 1)));
      }
      if (tok.kind == TokenKind::Text) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Text;
        s->pos = tok.pos;
        s->text = tok.text;
        body.push_back(std::move(s));
        advance();
      } else if (tok.kind == TokenKind::ExprOpen) {
        advance();
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::Output;
        s->pos = tok.pos;
        CORRAL_ASSIGN_OR_RETURN(s->expr, parse_expr());
        if (cur().kind != TokenKind::ExprClose) return unexpected("'}}'");
        advance();
        body.push_back(std::move(s));
      } else if (tok.kind == TokenKind::StmtOpen) {
        advance();
        if (cur().kind != TokenKind::Name) return unexpected("a statement name");
        for (auto e : ends) {
          if (cur().text == e) {
            found = cur().text;
            advance();
            return {};
          }
        }
        CORRAL_ASSIGN_OR_RETURN(StmtPtr s, parse_statement());
        body.push_back(std::move(s));
      } else {
        return unexpected("text or a tag");
      }
    }
  }

  Result<StmtPtr> parse_statement() {
    auto s = std::make_unique<Stmt>();
    s->pos = cur().pos;
    std::string kw = cur().text;
    advance();
    if (kw == "if") return parse_if(std::move(s));
    if (kw == "for") return parse_for(std::move(s));
    if (kw == "set") return parse_set(std::move(s));
    if (kw == "macro") return parse_macro(std::move(s));
    if (kw == "call") return parse_call_block(std::move(s));
    if (kw == "filter") return parse_filter_block(std::move(s));
    if (kw == "break" || kw == "continue") {
      s->kind = kw == "break" ? StmtKind::Break : StmtKind::Continue;
      if (loops_ == 0) return error_at(s->pos, fmt::format("'{}' outside a loop", kw));
      CORRAL_TRY(expect_stmt_close());
      return s;
    }
    return error_at(s->pos, fmt::format("unknown statement '{}'", kw));
  }

  Result<StmtPtr> parse_if(StmtPtr s) {
    s->kind = StmtKind::If;
    CORRAL_ASSIGN_OR_RETURN(s->expr, parse_expr());
    CORRAL_TRY(expect_stmt_close());
    std::string end;
    CORRAL_TRY(parse_body(s->body, {"elif", "else", "endif"}, end));
    if (end == "elif") {
      auto elif = std::make_unique<Stmt>();
      elif->pos = cur().pos;
      CORRAL_ASSIGN_OR_RETURN(StmtPtr inner, parse_if(std::move(elif)));
      s->else_body.push_back(std::move(inner));
      return s;
    }
    if (end == "else") {
      CORRAL_TRY(expect_stmt_close());
      CORRAL_TRY(parse_body(s->else_body, {"endif"}, end));
    }
    CORRAL_TRY(expect_stmt_close());
    return s;
  }

  Result<StmtPtr> parse_for(StmtPtr s) {
    s->kind = StmtKind::For;
    CORRAL_TRY(parse_targets(s->targets));
    if (!at_name("in")) return unexpected("'in'");
    advance();
    CORRAL_ASSIGN_OR_RETURN(s->expr, parse_or());
    if (at_name("if")) {
      advance();
      CORRAL_ASSIGN_OR_RETURN(s->cond, parse_expr());
    }
    CORRAL_TRY(expect_stmt_close());
    ++loops_;
    std::string end;
    CORRAL_TRY(parse_body(s->body, {"else", "endfor"}, end));
    --loops_;
    if (end == "else") {
      CORRAL_TRY(expect_stmt_close());
      CORRAL_TRY(parse_body(s->else_body, {"endfor"}, end));
    }
    CORRAL_TRY(expect_stmt_close());
    return s;
  }

  // `a` or `a, b` or `(a, b)`.
  Status parse_targets(std::vector<std::string>& targets) {
    bool paren = at_op("(");
    if (paren) advance();
    while (true) {
      CORRAL_ASSIGN_OR_RETURN(std::string n, expect_name());
      targets.push_back(std::move(n));
      if (!at_op(",")) break;
      advance();
    }
    if (paren) CORRAL_TRY(expect_op(")"));
    return {};
  }

  Result<StmtPtr> parse_set(StmtPtr s) {
    s->kind = StmtKind::Set;
    CORRAL_TRY(parse_targets(s->targets));
    if (s->targets.size() == 1 && at_op(".")) {
      advance();
      CORRAL_ASSIGN_OR_RETURN(s->attr, expect_name());
    }
    if (at_op("=")) {
      advance();
      CORRAL_ASSIGN_OR_RETURN(s->expr, parse_expr());
      CORRAL_TRY(expect_stmt_close());
      return s;
    }
    if (s->targets.size() != 1 || !s->attr.empty()) return unexpected("'='");
    CORRAL_TRY(expect_stmt_close());
    std::string end;
    CORRAL_TRY(parse_body(s->body, {"endset"}, end));
    CORRAL_TRY(expect_stmt_close());
    return s;
  }

  Status parse_params(std::vector<Param>& params) {
    CORRAL_TRY(expect_op("("));
    while (!at_op(")")) {
      Param p;
      CORRAL_ASSIGN_OR_RETURN(p.name, expect_name());
      if (at_op("=")) {
        advance();
        CORRAL_ASSIGN_OR_RETURN(p.default_value, parse_expr());
      }
      params.push_back(std::move(p));
      if (!at_op(",")) break;
      advance();
    }
    return expect_op(")");
  }

  Result<StmtPtr> parse_macro(StmtPtr s) {
    s->kind = StmtKind::Macro;
    CORRAL_ASSIGN_OR_RETURN(s->text, expect_name());
    CORRAL_TRY(parse_params(s->params));
    CORRAL_TRY(expect_stmt_close());
    std::string end;
    int saved_loops = loops_;
    loops_ = 0;
    CORRAL_TRY(parse_body(s->body, {"endmacro"}, end));
    loops_ = saved_loops;
    CORRAL_TRY(expect_stmt_close());
    return s;
  }

  Result<StmtPtr> parse_call_block(StmtPtr s) {
    s->kind = StmtKind::CallBlock;
    if (at_op("(")) CORRAL_TRY(parse_params(s->params));
    CORRAL_ASSIGN_OR_RETURN(s->expr, parse_expr());
    if (s->expr->kind != ExprKind::Call) return error_at(s->pos, "'call' needs a macro call");
    CORRAL_TRY(expect_stmt_close());
    std::string end;
    CORRAL_TRY(parse_body(s->body, {"endcall"}, end));
    CORRAL_TRY(expect_stmt_close());
    return s;
  }

  Result<StmtPtr> parse_filter_block(StmtPtr s) {
    s->kind = StmtKind::FilterBlock;
    CORRAL_ASSIGN_OR_RETURN(s->expr, parse_filter(nullptr));
    CORRAL_TRY(expect_stmt_close());
    std::string end;
    CORRAL_TRY(parse_body(s->body, {"endfilter"}, end));
    CORRAL_TRY(expect_stmt_close());
    return s;
  }

  // ---- expressions ----

  Result<ExprPtr> parse_expr() {
    CORRAL_TRY(enter());
    Leave leave{depth_};
    CORRAL_ASSIGN_OR_RETURN(ExprPtr value, parse_or());
    if (!at_name("if")) return value;
    auto e = make(ExprKind::Ternary, cur().pos);
    advance();
    CORRAL_ASSIGN_OR_RETURN(ExprPtr cond, parse_or());
    ExprPtr other;
    if (at_name("else")) {
      advance();
      CORRAL_ASSIGN_OR_RETURN(other, parse_expr());
    }
    e->args.push_back(std::move(cond));
    e->args.push_back(std::move(value));
    e->args.push_back(std::move(other));
    return e;
  }

  Result<ExprPtr> binary(std::string op, ExprPtr left, ExprPtr right, SourcePos pos) {
    auto e = make(ExprKind::Binary, pos, std::move(op));
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  Result<ExprPtr> parse_or() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_and());
    while (at_name("or")) {
      SourcePos pos = cur().pos;
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_and());
      CORRAL_ASSIGN_OR_RETURN(left, binary("or", std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> parse_and() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_not());
    while (at_name("and")) {
      SourcePos pos = cur().pos;
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_not());
      CORRAL_ASSIGN_OR_RETURN(left, binary("and", std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> parse_not() {
    if (!at_name("not")) return parse_compare();
    CORRAL_TRY(enter());
    Leave leave{depth_};
    auto e = make(ExprKind::Unary, cur().pos, "not");
    advance();
    CORRAL_ASSIGN_OR_RETURN(ExprPtr operand, parse_not());
    e->args.push_back(std::move(operand));
    return e;
  }

  Result<ExprPtr> parse_compare() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_math1());
    while (true) {
      SourcePos pos = cur().pos;
      std::string op;
      if (cur().kind == TokenKind::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                          cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (at_name("in")) {
        op = "in";
        advance();
      } else if (at_name("not") && next_token().kind == TokenKind::Name && next_token().text == "in") {
        op = "not in";
        advance();
        advance();
      } else {
        return left;
      }
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_math1());
      CORRAL_ASSIGN_OR_RETURN(left, binary(op, std::move(left), std::move(right), pos));
    }
  }

  Result<ExprPtr> parse_math1() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_concat());
    while (at_op("+") || at_op("-")) {
      std::string op = cur().text;
      SourcePos pos = cur().pos;
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_concat());
      CORRAL_ASSIGN_OR_RETURN(left, binary(op, std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> parse_concat() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_math2());
    while (at_op("~")) {
      SourcePos pos = cur().pos;
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_math2());
      CORRAL_ASSIGN_OR_RETURN(left, binary("~", std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> parse_math2() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_pow());
    while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
      std::string op = cur().text;
      SourcePos pos = cur().pos;
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_pow());
      CORRAL_ASSIGN_OR_RETURN(left, binary(op, std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> parse_pow() {
    CORRAL_ASSIGN_OR_RETURN(ExprPtr left, parse_unary(true));
    while (at_op("**")) {
      SourcePos pos = cur().pos;
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr right, parse_unary(true));
      CORRAL_ASSIGN_OR_RETURN(left, binary("**", std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> parse_unary(bool with_filter) {
    CORRAL_TRY(enter());
    Leave leave{depth_};
    ExprPtr node;
    if (at_op("-") || at_op("+")) {
      node = make(ExprKind::Unary, cur().pos, cur().text);
      advance();
      CORRAL_ASSIGN_OR_RETURN(ExprPtr operand, parse_unary(false));
      node->args.push_back(std::move(operand));
    } else {
      CORRAL_ASSIGN_OR_RETURN(node, parse_primary());
      CORRAL_ASSIGN_OR_RETURN(node, parse_postfix(std::move(node)));
    }
    if (with_filter) return parse_filters_and_tests(std::move(node));
    return node;
  }

  Result<ExprPtr> parse_primary() {
    const Token& tok = cur();
    SourcePos pos = tok.pos;
    switch (tok.kind) {
      case TokenKind::Name: {
        auto e = make(ExprKind::Literal, pos);
        if (tok.text == "true" || tok.text == "True") {
          e->literal = Value::boolean(true);
        } else if (tok.text == "false" || tok.text == "False") {
          e->literal = Value::boolean(false);
        } else if (tok.text == "none" || tok.text == "None") {
          e->literal = Value::none();
        } else {
          e->kind = ExprKind::Name;
          e->name = tok.text;
        }
        advance();
        return e;
      }
      case TokenKind::String: {
        std::string s;
        while (cur().kind == TokenKind::String) {  // adjacent literals concatenate
          s += cur().text;
          advance();
        }
        auto e = make(ExprKind::Literal, pos);
        e->literal = Value::string(std::move(s));
        return e;
      }
      case TokenKind::Int: {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), v);
        auto e = make(ExprKind::Literal, pos);
        e->literal = ec == std::errc() ? Value::integer(v) : Value::number(std::stod(tok.text));
        advance();
        return e;
      }
      case TokenKind::Float: {
        auto e = make(ExprKind::Literal, pos);
        e->literal = Value::number(std::strtod(tok.text.c_str(), nullptr));
        advance();
        return e;
      }
      case TokenKind::Op:
        if (tok.text == "(") return parse_paren();
        if (tok.text == "[") return parse_list();
        if (tok.text == "{") return parse_dict();
        break;
      default: break;
    }
    return unexpected("an expression");
  }

  Result<ExprPtr> parse_paren() {
    SourcePos pos = cur().pos;
    advance();
    if (at_op(")")) {
      advance();
      return make(ExprKind::Tuple, pos);
    }
    CORRAL_ASSIGN_OR_RETURN(ExprPtr first, parse_expr());
    if (!at_op(",")) {
      CORRAL_TRY(expect_op(")"));
      return first;
    }
    auto t = make(ExprKind::Tuple, pos);
    t->args.push_back(std::move(first));
    while (at_op(",")) {
      advance();
      if (at_op(")")) break;
      CORRAL_ASSIGN_OR_RETURN(ExprPtr item, parse_expr());
      t->args.push_back(std::move(item));
    }
    CORRAL_TRY(expect_op(")"));
    return t;
  }

  Result<ExprPtr> parse_list() {
    auto e = make(ExprKind::List, cur().pos);
    advance();
    while (!at_op("]")) {
      CORRAL_ASSIGN_OR_RETURN(ExprPtr item, parse_expr());
      e->args.push_back(std::move(item));
      if (!at_op(",")) break;
      advance();
    }
    CORRAL_TRY(expect_op("]"));
    return e;
  }

  Result<ExprPtr> parse_dict() {
    auto e = make(ExprKind::Dict, cur().pos);
    advance();
    while (!at_op("}")) {
      CORRAL_ASSIGN_OR_RETURN(ExprPtr key, parse_expr());
      CORRAL_TRY(expect_op(":"));
      CORRAL_ASSIGN_OR_RETURN(ExprPtr value, parse_expr());
      e->args.push_back(std::move(key));
      e->args.push_back(std::move(value));
      if (!at_op(",")) break;
      advance();
    }
    CORRAL_TRY(expect_op("}"));
    return e;
  }

  Result<ExprPtr> parse_postfix(ExprPtr node) {
    int chained = 0;
    while (true) {
      if (++chained > kMaxParseDepth) return fail(fmt::format("template nested too deeply (limit {})", kMaxParseDepth));
      SourcePos pos = cur().pos;
      if (at_op(".")) {
        advance();
        if (cur().kind != TokenKind::Name && cur().kind != TokenKind::Int) return unexpected("an attribute name");
        ExprPtr e;
        if (cur().kind == TokenKind::Int) {
          e = make(ExprKind::Index, pos);
          auto idx = make(ExprKind::Literal, pos);
          idx->literal = Value::integer(std::stoll(cur().text));
          e->args.push_back(std::move(node));
          e->args.push_back(std::move(idx));
        } else {
          e = make(ExprKind::Attr, pos, cur().text);
          e->args.push_back(std::move(node));
        }
        advance();
        node = std::move(e);
      } else if (at_op("[")) {
        advance();
        CORRAL_ASSIGN_OR_RETURN(node, parse_subscript(std::move(node), pos));
      } else if (at_op("(")) {
        auto e = make(ExprKind::Call, node->pos);
        e->args.push_back(std::move(node));
        CORRAL_TRY(parse_call_args(*e));
        node = std::move(e);
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> parse_subscript(ExprPtr object, SourcePos pos) {
    ExprPtr parts[3];
    int n = 0;
    bool slice = false;
    while (true) {
      if (!at_op(":") && !at_op("]")) {
        CORRAL_ASSIGN_OR_RETURN(parts[n], parse_expr());
      }
      if (at_op(":") && n < 2) {
        slice = true;
        ++n;
        advance();
        continue;
      }
      break;
    }
    CORRAL_TRY(expect_op("]"));
    if (!slice) {
      if (!parts[0]) return error_at(pos, "empty subscript");
      auto e = make(ExprKind::Index, pos);
      e->args.push_back(std::move(object));
      e->args.push_back(std::move(parts[0]));
      return e;
    }
    auto e = make(ExprKind::Slice, pos);
    e->args.push_back(std::move(object));
    for (auto& p : parts) e->args.push_back(std::move(p));
    return e;
  }

  Status parse_call_args(Expr& call) {
    CORRAL_TRY(expect_op("("));
    while (!at_op(")")) {
      if (cur().kind == TokenKind::Name && next_token().kind == TokenKind::Op && next_token().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        CORRAL_ASSIGN_OR_RETURN(ExprPtr value, parse_expr());
        call.kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!call.kwargs.empty()) return fail("positional argument after keyword argument");
        CORRAL_ASSIGN_OR_RETURN(ExprPtr value, parse_expr());
        call.args.push_back(std::move(value));
      }
      if (!at_op(",")) break;
      advance();
    }
    return expect_op(")");
  }

  Result<ExprPtr> parse_filter(ExprPtr operand) {
    SourcePos pos = cur().pos;
    CORRAL_ASSIGN_OR_RETURN(std::string name, expect_name());
    if (!is_known_filter(name)) return error_at(pos, fmt::format("unknown filter '{}'", name));
    auto e = make(ExprKind::Filter, pos, name);
    e->args.push_back(std::move(operand));
    if (at_op("(")) CORRAL_TRY(parse_call_args(*e));
    return e;
  }

  Result<ExprPtr> parse_filters_and_tests(ExprPtr node) {
    int chained = 0;
    while (true) {
      if (++chained > kMaxParseDepth) return fail(fmt::format("template nested too deeply (limit {})", kMaxParseDepth));
      if (at_op("|")) {
        advance();
        CORRAL_ASSIGN_OR_RETURN(node, parse_filter(std::move(node)));
      } else if (at_name("is")) {
        advance();
        CORRAL_ASSIGN_OR_RETURN(node, parse_test(std::move(node)));
      } else if (at_op("(")) {
        auto e = make(ExprKind::Call, cur().pos);
        e->args.push_back(std::move(node));
        CORRAL_TRY(parse_call_args(*e));
        node = std::move(e);
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> parse_test(ExprPtr operand) {
    bool negated = false;
    if (at_name("not")) {
      negated = true;
      advance();
    }
    SourcePos pos = cur().pos;
    CORRAL_ASSIGN_OR_RETURN(std::string name, expect_name());
    if (!is_known_test(name)) return error_at(pos, fmt::format("unknown test '{}'", name));
    auto e = make(ExprKind::Test, pos, name);
    e->negated = negated;
    e->args.push_back(std::move(operand));
    if (at_op("(")) {
      CORRAL_TRY(parse_call_args(*e));
    } else if ((cur().kind == TokenKind::String || cur().kind == TokenKind::Int || cur().kind == TokenKind::Float ||
                at_op("[") || at_op("{") ||
                (cur().kind == TokenKind::Name && !at_name("else") && !at_name("or") && !at_name("and") &&
                 !at_name("if") && !at_name("is") && !at_name("not") && !at_name("in"))) &&
               test_takes_argument(name)) {
      CORRAL_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary());
      CORRAL_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
      e->args.push_back(std::move(arg));
    }
    return e;
  }

  const std::vector<Token>& t_;
  size_t i_ = 0;
  int depth_ = 0;
  int loops_ = 0;
};

}  // namespace

Result<Body> parse(const std::vector<Token>& tokens) {
  return Parser(tokens).run();
}

}  // namespace corral::tmpl::jinja
