// corral: the one binary. Everything lives in the layers under src/; main only hands over.
#include "cli/app.h"

int main(int argc, char** argv) {
  return corral::cli::run(argc, argv);
}
