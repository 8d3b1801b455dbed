#include "trainer/progress.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstdio>

namespace hezar {

namespace {
std::string format_duration(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}
}  // namespace

Progress::Progress(std::string title, size_t total, size_t samples_per_step, size_t every, size_t start)
    : title_(std::move(title)), total_(total), samples_per_step_(samples_per_step),
      every_(every ? every : 1), start_step_(start), tty_(isatty(STDERR_FILENO)),
      enabled_(spdlog::should_log(spdlog::level::info)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

std::string Progress::line(size_t done, const std::string& postfix) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const size_t run = done > start_step_ ? done - start_step_ : 0;  // steps taken by this process
  const double rate = elapsed > 0 ? run * samples_per_step_ / elapsed : 0.0;
  const double eta = run ? elapsed / run * (total_ - done) : 0.0;
  char stats[128];
  std::snprintf(stats, sizeof stats, "%zu/%zu %s %.0f samples/s ETA %s", done, total_, postfix.c_str(), rate,
                format_duration(eta).c_str());
  if (!tty_) return title_ + " " + stats;
  const size_t width = 24, filled = total_ ? width * done / total_ : width;
  return title_ + " [" + std::string(filled, '=') + std::string(width - filled, ' ') + "] " + stats;
}

void Progress::update(size_t done, const std::string& postfix) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done != total_) return;
    std::fprintf(stderr, "\r%s\033[K", line(done, postfix).c_str());
  } else {
    if (done % every_ != 0 || done == total_) return;  // finish() prints the last line
    std::fprintf(stderr, "%s\n", line(done, postfix).c_str());
  }
  last_draw_ = now;
  std::fflush(stderr);
}

void Progress::finish(const std::string& postfix) {
  if (!enabled_) return;
  if (tty_) std::fprintf(stderr, "\r%s\033[K\n", line(total_, postfix).c_str());
  else std::fprintf(stderr, "%s\n", line(total_, postfix).c_str());
  std::fflush(stderr);
}

}  // namespace hezar
