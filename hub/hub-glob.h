// --include / --exclude filtering with the rules of huggingface_hub's filter_repo_objects: Python's
// fnmatch.fnmatchcase (case-sensitive; `*` also matches '/'; `?`; `[seq]`, `[!seq]`), backslashes read
// as '/', and a pattern ending in '/' matches everything below that folder.
#pragma once

#include <string>
#include <vector>

namespace hezar::hub {

bool fnmatch_case(const std::string& name, const std::string& pattern);

// Kept iff (no include patterns or one matches) and (no exclude pattern matches).
bool path_selected(const std::string& path, const std::vector<std::string>& include,
                   const std::vector<std::string>& exclude);

}  // namespace hezar::hub
