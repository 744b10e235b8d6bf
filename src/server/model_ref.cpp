// Resolving a model name to its manifest and layers (see model_ref.h).
#include "server/model_ref.h"

#include <fmt/format.h>

namespace corral::server {

ModelLookup resolve_model(const store::Store& st, std::string_view name) {
  ModelLookup out;
  auto not_found = [&] {
    out.status = 404;
    out.error = fmt::format("model \"{}\" not found, try pulling it first", name);
    return out;
  };
  if (name.empty()) {
    out.status = 400;
    out.error = "model is required";
    return out;
  }
  auto parsed = store::ModelName::parse(name);
  if (!parsed.ok()) {
    // An invalid name can never exist in the store; Ollama answers these with a 404 as well
    // when looking a model up, and with 400 when creating one.
    return not_found();
  }
  if (!st.find(*parsed)) return not_found();
  auto loaded = store::load_stored_model(st, *parsed);
  if (!loaded.ok()) {
    if (!st.find(*parsed)) return not_found();  // removed meanwhile
    out.status = 500;
    out.error = loaded.error().to_string();
    return out;
  }
  store::StoredModel& m = *loaded;
  if (m.model_path.empty()) {
    out.status = 500;
    out.error = fmt::format("model \"{}\" has no model layer", name);
    return out;
  }
  ModelRef ref;
  ref.name = m.found.name;
  ref.display_name = m.found.name.display_shortest();
  ref.digest = m.found.stored.id;
  ref.model_path = m.model_path;
  ref.params = m.parts.params.is_object() ? m.parts.params : nlohmann::ordered_json::object();
  if (m.has_template) ref.template_text = m.parts.template_text;
  ref.system = m.parts.system;
  ref.licenses = m.parts.licenses;
  ref.messages = m.parts.messages.is_array() ? m.parts.messages : nlohmann::ordered_json::array();
  ref.modified = m.found.stored.modified;
  ref.config = std::move(m.config);
  ref.manifest = m.found.stored.manifest;
  for (const auto& p : m.parts.projector_paths) ref.projector_paths.emplace_back(p);
  for (const auto& p : m.parts.adapter_paths) ref.adapter_paths.emplace_back(p);
  ref.parts = std::move(m.parts);
  out.ref = std::move(ref);
  return out;
}

}  // namespace corral::server
