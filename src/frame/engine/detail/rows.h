// Row-level helpers of the engine: keeping the rows a filter passes (every column shape,
// struct members included), reading any numeric column as doubles, and the per-row object
// counts of a jagged column.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame::engine::detail {

// The rows of `column` (num_rows of them) where keep[row] != 0; offsets of the result start at
// 0. A flat column with k values per row (fixed arrays) keeps k values per kept row.
Column keepRows(const Column& column, std::span<const std::uint8_t> keep, std::int64_t num_rows);
// Every column of the batch, in place; num_entries becomes the number kept.
void keepRows(ColumnBatch& batch, std::span<const std::uint8_t> keep);

// The values of a numeric or bool column (all levels flattened, in order) as doubles. Throws
// UsageError for strings and structs.
std::vector<double> valuesAsDouble(const Column& column);
// Per row, the truth of a flat bool or numeric column (non-zero is true).
std::vector<std::uint8_t> truthValues(const Column& column);

// Per row, the number of items of the outermost jagged level.
std::vector<std::int64_t> rowCounts(const Column& jagged);

}  // namespace hepflow::frame::engine::detail
