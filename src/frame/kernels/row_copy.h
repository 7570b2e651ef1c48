// Shape-generic row copies used by the structural kernels: appending contiguous row ranges
// (filterRows, maskObjects, concat) and gathering single rows by number (take, gather,
// broadcast of strings), descending through every offsets level to the values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame::kernels::detail {

// Rows [begin, end) of level `level` of sources[source].
struct SourceRange {
    std::uint32_t source = 0;
    std::int64_t begin = 0;
    std::int64_t end = 0;
};

// Appends `ranges` (in order) of rows of offsets level `level` of the sources (all of out's
// dtype and with the same levels) to `out`, whose offsets levels from `out_level` on receive
// them (they must hold only their leading 0). Adjacent ranges are merged, so copying all rows
// costs one memcpy per level.
void copyRanges(std::span<const Column* const> sources, std::size_t level,
                std::vector<SourceRange> ranges, Column& out, std::size_t out_level);

// Appends rows `rows` (-1: missing) of level `level` of `source` to `out` from `out_level` on,
// like copyRanges. A missing row is an empty list, or at the values level the missing value
// (NaN, 0, false).
void gatherRows(const Column& source, std::size_t level, std::vector<std::int64_t> rows,
                Column& out, std::size_t out_level);

}  // namespace hepflow::frame::kernels::detail
