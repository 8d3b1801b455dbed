#include "hub/hub-glob.h"

#include <algorithm>

namespace hezar::hub {

namespace {
// Matches a bracket expression at pattern[p] ('[' ...); sets `next` past it. Returns -1 when the bracket is
// not closed (then '[' is a literal, as in fnmatch), else 1 on match, 0 otherwise.
int match_bracket(const std::string& pattern, size_t p, char c, size_t& next) {
  size_t i = p + 1;
  bool negate = i < pattern.size() && pattern[i] == '!';
  if (negate) ++i;
  size_t first = i;
  if (i < pattern.size() && pattern[i] == ']') ++i;  // a leading ']' is literal
  while (i < pattern.size() && pattern[i] != ']') ++i;
  if (i >= pattern.size()) return -1;
  next = i + 1;
  bool found = false;
  for (size_t j = first; j < i; ++j) {
    if (j + 2 < i && pattern[j + 1] == '-') {
      if (pattern[j] <= c && c <= pattern[j + 2]) found = true;
      j += 2;
    } else if (pattern[j] == c) {
      found = true;
    }
  }
  return found != negate ? 1 : 0;
}
}  // namespace

bool fnmatch_case(const std::string& name, const std::string& pattern) {
  size_t n = 0, p = 0, star_p = std::string::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_n = n;
      continue;
    }
    if (p < pattern.size()) {
      size_t next = p + 1;
      int bracket = pattern[p] == '[' ? match_bracket(pattern, p, name[n], next) : -1;
      bool ok = bracket >= 0 ? bracket == 1 : (pattern[p] == '?' || pattern[p] == name[n]);
      if (ok) {
        p = next;
        ++n;
        continue;
      }
    }
    if (star_p == std::string::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {
std::string normalise(std::string text) {
  std::replace(text.begin(), text.end(), '\\', '/');
  return text;
}

bool any_match(const std::string& path, const std::vector<std::string>& patterns) {
  for (std::string pattern : patterns) {
    pattern = normalise(pattern);
    if (!pattern.empty() && pattern.back() == '/') pattern += '*';
    if (fnmatch_case(path, pattern)) return true;
  }
  return false;
}
}  // namespace

bool path_selected(const std::string& path, const std::vector<std::string>& include,
                   const std::vector<std::string>& exclude) {
  const std::string p = normalise(path);
  if (!include.empty() && !any_match(p, include)) return false;
  return exclude.empty() || !any_match(p, exclude);
}

}  // namespace hezar::hub
