// String helpers used in error messages and parsing.
#pragma once

#include <string>
#include <vector>

namespace hezar {

// The candidate closest to `word` by edit distance, or "" when none is plausibly a typo of it.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "; did you mean 'x'?" for closest_match, or "" when there is no close candidate.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

std::string join(const std::vector<std::string>& parts, const std::string& separator);
std::vector<std::string> split(const std::string& text, char separator);
bool starts_with(const std::string& text, const std::string& prefix);
bool ends_with(const std::string& text, const std::string& suffix);

}  // namespace hezar
