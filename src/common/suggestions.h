// "Did you mean" support shared by every place that reports an unknown name (expression
// columns and functions, config keys, branches): a case-insensitive edit distance and the
// closest candidate within a typo-sized distance.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hepflow {

// Levenshtein distance ignoring ASCII case.
std::size_t editDistance(std::string_view a, std::string_view b);

// The first candidate at the smallest distance from `name`, or "" when even that one is more
// than `max_distance` edits away.
std::string closestName(std::string_view name, const std::vector<std::string>& candidates,
                        std::size_t max_distance);

}  // namespace hepflow
