// The `corral` command line: builds the command tree and runs it. Exit codes: 0 success,
// 1 error, 2 usage.
#pragma once

namespace corral::cli {

int run(int argc, char** argv);

}  // namespace corral::cli
