// Row-level helpers of the engine: keeping the rows a filter passes (every column shape,
// struct members included), reading any numeric column as doubles, and the per-row object
// counts of a jagged column.
#pragma once

#include <cstdint>
#include <functional>
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
// The filters of one work unit applied lazily: a filter only records which rows survive, and
// a column is filtered once, by every filter since it was made (read from the file or
// computed), when a step reads it (require) or at the end (requireAll). With several
// selections in a row, a column that only an output reads is copied once, with the few rows
// left at the end, instead of once per selection.
//
// Columns can also be read late: the `unread` ones are fetched through `load` when a step first
// requires them, with only the rows that survived the filters so far (so a column that is only
// needed after a tight trigger cut decodes a few rows, not all of them).
class DeferredRows {
public:
    // Reads columns of the unit: every row (nullopt) or only these (increasing unit rows).
    using Loader = std::function<std::vector<std::pair<std::string, Column>>(
        std::span<const std::string> names, std::optional<std::span<const std::int64_t>> rows)>;

    // `batch` holds the unit's columns as read; it must outlive this object. Columns added to
    // it later hold the rows current when they were added.
    explicit DeferredRows(ColumnBatch& batch);
    // `batch` starts with no columns and all of the unit's rows; `unread` are read by `load`.
    DeferredRows(ColumnBatch& batch, std::vector<std::string> unread, Loader load);
    // Keeps the rows (of batch.num_entries) where keep[row] != 0.
    void filter(std::span<const std::uint8_t> keep);
    // Brings these columns (those present in the batch, or still unread) up to date.
    void require(std::span<const std::string> names);
    void requireAll();

private:
    // One stage (the rows between two filters): its number of rows and those that survive
    // every later filter. Survivors of every stage are the current rows, in order, so a new
    // filter updates each stage in time proportional to the current rows, not the stage's.
    struct Stage {
        kernels::RowSelection survivors;
    };
    void track();
    void bringUpToDate(std::pair<std::string, Column>& column);
    // Reads those of `names` still unread, with the rows current now.
    void readLate(std::span<const std::string> names);

    ColumnBatch& batch_;
    std::vector<std::string> unread_;
    Loader load_;
    std::vector<Stage> stages_;  // every stage before the current one
    std::vector<std::pair<std::string, std::size_t>> stage_of_;  // column -> stage it holds
};

// The values of a numeric or bool column (all levels flattened, in order) as doubles. Throws
// UsageError for strings and structs.
std::vector<double> valuesAsDouble(const Column& column);
// Per row, the truth of a flat bool or numeric column (non-zero is true).
std::vector<std::uint8_t> truthValues(const Column& column);

// Per row, the number of items of the outermost jagged level.
std::vector<std::int64_t> rowCounts(const Column& jagged);

}  // namespace hepflow::frame::engine::detail
