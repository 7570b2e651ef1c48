// Row filtering and value conversion over columns of any shape.
#include "frame/engine/detail/rows.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::frame::engine::detail {
namespace {

template <class F>
void dispatchNumeric(const Column& column, F&& visit) {
    switch (column.dtype()) {
        case DType::Bool: return visit(column.values<bool>());
        case DType::Int8: return visit(column.values<std::int8_t>());
        case DType::UInt8: return visit(column.values<std::uint8_t>());
        case DType::Int16: return visit(column.values<std::int16_t>());
        case DType::UInt16: return visit(column.values<std::uint16_t>());
        case DType::Int32: return visit(column.values<std::int32_t>());
        case DType::UInt32: return visit(column.values<std::uint32_t>());
        case DType::Int64: return visit(column.values<std::int64_t>());
        case DType::UInt64: return visit(column.values<std::uint64_t>());
        case DType::Float32: return visit(column.values<float>());
        case DType::Float64: return visit(column.values<double>());
        case DType::String:
        case DType::Struct: break;
    }
    throw UsageError(fmt::format("expected numbers, got a {} column", dtypeName(column.dtype())));
}

}  // namespace

Column keepRows(const Column& column, const kernels::RowSelection& selection,
                std::int64_t num_rows) {
    HEPFLOW_ASSERT(selection.num_rows == num_rows, "selection and rows differ in length");
    if (column.dtype() == DType::Struct) {
        Column out(DType::Struct);
        for (const auto& [name, member] : column.members())
            out.members().emplace_back(name, keepRows(member, selection, num_rows));
        out.setStructLength(static_cast<std::int64_t>(selection.rows.size()));
        return out;
    }
    const std::int64_t per_row = column.levels() != 0 || num_rows == 0
                                     ? 1
                                     : static_cast<std::int64_t>(column.numValues()) / num_rows;
    if (per_row == 1) return kernels::filterRows(column, selection);
    // A flat column with several values per row (a fixed-size array branch, x[3]).
    const std::size_t row_bytes = static_cast<std::size_t>(per_row) * dtypeSize(column.dtype());
    Column out(column.dtype());
    auto& bytes = out.bytes();
    bytes.resize(selection.rows.size() * row_bytes);
    std::byte* dst = bytes.data();
    for (const std::int64_t row : selection.rows) {
        std::memcpy(dst, column.bytes().data() + static_cast<std::size_t>(row) * row_bytes,
                    row_bytes);
        dst += row_bytes;
    }
    return out;
}

Column keepRows(const Column& column, std::span<const std::uint8_t> keep, std::int64_t num_rows) {
    return keepRows(column, kernels::selectRows(keep), num_rows);
}

DeferredRows::DeferredRows(ColumnBatch& batch) : batch_(batch) {
    track();
}

DeferredRows::DeferredRows(ColumnBatch& batch, std::vector<std::string> unread, Loader load)
    : batch_(batch), unread_(std::move(unread)), load_(std::move(load)) {
    track();
}

void DeferredRows::readLate(std::span<const std::string> names) {
    std::vector<std::string> wanted;
    for (const auto& name : names)
        if (std::erase(unread_, name) > 0) wanted.push_back(name);
    if (wanted.empty()) return;
    // Stage 0 holds the unit's rows; its survivors are the rows to read.
    std::optional<std::span<const std::int64_t>> rows;
    if (!stages_.empty()) rows = stages_.front().survivors.rows;
    auto columns = load_(wanted, rows);
    HEPFLOW_ASSERT(columns.size() == wanted.size(), "the loader reads every column asked for");
    for (auto& column : columns) {
        HEPFLOW_ASSERT(column.second.length() == batch_.num_entries,
                       "a column read late holds the current rows");
        stage_of_.emplace_back(column.first, stages_.size());
        batch_.columns.push_back(std::move(column));
    }
}

// Columns not known yet were made from the current rows.
void DeferredRows::track() {
    for (const auto& column : batch_.columns) {
        const std::string& name = column.first;  // clang 14 lambdas cannot capture bindings
        const bool known = std::any_of(stage_of_.begin(), stage_of_.end(),
                                       [&](const auto& entry) { return entry.first == name; });
        if (!known) stage_of_.emplace_back(name, stages_.size());
    }
}

void DeferredRows::filter(std::span<const std::uint8_t> keep) {
    HEPFLOW_ASSERT(static_cast<std::int64_t>(keep.size()) == batch_.num_entries,
                   "keep mask and rows differ in length");
    Stage current{kernels::selectRows(keep)};
    const std::vector<std::int64_t>& kept = current.survivors.rows;
    if (static_cast<std::int64_t>(kept.size()) == batch_.num_entries) return;
    track();
    // Every stage's survivors are the current rows in order: the new filter keeps those at
    // the positions it keeps.
    for (auto& stage : stages_) {
        std::vector<std::int64_t>& survivors = stage.survivors.rows;
        for (std::size_t k = 0; k < kept.size(); ++k)
            survivors[k] = survivors[static_cast<std::size_t>(kept[k])];  // kept[k] >= k
        survivors.resize(kept.size());
    }
    batch_.num_entries = static_cast<std::int64_t>(kept.size());
    stages_.push_back(std::move(current));
}

void DeferredRows::bringUpToDate(std::pair<std::string, Column>& column) {
    const auto it = std::find_if(stage_of_.begin(), stage_of_.end(),
                                 [&](const auto& entry) { return entry.first == column.first; });
    if (it == stage_of_.end() || it->second == stages_.size()) return;  // current already
    const kernels::RowSelection& survivors = stages_[it->second].survivors;
    column.second = keepRows(column.second, survivors, survivors.num_rows);
    it->second = stages_.size();
}

void DeferredRows::require(std::span<const std::string> names) {
    readLate(names);
    if (stages_.empty()) return;  // nothing filtered yet: every column is up to date
    for (auto& column : batch_.columns)
        if (std::find(names.begin(), names.end(), column.first) != names.end())
            bringUpToDate(column);
}

void DeferredRows::requireAll() {
    readLate(std::vector<std::string>(unread_));
    if (stages_.empty()) return;
    for (auto& column : batch_.columns) bringUpToDate(column);
}

std::vector<double> valuesAsDouble(const Column& column) {
    std::vector<double> out;
    std::int64_t begin = 0;
    std::int64_t end = static_cast<std::int64_t>(column.numValues());
    if (column.levels() > 0) {
        // Values outside the innermost offsets' range belong to no row.
        begin = column.offsets(column.levels() - 1).front();
        end = column.offsets(column.levels() - 1).back();
    }
    dispatchNumeric(column, [&](auto values) {
        out.reserve(static_cast<std::size_t>(end - begin));
        for (std::int64_t i = begin; i < end; ++i) out.push_back(static_cast<double>(values[i]));
    });
    return out;
}

std::vector<std::uint8_t> truthValues(const Column& column) {
    if (column.levels() != 0) throw UsageError("expected one value per event, got a jagged column");
    std::vector<std::uint8_t> out;
    dispatchNumeric(column, [&](auto values) {
        out.resize(values.size());
        std::uint8_t* dst = out.data();
        for (std::size_t i = 0; i < values.size(); ++i) dst[i] = values[i] != 0;  // vectorized
    });
    return out;
}

std::vector<std::int64_t> rowCounts(const Column& jagged) {
    HEPFLOW_ASSERT(jagged.levels() > 0, "rowCounts of a flat column");
    const Offsets& offsets = jagged.offsets(0);
    std::vector<std::int64_t> counts(offsets.size() - 1);
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) counts[i] = offsets[i + 1] - offsets[i];
    return counts;
}

}  // namespace hepflow::frame::engine::detail
