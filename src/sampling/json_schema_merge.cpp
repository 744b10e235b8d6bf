// Schema documents for the converter: keyword checks, local $ref resolution and allOf merging
// (see json_schema_parts.h).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string>

#include "sampling/json_schema_parts.h"

namespace corral::sampling::schema {
namespace {

constexpr std::string_view kAnnotations[] = {
    "title",         "description",  "default",  "examples",  "example",     "$schema",         "$id",
    "$comment",      "deprecated",   "readOnly", "writeOnly", "$anchor",     "contentEncoding", "contentMediaType",
    "discriminator", "externalDocs", "xml",      "$defs",     "definitions",
};
// Keywords that constrain the output and have no grammar here (a 400 names them).
constexpr std::string_view kUnsupported[] = {
    "multipleOf",
    "patternProperties",
    "propertyNames",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "not",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
    "contentSchema",
};
// Keywords whose value must be a schema list / a schema map (checked before use).
constexpr std::string_view kSchemaLists[] = {"allOf", "anyOf", "oneOf", "prefixItems"};
constexpr int kMaxMergeDepth = 32;
constexpr size_t kMaxBranches = 256;

Error invalid(const std::string& pointer, std::string_view what) {
  return Error::format("invalid JSON schema at {}: {}", where(pointer), what);
}

// True when the keyword's value leaves the output unconstrained (uniqueItems: false, ...).
bool trivially_satisfied(std::string_view key, const Json& v) {
  if (key == "uniqueItems") return v.is_boolean() && !v.get<bool>();
  if (key == "minProperties" || key == "minContains") return v.is_number() && v.get<double>() <= 0;
  return false;
}

std::string unescape_pointer_token(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out += t[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The set of types a schema allows, for intersecting ("integer" is a subset of "number").
std::set<std::string> types_of(const Json& s) {
  std::set<std::string> out;
  const auto it = s.find("type");
  if (it == s.end()) return {"array", "boolean", "integer", "null", "number", "object", "string"};
  if (it->is_string()) out.insert(it->get<std::string>());
  if (it->is_array())
    for (const Json& t : *it)
      if (t.is_string()) out.insert(t.get<std::string>());
  if (out.contains("number")) out.insert("integer");
  return out;
}

class Merger {
 public:
  explicit Merger(const Json& root) : root_(root) {}

  // A schema with its $ref and allOf resolved at the top (not inside properties or items, which
  // the converter visits, and merges, separately).
  Result<Json> flatten(const Json& s, const std::string& ptr, int depth) {
    if (depth > kMaxMergeDepth) return invalid(ptr, "allOf and $ref nest too deeply (a recursive $ref inside allOf?)");
    if (s.is_boolean()) return s.get<bool>() ? Json::object() : s;
    if (!s.is_object()) return invalid(ptr, "a schema must be an object or a boolean");
    CORRAL_TRY(check_keywords(s, ptr));
    Json out = s;
    if (const auto ref = s.find("$ref"); ref != s.end()) {
      CORRAL_ASSIGN_OR_RETURN(auto target, resolve_ref(root_, *ref, ptr));
      CORRAL_ASSIGN_OR_RETURN(Json resolved, flatten(*target.first, target.second, depth + 1));
      out.erase("$ref");
      CORRAL_ASSIGN_OR_RETURN(out, merge(resolved, out, ptr, depth));
    }
    if (const auto all = out.find("allOf"); all != out.end()) {
      const Json branches = *all;
      out.erase("allOf");
      for (size_t i = 0; i < branches.size(); ++i) {
        const std::string bp = child_pointer(child_pointer(ptr, "allOf"), std::to_string(i));
        CORRAL_ASSIGN_OR_RETURN(Json b, flatten(branches[i], bp, depth + 1));
        CORRAL_ASSIGN_OR_RETURN(out, merge(out, b, bp, depth));
      }
    }
    return out;
  }

  // Both constraints at once. anyOf/oneOf on one side are distributed over the other side.
  Result<Json> merge(const Json& a, const Json& b, const std::string& ptr, int depth) {
    if (a.is_boolean() || b.is_boolean()) {
      if ((a.is_boolean() && !a.get<bool>()) || (b.is_boolean() && !b.get<bool>()))
        return invalid(ptr, "allOf includes false, which accepts nothing");
      return a.is_boolean() ? b : a;
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (a.contains(key)) return distribute(a, b, key, ptr, depth);
      if (b.contains(key)) return distribute(b, a, key, ptr, depth);
    }
    Json out = a;
    for (const auto& [key, value] : b.items()) {
      if (is_annotation(key)) continue;
      if (!out.contains(key)) {
        out[key] = value;
        continue;
      }
      CORRAL_TRY(merge_keyword(out, key, value, ptr));
    }
    CORRAL_TRY(merge_properties(out, a, b, ptr));
    return out;
  }

 private:
  Result<Json> distribute(const Json& with, const Json& other, const char* key, const std::string& ptr, int depth) {
    Json rest = with;
    const Json branches = rest[key];
    rest.erase(key);
    Json out = Json::object();
    out[key] = Json::array();
    for (size_t i = 0; i < branches.size(); ++i) {
      const std::string bp = child_pointer(child_pointer(ptr, key), std::to_string(i));
      CORRAL_ASSIGN_OR_RETURN(Json b, flatten(branches[i], bp, depth + 1));
      CORRAL_ASSIGN_OR_RETURN(Json m1, merge(rest, b, bp, depth + 1));
      CORRAL_ASSIGN_OR_RETURN(Json m2, merge(m1, other, bp, depth + 1));
      if (m2.contains("anyOf") || m2.contains("oneOf")) {
        for (const char* k : {"anyOf", "oneOf"})
          if (m2.contains(k))
            for (const Json& x : m2[k]) out[key].push_back(x);
      } else {
        out[key].push_back(std::move(m2));
      }
      if (out[key].size() > kMaxBranches) return invalid(ptr, "allOf over anyOf/oneOf expands to too many branches");
    }
    return out;
  }

  static Status merge_keyword(Json& out, const std::string& key, const Json& v, const std::string& ptr) {
    Json& cur = out[key];
    if (key == "type") {
      const std::set<std::string> ta = types_of(out), tb = types_of(Json{{"type", v}});
      Json both = Json::array();
      for (const std::string& t : ta)
        if (tb.contains(t) && !(t == "integer" && ta.contains("number") && tb.contains("number"))) both.push_back(t);
      if (both.empty()) return invalid(ptr, "allOf branches have no type in common");
      cur = both.size() == 1 ? both[0] : both;
    } else if (key == "required") {
      for (const Json& r : v)
        if (std::find(cur.begin(), cur.end(), r) == cur.end()) cur.push_back(r);
    } else if (key == "minLength" || key == "minItems" || key == "minimum" ||
               (key == "exclusiveMinimum" && v.is_number() && cur.is_number())) {
      if (v.get<double>() > cur.get<double>()) cur = v;
    } else if (key == "maxLength" || key == "maxItems" || key == "maximum" ||
               (key == "exclusiveMaximum" && v.is_number() && cur.is_number())) {
      if (v.get<double>() < cur.get<double>()) cur = v;
    } else if (key == "enum") {
      Json both = Json::array();
      for (const Json& x : cur)
        if (std::find(v.begin(), v.end(), x) != v.end()) both.push_back(x);
      if (both.empty()) return invalid(ptr, "allOf branches have no enum value in common");
      cur = both;
    } else if (key == "nullable") {
      cur = cur.is_boolean() && cur.get<bool>() && v.is_boolean() && v.get<bool>();
    } else if (key == "items" || key == "additionalItems") {
      if (cur != v) cur = Json{{"allOf", Json::array({cur, v})}};
    } else if (key == "properties" || key == "additionalProperties") {
      // merge_properties
    } else if (cur != v) {
      // const, format, pattern, prefixItems, draft-4 boolean exclusives: equal or unsupported.
      return Error::format("unsupported JSON schema: allOf branches with different \"{}\" at {}", key, where(ptr));
    }
    return {};
  }

  // Properties of both sides; a side with additionalProperties false admits only its own
  // properties, one with an additionalProperties schema applies it to the other side's.
  static Status merge_properties(Json& out, const Json& a, const Json& b, const std::string& ptr) {
    const Json none = Json::object();
    const Json& pa = a.contains("properties") ? a["properties"] : none;
    const Json& pb = b.contains("properties") ? b["properties"] : none;
    if (pa.empty() && pb.empty() && !a.contains("additionalProperties") && !b.contains("additionalProperties"))
      return {};
    Json props = Json::object();
    auto admit = [&](const Json& side, const std::string& key, Json schema) -> std::optional<Json> {
      if (side.contains("properties") && side["properties"].contains(key))
        return Json{{"allOf", {schema, side["properties"][key]}}};
      const auto addl = side.find("additionalProperties");
      if (addl == side.end() || (addl->is_boolean() && addl->get<bool>())) return schema;
      if (addl->is_boolean()) return std::nullopt;
      return Json{{"allOf", {schema, *addl}}};
    };
    for (const auto& [key, schema] : pa.items())
      if (auto merged = admit(b, key, schema)) props[key] = *merged;
    for (const auto& [key, schema] : pb.items()) {
      if (pa.contains(key)) continue;
      auto merged = admit(a, key, schema);
      if (merged) props[key] = *merged;
    }
    out["properties"] = props;
    if (out.contains("required"))
      for (const Json& r : out["required"])
        if (r.is_string() && !props.contains(r.get<std::string>())) {
          for (const Json* side : {&a, &b}) {
            const auto addl = side->find("additionalProperties");
            if (addl != side->end() && addl->is_boolean() && !addl->get<bool>() &&
                !(side->contains("properties") && (*side)["properties"].contains(r.get<std::string>())))
              return invalid(ptr, fmt::format("allOf requires \"{}\", which a branch with additionalProperties false "
                                              "does not allow",
                                              r.get<std::string>()));
          }
        }
    const auto aa = a.find("additionalProperties"), ab = b.find("additionalProperties");
    const bool closed = (aa != a.end() && aa->is_boolean() && !aa->get<bool>()) ||
                        (ab != b.end() && ab->is_boolean() && !ab->get<bool>());
    if (closed) {
      out["additionalProperties"] = false;
    } else if (aa != a.end() && ab != b.end() && aa->is_object() && ab->is_object()) {
      out["additionalProperties"] = Json{{"allOf", {*aa, *ab}}};
    } else if (ab != b.end() && !(ab->is_boolean())) {
      out["additionalProperties"] = *ab;
    }
    return {};
  }

  const Json& root_;
};

}  // namespace

std::string where(const std::string& pointer) {
  return pointer.empty() ? "/" : pointer;
}

std::string child_pointer(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

bool is_annotation(std::string_view keyword) {
  return std::find(std::begin(kAnnotations), std::end(kAnnotations), keyword) != std::end(kAnnotations);
}

Status check_keywords(const Json& schema, const std::string& pointer) {
  for (const auto& [key, value] : schema.items()) {
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), key) != std::end(kUnsupported) &&
        !trivially_satisfied(key, value))
      return Error::format("unsupported JSON schema keyword \"{}\" at {}", key, where(pointer));
    if (std::find(std::begin(kSchemaLists), std::end(kSchemaLists), key) != std::end(kSchemaLists) &&
        (!value.is_array() || (key != "prefixItems" && value.empty())))
      return invalid(pointer, fmt::format("\"{}\" must be a non-empty array of schemas", key));
    if ((key == "properties" || key == "$defs" || key == "definitions") && !value.is_object())
      return invalid(pointer, fmt::format("\"{}\" must be an object", key));
    if (key == "required") {
      if (!value.is_array()) return invalid(pointer, "\"required\" must be an array of strings");
      for (const Json& r : value)
        if (!r.is_string()) return invalid(pointer, "\"required\" must be an array of strings");
    }
    if ((key == "additionalProperties" || key == "additionalItems") && !value.is_boolean() && !value.is_object())
      return invalid(pointer, fmt::format("\"{}\" must be a boolean or a schema", key));
    if (key == "items" && !value.is_boolean() && !value.is_object() && !value.is_array())
      return invalid(pointer, "\"items\" must be a schema or an array of schemas");
    if ((key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") &&
        !(value.is_number_unsigned() ||
          (value.is_number() && value.get<double>() >= 0 && value.get<double>() == std::floor(value.get<double>()))))
      return invalid(pointer, fmt::format("\"{}\" must be a non-negative integer", key));
    if ((key == "minimum" || key == "maximum") && !value.is_number())
      return invalid(pointer, fmt::format("\"{}\" must be a number", key));
    if ((key == "exclusiveMinimum" || key == "exclusiveMaximum") && !value.is_number() && !value.is_boolean())
      return invalid(pointer, fmt::format("\"{}\" must be a number", key));
    if ((key == "format" || key == "pattern") && !value.is_string())
      return invalid(pointer, fmt::format("\"{}\" must be a string", key));
    if (key == "enum" && (!value.is_array() || value.empty()))
      return invalid(pointer, "\"enum\" must be a non-empty array");
    if (key == "nullable" && !value.is_boolean()) return invalid(pointer, "\"nullable\" must be a boolean");
    if (key == "type") {
      bool ok = value.is_string() || (value.is_array() && !value.empty());
      if (value.is_array())
        for (const Json& t : value) ok = ok && t.is_string();
      if (!ok) return invalid(pointer, "\"type\" must be a string or a non-empty array of strings");
    }
  }
  if (schema.contains("$ref") && !schema["$ref"].is_string()) return invalid(pointer, "\"$ref\" must be a string");
  return {};
}

Result<std::pair<const Json*, std::string>> resolve_ref(const Json& root, const Json& ref, const std::string& pointer) {
  if (!ref.is_string()) return invalid(pointer, "\"$ref\" must be a string");
  const std::string r = ref.get<std::string>();
  if (r.empty() || r[0] != '#')
    return Error::format(
        "unsupported JSON schema: $ref \"{}\" at {} (only references inside the schema, \"#/...\", are "
        "supported)",
        r, where(pointer));
  const std::string target = percent_decode(std::string_view(r).substr(1));
  if (!target.empty() && target[0] != '/')
    return Error::format("unsupported JSON schema: $ref \"{}\" at {} (anchors are not supported)", r, where(pointer));
  const Json* node = &root;
  size_t pos = 1;
  while (pos <= target.size() && !target.empty()) {
    const size_t slash = target.find('/', pos);
    const std::string token = unescape_pointer_token(
        std::string_view(target).substr(pos, slash == std::string::npos ? std::string::npos : slash - pos));
    if (node->is_object() && node->contains(token)) {
      node = &(*node)[token];
    } else if (node->is_array() && !token.empty() && token.size() < 10 &&
               std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
               std::stoull(token) < node->size()) {
      node = &(*node)[std::stoull(token)];
    } else {
      return invalid(pointer, fmt::format("$ref \"{}\" does not resolve", r));
    }
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return std::make_pair(node, target);
}

Result<Json> merge_all_of(const Json& root, const Json& schema, const std::string& pointer) {
  return Merger(root).flatten(schema, pointer, 0);
}

}  // namespace corral::sampling::schema
