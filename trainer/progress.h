// Training progress: a redrawn bar on a terminal, plain periodic lines otherwise (CI logs, pipes).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace hezar {

class Progress {
 public:
  // `total` steps of `samples_per_step` samples, starting at `start` (a resumed epoch); `every` = steps
  // between plain lines when not a TTY. Silent when the log level is above info (--quiet).
  Progress(std::string title, size_t total, size_t samples_per_step, size_t every, size_t start = 0);
  void update(size_t done, const std::string& postfix);
  void finish(const std::string& postfix);

 private:
  std::string line(size_t done, const std::string& postfix) const;

  std::string title_;
  size_t total_, samples_per_step_, every_, start_step_;
  bool tty_, enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace hezar
