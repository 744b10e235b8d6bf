// See table.h.
#include "cli/table.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace corral::cli {
namespace {

constexpr std::string_view kPadding = "    ";
constexpr int64_t kLongLinePenalty = 100000;  // tablewriter's penalty for a line over the limit

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    if (at == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      return parts;
    }
    parts.emplace_back(text.substr(start, at - start));
    start = at + 1;
  }
}

std::string pad_right(const std::string& text, size_t width) {
  size_t w = display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

// A cell's lines: its lines joined into one paragraph (tablewriter reflows), wrapped at the widest
// original line or the limit, whichever is smaller. `width` gets the widest resulting line.
std::vector<std::string> cell_lines(const std::string& cell, size_t limit, size_t& width) {
  std::vector<std::string> raw = split(cell, '\n');
  size_t widest = 0;
  for (const auto& line : raw) widest = std::max(widest, display_width(line));
  widest = std::min(widest, limit);
  std::string joined;
  for (size_t i = 0; i < raw.size(); ++i) joined += (i ? " " : "") + raw[i];
  std::vector<std::string> lines = wrap_words(joined, widest);
  width = widest;
  for (const auto& line : lines) width = std::max(width, display_width(line));
  return lines;
}

// Header text as tablewriter's auto-format leaves it: underscores become spaces, upper case.
std::string header_text(std::string text) {
  for (char& c : text) c = c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

size_t display_width(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<std::string> wrap_words(std::string_view text, size_t limit) {
  std::string flat(text);
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  std::vector<std::string> words = split(flat, ' ');
  const size_t n = words.size();
  std::vector<int64_t> prefix(n + 1, 0);  // widths of words[0, k)
  for (size_t k = 0; k < n; ++k) {
    size_t w = display_width(words[k]);
    limit = std::max(limit, w);
    prefix[k + 1] = prefix[k] + static_cast<int64_t>(w);
  }
  // Width of words[i..j] on one line.
  auto span = [&](size_t i, size_t j) { return prefix[j + 1] - prefix[i] + static_cast<int64_t>(j - i); };
  const auto lim = static_cast<int64_t>(limit);
  std::vector<int64_t> cost(n, INT32_MAX);
  std::vector<size_t> next(n, n);
  for (size_t i = n; i-- > 0;) {
    if (span(i, n - 1) <= lim) {
      cost[i] = 0;
      continue;
    }
    for (size_t j = i + 1; j < n; ++j) {
      int64_t slack = lim - span(i, j - 1);
      int64_t c = slack * slack + cost[j] + (span(i, j - 1) > lim ? kLongLinePenalty : 0);
      if (c < cost[i]) {
        cost[i] = c;
        next[i] = j;
      }
    }
  }
  std::vector<std::string> lines;
  for (size_t i = 0; i < n; i = next[i]) {
    std::string line;
    for (size_t k = i; k < next[i]; ++k) line += (k > i ? " " : "") + words[k];
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string render_table(const TableRow& header, const std::vector<TableRow>& rows, size_t column_limit) {
  std::vector<size_t> widths;
  auto fit = [&widths](size_t column, size_t width) {
    if (widths.size() <= column) widths.resize(column + 1, 0);
    widths[column] = std::max(widths[column], width);
  };
  auto layout = [&](const TableRow& row) {
    std::vector<std::vector<std::string>> cells;
    for (size_t c = 0; c < row.size(); ++c) {
      size_t width = 0;
      cells.push_back(cell_lines(row[c], column_limit, width));
      fit(c, width);
    }
    return cells;
  };
  auto header_cells = layout(header);
  std::vector<std::vector<std::vector<std::string>>> body;
  for (const auto& row : rows) body.push_back(layout(row));

  std::string out;
  if (!header.empty()) {
    size_t height = 0;
    for (const auto& cell : header_cells) height = std::max(height, cell.size());
    for (size_t x = 0; x < height; ++x) {
      for (size_t c = 0; c < widths.size(); ++c) {
        std::string text = c < header_cells.size() && x < header_cells[c].size() ? header_cells[c][x] : "";
        out += pad_right(header_text(text), widths[c]);
        out += c + 1 == widths.size() ? std::string_view(" ") : kPadding;
      }
      out += '\n';
    }
  }
  for (auto& cells : body) {
    size_t height = 0;
    for (const auto& cell : cells) height = std::max(height, cell.size());
    // Shorter cells are filled with two spaces per missing line, as tablewriter does.
    for (auto& cell : cells) cell.resize(height, "  ");
    for (size_t x = 0; x < height; ++x) {
      for (size_t c = 0; c < cells.size(); ++c) {
        out += pad_right(cells[c][x], widths[c]);
        out += kPadding;
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace corral::cli
