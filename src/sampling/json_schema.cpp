// JSON schema -> GBNF (see json_schema.h). Each schema part becomes a GBNF expression; objects,
// arrays, constrained strings and $ref targets become named rules (named after their place in the
// schema, identical bodies shared). Every value is followed by `ws`, a bounded run of whitespace.
#include "sampling/json_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/check.h"
#include "sampling/grammar.h"
#include "sampling/json_schema_parts.h"
#include "tokenizer/unicode.h"

namespace corral::sampling {
namespace {

using schema::Json;
using schema::where;

// The JSON building blocks, one table: name, body, the rules the body uses. Whitespace is at most
// one space, or a line break and 20 blanks (a model left free to emit spaces can loop on them);
// numbers have at most 16 integer and 16 fraction digits and a two-digit exponent; \u escapes
// never name a surrogate, so every string is valid Unicode and counts one character per code
// point, as minLength/maxLength do.
struct Primitive {
  std::string_view name;
  std::string_view body;
  std::vector<std::string_view> uses;
};

const std::vector<Primitive>& primitives() {
  static const std::vector<Primitive> kPrimitives = {
      {"ws", R"(( " " | "\n" [ \t]{0,20} )?)", {}},
      {"value",
       "object | array | string | number | boolean | null",
       {"object", "array", "string", "number", "boolean", "null"}},
      {"object",
       R"("{" ws ( string ":" ws value ( "," ws string ":" ws value )* )? "}" ws)",
       {"ws", "string", "value"}},
      {"array", R"("[" ws ( value ( "," ws value )* )? "]" ws)", {"ws", "value"}},
      {"string", R"("\"" char* "\"" ws)", {"char", "ws"}},
      {"char", R"([^"\\\x00-\x1F\x7F] | "\\" ( ["\\/bfnrt] | "u" hex4 ))", {"hex4"}},
      {"hex4", "[0-9a-cA-CeEfF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}", {}},
      {"number", R"(int-part ( "." [0-9]{1,16} )? ( [eE] [\-+]? [0-9]{1,2} )? ws)", {"int-part", "ws"}},
      {"integer", R"(int-part ws)", {"int-part", "ws"}},
      {"int-part", R"("-"? ( "0" | [1-9] [0-9]{0,15} ))", {}},
      {"boolean", R"(( "true" | "false" ) ws)", {"ws"}},
      {"null", R"("null" ws)", {"ws"}},
      {"key-char", R"([^"\\\x00-\x1F\x7F])", {}},
  };
  return kPrimitives;
}

const Primitive* find_primitive(std::string_view name) {
  for (const Primitive& p : primitives())
    if (p.name == name) return &p;
  return nullptr;
}

std::string alternatives(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts.front();
  std::string out = "( ";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + " )";
}

// A rule-name fragment from a property name: letters and digits, the rest as "-".
std::string name_part(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (word) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= 24) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

std::string json_text(const Json& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool matches_type(const Json& v, const std::string& type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_boolean();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer")
    return v.is_number_integer() || (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  return true;
}

constexpr const char* kTypes[] = {"object", "array", "string", "number", "integer", "boolean", "null"};

class Converter {
 public:
  explicit Converter(const Json& root) : root_(root) {}

  Result<std::string> run() {
    CORRAL_ASSIGN_OR_RETURN(std::string expr, visit(root_, "", "root"));
    std::string text = "root ::= " + expr + "\n";
    for (const auto& [name, body] : rules_) text += name + " ::= " + body + "\n";
    return text;
  }

 private:
  static constexpr int kMaxDepth = 128;

  // --- rules ---

  std::string use(std::string_view primitive) {
    if (used_.insert(std::string(primitive)).second) {
      const Primitive* p = find_primitive(primitive);
      rules_.push_back({std::string(p->name), std::string(p->body)});
      for (std::string_view u : p->uses) use(u);
    }
    return std::string(primitive);
  }
  std::string unique_name(std::string hint) {
    if (hint.size() > 64) hint = hint.substr(hint.size() - 64);
    while (!hint.empty() && !std::isalnum(static_cast<unsigned char>(hint.front()))) hint.erase(0, 1);
    std::string name = hint;
    for (int i = 2; used_.contains(name) || find_primitive(name) != nullptr || name == "root"; ++i)
      name = fmt::format("{}-{}", hint, i);
    used_.insert(name);
    return name;
  }
  // A named rule for `body`; a body seen before gets the earlier rule.
  std::string rule(const std::string& hint, const std::string& body) {
    if (const auto it = by_body_.find(body); it != by_body_.end()) return it->second;
    std::string name = unique_name(hint);
    rules_.push_back({name, body});
    by_body_[body] = name;
    return name;
  }

  // --- schemas ---

  Result<std::string> visit(const Json& s, const std::string& ptr, const std::string& hint) {
    if (depth_ > kMaxDepth) return Error::format("invalid JSON schema at {}: nested too deeply", where(ptr));
    ++depth_;
    Result<std::string> out = visit_schema(s, ptr, hint);
    --depth_;
    return out;
  }

  Result<std::string> visit_schema(const Json& s, const std::string& ptr, const std::string& hint) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return use("value");
      return Error::format("invalid JSON schema at {}: false accepts nothing", where(ptr));
    }
    if (!s.is_object())
      return Error::format("invalid JSON schema at {}: a schema must be an object or a boolean", where(ptr));
    CORRAL_TRY(schema::check_keywords(s, ptr));
    if (s.contains("$ref") && only_annotations_besides(s, {"$ref"})) return visit_ref(s["$ref"], ptr);
    if (s.contains("$ref") || s.contains("allOf")) {
      CORRAL_ASSIGN_OR_RETURN(Json merged, schema::merge_all_of(root_, s, ptr));
      return visit(merged, ptr, hint);
    }
    if (s.contains("anyOf") || s.contains("oneOf")) return visit_any_of(s, ptr, hint);
    CORRAL_ASSIGN_OR_RETURN(std::vector<std::string> types, types_of(s, ptr));
    if (s.contains("const")) return literal_values(Json::array({s["const"]}), types, ptr, "const");
    if (s.contains("enum")) return literal_values(s["enum"], types, ptr, "enum");
    std::vector<std::string> alts;
    for (const std::string& t : types) {
      CORRAL_ASSIGN_OR_RETURN(std::string a, visit_type(t, s, ptr, hint));
      alts.push_back(std::move(a));
    }
    return alternatives(alts);
  }

  static bool only_annotations_besides(const Json& s, std::initializer_list<std::string_view> keys) {
    for (const auto& [key, value] : s.items())
      if (!schema::is_annotation(key) && std::find(keys.begin(), keys.end(), key) == keys.end()) return false;
    return true;
  }

  // A local reference: one rule per target, named before the target is visited, so recursive
  // schemas become recursive rules.
  Result<std::string> visit_ref(const Json& ref, const std::string& ptr) {
    CORRAL_ASSIGN_OR_RETURN(auto target, schema::resolve_ref(root_, ref, ptr));
    if (const auto it = ref_rules_.find(target.second); it != ref_rules_.end()) return it->second;
    const size_t slash = target.second.rfind('/');
    const std::string name =
        unique_name("ref-" + (target.second.empty() ? "root" : name_part(target.second.substr(slash + 1))));
    ref_rules_[target.second] = name;
    const size_t at = rules_.size();
    rules_.push_back({name, ""});
    CORRAL_ASSIGN_OR_RETURN(std::string body, visit(*target.first, target.second, name));
    rules_[at].second = body;
    return name;
  }

  Result<std::string> visit_any_of(const Json& s, const std::string& ptr, const std::string& hint) {
    if (s.contains("anyOf") && s.contains("oneOf"))
      return Error::format("unsupported JSON schema: anyOf and oneOf together at {}", where(ptr));
    // oneOf is generated as anyOf: outputs are valid when the branches do not overlap (see docs).
    const char* key = s.contains("anyOf") ? "anyOf" : "oneOf";
    Json rest = s;
    rest.erase(key);
    const bool plain = only_annotations_besides(rest, {});
    std::vector<std::string> alts;
    for (size_t i = 0; i < s[key].size(); ++i) {
      const std::string bp = schema::child_pointer(schema::child_pointer(ptr, key), std::to_string(i));
      const std::string bh = fmt::format("{}-{}", hint, i);
      Result<std::string> branch = plain ? visit(s[key][i], bp, bh) : visit(Json{{"allOf", {rest, s[key][i]}}}, bp, bh);
      if (!branch.ok()) return std::move(branch).error();
      if (std::find(alts.begin(), alts.end(), *branch) == alts.end()) alts.push_back(std::move(*branch));
    }
    return alternatives(alts);
  }

  // The types a schema allows: "type" (a name or a list) plus null when "nullable"; without
  // "type", the types its keywords describe, else any value ("any").
  Result<std::vector<std::string>> types_of(const Json& s, const std::string& ptr) {
    std::vector<std::string> types;
    if (const auto it = s.find("type"); it != s.end()) {
      const Json list = it->is_array() ? *it : Json::array({*it});
      for (const Json& t : list) {
        const std::string name = t.get<std::string>();
        if (std::find(std::begin(kTypes), std::end(kTypes), name) == std::end(kTypes))
          return Error::format("invalid JSON schema at {}: unknown type \"{}\"", where(ptr), name);
        if (std::find(types.begin(), types.end(), name) == types.end()) types.push_back(name);
      }
    } else {
      auto infer = [&](const char* type, std::initializer_list<const char*> keys) {
        for (const char* k : keys)
          if (s.contains(k)) {
            types.push_back(type);
            return;
          }
      };
      infer("object", {"properties", "required", "additionalProperties"});
      infer("array", {"items", "prefixItems", "minItems", "maxItems", "additionalItems"});
      infer("string", {"minLength", "maxLength", "pattern", "format"});
      infer("number", {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"});
      if (types.empty()) types.push_back(s.contains("const") || s.contains("enum") ? "" : "any");
    }
    if (s.value("nullable", false) && std::find(types.begin(), types.end(), "null") == types.end())
      types.push_back("null");
    // A number already covers the integers.
    if (std::find(types.begin(), types.end(), "number") != types.end()) std::erase(types, "integer");
    return types;
  }

  // const / enum: the values (of the allowed types) as literals.
  Result<std::string> literal_values(const Json& values, const std::vector<std::string>& types, const std::string& ptr,
                                     const char* keyword) {
    std::vector<std::string> alts;
    for (const Json& v : values) {
      const bool typed = std::any_of(types.begin(), types.end(), [&](const std::string& t) {
        return t.empty() || t == "any" || matches_type(v, t);
      });
      if (typed) alts.push_back(schema::gbnf_literal(json_text(v)));
    }
    if (alts.empty())
      return Error::format("invalid JSON schema at {}: no \"{}\" value has the schema's type", where(ptr), keyword);
    return alternatives(alts) + " " + use("ws");
  }

  Result<std::string> visit_type(const std::string& t, const Json& s, const std::string& ptr, const std::string& hint) {
    if (t == "any") return use("value");
    if (t == "null" || t == "boolean") return use(t);
    if (t == "string") return visit_string(s, ptr, hint);
    if (t == "integer" || t == "number") return visit_number(t == "integer", s, ptr, hint);
    if (t == "object") return visit_object(s, ptr, hint);
    return visit_array(s, ptr, hint);
  }

  static std::optional<uint32_t> count(const Json& s, const char* key) {
    const auto it = s.find(key);
    if (it == s.end()) return std::nullopt;
    const double v = it->get<double>();
    return v > kMaxRepetition ? kMaxRepetition + 1 : static_cast<uint32_t>(v);
  }

  static std::string repeat(const std::string& item, uint32_t min, std::optional<uint32_t> max) {
    if (max && *max == min) return min == 0 ? "" : min == 1 ? item : fmt::format("{}{{{}}}", item, min);
    if (!max) return min == 0 ? item + "*" : min == 1 ? item + "+" : fmt::format("{}{{{},}}", item, min);
    return min == 0 && *max == 1 ? item + "?" : fmt::format("{}{{{},{}}}", item, min, *max);
  }

  Result<std::string> visit_string(const Json& s, const std::string& ptr, const std::string& hint) {
    const auto min = count(s, "minLength"), max = count(s, "maxLength");
    const bool lengths = min || max;
    const std::string quote = schema::gbnf_literal("\"");
    if (s.contains("format") && s.contains("pattern"))
      return Error::format("unsupported JSON schema: \"format\" together with \"pattern\" at {}", where(ptr));
    if ((s.contains("format") || s.contains("pattern")) && lengths)
      return Error::format("unsupported JSON schema: minLength/maxLength together with \"{}\" at {}",
                           s.contains("format") ? "format" : "pattern", where(ptr));
    if (s.contains("format")) {
      const std::string format = s["format"].get<std::string>();
      const std::optional<std::string> content = schema::string_format_content(format);
      if (!content)
        return Error::format("unsupported JSON schema string format \"{}\" at {} (supported: {})", format, where(ptr),
                             schema::supported_string_formats());
      return rule(hint, fmt::format("{} {} {} {}", quote, *content, quote, use("ws")));
    }
    if (s.contains("pattern")) {
      Result<std::string> content = schema::regex_string_content(s["pattern"].get<std::string>());
      if (!content.ok())
        return Error::format("unsupported JSON schema pattern at {}: {}", where(ptr), content.error().to_string());
      return rule(hint, fmt::format("{} {} {} {}", quote, *content, quote, use("ws")));
    }
    if (!lengths) return use("string");
    if ((min && *min > kMaxRepetition) || (max && *max > kMaxRepetition))
      return Error::format("unsupported JSON schema: string lengths above {} at {}", kMaxRepetition, where(ptr));
    if (min && max && *max < *min)
      return Error::format("invalid JSON schema at {}: maxLength is below minLength", where(ptr));
    return rule(hint, fmt::format("{} {} {} {}", quote, repeat(use("char"), min.value_or(0), max), quote, use("ws")));
  }

  // Bounds: minimum/maximum, exclusiveMinimum/exclusiveMaximum as numbers (draft 6+) or as
  // booleans modifying minimum/maximum (draft 4); format int32 for integers.
  Result<std::string> visit_number(bool integer, const Json& s, const std::string& ptr, const std::string& hint) {
    std::optional<double> lo, hi;
    bool lo_ex = false, hi_ex = false;
    if (s.contains("minimum")) lo = s["minimum"].get<double>();
    if (s.contains("maximum")) hi = s["maximum"].get<double>();
    for (auto [key, bound, exclusive, tighter] :
         {std::tuple{"exclusiveMinimum", &lo, &lo_ex, +1.0}, std::tuple{"exclusiveMaximum", &hi, &hi_ex, -1.0}}) {
      const auto it = s.find(key);
      if (it == s.end()) continue;
      if (it->is_boolean()) {
        *exclusive = it->get<bool>() && bound->has_value();
      } else if (!*bound || (it->get<double>() - **bound) * tighter >= 0) {
        *bound = it->get<double>();
        *exclusive = true;
      }
    }
    if (s.contains("format")) {
      const std::string f = s["format"].get<std::string>();
      if (f == "int32" || f == "int64") {
        integer = true;
        if (f == "int32") {
          lo = std::max(lo.value_or(-2147483648.0), -2147483648.0);
          hi = std::min(hi.value_or(2147483647.0), 2147483647.0);
        }
      } else if (integer || (f != "float" && f != "double")) {
        return Error::format(
            "unsupported JSON schema number format \"{}\" at {} (supported: int32, int64, float, double)", f,
            where(ptr));
      }
    }
    if (!lo && !hi) return use(integer ? "integer" : "number");
    constexpr double kLimit = 9.0e15;  // within the 16 digits the grammar writes
    if ((lo && std::fabs(*lo) > kLimit) || (hi && std::fabs(*hi) > kLimit))
      return Error::format("unsupported JSON schema: a bound beyond ±9e15 at {}", where(ptr));
    if (integer) {
      std::optional<int64_t> a, b;
      if (lo) a = static_cast<int64_t>(lo_ex ? std::floor(*lo) + 1 : std::ceil(*lo));
      if (hi) b = static_cast<int64_t>(hi_ex ? std::ceil(*hi) - 1 : std::floor(*hi));
      if (a && b && *a > *b) return Error::format("invalid JSON schema at {}: the bounds leave no integer", where(ptr));
      return rule(hint, schema::integer_range(a, b) + " " + use("ws"));
    }
    for (const auto& [bound, key] : {std::pair{lo, "minimum"}, std::pair{hi, "maximum"}})
      if (bound && std::trunc(*bound) != *bound)
        return Error::format("unsupported JSON schema: a {} that is not a whole number ({}) on a number at {}", key,
                             *bound, where(ptr));
    std::optional<schema::NumberBound> a, b;
    if (lo) a = schema::NumberBound{static_cast<int64_t>(*lo), lo_ex};
    if (hi) b = schema::NumberBound{static_cast<int64_t>(*hi), hi_ex};
    Result<std::string> range = schema::number_range(a, b);
    if (!range.ok()) return Error::format("invalid JSON schema at {}: {}", where(ptr), range.error().to_string());
    return rule(hint, *range + " " + use("ws"));
  }

  struct Property {
    std::string key_literal;  // the key as JSON, as a GBNF literal
    std::string value;        // GBNF expression
    bool required = false;
  };

  Result<std::string> visit_object(const Json& s, const std::string& ptr, const std::string& hint) {
    const Json no_props = Json::object();
    const Json& props = s.contains("properties") ? s["properties"] : no_props;
    std::vector<std::string> required;
    if (s.contains("required"))
      for (const Json& r : s["required"]) required.push_back(r.get<std::string>());
    // Extra properties: additionalProperties true or a schema; absent means none when the schema
    // lists properties (as llama.cpp), any when it lists none (a plain "type": "object").
    std::optional<std::string> extra;
    const auto addl = s.find("additionalProperties");
    if (addl == s.end()) {
      if (!s.contains("properties") && required.empty()) return use("object");
      if (!s.contains("properties")) extra = use("value");
    } else if (addl->is_object() || addl->get<bool>()) {
      CORRAL_ASSIGN_OR_RETURN(extra, visit(*addl, schema::child_pointer(ptr, "additionalProperties"), hint + "-extra"));
    }
    std::vector<Property> list;
    for (const auto& [key, sub] : props.items()) {
      Property p;
      p.key_literal = schema::gbnf_literal(json_text(Json(key)));
      CORRAL_ASSIGN_OR_RETURN(p.value, visit(sub, schema::child_pointer(schema::child_pointer(ptr, "properties"), key),
                                             hint + "-" + name_part(key)));
      p.required = std::find(required.begin(), required.end(), key) != required.end();
      list.push_back(std::move(p));
    }
    for (const std::string& key : required) {
      if (props.contains(key)) continue;
      if (!extra)
        return Error::format("invalid JSON schema at {}: \"{}\" is required but additionalProperties does not allow it",
                             where(ptr), key);
      list.push_back({schema::gbnf_literal(json_text(Json(key))), *extra, true});
    }
    std::vector<std::string> names;
    for (const auto& [key, sub] : props.items()) names.push_back(key);
    for (const std::string& key : required) names.push_back(key);
    return object_rule(list, extra ? std::optional(extra_pair(names, *extra, hint)) : std::nullopt, hint);
  }

  // `"key" ws ":" ws value` for a key outside `names`: a string without escapes that differs from
  // every listed name (a duplicate key would let JSON.parse keep a value the schema never checked).
  std::string extra_pair(const std::vector<std::string>& names, const std::string& value, const std::string& hint) {
    const std::string key =
        rule(hint + "-key", fmt::format("{} {} {} {}", schema::gbnf_literal("\""),
                                        other_string(names, "", hint + "-key"), schema::gbnf_literal("\""), use("ws")));
    return rule(hint + "-pair", fmt::format("{} \":\" {} {}", key, use("ws"), value));
  }

  // Strings of key characters that are not in `words`, given the prefix already read: a trie walk
  // where each node lets the string end (unless a word ends there), continue into a child, or
  // leave the trie with any other character.
  std::string other_string(const std::vector<std::string>& words, const std::string& prefix, const std::string& hint) {
    std::vector<std::string> next_chars;
    bool word_ends = false;
    for (const std::string& w : words) {
      if (w.size() < prefix.size() || w.compare(0, prefix.size(), prefix) != 0) continue;
      if (w.size() == prefix.size()) {
        word_ends = true;
      } else {
        const std::string c = w.substr(prefix.size(), std::max<size_t>(1, decode_utf8_char(w, prefix.size()).length));
        if (std::find(next_chars.begin(), next_chars.end(), c) == next_chars.end()) next_chars.push_back(c);
      }
    }
    if (next_chars.empty() && !word_ends) return use("key-char") + "*";
    std::vector<std::string> alts;
    std::vector<CharRange> taken;
    for (const std::string& c : next_chars) {
      const uint32_t cp = decode_utf8_char(c, 0).cp;
      taken.push_back({cp, cp});
      // Characters a JSON key cannot hold raw can only be reached with escapes, which extra keys do not use.
      if (cp < 0x20 || cp == '"' || cp == '\\' || cp == 0x7F) continue;
      alts.push_back(schema::gbnf_literal(c) + " " + other_string(words, prefix + c, hint));
    }
    const CharSet others = CharSet::of({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0x7E}, {0x80, kMaxCodePoint}});
    std::vector<CharRange> rest;
    CharSet taken_set = CharSet::of(taken).complement();
    for (CharRange a : others.ranges())
      for (CharRange b : taken_set.ranges()) {
        const uint32_t lo = std::max(a.lo, b.lo), hi = std::min(a.hi, b.hi);
        if (lo <= hi) rest.push_back({lo, hi});
      }
    if (!rest.empty()) alts.push_back(schema::gbnf_class(CharSet::of(rest)) + " " + use("key-char") + "*");
    std::string body = alternatives(alts);
    if (!word_ends) body = "( " + body + " )?";
    return rule(hint, body);
  }

  // { p0, p1, ... } in schema order, optional properties skippable, then extra pairs. S(i): the
  // properties from i on when none was written yet; T(i): the same after one was (a comma first).
  std::string object_rule(const std::vector<Property>& list, std::optional<std::string> extra,
                          const std::string& hint) {
    const std::string ws = use("ws");
    auto pair = [&](const Property& p) { return fmt::format("{} {} \":\" {} {}", p.key_literal, ws, ws, p.value); };
    const size_t n = list.size();
    std::vector<std::string> t(n + 1), s(n + 1);
    t[n] = extra ? fmt::format("( \",\" {} {} )*", ws, *extra) : "";
    s[n] = extra ? fmt::format("( {} {} )?", *extra, t[n]) : "";
    auto named = [&](const std::string& body, const std::string& suffix) {
      return body.empty() || body.find(' ') == std::string::npos ? body : rule(hint + suffix, body);
    };
    t[n] = named(t[n], "-more");
    s[n] = named(s[n], "-extras");
    for (size_t i = n; i-- > 0;) {
      const std::string with = fmt::format("\",\" {} {}", ws, pair(list[i]));
      t[i] = list[i].required ? fmt::format("{} {}", with, t[i + 1]) : fmt::format("( {} )? {}", with, t[i + 1]);
      const std::string first = fmt::format("{} {}", pair(list[i]), t[i + 1]);
      s[i] = list[i].required ? first : fmt::format("( {} | {} )", first, s[i + 1].empty() ? "\"\"" : s[i + 1]);
      if (i > 0) {
        t[i] = named(t[i], fmt::format("-after-{}", i));
        s[i] = named(s[i], fmt::format("-from-{}", i));
      }
    }
    return rule(hint, fmt::format("\"{{\" {} {} \"}}\" {}", ws, s[0], ws));
  }

  Result<std::string> visit_array(const Json& s, const std::string& ptr, const std::string& hint) {
    std::vector<std::string> prefix;
    const Json* tuple = s.contains("prefixItems")                      ? &s["prefixItems"]
                        : s.contains("items") && s["items"].is_array() ? &s["items"]
                                                                       : nullptr;
    const char* tuple_key = s.contains("prefixItems") ? "prefixItems" : "items";
    if (tuple != nullptr)
      for (size_t i = 0; i < tuple->size(); ++i) {
        CORRAL_ASSIGN_OR_RETURN(
            std::string item,
            visit((*tuple)[i], schema::child_pointer(schema::child_pointer(ptr, tuple_key), std::to_string(i)),
                  fmt::format("{}-{}", hint, i)));
        prefix.push_back(std::move(item));
      }
    // What follows the tuple: items (2020) or additionalItems (draft 7); with no tuple, items.
    const char* rest_key = tuple == nullptr ? "items" : s.contains("prefixItems") ? "items" : "additionalItems";
    const auto min = count(s, "minItems").value_or(0);
    const auto max = count(s, "maxItems");
    if (min > kMaxRepetition || (max && *max > kMaxRepetition))
      return Error::format("unsupported JSON schema: array lengths above {} at {}", kMaxRepetition, where(ptr));
    if (max && *max < min) return Error::format("invalid JSON schema at {}: maxItems is below minItems", where(ptr));
    std::optional<std::string> rest;
    const auto it = s.find(rest_key);
    if (it == s.end()) {
      // Absent: any items by the spec; after a tuple only when minItems needs them.
      if (tuple == nullptr || min > prefix.size()) rest = use("value");
    } else if (it->is_object() || it->get<bool>()) {
      CORRAL_ASSIGN_OR_RETURN(rest, visit(*it, schema::child_pointer(ptr, rest_key), hint + "-item"));
    }
    if (!rest && min > prefix.size())
      return Error::format("invalid JSON schema at {}: minItems needs more items than the schema allows", where(ptr));
    return array_rule(prefix, rest, min, max, hint);
  }

  // [ x0, x1, ... ] with the tuple first, then rest items; A(i) is what may follow i items.
  std::string array_rule(const std::vector<std::string>& prefix, const std::optional<std::string>& rest, uint32_t min,
                         std::optional<uint32_t> max, const std::string& hint) {
    const std::string ws = use("ws");
    const auto k = static_cast<uint32_t>(prefix.size());
    const uint32_t cap = rest ? max.value_or(UINT32_MAX) : std::min(max.value_or(k), k);
    auto item = [&](uint32_t i) { return i < k ? prefix[i] : *rest; };
    // After k items (or at 0 without a tuple) only rest items follow: a counted repetition.
    std::string tail;
    if (rest && cap > k) {
      const uint32_t lo = min > k ? min - k : 0;
      const std::optional<uint32_t> hi = max ? std::optional(*max - k) : std::nullopt;
      tail = repeat(fmt::format("( \",\" {} {} )", ws, *rest), lo, hi);
    }
    if (k == 0) {
      if (!rest || cap == 0) return rule(hint, fmt::format("\"[\" {} \"]\" {}", ws, ws));
      const uint32_t lo = min > 0 ? min - 1 : 0;
      const std::optional<uint32_t> hi = max ? std::optional(*max - 1) : std::nullopt;
      const std::string items = fmt::format("{} {}", *rest, repeat(fmt::format("( \",\" {} {} )", ws, *rest), lo, hi));
      return rule(hint, fmt::format("\"[\" {} {} \"]\" {}", ws, min > 0 ? items : "( " + items + " )?", ws));
    }
    if (cap == 0) return rule(hint, fmt::format("\"[\" {} \"]\" {}", ws, ws));
    // follows(i), what may come after i items, from i = k down to 1: another item while fewer
    // than the maximum were written, optional once minItems is reached.
    std::string follows = tail;
    for (uint32_t i = k - 1; i >= 1; --i) {
      if (i >= cap) {
        follows.clear();
        continue;
      }
      const std::string more = fmt::format("\",\" {} {} {}", ws, item(i), follows);
      follows = i >= min ? fmt::format("( {} )?", more) : more;
      follows = rule(fmt::format("{}-after-{}", hint, i), follows);
    }
    const std::string items = fmt::format("{} {}", item(0), follows);
    return rule(hint, fmt::format("\"[\" {} {} \"]\" {}", ws, min > 0 ? items : "( " + items + " )?", ws));
  }

  const Json& root_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::unordered_map<std::string, std::string> by_body_;
  std::unordered_set<std::string> used_;
  std::unordered_map<std::string, std::string> ref_rules_;
  int depth_ = 0;
};

}  // namespace

std::string json_object_grammar() {
  std::string text = "root ::= object\n";
  std::vector<std::string_view> todo = {"object"};
  std::unordered_set<std::string_view> seen;
  while (!todo.empty()) {
    const std::string_view name = todo.back();
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    const Primitive* p = find_primitive(name);
    text += fmt::format("{} ::= {}\n", p->name, p->body);
    for (std::string_view u : p->uses) todo.push_back(u);
  }
  return text;
}

Result<std::string> json_schema_to_grammar(const nlohmann::ordered_json& schema) {
  return Converter(schema).run();
}

// Text without `tag` as a KMP automaton over code points: rule thinking-i is "i characters of the
// tag matched so far"; a character moves to the state the failure function gives, and the one
// that would complete the tag is never taken. The text may end only in a state from which the tag
// itself, read next, first completes at its own end (else the tag would close the thinking earlier).
std::string grammar_after_thinking(std::string_view format_grammar, std::string_view close_tag) {
  constexpr std::string_view kRoot = "root ::= ";
  CORRAL_CHECK(format_grammar.starts_with(kRoot) && !close_tag.empty(), "not a format grammar of this converter");
  std::vector<uint32_t> tag;
  for (size_t pos = 0; pos < close_tag.size();) {
    const Utf8Char ch = decode_utf8_char(close_tag, pos);
    tag.push_back(ch.length ? ch.cp : static_cast<uint8_t>(close_tag[pos]));
    pos += std::max<size_t>(ch.length, 1);
  }
  const size_t m = tag.size();
  std::vector<size_t> fail(m + 1, 0);  // fail[i]: the longest proper border of tag[0, i)
  for (size_t i = 1, k = 0; i < m; ++i) {
    while (k > 0 && tag[i] != tag[k]) k = fail[k];
    if (tag[i] == tag[k]) ++k;
    fail[i + 1] = k;
  }
  auto next = [&](size_t state, uint32_t c) {
    while (state > 0 && tag[state] != c) state = fail[state];
    return tag[state] == c ? state + 1 : 0;
  };
  auto may_end = [&](size_t state) {
    for (size_t j = 0; j + 1 < m; ++j)
      if ((state = next(state, tag[j])) == m) return false;
    return true;
  };
  std::string text =
      fmt::format("root ::= thinking-0 {} [ \\t\\r\\n]{{0,8}} format-root\n", schema::gbnf_literal(close_tag));
  for (size_t i = 0; i < m; ++i) {
    std::vector<std::string> alts;
    if (may_end(i)) alts.push_back("\"\"");
    std::vector<CharRange> tag_chars;
    for (uint32_t c : tag) {
      tag_chars.push_back({c, c});
      const size_t to = next(i, c);
      std::string one;
      append_utf8(one, c);
      const std::string alt = fmt::format("{} thinking-{}", schema::gbnf_literal(one), to);
      if (to < m && std::find(alts.begin(), alts.end(), alt) == alts.end()) alts.push_back(alt);
    }
    alts.push_back(fmt::format("{} thinking-0", schema::gbnf_class(CharSet::of(tag_chars).complement())));
    text += fmt::format("thinking-{} ::= {}\n", i, alternatives(alts));
  }
  text += "format-root ::= ";
  text += format_grammar.substr(kRoot.size());
  return text;
}

}  // namespace corral::sampling
