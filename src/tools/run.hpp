// Running a helper program (Graphviz's dot for objgraph, binutils'
// addr2line for tracemalloc): posix_spawnp, no shell.
#pragma once

#include <string>
#include <vector>

namespace rcgc::tools {

struct RunResult {
  int spawn_error = 0;  // errno from posix_spawnp (ENOENT: not on PATH); 0 when it ran
  int status = 0;       // waitpid's status
  bool ok() const noexcept;  // ran and exited with 0
};

// Runs args[0], found on PATH, with `args`. Its standard output goes to
// `out` when given (else it is inherited), its standard error to /dev/null
// when `quiet`.
RunResult run(std::vector<std::string> args, std::string* out = nullptr, bool quiet = false);

}  // namespace rcgc::tools
