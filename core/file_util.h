// Small filesystem helpers shared by every writer: atomic writes (temp + rename) and whole-file reads.
#pragma once

#include <string>

namespace hezar {

// Reads a whole file; throws BadInput naming the path if it is missing or unreadable.
std::string file_read(const std::string& path);

// Writes `bytes` to a temp file beside `path`, fsyncs it, and renames it over `path`, so readers see
// either the old file or the complete new one, never a half-written file.
void file_write_atomic(const std::string& path, const std::string& bytes);

// A temp path beside `path` (same directory, so rename() is atomic), unique per process and call.
std::string temp_path_for(const std::string& path);

// Renames `tmp` over `path` after fsyncing it; removes `tmp` and throws on failure.
void file_commit(const std::string& tmp, const std::string& path);

// Removes temp files and folders in `dir` (named by temp_path_for) left by processes that no longer
// run, e.g. a training killed mid-write. Those of live processes are kept. A missing dir is fine.
void remove_stale_temps(const std::string& dir);

}  // namespace hezar
