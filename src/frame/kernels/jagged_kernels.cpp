// Structural kernels: row filters, object masks, broadcasts, local indices, take/gather and
// concatenation. Flat numeric paths are typed tight loops; other shapes (strings, doubly
// jagged, structs) go through the level-by-level row copies of row_copy.h.
#include "frame/kernels/jagged_kernels.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "frame/kernels/kernel_support.h"
#include "frame/kernels/row_copy.h"

namespace hepflow::frame::kernels {

using namespace detail;

namespace {

// Calls f(Tag<U>{}) with the unsigned type of a value's width, for dtype-blind copies.
template <class F>
decltype(auto) dispatchWidth(std::size_t size, F&& f) {
    switch (size) {
        case 1: return f(Tag<std::uint8_t>{});
        case 2: return f(Tag<std::uint16_t>{});
        case 4: return f(Tag<std::uint32_t>{});
        case 8: return f(Tag<std::uint64_t>{});
        default: break;
    }
    HEPFLOW_ASSERT(false, "unexpected value width");
    return f(Tag<std::uint8_t>{});
}

// Applies `kernel` to every member of a Struct column; the result has `length` entries.
template <class F>
Column mapMembers(const Column& column, std::int64_t length, F&& kernel) {
    Column out(DType::Struct);
    out.members().reserve(column.members().size());
    for (const auto& [name, member] : column.members())
        out.members().emplace_back(name, kernel(member));
    out.setStructLength(length);
    return out;
}

// Branch-free compaction: every value is written, the cursor advances only for kept ones, so
// `out` needs room for one value past the kept ones.
template <class U>
std::size_t compact(const U* in, const std::uint8_t* keep, std::size_t n, U* out) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < n; ++i) {
        out[j] = in[i];
        j += keep[i] != 0;
    }
    return j;
}

std::size_t countTrue(const std::uint8_t* keep, std::size_t n) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += keep[i] != 0;
    return count;
}

// Integer indices of any integer dtype as int64: a view of Int64 columns, else a widened copy.
class Int64Indices {
public:
    Int64Indices(const Column& index, std::string_view what) {
        if (!isInteger(index.dtype()))
            throw UsageError(fmt::format("{}: index must be an integer column, got {}", what,
                                         dtypeName(index.dtype())));
        if (index.dtype() == DType::Int64) {
            values_ = index.values<std::int64_t>();
            return;
        }
        dispatchNumeric(index.dtype(), what, [&]<class T>(Tag<T>) {
            const auto* in = data<T>(index);
            copy_.assign(in, in + index.numValues());
        });
        values_ = copy_;
    }
    std::size_t size() const { return values_.size(); }
    std::int64_t operator[](std::int64_t i) const { return values_[static_cast<std::size_t>(i)]; }

private:
    std::span<const std::int64_t> values_;
    std::vector<std::int64_t> copy_;
};

// The absolute row of local position `k` (negative: from the end) among `n` rows from `first`,
// or -1 when out of range.
inline std::int64_t localRow(std::int64_t first, std::int64_t n, std::int64_t k) {
    const std::int64_t local = k < 0 ? k + n : k;
    return (local >= 0 && local < n) ? first + local : -1;
}

Column takeRows(const Column& jagged, std::vector<std::int64_t> rows) {
    Column out = makeColumn(jagged.dtype(), jagged.levels() - 1);
    gatherRows(jagged, 1, std::move(rows), out, 0);
    return out;
}

}  // namespace

Column filterRows(const Column& column, std::span<const std::uint8_t> keep) {
    const std::int64_t length = column.length();
    if (static_cast<std::int64_t>(keep.size()) != length)
        throw UsageError(fmt::format("filterRows: selection has {} entries but the column has {}",
                                     keep.size(), length));
    const std::size_t kept = countTrue(keep.data(), keep.size());
    if (column.dtype() == DType::Struct)
        return mapMembers(column, static_cast<std::int64_t>(kept),
                          [&](const Column& member) { return filterRows(member, keep); });

    Column out = makeColumn(column.dtype(), column.levels());
    if (column.levels() == 0) {
        const std::size_t size = dtypeSize(column.dtype());
        if (kept == keep.size()) {
            out.bytes() = column.bytes();
        } else {
            out.bytes().resize((kept + 1) * size);
            dispatchWidth(size, [&]<class U>(Tag<U>) {
                compact(reinterpret_cast<const U*>(column.bytes().data()), keep.data(), keep.size(),
                        reinterpret_cast<U*>(out.bytes().data()));
            });
            out.bytes().resize(kept * size);
        }
    } else {
        std::vector<SourceRange> ranges;
        for (std::size_t row = 0; row < keep.size();) {
            if (keep[row] == 0) {
                ++row;
                continue;
            }
            const std::size_t begin = row;
            while (row < keep.size() && keep[row] != 0) ++row;
            ranges.push_back({0, static_cast<std::int64_t>(begin), static_cast<std::int64_t>(row)});
        }
        const Column* sources[] = {&column};
        copyRanges(sources, 0, std::move(ranges), out, 0);
    }
    for (const auto& [name, member] : column.members())
        out.members().emplace_back(name, filterRows(member, keep));
    return out;
}

Column maskObjects(const Column& jagged, const Column& mask) {
    if (jagged.dtype() == DType::Struct)
        return mapMembers(jagged, jagged.length(),
                          [&](const Column& member) { return maskObjects(member, mask); });
    const Offsets& offsets = jaggedOffsets(jagged, "mask");
    if (mask.dtype() != DType::Bool || mask.levels() != 1)
        throw UsageError(fmt::format("mask: the mask must be a per-object bool column, got {} {}",
                                     mask.isJagged() ? "per-object" : "per-event",
                                     dtypeName(mask.dtype())));
    const Offsets& mask_offsets = levelOffsets(mask, 0);
    checkSameCounts(offsets, mask_offsets, "mask");

    const std::size_t events = offsets.size() - 1;
    // Equal counts make the mask a constant shift away from the objects.
    const auto* mask_values = data<bool>(mask);
    const std::int64_t shift = mask_offsets.front() - offsets.front();
    const std::int64_t first = offsets.front();
    const auto total = static_cast<std::size_t>(offsets.back() - first);
    Column out = makeColumn(jagged.dtype(), jagged.levels());
    Offsets& out_offsets = out.offsets(0);
    out_offsets.resize(events + 1);

    if (jagged.levels() == 1) {
        const std::size_t size = dtypeSize(jagged.dtype());
        const std::size_t kept = countTrue(mask_values + mask_offsets.front(), total);
        out.bytes().resize((kept + 1) * size);
        dispatchWidth(size, [&]<class U>(Tag<U>) {
            const U* in = reinterpret_cast<const U*>(jagged.bytes().data());
            U* dst = reinterpret_cast<U*>(out.bytes().data());
            std::size_t j = 0;
            for (std::size_t e = 0; e < events; ++e) {
                for (std::int64_t i = offsets[e]; i < offsets[e + 1]; ++i) {
                    dst[j] = in[i];
                    j += mask_values[i + shift] != 0;
                }
                out_offsets[e + 1] = static_cast<std::int64_t>(j);
            }
        });
        out.bytes().resize(kept * size);
    } else {
        std::vector<SourceRange> ranges;
        std::int64_t count = 0;
        for (std::size_t e = 0; e < events; ++e) {
            for (std::int64_t i = offsets[e]; i < offsets[e + 1]; ++i) {
                if (mask_values[i + shift] == 0) continue;
                ++count;
                if (!ranges.empty() && ranges.back().end == i)
                    ++ranges.back().end;
                else
                    ranges.push_back({0, i, i + 1});
            }
            out_offsets[e + 1] = count;
        }
        const Column* sources[] = {&jagged};
        copyRanges(sources, 1, std::move(ranges), out, 1);
    }
    return out;
}

Column broadcast(const Column& flat, const Offsets& offsets) {
    checkOffsets(offsets, "broadcast");
    const auto events = static_cast<std::int64_t>(offsets.size()) - 1;
    if (flat.length() != events)
        throw UsageError(fmt::format("broadcast: column has {} entries but the offsets have {}",
                                     flat.length(), events));
    if (flat.dtype() == DType::Struct)
        return mapMembers(flat, events,
                          [&](const Column& member) { return broadcast(member, offsets); });
    if (flat.isJagged()) throw UsageError("broadcast: the column is already per-object");

    Column out = makeColumn(flat.dtype(), flat.levels() + 1);
    out.offsets(0) = rebased(offsets);
    const auto total = static_cast<std::size_t>(out.offsets(0).back());
    if (flat.dtype() == DType::String) {
        std::vector<std::int64_t> rows(total);
        for (std::int64_t e = 0; e < events; ++e)
            std::fill(rows.begin() + out.offsets(0)[e], rows.begin() + out.offsets(0)[e + 1], e);
        gatherRows(flat, 0, std::move(rows), out, 1);
        return out;
    }
    const std::size_t size = dtypeSize(flat.dtype());
    out.bytes().resize(total * size);
    dispatchWidth(size, [&]<class U>(Tag<U>) {
        const U* in = reinterpret_cast<const U*>(flat.bytes().data());
        U* dst = reinterpret_cast<U*>(out.bytes().data());
        const Offsets& out_offsets = out.offsets(0);
        for (std::int64_t e = 0; e < events; ++e)
            std::fill(dst + out_offsets[e], dst + out_offsets[e + 1], in[e]);
    });
    return out;
}

Column localIndex(const Offsets& offsets) {
    checkOffsets(offsets, "localIndex");
    Column out(DType::Int64, 1);
    out.offsets(0) = rebased(offsets);
    const Offsets& out_offsets = out.offsets(0);
    out.bytes().resize(static_cast<std::size_t>(out_offsets.back()) * sizeof(std::int64_t));
    auto* dst = data<std::int64_t>(out);
    for (std::size_t e = 0; e + 1 < out_offsets.size(); ++e) {
        for (std::int64_t i = out_offsets[e]; i < out_offsets[e + 1]; ++i)
            dst[i] = i - out_offsets[e];
    }
    return out;
}

Column take(const Column& jagged, const Column& index) {
    if (jagged.dtype() == DType::Struct)
        return mapMembers(jagged, jagged.length(),
                          [&](const Column& member) { return take(member, index); });
    const Offsets& offsets = jaggedOffsets(jagged, "take");
    if (index.isJagged()) throw UsageError("take: the index must be one integer per event");
    const Int64Indices positions(index, "take");
    const std::size_t events = offsets.size() - 1;
    if (positions.size() != events)
        throw UsageError(fmt::format("take: index has {} entries but the column has {}",
                                     positions.size(), events));
    std::vector<std::int64_t> rows(events);
    for (std::size_t e = 0; e < events; ++e)
        rows[e] = localRow(offsets[e], offsets[e + 1] - offsets[e],
                           positions[static_cast<std::int64_t>(e)]);
    return takeRows(jagged, std::move(rows));
}

Column take(const Column& jagged, std::int64_t index) {
    if (jagged.dtype() == DType::Struct)
        return mapMembers(jagged, jagged.length(),
                          [&](const Column& member) { return take(member, index); });
    const Offsets& offsets = jaggedOffsets(jagged, "take");
    const std::size_t events = offsets.size() - 1;
    std::vector<std::int64_t> rows(events);
    for (std::size_t e = 0; e < events; ++e)
        rows[e] = localRow(offsets[e], offsets[e + 1] - offsets[e], index);
    return takeRows(jagged, std::move(rows));
}

Column gather(const Column& jagged, const Column& indices) {
    if (jagged.dtype() == DType::Struct)
        return mapMembers(jagged, jagged.length(),
                          [&](const Column& member) { return gather(member, indices); });
    const Offsets& offsets = jaggedOffsets(jagged, "gather");
    if (indices.levels() != 1 || !isInteger(indices.dtype()))
        throw UsageError(fmt::format(
            "gather: indices must be a per-object integer column, got {} {}",
            indices.isJagged() ? "per-object" : "per-event", dtypeName(indices.dtype())));
    const Offsets& index_offsets = levelOffsets(indices, 0);
    if (index_offsets.size() != offsets.size())
        throw UsageError(fmt::format("gather: indices have {} entries but the column has {}",
                                     index_offsets.size() - 1, offsets.size() - 1));
    const Int64Indices positions(indices, "gather");
    const std::size_t events = offsets.size() - 1;
    std::vector<std::int64_t> rows(
        static_cast<std::size_t>(index_offsets.back() - index_offsets.front()));
    for (std::size_t e = 0; e < events; ++e) {
        const std::int64_t n = offsets[e + 1] - offsets[e];
        for (std::int64_t i = index_offsets[e]; i < index_offsets[e + 1]; ++i)
            rows[i - index_offsets.front()] = localRow(offsets[e], n, positions[i]);
    }
    Column out = makeColumn(jagged.dtype(), jagged.levels());
    out.offsets(0) = rebased(index_offsets);
    gatherRows(jagged, 1, std::move(rows), out, 1);
    return out;
}

Column concat(const Column& first, const Column& second) {
    if (first.dtype() != second.dtype() || first.levels() != second.levels())
        throw UsageError(fmt::format("concat: columns differ in type ({} and {})",
                                     dtypeName(first.dtype()), dtypeName(second.dtype())));
    if (first.length() != second.length())
        throw UsageError(
            fmt::format("concat: columns have different numbers of entries ({} "
                        "and {})",
                        first.length(), second.length()));
    if (first.dtype() == DType::Struct) {
        if (first.members().size() != second.members().size())
            throw UsageError("concat: structs have different members");
        Column out(DType::Struct);
        for (std::size_t m = 0; m < first.members().size(); ++m) {
            const auto& [name, member] = first.members()[m];
            if (second.members()[m].first != name)
                throw UsageError(fmt::format("concat: member '{}' has no match", name));
            out.members().emplace_back(name, concat(member, second.members()[m].second));
        }
        out.setStructLength(first.length());
        return out;
    }
    const Offsets& a = jaggedOffsets(first, "concat");
    const Offsets& b = jaggedOffsets(second, "concat");
    const std::size_t events = a.size() - 1;
    Column out = makeColumn(first.dtype(), first.levels());
    Offsets& out_offsets = out.offsets(0);
    out_offsets.resize(events + 1);
    std::vector<SourceRange> ranges;
    ranges.reserve(2 * events);
    for (std::size_t e = 0; e < events; ++e) {
        out_offsets[e + 1] = out_offsets[e] + (a[e + 1] - a[e]) + (b[e + 1] - b[e]);
        ranges.push_back({0, a[e], a[e + 1]});
        ranges.push_back({1, b[e], b[e + 1]});
    }
    const Column* sources[] = {&first, &second};
    copyRanges(sources, 1, std::move(ranges), out, 1);
    return out;
}

}  // namespace hepflow::frame::kernels
