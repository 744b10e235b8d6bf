// Choosing one of Ollama's built-in Go templates for a model's Jinja chat template: the index
// entry whose Jinja text is nearest by Levenshtein distance (over code points), if below 100.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace corral::tmpl {

struct TemplateIndexEntry {
  std::string name;   // the .gotmpl to use
  std::string jinja;  // a known Jinja template that maps to it
};

inline constexpr size_t kTemplateMatchDistance = 100;

// Levenshtein distance between a and b (code points), or `bound` when it is at least `bound`.
size_t levenshtein_bounded(std::string_view a, std::string_view b, size_t bound);

// The name of the nearest entry (the first on ties), when its distance is below 100.
std::optional<std::string> select_builtin_template(std::string_view jinja,
                                                   const std::vector<TemplateIndexEntry>& index);

// Parses an index.json ([{"template": ..., "name": ...}, ...]).
Result<std::vector<TemplateIndexEntry>> parse_template_index(std::string_view json_text);

}  // namespace corral::tmpl
