// Name lookups for error messages: the closest known name to a misspelt one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hepflow::frame::engine::detail {

// The candidate closest to `name` by edit distance (case-insensitive), or "" when none is
// close enough to be a likely typo.
std::string closestName(std::string_view name, const std::vector<std::string>& candidates);

// " — did you mean 'X'?" or "".
std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace hepflow::frame::engine::detail
