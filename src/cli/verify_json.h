// A store::VerifyReport as JSON, for `corral verify --json` and `corral doctor --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "store/verify.h"

namespace corral::cli {

// "missing_blob", "digest_mismatch", ... (store::ProblemKind in snake case).
const char* problem_kind_name(store::ProblemKind kind);

// {"ok", "blobs_checked", "bytes_hashed", "models": [{"name", "manifest", "ok", "problems": [{"kind",
// "file", "detail", "models"}]}], "store_problems": [...]}
nlohmann::ordered_json verify_report_json(const store::VerifyReport& report);

}  // namespace corral::cli
