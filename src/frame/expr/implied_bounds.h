// What a cut says about single columns before it is evaluated: `nCleanJet >= 4 && HT > 300`
// can only be true where nCleanJet >= 4. The engine turns such bounds on the counters of
// object selections into cheap early cuts on the input's own counters (docs/reduce.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hepflow::frame::expr {

// The column must be at least `minimum` wherever the cut is true.
struct ImpliedMinimum {
    std::string column;
    std::int64_t minimum = 0;
};

// The minimums that the top-level `&&` terms of `cut` of the forms `name >= k`, `name > k`
// and `name == k` (k an integer literal, either side) impose on `name` if it is an integer
// column, for minimums of at least 1 (counts are never negative, so lower ones say nothing).
// The text has no types: `HT > 300` gives HT >= 301, which holds only for integers, so the
// caller uses the bounds of columns it knows to be integers. Names bound by `let` are not
// columns and give none. Throws UsageError for text that does not parse.
std::vector<ImpliedMinimum> impliedMinimums(std::string_view cut);

}  // namespace hepflow::frame::expr
