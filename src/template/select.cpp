// Levenshtein matching of Jinja templates against the built-in index; a band of width 2·bound
// around the diagonal suffices because only distances below the bound matter.
#include "template/select.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace corral::tmpl {
namespace {

std::u32string decode(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += n;
  }
  return out;
}

}  // namespace

size_t levenshtein_bounded(std::string_view a_text, std::string_view b_text, size_t bound) {
  std::u32string a = decode(a_text), b = decode(b_text);
  size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) >= bound) return bound;
  const size_t inf = bound;
  std::vector<size_t> prev(m + 1, inf), cur(m + 1, inf);
  for (size_t j = 0; j <= std::min(m, bound); ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    size_t lo = i > bound ? i - bound : 0;
    size_t hi = std::min(m, i + bound);
    std::fill(cur.begin() + static_cast<long>(lo), cur.begin() + static_cast<long>(hi) + 1, inf);
    if (lo == 0) cur[0] = std::min(i, inf);
    size_t row_min = lo == 0 ? cur[0] : inf;
    for (size_t j = std::max<size_t>(lo, 1); j <= hi; ++j) {
      size_t best = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      best = std::min(best, prev[j] + 1);
      best = std::min(best, cur[j - 1] + 1);
      cur[j] = std::min(best, inf);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min >= bound) return bound;
    std::swap(prev, cur);
    if (lo > 0) prev[lo - 1] = inf;
  }
  return std::min(prev[m], bound);
}

std::optional<std::string> select_builtin_template(std::string_view jinja,
                                                   const std::vector<TemplateIndexEntry>& index) {
  size_t best = kTemplateMatchDistance;
  const TemplateIndexEntry* chosen = nullptr;
  for (const auto& e : index) {
    size_t d = levenshtein_bounded(jinja, e.jinja, best);
    if (d < best) {
      best = d;
      chosen = &e;
    }
  }
  if (!chosen) return std::nullopt;
  return chosen->name;
}

Result<std::vector<TemplateIndexEntry>> parse_template_index(std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_array()) return Error("template index: expected a JSON array");
  std::vector<TemplateIndexEntry> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("name") || !e.contains("template") || !e["name"].is_string() ||
        !e["template"].is_string())
      return Error("template index: each entry needs string 'name' and 'template'");
    out.push_back({e["name"].get<std::string>(), e["template"].get<std::string>()});
  }
  return out;
}

}  // namespace corral::tmpl
