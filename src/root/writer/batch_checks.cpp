// Batch checks of the tree writer: per-branch shape and offset checks and the counters, in
// parallel, each with a branch-free pass over the offsets and a search only when it fails.
#include "root/writer/batch_checks.h"

#include <cstddef>
#include <exception>
#include <limits>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "common/error.h"

namespace hepflow::root {

namespace {

using frame::Column;
using frame::DType;

[[noreturn]] void badColumn(const BranchPlan& plan, std::string_view why) {
    throw UsageError(fmt::format("column for branch '{}': {}", plan.name, why))
        .setObject(plan.name);
}

// Offsets of one level: `count + 1` non-decreasing values starting at >= 0 and ending at or
// below `limit`; throws UsageError naming the branch and the entry otherwise. With `reference`
// (count + 1 offsets of another array, not checked yet), returns whether both give every item
// the same length, found in the same pass; without, returns false.
bool checkOffsets(const BranchPlan& plan, const frame::Offsets& offsets, std::size_t first,
                  std::size_t count, std::int64_t limit, std::string_view level,
                  const std::int64_t* reference = nullptr) {
    if (offsets.size() < first + count + 1)
        badColumn(plan,
                  fmt::format("{} offsets: {} values for {} items", level, offsets.size(), count));
    if (offsets[first] < 0) badColumn(plan, fmt::format("{} offsets start below 0", level));
    // One branch-free (vectorized) pass, and the search for the item only when it failed: as
    // offsets[first] >= 0, they are non-decreasing iff no value and no step (computed modulo
    // 2^64: no overflow on bad input) has its sign bit set.
    const auto* at = reinterpret_cast<const std::uint64_t*>(offsets.data() + first);
    std::uint64_t signs = 0;
    bool same = false;
    if (reference == nullptr) {
        for (std::size_t i = 0; i < count; ++i) signs |= (at[i + 1] - at[i]) | at[i + 1];
    } else {
        // Same lengths <=> the same offsets relative to the first.
        const auto* ref = reinterpret_cast<const std::uint64_t*>(reference);
        std::uint64_t differ = 0;
        for (std::size_t i = 0; i < count; ++i) {
            signs |= (at[i + 1] - at[i]) | at[i + 1];
            differ |= (at[i + 1] - at[0]) ^ (ref[i + 1] - ref[0]);
        }
        same = differ == 0;
    }
    if ((signs >> 63) != 0)
        for (std::size_t i = first; i < first + count; ++i)
            if (offsets[i + 1] < offsets[i])
                badColumn(plan, fmt::format("{} offsets decrease at item {}", level, i));
    if (offsets[first + count] > limit)
        badColumn(plan, fmt::format("{} offsets end at {} past the {} values", level,
                                    offsets[first + count], limit));
    return same;
}

std::int64_t numValuesOf(const Column& column) {
    return static_cast<std::int64_t>(column.dtype() == DType::String ? column.bytes().size()
                                                                     : column.numValues());
}

// Checks that `column` has the shape the plan writes, for `n` entries. For a counted array,
// `reference` may hold n + 1 offsets of the first array of its counter: returns whether the
// column's entries have the same lengths (false when not known).
bool checkColumn(const BranchPlan& plan, const Column& column, std::int64_t n,
                 const std::int64_t* reference) {
    if (column.dtype() != plan.dtype)
        badColumn(plan,
                  fmt::format("dtype {} but the branch was declared {}",
                              frame::dtypeName(column.dtype()), frame::dtypeName(plan.dtype)));
    const auto entries = static_cast<std::size_t>(n);
    const std::int64_t values = numValuesOf(column);
    const auto expect_levels = [&](std::size_t levels) {
        if (column.levels() != levels)
            badColumn(plan, fmt::format("{} offsets levels, expected {}", column.levels(), levels));
    };
    switch (plan.kind) {
        case BranchKind::Scalar:
        case BranchKind::Counter:
            expect_levels(0);
            if (values != n) badColumn(plan, fmt::format("{} values for {} entries", values, n));
            return false;
        case BranchKind::FixedArray: {
            const std::int64_t length = plan.fixed_length;
            if (column.levels() == 0) {
                if (values != n * length)
                    badColumn(plan,
                              fmt::format("{} values for {} entries of {}", values, n, length));
                return false;
            }
            expect_levels(1);
            const auto& offsets = column.offsets(0);
            checkOffsets(plan, offsets, 0, entries, values, "entry");
            for (std::size_t e = 0; e < entries; ++e)
                if (offsets[e + 1] - offsets[e] != length)
                    badColumn(plan, fmt::format("entry {} has {} values, the fixed length is {}", e,
                                                offsets[e + 1] - offsets[e], length));
            return false;
        }
        case BranchKind::CountedArray:
            expect_levels(1);
            return checkOffsets(plan, column.offsets(0), 0, entries, values, "entry", reference);
        case BranchKind::Vector:
        case BranchKind::CharStar:
        case BranchKind::StdString:
            expect_levels(1);
            checkOffsets(plan, column.offsets(0), 0, entries, values, "entry");
            return false;
        case BranchKind::VectorVector:
        case BranchKind::VectorString: {
            expect_levels(2);
            const auto& outer = column.offsets(0);
            const auto& inner = column.offsets(1);
            checkOffsets(plan, outer, 0, entries, static_cast<std::int64_t>(inner.size()) - 1,
                         "entry");
            const auto first = static_cast<std::size_t>(outer[0]);
            checkOffsets(plan, inner, first, static_cast<std::size_t>(outer[entries]) - first,
                         values, "inner");
            return false;
        }
    }
    return false;
}

template <class T>
std::int64_t valueAt(const Column& column, std::size_t index) {
    return static_cast<std::int64_t>(column.values<T>()[index]);
}

std::int64_t integerAt(const Column& column, std::size_t index) {
    switch (column.dtype()) {
        case DType::Int8: return valueAt<std::int8_t>(column, index);
        case DType::UInt8: return valueAt<std::uint8_t>(column, index);
        case DType::Int16: return valueAt<std::int16_t>(column, index);
        case DType::UInt16: return valueAt<std::uint16_t>(column, index);
        case DType::Int32: return valueAt<std::int32_t>(column, index);
        case DType::UInt32: return valueAt<std::uint32_t>(column, index);
        case DType::Int64: return valueAt<std::int64_t>(column, index);
        case DType::UInt64: {
            const auto value = column.values<std::uint64_t>()[index];
            return value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                       ? -1
                       : static_cast<std::int64_t>(value);
        }
        default: return -1;
    }
}

// Whether the arrays with offsets `a` and `b` have the same item count in each of `n` entries:
// the same offsets relative to their first, compared in one branch-free pass.
bool sameCounts(const frame::Offsets& a, const frame::Offsets& b, std::size_t n) {
    if (a.data() == b.data()) return true;
    const std::int64_t a0 = a[0];
    const std::int64_t b0 = b[0];
    std::int64_t differ = 0;
    for (std::size_t e = 1; e <= n; ++e) differ |= (a[e] - a0) ^ (b[e] - b0);
    return differ == 0;
}

// Checks counter branch `counter` against its arrays (and its column when given), or makes its
// column from the first array's counts into `made`. `columns` holds every checked batch column.
void checkCounter(const TreePlan& plan, const BranchPlan& counter,
                  const std::vector<const Column*>& columns, const std::vector<char>& same_as_first,
                  std::size_t n, std::string_view tree, std::int64_t first_entry,
                  const Column* given, Column& made) {
    const auto first_array = static_cast<std::size_t>(counter.arrays.front());
    const auto& offsets = columns[first_array]->offsets(0);
    const auto entry_of = [&](std::size_t e) { return first_entry + static_cast<std::int64_t>(e); };
    for (const int array : counter.arrays) {
        const auto& other = columns[static_cast<std::size_t>(array)]->offsets(0);
        if (same_as_first[static_cast<std::size_t>(array)] != 0 || sameCounts(offsets, other, n))
            continue;
        for (std::size_t e = 0; e < n; ++e)
            if (other[e + 1] - other[e] != offsets[e + 1] - offsets[e])
                throw UsageError(
                    fmt::format(
                        "tree '{}': branches '{}' and '{}' share counter '{}' but entry {} has "
                        "{} and {} items",
                        tree, plan.branches[first_array].name,
                        plan.branches[static_cast<std::size_t>(array)].name, counter.name,
                        entry_of(e), offsets[e + 1] - offsets[e], other[e + 1] - other[e]))
                    .setObject(counter.name);
    }
    if (given != nullptr) {
        for (std::size_t e = 0; e < n; ++e)
            if (integerAt(*given, e) != offsets[e + 1] - offsets[e])
                throw UsageError(
                    fmt::format("tree '{}': counter '{}' is {} at entry {} but '{}' has {} items",
                                tree, counter.name, integerAt(*given, e), entry_of(e),
                                plan.branches[first_array].name, offsets[e + 1] - offsets[e]))
                    .setObject(counter.name);
        return;
    }
    made = Column(DType::Int32);
    made.bytes().resize(n * sizeof(std::int32_t));
    auto values = made.values<std::int32_t>();
    std::int64_t largest = 0;
    for (std::size_t e = 0; e < n; ++e) {
        const std::int64_t items = offsets[e + 1] - offsets[e];
        largest = std::max(largest, items);
        values[e] = static_cast<std::int32_t>(items);
    }
    if (largest > std::numeric_limits<std::int32_t>::max())
        for (std::size_t e = 0; e < n; ++e)
            if (offsets[e + 1] - offsets[e] > std::numeric_limits<std::int32_t>::max())
                throw UsageError(fmt::format(
                    "tree '{}': entry {} of '{}' has {} items, more than an Int_t counter holds",
                    tree, entry_of(e), plan.branches[first_array].name,
                    offsets[e + 1] - offsets[e]));
}

// Runs check(i) for i in [0, count) in parallel and rethrows the error of the lowest failing i.
template <class Check>
void checkAll(std::size_t count, const Check& check) {
    std::vector<std::exception_ptr> errors(count);
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
        try {
            check(i);
        } catch (...) {
            errors[i] = std::current_exception();
        }
    });
    for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<const Column*> checkBatch(const TreePlan& plan, const std::vector<BranchSpec>& specs,
                                      const frame::ColumnBatch& batch, std::string_view tree,
                                      std::int64_t first_entry, std::vector<Column>& made) {
    const std::int64_t n = batch.num_entries;
    if (n < 0) throw UsageError(fmt::format("tree '{}': negative batch size", tree));
    if (batch.columns.size() != specs.size())
        throw UsageError(fmt::format("tree '{}': batch has {} columns, the tree {} branches", tree,
                                     batch.columns.size(), specs.size()));
    const std::size_t count = plan.branches.size();
    std::vector<const Column*> columns(count, nullptr);
    // Counted arrays compare their lengths with the first array of their counter while they
    // check their offsets (one pass over them instead of two); same_as_first[b] is 1 when known.
    std::vector<char> same_as_first(count, 0);
    const auto first_array_offsets = [&](const BranchPlan& array) -> const std::int64_t* {
        if (array.kind != BranchKind::CountedArray) return nullptr;
        const auto& counter = plan.branches[static_cast<std::size_t>(array.counter)];
        const auto& first = plan.branches[static_cast<std::size_t>(counter.arrays.front())];
        if (&first == &array) return nullptr;
        const Column& column = batch.columns[static_cast<std::size_t>(first.column)].second;
        if (column.levels() != 1 || column.offsets(0).size() < static_cast<std::size_t>(n) + 1)
            return nullptr;  // its own check fails
        return column.offsets(0).data();
    };
    checkAll(specs.size(), [&](std::size_t i) {
        const auto& [column_name, column] = batch.columns[i];
        if (column_name != specs[i].name)
            throw UsageError(fmt::format("tree '{}': batch column {} is '{}', expected '{}'", tree,
                                         i, column_name, specs[i].name));
        const auto b = static_cast<std::size_t>(plan.branch_of_column[i]);
        const auto& branch = plan.branches[b];
        same_as_first[b] = checkColumn(branch, column, n, first_array_offsets(branch)) ? 1 : 0;
        columns[b] = &column;
    });
    // Counters: the item counts of their arrays, which must agree with each other and with a
    // counter column when one is given.
    made.assign(count, Column());
    std::vector<std::size_t> counters;
    for (std::size_t b = 0; b < count; ++b)
        if (plan.branches[b].kind == BranchKind::Counter) counters.push_back(b);
    checkAll(counters.size(), [&](std::size_t i) {
        const std::size_t b = counters[i];
        checkCounter(plan, plan.branches[b], columns, same_as_first, static_cast<std::size_t>(n),
                     tree, first_entry, columns[b], made[b]);
    });
    for (const std::size_t b : counters)
        if (columns[b] == nullptr) columns[b] = &made[b];
    return columns;
}

}  // namespace hepflow::root
