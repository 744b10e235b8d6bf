// Tables printed exactly as Ollama's CLI prints them (olekukonko/tablewriter with no borders, no
// white space, a four-space padding): every cell padded to its column's width and followed by the
// padding, the header's last cell by one space; cells wider than the column limit word-wrapped
// with minimum raggedness. `corral list`, `ps` and `show` use it so their output is byte-for-byte
// Ollama's.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

using TableRow = std::vector<std::string>;

inline constexpr size_t kDefaultColumnLimit = 30;  // tablewriter's default column width
inline constexpr size_t kNoColumnLimit = std::numeric_limits<size_t>::max();

// `header` may be empty (no header line). Rows may have different lengths. Cells wider than
// `column_limit` columns are wrapped at spaces as tablewriter wraps them.
std::string render_table(const TableRow& header, const std::vector<TableRow>& rows,
                         size_t column_limit = kDefaultColumnLimit);

// Columns a string takes on a terminal (UTF-8 code points; wide East Asian characters count 1).
size_t display_width(std::string_view text);

// tablewriter's word wrap: `text` split at single spaces into lines of at most `limit` columns
// (raised to the longest word), choosing breaks that minimise the squared slack.
std::vector<std::string> wrap_words(std::string_view text, size_t limit);

}  // namespace corral::cli
