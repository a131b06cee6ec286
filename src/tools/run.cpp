// src/tools/run.hpp.
#include "tools/run.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace rcgc::tools {

bool RunResult::ok() const noexcept {
  return spawn_error == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

RunResult run(std::vector<std::string> args, std::string* out, bool quiet) {
  RunResult r;
  int fds[2] = {-1, -1};
  if (out != nullptr && ::pipe2(fds, O_CLOEXEC) != 0) {
    r.spawn_error = errno;
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out != nullptr) posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  if (quiet) posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  r.spawn_error = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (out != nullptr) {
    ::close(fds[1]);
    if (r.spawn_error == 0) {
      char buf[4096];
      for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out->append(buf, static_cast<std::size_t>(n));
      }
    }
    ::close(fds[0]);
  }
  if (r.spawn_error == 0)
    while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
    }
  return r;
}

}  // namespace rcgc::tools
