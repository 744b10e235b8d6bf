// UTF-8 helpers shared by the template engines: code points, whitespace, case.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace corral::tmpl {

// Byte offsets of each code point start in s (plus s.size() at the end).
std::vector<size_t> code_point_offsets(std::string_view s);
size_t code_point_count(std::string_view s);

// Whitespace as JavaScript's trim() sees it (the reference renderer's `trim` and `strip`).
size_t whitespace_prefix(std::string_view s);
size_t whitespace_suffix(std::string_view s);
std::string_view trim_whitespace(std::string_view s);

// Python str.strip(chars) with an explicit character set (code points).
std::string_view strip_chars(std::string_view s, std::string_view chars, bool left, bool right);

std::string ascii_upper(std::string_view s);
std::string ascii_lower(std::string_view s);

// Replaces up to `count` (< 0: all) occurrences; fails (returns false) past `max_bytes`.
bool replace_all(std::string_view s, std::string_view from, std::string_view to, long long count, size_t max_bytes,
                 std::string& out);

}  // namespace corral::tmpl
