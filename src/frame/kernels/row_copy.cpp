// Shape-generic row copies: ranges of rows and gathered rows, level by level down to the
// values, so that one implementation serves numbers, strings and doubly jagged columns.
#include "frame/kernels/row_copy.h"

#include <cstring>

#include "frame/kernels/kernel_support.h"

namespace hepflow::frame::kernels::detail {

namespace {

void pushRange(std::vector<SourceRange>& ranges, SourceRange range) {
    if (range.begin == range.end) return;
    if (!ranges.empty() && ranges.back().source == range.source &&
        ranges.back().end == range.begin) {
        ranges.back().end = range.end;
        return;
    }
    ranges.push_back(range);
}

template <class T>
void gatherValues(const Column& source, std::span<const std::int64_t> rows, Column& out) {
    const auto* in = data<T>(source);
    const std::size_t base = out.bytes().size() / sizeof(Storage<T>);
    out.bytes().resize((base + rows.size()) * sizeof(Storage<T>));
    auto* dst = data<T>(out) + base;
    const Storage<T> missing = missingValue<T>();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::int64_t row = rows[i];
        dst[i] = row >= 0 ? in[row] : missing;
    }
}

}  // namespace

void copyRanges(std::span<const Column* const> sources, std::size_t level,
                std::vector<SourceRange> ranges, Column& out, std::size_t out_level) {
    HEPFLOW_ASSERT(!sources.empty(), "copyRanges without sources");
    const std::size_t levels = sources.front()->levels();
    HEPFLOW_ASSERT(out.levels() == out_level + (levels - level), "copyRanges: output shape");
    std::vector<SourceRange> merged;
    merged.reserve(ranges.size());
    for (const SourceRange& range : ranges) pushRange(merged, range);
    ranges.swap(merged);

    for (std::size_t lvl = level; lvl < levels; ++lvl) {
        Offsets& out_offsets = out.offsets(out_level + (lvl - level));
        HEPFLOW_ASSERT(out_offsets.size() == 1, "copyRanges: output level not empty");
        std::size_t total_rows = 0;
        for (const SourceRange& range : ranges)
            total_rows += static_cast<std::size_t>(range.end - range.begin);
        out_offsets.reserve(total_rows + 1);
        std::vector<SourceRange> next;
        next.reserve(ranges.size());
        std::int64_t current = 0;
        for (const SourceRange& range : ranges) {
            const Offsets& offsets = levelOffsets(*sources[range.source], lvl);
            const std::int64_t first = offsets[range.begin];
            const std::int64_t shift = current - first;
            for (std::int64_t row = range.begin; row < range.end; ++row)
                out_offsets.push_back(offsets[row + 1] + shift);
            current = out_offsets.back();
            pushRange(next, {range.source, first, offsets[range.end]});
        }
        ranges.swap(next);
    }

    const std::size_t size = dtypeSize(out.dtype());
    std::size_t total = 0;
    for (const SourceRange& range : ranges)
        total += static_cast<std::size_t>(range.end - range.begin);
    auto& bytes = out.bytes();
    std::size_t at = bytes.size();
    bytes.resize(at + total * size);
    for (const SourceRange& range : ranges) {
        const auto& in = sources[range.source]->bytes();
        const std::size_t n = static_cast<std::size_t>(range.end - range.begin) * size;
        std::memcpy(bytes.data() + at, in.data() + range.begin * size, n);
        at += n;
    }
}

void gatherRows(const Column& source, std::size_t level, std::vector<std::int64_t> rows,
                Column& out, std::size_t out_level) {
    const std::size_t levels = source.levels();
    HEPFLOW_ASSERT(out.levels() == out_level + (levels - level), "gatherRows: output shape");
    for (std::size_t lvl = level; lvl < levels; ++lvl) {
        const Offsets& offsets = levelOffsets(source, lvl);
        Offsets& out_offsets = out.offsets(out_level + (lvl - level));
        HEPFLOW_ASSERT(out_offsets.size() == 1, "gatherRows: output level not empty");
        out_offsets.resize(rows.size() + 1);
        std::int64_t current = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::int64_t row = rows[i];
            if (row >= 0) current += offsets[row + 1] - offsets[row];
            out_offsets[i + 1] = current;
        }
        std::vector<std::int64_t> next(static_cast<std::size_t>(current));
        std::size_t at = 0;
        for (const std::int64_t row : rows) {
            if (row < 0) continue;
            for (std::int64_t item = offsets[row]; item < offsets[row + 1]; ++item)
                next[at++] = item;
        }
        rows.swap(next);
    }
    if (out.dtype() == DType::String) {
        gatherValues<std::uint8_t>(source, rows, out);
        return;
    }
    dispatchNumeric(out.dtype(), "gather",
                    [&]<class T>(Tag<T>) { gatherValues<T>(source, rows, out); });
}

}  // namespace hepflow::frame::kernels::detail
