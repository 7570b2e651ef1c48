// Structural kernels: row filters, object masks, broadcasts, local indices, take/gather and
// concatenation. Flat numeric paths are typed tight loops; other shapes (strings, doubly
// jagged, structs) go through the level-by-level row copies of row_copy.h.
#include "frame/kernels/jagged_kernels.h"

#include <algorithm>
#include <array>
#include <bit>
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

constexpr std::ptrdiff_t kCopyBlock = 4;
// write(i) for i in [0, n) rounded up to whole blocks of kCopyBlock, the first block whatever n
// is (0 included): with a few objects per event, a branch on the count mispredicts on every
// change of count and costs more than the extra writes.
template <class F>
inline void forEachInBlocks(std::ptrdiff_t n, F&& write) {
    std::ptrdiff_t i = 0;
    do {
        for (std::ptrdiff_t k = 0; k < kCopyBlock; ++k) write(i + k);
        i += kCopyBlock;
    } while (i < n);
}

// Copies [begin, end) to `out` and returns the end of the copy. Ranges here are a few values,
// for which a library memcpy call (or an exact loop's length branches) costs more than the
// copy: whole blocks of kCopyBlock values are moved, so up to kCopyBlock values past `end`
// are read (only while below `limit`, the end of the source buffer) and written past the copy
// (`out` needs that much room; later copies overwrite it).
template <class U>
inline U* copySmall(const U* begin, const U* end, const U* limit, U* out) {
    const std::ptrdiff_t n = end - begin;
    if (n > 32) {
        std::memcpy(out, begin, static_cast<std::size_t>(n) * sizeof(U));
        return out + n;
    }
    if (limit - end >= kCopyBlock) {
        forEachInBlocks(n, [&](std::ptrdiff_t i) { out[i] = begin[i]; });
        return out + n;
    }
    for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = begin[i];
    return out + n;
}

// n values at `out` set to `value`, or to 0, 1, ..., n - 1 (iota), in copySmall's blocks: up
// to kCopyBlock values past out + n are written, so `out` needs that room.
template <class U>
inline void fillSmall(U* out, std::ptrdiff_t n, U value) {
    forEachInBlocks(n, [&](std::ptrdiff_t i) { out[i] = value; });
}
inline void iotaSmall(std::int64_t* out, std::ptrdiff_t n) {
    forEachInBlocks(n, [&](std::ptrdiff_t i) { out[i] = i; });
}

// A per-thread buffer of at least `n` int64 reused across calls: the engine runs the kernels
// per batch, and a fresh multi-megabyte buffer each time would pay its page faults again.
std::vector<std::int64_t>& scratchInt64(std::size_t n) {
    thread_local std::vector<std::int64_t> buffer;
    if (buffer.size() < n) buffer.resize(n);
    return buffer;
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
    const std::int64_t* pointer() const { return values_.data(); }

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

// Per event, the value at local position index(e) of a one-level numeric column (no row list:
// one typed pass).
template <class Index>
Column takeValues(const Column& jagged, const Offsets& offsets, Index&& index) {
    const std::size_t events = offsets.size() - 1;
    Column out = makeColumn(jagged.dtype(), 0);
    out.bytes().resize(events * dtypeSize(jagged.dtype()));
    dispatchNumeric(jagged.dtype(), "take", [&]<class T>(Tag<T>) {
        const auto* in = data<T>(jagged);
        auto* dst = data<T>(out);
        const Storage<T> missing = missingValue<T>();
        if (jagged.numValues() == 0) {  // every row is out of range
            std::fill(dst, dst + events, missing);
            return;
        }
        for (std::size_t e = 0; e < events; ++e) {
            const std::int64_t row = localRow(offsets[e], offsets[e + 1] - offsets[e], index(e));
            // Read at a clamped row so that no branch depends on whether the row exists.
            const Storage<T> value = in[row >= 0 ? row : 0];
            dst[e] = row >= 0 ? value : missing;
        }
    });
    return out;
}

Column takeRows(const Column& jagged, std::vector<std::int64_t> rows) {
    Column out = makeColumn(jagged.dtype(), jagged.levels() - 1);
    gatherRows(jagged, 1, std::move(rows), out, 0);
    return out;
}

// filterRows of a one-level numeric jagged column: one pass over the kept rows writing the new
// offsets and copying each row's few numbers (copySmall: no library call per row).
void filterJaggedRows(const Column& column, std::span<const std::int64_t> rows, Column& out) {
    const Offsets& offsets = levelOffsets(column, 0);
    Offsets& out_offsets = out.offsets(0);
    out_offsets.resize(rows.size() + 1);
    std::int64_t total = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const auto row = static_cast<std::size_t>(rows[k]);
        total += offsets[row + 1] - offsets[row];
        out_offsets[k + 1] = total;
    }
    const std::size_t size = dtypeSize(column.dtype());
    out.bytes().resize((static_cast<std::size_t>(total) + kCopyBlock) * size);  // copySmall room
    dispatchWidth(size, [&]<class U>(Tag<U>) {
        const U* in = reinterpret_cast<const U*>(column.bytes().data());
        const U* limit = in + column.numValues();
        U* dst = reinterpret_cast<U*>(out.bytes().data());
        for (const std::int64_t row : rows)
            dst = copySmall(in + offsets[row], in + offsets[row + 1], limit, dst);
    });
    out.bytes().resize(static_cast<std::size_t>(total) * size);
}

// filterRows of a flat column: a gather of the kept rows (increasing, so the reads stream).
void filterFlatRows(const Column& column, const RowSelection& selection, Column& out) {
    const std::size_t size = dtypeSize(column.dtype());
    const std::size_t kept = selection.rows.size();
    if (static_cast<std::int64_t>(kept) == selection.num_rows) {
        out.bytes() = column.bytes();
        return;
    }
    out.bytes().resize(kept * size);
    dispatchWidth(size, [&]<class U>(Tag<U>) {
        const U* in = reinterpret_cast<const U*>(column.bytes().data());
        U* dst = reinterpret_cast<U*>(out.bytes().data());
        const std::int64_t* rows = selection.rows.data();
        for (std::size_t k = 0; k < kept; ++k) dst[k] = in[rows[k]];
    });
}

}  // namespace

namespace {

// Four offsets at a time in GCC/clang vector types (two SSE2 registers on baseline x86-64, one
// AVX2 register where the clone below runs): the compilers did not vectorize the scalar form.
using Lanes = std::uint64_t __attribute__((vector_size(32)));

// One pass over the offsets that tells whether they are ordered and, with `out` (kCopy),
// stores each offset less the first there. Always inlined, so that the AVX2 clones below get
// AVX2 code for the loop.
template <bool kCopy>
[[gnu::always_inline]] inline bool orderedPass(const std::int64_t* p, std::size_t n,
                                               std::int64_t* out) {
    // In unsigned arithmetic, with both offsets' sign bits clear, the difference has its sign
    // bit set exactly when the offsets decrease; OR-ing all sign bits finds either fault.
    if (n == 0) return true;
    const auto base = static_cast<std::uint64_t>(p[0]);
    auto sign_bits = base;
    if constexpr (kCopy) out[0] = 0;
    const Lanes bases = {base, base, base, base};
    // Independent accumulators: one would chain every OR behind the previous one.
    Lanes lanes[4] = {};
    const auto step = [&](std::size_t at, Lanes& accumulator) {
        Lanes current, previous;
        std::memcpy(&current, p + at, sizeof(Lanes));
        std::memcpy(&previous, p + at - 1, sizeof(Lanes));
        accumulator |= current | (current - previous);
        if constexpr (kCopy) {
            const Lanes rebased = current - bases;
            std::memcpy(out + at, &rebased, sizeof(Lanes));
        }
    };
    std::size_t i = 1;
    for (; i + 16 <= n; i += 16)
        for (std::size_t k = 0; k < 4; ++k) step(i + 4 * k, lanes[k]);
    for (; i + 4 <= n; i += 4) step(i, lanes[0]);
    for (; i < n; ++i) {
        const auto current = static_cast<std::uint64_t>(p[i]);
        sign_bits |= current | (current - static_cast<std::uint64_t>(p[i - 1]));
        if constexpr (kCopy) out[i] = static_cast<std::int64_t>(current - base);
    }
    lanes[0] |= lanes[1] | lanes[2] | lanes[3];
    sign_bits |= lanes[0][0] | lanes[0][1] | lanes[0][2] | lanes[0][3];
    return (sign_bits >> 63) == 0;
}

__attribute__((target("avx2"))) bool offsetsAreOrderedAvx2(const std::int64_t* p, std::size_t n) {
    return orderedPass<false>(p, n, nullptr);
}

__attribute__((target("avx2"))) bool copyRebasedIfOrderedAvx2(const std::int64_t* p, std::size_t n,
                                                              std::int64_t* out) {
    return orderedPass<true>(p, n, out);
}

}  // namespace

bool offsetsAreOrdered(std::span<const std::int64_t> offsets) {
    static const bool avx2 = __builtin_cpu_supports("avx2");
    return avx2 ? offsetsAreOrderedAvx2(offsets.data(), offsets.size())
                : orderedPass<false>(offsets.data(), offsets.size(), nullptr);
}

bool copyRebasedIfOrdered(std::span<const std::int64_t> offsets, std::int64_t* out) {
    static const bool avx2 = __builtin_cpu_supports("avx2");
    return avx2 ? copyRebasedIfOrderedAvx2(offsets.data(), offsets.size(), out)
                : orderedPass<true>(offsets.data(), offsets.size(), out);
}

namespace {

// For each pattern of 8 flags (bit k: flag k is true), how many are true and their positions,
// first to last, then zeros: 8 flags become their row numbers with 8 unconditional stores,
// instead of a chain of 8 dependent increments (and no popcount, which baseline x86-64 lacks).
struct TruePositions {
    std::array<std::array<std::uint8_t, 8>, 256> of{};
    std::array<std::uint8_t, 256> count{};
    constexpr TruePositions() {
        for (std::size_t pattern = 0; pattern < 256; ++pattern)
            for (std::uint8_t k = 0; k < 8; ++k)
                if ((pattern >> k) & 1) of[pattern][count[pattern]++] = k;
    }
};
constexpr TruePositions kTruePositions;

// Bit k set where flags[k] is non-zero.
unsigned trueFlagBits(const std::uint8_t* flags) {
    std::uint64_t word = 0;  // flags[k] in bits 8k..8k+7
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&word, flags, sizeof(word));
    } else {
        for (unsigned k = 0; k < 8; ++k) word |= static_cast<std::uint64_t>(flags[k]) << (8 * k);
    }
    // Fold each byte onto its lowest bit (the shifts bring only a byte's own bits down to it),
    // then gather those 8 bits into the top byte: byte k's bit 8k times 2^(56-7k) lands on bit
    // 56+k, and no other pair of terms reaches the top byte or carries into it.
    word |= word >> 4;
    word |= word >> 2;
    word |= word >> 1;
    word &= 0x0101010101010101ull;
    return static_cast<unsigned>((word * 0x0102040810204080ull) >> 56);
}

// The number of non-zero flags: byte counters over blocks of 255, which the compilers keep in
// byte lanes (a size_t counter widens every flag to 64 bits first).
std::size_t countTrueFlags(std::span<const std::uint8_t> flags) {
    std::size_t total = 0;
    for (std::size_t begin = 0; begin < flags.size(); begin += 255) {
        const std::size_t end = std::min(flags.size(), begin + 255);
        std::uint8_t block = 0;
        for (std::size_t i = begin; i < end; ++i) block += flags[i] != 0 ? 1 : 0;
        total += block;
    }
    return total;
}

}  // namespace

RowSelection selectRows(std::span<const std::uint8_t> keep) {
    RowSelection selection;
    selection.num_rows = static_cast<std::int64_t>(keep.size());
    const std::size_t kept = countTrueFlags(keep);
    // Sized to the kept rows (+8 for the unconditional stores past the last one), not to all
    // rows: a tight cut writes little.
    selection.rows.resize(kept + 8);
    std::int64_t* rows = selection.rows.data();
    std::size_t j = 0;
    const auto appendEight = [&](std::size_t first) {  // rows first..first+7, without a branch
        const unsigned bits = trueFlagBits(keep.data() + first);
        const auto& positions = kTruePositions.of[bits];
        for (std::size_t k = 0; k < 8; ++k)
            rows[j + k] = static_cast<std::int64_t>(first + positions[k]);
        j += kTruePositions.count[bits];
    };
    std::size_t row = 0;
    // Blocks of 64 false flags (most of them after a tight cut) are skipped; the test is
    // predictable both after tight cuts and after loose ones, unlike one per word of 8.
    for (; row + 64 <= keep.size(); row += 64) {
        std::uint64_t any = 0;
        for (std::size_t k = 0; k < 64; k += 8) {
            std::uint64_t word;
            std::memcpy(&word, keep.data() + row + k, sizeof(word));
            any |= word;
        }
        if (any == 0) continue;
        for (std::size_t k = 0; k < 64; k += 8) appendEight(row + k);
    }
    for (; row + 8 <= keep.size(); row += 8) appendEight(row);
    for (; row < keep.size(); ++row) {
        rows[j] = static_cast<std::int64_t>(row);
        j += keep[row] != 0;
    }
    selection.rows.resize(j);
    return selection;
}

Column filterRows(const Column& column, std::span<const std::uint8_t> keep) {
    return filterRows(column, selectRows(keep));
}

Column filterRows(const Column& column, const RowSelection& selection) {
    const std::int64_t length = column.length();
    if (selection.num_rows != length)
        throw UsageError(fmt::format("filterRows: selection has {} entries but the column has {}",
                                     selection.num_rows, length));
    if (column.dtype() == DType::Struct)
        return mapMembers(column, static_cast<std::int64_t>(selection.rows.size()),
                          [&](const Column& member) { return filterRows(member, selection); });

    Column out = makeColumn(column.dtype(), column.levels());
    if (column.levels() == 0) {
        filterFlatRows(column, selection, out);
    } else if (column.levels() == 1 && column.dtype() != DType::String) {
        filterJaggedRows(column, selection.rows, out);
    } else {
        std::vector<SourceRange> ranges;
        for (const std::int64_t row : selection.rows) {
            if (!ranges.empty() && ranges.back().end == row)
                ++ranges.back().end;
            else
                ranges.push_back({0, row, row + 1});
        }
        const Column* sources[] = {&column};
        copyRanges(sources, 0, std::move(ranges), out, 0);
    }
    for (const auto& [name, member] : column.members())
        out.members().emplace_back(name, filterRows(member, selection));
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
        // Two flat passes, no per-event inner loop (events have few objects, so loop exits
        // would dominate): compaction recording the running kept count per object, then the
        // event boundaries read off that count.
        const std::size_t size = dtypeSize(jagged.dtype());
        const std::uint8_t* keep = mask_values + mask_offsets.front();
        std::vector<std::int64_t>& kept_before = scratchInt64(total + 1);
        out.bytes().resize(total * size);
        dispatchWidth(size, [&]<class U>(Tag<U>) {
            const U* in = reinterpret_cast<const U*>(jagged.bytes().data()) + first;
            U* dst = reinterpret_cast<U*>(out.bytes().data());
            std::int64_t j = 0;
            std::int64_t* cum = kept_before.data();
            for (std::size_t i = 0; i < total; ++i) {
                cum[i] = j;
                dst[j] = in[i];  // j <= i < total: always in bounds
                j += keep[i] != 0;
            }
            cum[total] = j;
        });
        const std::int64_t* cum = kept_before.data();
        for (std::size_t e = 0; e < events; ++e) out_offsets[e + 1] = cum[offsets[e + 1] - first];
        out.bytes().resize(static_cast<std::size_t>(out_offsets.back()) * size);
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
    out.bytes().resize((total + kCopyBlock) * size);  // room for fillSmall's block overrun
    dispatchWidth(size, [&]<class U>(Tag<U>) {
        const U* in = reinterpret_cast<const U*>(flat.bytes().data());
        U* dst = reinterpret_cast<U*>(out.bytes().data());
        const std::int64_t* out_offsets = out.offsets(0).data();
        for (std::int64_t e = 0; e < events; ++e)
            fillSmall(dst + out_offsets[e], out_offsets[e + 1] - out_offsets[e], in[e]);
    });
    out.bytes().resize(total * size);
    return out;
}

Column localIndex(const Offsets& offsets) {
    checkOffsets(offsets, "localIndex");
    Column out(DType::Int64, 1);
    out.offsets(0) = rebased(offsets);
    const Offsets& out_offsets = out.offsets(0);
    const auto total = static_cast<std::size_t>(out_offsets.back());
    out.bytes().resize((total + kCopyBlock) * sizeof(std::int64_t));  // iotaSmall's overrun
    auto* dst = data<std::int64_t>(out);
    const std::int64_t* at = out_offsets.data();
    for (std::size_t e = 0; e + 1 < out_offsets.size(); ++e)
        iotaSmall(dst + at[e], at[e + 1] - at[e]);
    out.bytes().resize(total * sizeof(std::int64_t));
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
    if (jagged.levels() == 1 && jagged.dtype() != DType::String)
        return takeValues(jagged, offsets,
                          [&](std::size_t e) { return positions[static_cast<std::int64_t>(e)]; });
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
    if (jagged.levels() == 1 && jagged.dtype() != DType::String)
        return takeValues(jagged, offsets, [index](std::size_t) { return index; });
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
    if (jagged.levels() == 1 && jagged.dtype() != DType::String) {
        Column out = makeColumn(jagged.dtype(), 1);
        out.offsets(0) = rebased(index_offsets);
        const std::int64_t index_first = index_offsets.front();
        out.bytes().resize(static_cast<std::size_t>(index_offsets.back() - index_first) *
                           dtypeSize(jagged.dtype()));
        dispatchNumeric(jagged.dtype(), "gather", [&]<class T>(Tag<T>) {
            const auto* in = data<T>(jagged);
            auto* dst = data<T>(out);
            const Storage<T> missing = missingValue<T>();
            const std::int64_t* offsets_ptr = offsets.data();
            const std::int64_t* index_ptr = index_offsets.data();
            const std::int64_t* position_ptr = positions.pointer();
            for (std::size_t e = 0; e < events; ++e) {
                const std::int64_t begin = offsets_ptr[e];
                const std::int64_t n = offsets_ptr[e + 1] - begin;
                for (std::int64_t i = index_ptr[e]; i < index_ptr[e + 1]; ++i) {
                    const std::int64_t k = position_ptr[i];
                    const std::int64_t local = k < 0 ? k + n : k;
                    dst[i - index_first] = (local >= 0 && local < n) ? in[begin + local] : missing;
                }
            }
        });
        return out;
    }
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

Column gatherCombined(const Column& jagged, const Offsets& made_from, const Column& absolute,
                      const Column& local) {
    if (jagged.levels() != 1 || jagged.dtype() == DType::String ||
        jagged.dtype() == DType::Struct || absolute.levels() != 1 ||
        absolute.dtype() != DType::Int64 || absolute.numValues() != local.numValues())
        return gather(jagged, local);
    const Offsets& offsets = jagged.offsets(0);
    // Absolute positions hold for `jagged` only with the very offsets they were made from.
    if (offsets != made_from) return gather(jagged, local);
    const std::size_t total = absolute.numValues();
    Column out = makeColumn(jagged.dtype(), 1);
    out.offsets(0) = rebased(absolute.offsets(0));
    out.bytes().resize(total * dtypeSize(jagged.dtype()));
    dispatchWidth(dtypeSize(jagged.dtype()), [&]<class U>(Tag<U>) {
        const U* in = reinterpret_cast<const U*>(jagged.bytes().data());
        U* dst = reinterpret_cast<U*>(out.bytes().data());
        const std::int64_t* positions = data<std::int64_t>(absolute);
        for (std::size_t k = 0; k < total; ++k) dst[k] = in[positions[k]];
    });
    return out;
}

namespace {

// concat's offsets (from 0): per event, first's count plus second's. Checks both offsets and
// the result's size; returns the total.
std::size_t concatOffsets(const Offsets& first, const Offsets& second, Offsets& out) {
    checkOffsets(first, "concat");
    checkOffsets(second, "concat");
    if (first.size() != second.size())
        throw UsageError(
            fmt::format("concat: collections have different numbers of entries ({} and {})",
                        first.size() - 1, second.size() - 1));
    checkResultSize(static_cast<double>(first.back() - first.front()) +
                        static_cast<double>(second.back() - second.front()),
                    "concat");
    const std::size_t events = first.size() - 1;
    out.resize(events + 1);
    out[0] = 0;
    for (std::size_t e = 0; e < events; ++e)
        out[e + 1] = out[e] + (first[e + 1] - first[e]) + (second[e + 1] - second[e]);
    return static_cast<std::size_t>(out.back());
}

}  // namespace

Column concatLayout(const Offsets& first, const Offsets& second) {
    Column out(DType::Int64, 1);
    Offsets& offsets = out.offsets(0);
    const std::size_t total = concatOffsets(first, second, offsets);
    const std::size_t events = offsets.size() - 1;
    out.bytes().resize((total + kCopyBlock) * sizeof(std::int64_t));  // forEachInBlocks' overrun
    std::int64_t* positions = data<std::int64_t>(out);
    const std::int64_t* out_ptr = offsets.data();
    // All of first's positions, then all of second's: a block written past one event's end is
    // overwritten by the next event's, and past first's last event by second's first.
    const auto place = [&](const Offsets& part, std::int64_t* at, bool after_first) {
        const std::int64_t* part_ptr = part.data();
        const std::int64_t* first_ptr = first.data();
        for (std::size_t e = 0; e < events; ++e) {
            const std::int64_t start =
                out_ptr[e] + (after_first ? first_ptr[e + 1] - first_ptr[e] : 0);
            std::int64_t* dst = at + (part_ptr[e] - part_ptr[0]);
            forEachInBlocks(part_ptr[e + 1] - part_ptr[e],
                            [&](std::ptrdiff_t i) { dst[i] = start + i; });
        }
    };
    place(first, positions, false);
    place(second, positions + (first.back() - first.front()), true);
    out.bytes().resize(total * sizeof(std::int64_t));
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
    Column out = makeColumn(first.dtype(), first.levels());
    Offsets& out_offsets = out.offsets(0);
    const std::size_t total = concatOffsets(a, b, out_offsets);
    const std::size_t events = a.size() - 1;
    if (first.levels() == 1 && first.dtype() != DType::String) {
        const std::size_t size = dtypeSize(first.dtype());
        out.bytes().resize((total + kCopyBlock) * size);  // room for copySmall's block overrun
        dispatchWidth(size, [&]<class U>(Tag<U>) {
            const U* in_a = reinterpret_cast<const U*>(first.bytes().data());
            const U* in_b = reinterpret_cast<const U*>(second.bytes().data());
            const U* end_a = in_a + first.numValues();
            const U* end_b = in_b + second.numValues();
            U* at = reinterpret_cast<U*>(out.bytes().data());
            // Raw offsets pointers: byte-wide stores could alias the vectors' internals.
            const std::int64_t* a_ptr = a.data();
            const std::int64_t* b_ptr = b.data();
            for (std::size_t e = 0; e < events; ++e) {
                at = copySmall(in_a + a_ptr[e], in_a + a_ptr[e + 1], end_a, at);
                at = copySmall(in_b + b_ptr[e], in_b + b_ptr[e + 1], end_b, at);
            }
        });
        out.bytes().resize(total * size);
        return out;
    }
    std::vector<SourceRange> ranges;
    ranges.reserve(2 * events);
    for (std::size_t e = 0; e < events; ++e) {
        ranges.push_back({0, a[e], a[e + 1]});
        ranges.push_back({1, b[e], b[e + 1]});
    }
    const Column* sources[] = {&first, &second};
    copyRanges(sources, 1, std::move(ranges), out, 1);
    return out;
}

Column concatLaidOut(const Column& first, const Column& second, const Column& layout) {
    const bool flat_values = first.dtype() == second.dtype() && first.levels() == 1 &&
                             second.levels() == 1 && first.dtype() != DType::String &&
                             first.dtype() != DType::Struct;
    if (!flat_values || layout.levels() != 1) return concat(first, second);
    const Offsets& a = jaggedOffsets(first, "concat");
    const Offsets& b = jaggedOffsets(second, "concat");
    const Offsets& layout_offsets = layout.offsets(0);
    const std::int64_t from_first = a.back() - a.front();
    const std::int64_t from_second = b.back() - b.front();
    // Not the layout's collections: concat computes and checks its own offsets.
    if (a.size() != layout_offsets.size() || b.size() != layout_offsets.size() ||
        static_cast<std::size_t>(from_first + from_second) != layout.numValues())
        return concat(first, second);
    Column out = makeColumn(first.dtype(), 1);
    out.offsets(0) = layout_offsets;
    const std::size_t size = dtypeSize(first.dtype());
    out.bytes().resize(layout.numValues() * size);
    const std::int64_t* positions = data<std::int64_t>(layout);
    dispatchWidth(size, [&]<class U>(Tag<U>) {
        U* dst = reinterpret_cast<U*>(out.bytes().data());
        const auto scatter = [&](const Column& part, std::int64_t begin, std::int64_t n,
                                 const std::int64_t* to) {
            const U* in = reinterpret_cast<const U*>(part.bytes().data()) + begin;
            for (std::int64_t k = 0; k < n; ++k) dst[to[k]] = in[k];
        };
        scatter(first, a.front(), from_first, positions);
        scatter(second, b.front(), from_second, positions + from_first);
    });
    return out;
}

Column concatSource(const Column& layout, std::int64_t from_first) {
    HEPFLOW_ASSERT(layout.dtype() == DType::Int64 && layout.levels() == 1 && from_first >= 0 &&
                       static_cast<std::size_t>(from_first) <= layout.numValues(),
                   "concatSource takes a concatLayout and the size of its first part");
    Column out(DType::Int64, 1);
    out.offsets(0) = layout.offsets(0);
    out.bytes().resize(layout.numValues() * sizeof(std::int64_t));
    std::int64_t* dst = data<std::int64_t>(out);
    const std::int64_t* positions = data<std::int64_t>(layout);
    const auto total = static_cast<std::int64_t>(layout.numValues());
    for (std::int64_t k = 0; k < from_first; ++k) dst[positions[k]] = 0;
    for (std::int64_t k = from_first; k < total; ++k) dst[positions[k]] = 1;
    return out;
}

}  // namespace hepflow::frame::kernels
