// Summary statistics of one column, computed the way the JSROOT reference dump does
// (tests/tools/rootdump/rootdump.mjs), so that `hepflow stats` and the golden test can be
// compared with expected.json key by key: nested values flattened in entry order, members
// of structured columns keyed by their ".member" path, strings counted separately.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame {

// How the reference dump shows one of the first values: integers up to 2^53 and finite
// floats as numbers, larger 64-bit integers as their exact decimal text, NaN and
// infinities as "NaN", "Infinity", "-Infinity".
using ShownValue = std::variant<std::int64_t, double, std::string>;

struct NumberStats {
    std::int64_t count = 0;  // all values, NaN and infinities included
    double sum = 0;          // IEEE double sum in entry order, finite values only
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    std::int64_t nan_count = 0;
    std::int64_t inf_count = 0;
    std::vector<ShownValue> first;

    // min/max are meaningful only when some value was finite.
    bool hasRange() const { return count - nan_count - inf_count > 0; }
};

struct StringStats {
    std::int64_t count = 0;
    std::int64_t total_length = 0;  // in bytes
    std::vector<std::string> first;
};

using MemberStats = std::variant<NumberStats, StringStats>;

struct ColumnStats {
    std::int64_t entries = 0;
    // Exactly one of values / strings is set when the column's values sit at the top level;
    // for structured columns both are empty and `members` holds the values. A column with
    // no value at all gets empty `values`, as the reference does.
    std::optional<NumberStats> values;
    std::optional<StringStats> strings;
    // Lengths of the first entries of a jagged column (outermost level); empty when flat.
    std::vector<std::int64_t> lengths_first;
    // ".x", ".fP.fX", ".first#string": member paths that hold at least one value, in the
    // order of the column's members. Member names may start with '.' and string members may
    // end with "#string" already; both are added where missing.
    std::vector<std::pair<std::string, MemberStats>> members;
};

inline constexpr std::size_t kDefaultFirstValues = 5;

// Statistics of all values of `column`. Struct members are flattened recursively; a
// Struct column is a collection per entry (lengths_first set) when it has offsets of its
// own, or when it has none and every member is jagged (STL maps, TClonesArray members).
ColumnStats computeColumnStats(const Column& column, std::size_t first_n = kDefaultFirstValues);

}  // namespace hepflow::frame
