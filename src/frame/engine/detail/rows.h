// Row-level helpers of the engine: keeping the rows a filter passes (every column shape,
// struct members included), reading any numeric column as doubles, and the per-row object
// counts of a jagged column.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "frame/columns/column.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::engine::detail {

// The rows of `column` (num_rows of them) that `selection` keeps; offsets of the result start
// at 0. A flat column with k values per row (fixed arrays) keeps k values per kept row.
Column keepRows(const Column& column, const kernels::RowSelection& selection,
                std::int64_t num_rows);
Column keepRows(const Column& column, std::span<const std::uint8_t> keep, std::int64_t num_rows);
// The filters of one work unit applied lazily to the columns read from the file: a filter
// filters at once only the columns computed since the unit was read, and records which of the
// unit's rows survive; a column read from the file is filtered once, by every filter so far,
// when a step reads it (require) or at the end (requireAll). With several selections in a row
// a column that only an output reads is copied once, with the few rows left at the end,
// instead of once per selection.
class DeferredRows {
public:
    // `batch` holds the unit's columns as read; it must outlive this object.
    explicit DeferredRows(ColumnBatch& batch);
    // Keeps the rows (of batch.num_entries) where keep[row] != 0.
    void filter(std::span<const std::uint8_t> keep);
    // Brings these columns (those present in the batch) up to date.
    void require(std::span<const std::string> names);
    void requireAll();

private:
    void bringUpToDate(std::pair<std::string, Column>& column);

    ColumnBatch& batch_;
    std::int64_t unit_rows_;
    std::vector<std::uint8_t> unit_keep_;  // per row of the unit; empty: every row so far
    std::optional<kernels::RowSelection> unit_selection_;  // of unit_keep_, made when first used
    std::vector<std::string> deferred_;  // columns still holding every row of the unit
};

// The values of a numeric or bool column (all levels flattened, in order) as doubles. Throws
// UsageError for strings and structs.
std::vector<double> valuesAsDouble(const Column& column);
// Per row, the truth of a flat bool or numeric column (non-zero is true).
std::vector<std::uint8_t> truthValues(const Column& column);

// Per row, the number of items of the outermost jagged level.
std::vector<std::int64_t> rowCounts(const Column& jagged);

}  // namespace hepflow::frame::engine::detail
