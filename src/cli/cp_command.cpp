// `corral cp SRC DST`: another name for a model (the manifest is copied, blobs are shared).
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/store_util.h"
#include "store/ops.h"

namespace corral::cli {
namespace {

int copy(const std::string& from_text, const std::string& to_text) {
  auto store = open_store();
  auto from = parse_model_name(from_text);
  auto to = parse_model_name(to_text);
  if (!store || !from || !to) return kExitError;
  if (auto st = store::copy_model(*store, *from, *to); !st.ok()) {
    fmt::print(stderr, "Error: {}\n", st.error().to_string());
    return kExitError;
  }
  fmt::print("copied '{}' to '{}'\n", from_text, to_text);
  return kExitOk;
}

}  // namespace

void register_cp(CLI::App& app, Action& action) {
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmd = app.add_subcommand("cp", "Copy a model");
  cmd->add_option("source", names->first, "Existing model")->required();
  cmd->add_option("destination", names->second, "New name")->required();
  cmd->footer("Example:\n  corral cp llama3.2 my-llama:v1");
  cmd->callback([names, &action] { action = [names] { return copy(names->first, names->second); }; });
}

}  // namespace corral::cli
