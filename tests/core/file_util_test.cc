// Atomic writes and the cleanup of temp files left by killed writers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/file_util.h"

namespace hezar {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(FileUtil, WriteAtomicReplacesAndLeavesNoTemp) {
  fs::path dir = scratch("atomic");
  file_write_atomic((dir / "a.txt").string(), "one");
  file_write_atomic((dir / "a.txt").string(), "two");
  EXPECT_EQ(file_read((dir / "a.txt").string()), "two");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
}

TEST(FileUtil, RemovesTempsOfDeadWritersOnly) {
  fs::path dir = scratch("stale");
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(getpid());
  fs::create_directories(dir / ("0040.tmp." + dead + ".3") / "train");
  std::ofstream(dir / ("model.pt.tmp." + dead + ".0")) << "half";
  std::ofstream(dir / ("model.pt.tmp." + alive + ".1")) << "being written";
  std::ofstream(dir / "notes.tmp.txt") << "not ours";
  fs::create_directories(dir / "0020");
  remove_stale_temps(dir.string());
  EXPECT_FALSE(fs::exists(dir / ("0040.tmp." + dead + ".3")));
  EXPECT_FALSE(fs::exists(dir / ("model.pt.tmp." + dead + ".0")));
  EXPECT_TRUE(fs::exists(dir / ("model.pt.tmp." + alive + ".1")));
  EXPECT_TRUE(fs::exists(dir / "notes.tmp.txt"));
  EXPECT_TRUE(fs::exists(dir / "0020"));
  remove_stale_temps((dir / "missing").string());  // no error
}

}  // namespace
}  // namespace hezar
