// Paging the weights in at load: the tensor data of a mapped GGUF file is read once, page by
// page, so that it is in memory before the first request (whose first tokens would otherwise
// wait on page faults) and the runner's /health reports real load progress.
#pragma once

#include <functional>

#include "gguf/file.h"

namespace corral::runner {

// Touches one byte of every page of every tensor's data (after asking the kernel to read ahead),
// calling progress(fraction of the tensor bytes done) as it goes, ending with progress(1).
void page_in(const GgufFile& file, const std::function<void(double)>& progress);

}  // namespace corral::runner
