// "Did you mean" for typos in keys: the closest candidate by edit distance, if it is close enough.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace gmpsim::models {

std::size_t edit_distance(std::string_view a, std::string_view b);
// Returns the candidate nearest to `word`, or "" when none is within max(2, |word|/3) edits.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean `x`?)" or "" — ready to append to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace gmpsim::models
