// Ollama's name grammar (types/model/name.go), reimplemented from its documented rules.
#include "store/name.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace corral::store {
namespace {

bool is_alnum_or_underscore(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Cuts at the last `sep`: (before, after, found). An empty `after` becomes "!" so that a name
// like "model:" is invalid rather than silently defaulted, as in Ollama's cutPromised.
struct Cut {
  std::string_view before;
  std::string after;
  bool found = false;
};

Cut cut_promised(std::string_view s, char sep) {
  size_t i = s.rfind(sep);
  if (i == std::string_view::npos) return {s, "", false};
  std::string after(s.substr(i + 1));
  if (after.empty()) after = "!";
  return {s.substr(0, i), after, true};
}

bool tag_follows_last_slash(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  size_t slash = s.rfind('/');
  return slash == std::string_view::npos || colon > slash;
}

}  // namespace

std::string name_part_problem(std::string_view kind, std::string_view part) {
  size_t max_len = kind == "host" ? 350 : 80;
  if (part.empty()) return fmt::format("{} is empty", kind);
  if (part.size() > max_len) return fmt::format("{} is longer than {} characters", kind, max_len);
  if (!is_alnum_or_underscore(part[0]))
    return fmt::format("{} '{}' must start with a letter, a digit or '_'", kind, part);
  for (size_t i = 1; i < part.size(); ++i) {
    char c = part[i];
    if (is_alnum_or_underscore(c) || c == '-') continue;
    if (c == '.' && kind != "namespace") continue;
    if (c == ':' && (kind == "host" || kind == "digest")) continue;
    return fmt::format("{} '{}' contains '{}'", kind, part, c);
  }
  return {};
}

ModelName ModelName::parse_unchecked(std::string_view s) {
  ModelName n;
  if (size_t at = s.rfind('@'); at != std::string_view::npos) {
    n.digest = std::string(s.substr(at + 1));
    if (n.digest.empty()) n.digest = "!";
    s = s.substr(0, at);
  }
  if (tag_follows_last_slash(s)) {
    Cut c = cut_promised(s, ':');
    s = c.before;
    n.tag = c.after;
  }
  Cut m = cut_promised(s, '/');
  if (!m.found) {
    n.model = std::string(s);
  } else {
    n.model = m.after;
    Cut ns = cut_promised(m.before, '/');
    if (!ns.found) {
      n.name_space = std::string(m.before);
    } else {
      n.name_space = ns.after;
      std::string_view host = ns.before;
      if (size_t p = host.find("://"); p != std::string_view::npos) host = host.substr(p + 3);
      n.host = std::string(host);
    }
  }
  // Defaults fill absent parts; a present-but-empty part was turned into "!" above.
  if (n.host.empty()) n.host = kDefaultHost;
  if (n.name_space.empty()) n.name_space = kDefaultNamespace;
  if (n.tag.empty()) n.tag = kDefaultTag;
  return n;
}

Result<ModelName> ModelName::parse(std::string_view text) {
  if (text.empty()) return Error("invalid model name: empty");
  if (text.find('\\') != std::string_view::npos)
    return Error::format("invalid model name '{}': backslashes are not allowed", text);
  if (text.front() == '/' || (text.find("//") != std::string_view::npos && text.find("://") == std::string_view::npos))
    return Error::format("invalid model name '{}': empty path part", text);
  ModelName n = parse_unchecked(text);
  for (auto [kind, part] : {std::pair<std::string_view, const std::string*>{"host", &n.host},
                            {"namespace", &n.name_space},
                            {"model", &n.model},
                            {"tag", &n.tag}}) {
    if (std::string why = name_part_problem(kind, *part); !why.empty())
      return Error::format("invalid model name '{}': {}", text, why);
  }
  if (!n.digest.empty()) {
    std::string_view d = n.digest;
    bool ok = d.size() == 71 && (d.starts_with("sha256:") || d.starts_with("sha256-")) &&
              std::all_of(d.begin() + 7, d.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!ok) return Error::format("invalid model name '{}': bad digest '{}'", text, n.digest);
  }
  return n;
}

Result<ModelName> ModelName::from_relative_path(std::string_view rel) {
  ModelName n;
  std::string* parts[] = {&n.host, &n.name_space, &n.model, &n.tag};
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    size_t slash = rel.find('/', start);
    if ((i < 3) != (slash != std::string_view::npos))
      return Error::format("'{}' is not <host>/<namespace>/<model>/<tag>", rel);
    *parts[i] = std::string(rel.substr(start, i < 3 ? slash - start : std::string_view::npos));
    start = slash + 1;
  }
  if (!n.is_valid()) return Error::format("'{}' is not a valid model path", rel);
  return n;
}

bool ModelName::is_valid() const {
  return name_part_problem("host", host).empty() && name_part_problem("namespace", name_space).empty() &&
         name_part_problem("model", model).empty() && name_part_problem("tag", tag).empty();
}

std::string ModelName::display_shortest() const {
  std::string out;
  if (!iequals(host, kDefaultHost)) {
    out = host + "/" + name_space + "/";
  } else if (!iequals(name_space, kDefaultNamespace)) {
    out = name_space + "/";
  }
  return out + model + ":" + tag;
}

std::string ModelName::display_long() const {
  return host + "/" + name_space + "/" + model + ":" + tag;
}

std::string ModelName::manifest_relative_path() const {
  return host + "/" + name_space + "/" + model + "/" + tag;
}

bool ModelName::equal_fold(const ModelName& o) const {
  return iequals(host, o.host) && iequals(name_space, o.name_space) && iequals(model, o.model) && iequals(tag, o.tag);
}

}  // namespace corral::store
