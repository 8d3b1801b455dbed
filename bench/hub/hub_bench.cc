// Times the Hub client library alone (no libtorch start-up): pulls the files of REPO_ID matching GLOB
// into $HEZAR_CACHE_DIR from $HF_ENDPOINT and prints the wall seconds. Used by bench/hub_download.sh.
//   hub_bench REPO_ID GLOB
#include <chrono>
#include <cstdio>
#include <exception>

#include "hub/hub.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: hub_bench REPO_ID GLOB\n");
    return 2;
  }
  try {
    hezar::hub::RepoRef repo;
    repo.repo_id = argv[1];
    hezar::hub::PullOptions options;
    options.include = {argv[2]};
    const auto start = std::chrono::steady_clock::now();
    hezar::hub::snapshot_download(repo, options);
    std::printf("%.6f\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
