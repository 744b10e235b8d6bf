// `corral list` (alias `ls`): the models in the store, like `ollama list`.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "base/units.h"
#include "cli/command.h"
#include "cli/store_util.h"
#include "store/ops.h"

namespace corral::cli {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int list(const std::string& filter) {
  auto store = open_store();
  if (!store) return kExitError;
  auto rows = store::list_models(*store);
  auto now = std::filesystem::file_time_type::clock::now();
  std::vector<std::array<std::string, 4>> table{{"NAME", "ID", "SIZE", "MODIFIED"}};
  for (const auto& r : rows) {
    std::string name = r.name.display_shortest();
    if (!filter.empty() && lower(name).find(lower(filter)) != 0) continue;
    double age = std::chrono::duration<double>(now - r.modified).count();
    std::string modified = store::human_time_ago(age);
    if (!r.problem.empty()) modified += fmt::format(" (broken: {})", r.problem);
    table.push_back({name, r.id.substr(0, 12), human_bytes(r.size), modified});
  }
  std::array<size_t, 3> width{};
  for (const auto& row : table)
    for (size_t i = 0; i < 3; ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : table)
    fmt::print("{:<{}}    {:<{}}    {:<{}}    {}\n", row[0], width[0], row[1], width[1], row[2], width[2], row[3]);
  return kExitOk;
}

}  // namespace

void register_list(CLI::App& app, Action& action) {
  auto filter = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("list", "List the models in the store");
  cmd->alias("ls");
  cmd->add_option("prefix", *filter, "Only names starting with this (case-insensitive)");
  cmd->footer(
      "Broken models (a blob missing or cut short, a manifest that does not parse) are listed with\n"
      "(broken: ...) after MODIFIED.\n"
      "Examples:\n"
      "  corral list\n"
      "  CORRAL_MODELS=/mnt/ollama/models corral list    an Ollama store, in place");
  cmd->callback([filter, &action] { action = [filter] { return list(*filter); }; });
}

}  // namespace corral::cli
