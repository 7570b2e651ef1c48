// Compile-time error reporting shared by the parser and the compiler: the "col N: " convention
// of UsageError messages and the "did you mean" suggestion for misspelled names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hepflow::frame::expr::detail {

// Throws UsageError("col <pos>: <what>").
[[noreturn]] void fail(int pos, const std::string& what);

// ASCII lower case, for case-insensitive field lookups.
std::string lower(std::string_view s);

// " — did you mean 'X'?" for the candidate closest to `name` (case-insensitive edit distance),
// or "" when none is close enough.
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace hepflow::frame::expr::detail
