// Entry serialization for every branch kind (big-endian values, STL count+version headers,
// TStrings) and the rule that closes a basket once it reaches its size.
#include "root/writer/basket_builder.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "root/byte_reader.h"
#include "root/endian.h"

namespace hepflow::root {

namespace {

using frame::DType;

// The version ROOT 6 writes in the count+version header of an STL container entry: that of
// TStreamerInfo (ROOT-FORMAT.md 4.7), not the container's class version 6.
constexpr std::int16_t kStlEntryVersion = 9;
// Room for the entry that crosses basket_bytes_ and the closing entry offsets, so that a basket
// and its offset array usually fit the first allocation.
constexpr std::size_t kReserveSlack = 4096;
// Huge basket sizes grow on demand instead: a reservation per branch must stay cheap.
constexpr std::size_t kMaxReserve = 16 << 20;

#if defined(__SSE2__)
// Byte-swaps 16 bytes of 2-, 4- or 8-byte values with SSE2 only (baseline x86-64 lacks pshufb):
// swap the bytes of each 16-bit word, then reverse the words inside each value.
template <std::size_t kSize>
__m128i swapVector(__m128i v) {
    v = _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8));
    if constexpr (kSize == 4) {
        v = _mm_shufflehi_epi16(_mm_shufflelo_epi16(v, 0xB1), 0xB1);
    } else if constexpr (kSize == 8) {
        v = _mm_shufflehi_epi16(_mm_shufflelo_epi16(v, 0x1B), 0x1B);
    }
    return v;
}
#endif

// Native values to big-endian: the writer's one pass over every value, so it is vectorized.
template <class U>
void swapCopy(std::byte* dst, const std::byte* src, std::size_t count) {
    std::size_t i = 0;
#if defined(__SSE2__)
    constexpr std::size_t kPerVector = 16 / sizeof(U);
    for (; i + kPerVector <= count; i += kPerVector) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * sizeof(U)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i * sizeof(U)), swapVector<sizeof(U)>(v));
    }
#endif
    for (; i < count; ++i) {
        U raw;
        std::memcpy(&raw, src + i * sizeof(U), sizeof(U));
        raw = detail::byteSwap(raw);
        std::memcpy(dst + i * sizeof(U), &raw, sizeof(U));
    }
}

// Appends `count` values of `dtype` from native memory as big-endian.
void appendValues(ByteBuffer& out, DType dtype, const std::byte* src, std::size_t count) {
    const std::size_t size = frame::dtypeSize(dtype);
    const std::size_t start = out.size();
    out.resize(start + count * size);
    std::byte* dst = out.data() + start;
    switch (size) {
        case 1:
            if (dtype == DType::Bool) {
                for (std::size_t i = 0; i < count; ++i)
                    dst[i] = src[i] != std::byte{0} ? std::byte{1} : std::byte{0};
            } else if (count > 0) {
                std::memcpy(dst, src, count);
            }
            break;
        case 2: swapCopy<std::uint16_t>(dst, src, count); break;
        case 4: swapCopy<std::uint32_t>(dst, src, count); break;
        case 8: swapCopy<std::uint64_t>(dst, src, count); break;
        default: HEPFLOW_ASSERT(false, "unexpected value size");
    }
}

template <class T>
void appendBig(ByteBuffer& out, T value) {
    const std::size_t start = out.size();
    out.resize(start + sizeof(T));
    storeBigEndian<T>(out.data() + start, value);
}

void appendTString(ByteBuffer& out, std::string_view text) {
    if (text.size() < kLongStringMarker) {
        appendBig<std::uint8_t>(out, static_cast<std::uint8_t>(text.size()));
    } else {
        appendBig<std::uint8_t>(out, kLongStringMarker);
        appendBig<std::uint32_t>(out, static_cast<std::uint32_t>(text.size()));
    }
    const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
    out.insert(out.end(), bytes, bytes + text.size());
}

// The count+version header of an STL entry whose remaining bytes (after the count word) are
// `counted`; ROOT's byte counts have 30 bits.
void appendStlHeader(ByteBuffer& out, std::size_t counted, std::string_view branch,
                     std::int64_t entry) {
    if (counted >= kByteCountMask)
        throw UsageError(fmt::format("entry {} of branch '{}' is {} bytes: ROOT cannot stream a "
                                     "container of 1 GiB or more",
                                     entry, branch, counted))
            .setObject(branch);
    appendBig<std::uint32_t>(out, static_cast<std::uint32_t>(counted) | kByteCountMask);
    appendBig<std::int16_t>(out, kStlEntryVersion);
}

std::string_view stringOf(const frame::Column& column, std::int64_t index) {
    return column.stringAt(static_cast<std::size_t>(index));
}

template <class T>
std::int64_t maxOf(const std::byte* src, std::size_t count) {
    std::int64_t best = 0;
    for (std::size_t i = 0; i < count; ++i) {
        T value;
        std::memcpy(&value, src + i * sizeof(T), sizeof(T));
        best = std::max(best, static_cast<std::int64_t>(value));
    }
    return best;
}

// Largest value of an integer column range (counters), clamped below at 0.
std::int64_t maxInteger(DType dtype, const std::byte* src, std::size_t count) {
    switch (dtype) {
        case DType::Int8: return maxOf<std::int8_t>(src, count);
        case DType::UInt8: return maxOf<std::uint8_t>(src, count);
        case DType::Int16: return maxOf<std::int16_t>(src, count);
        case DType::UInt16: return maxOf<std::uint16_t>(src, count);
        case DType::Int32: return maxOf<std::int32_t>(src, count);
        case DType::UInt32: return maxOf<std::uint32_t>(src, count);
        case DType::Int64: return maxOf<std::int64_t>(src, count);
        case DType::UInt64: return maxOf<std::uint64_t>(src, count);
        default: return 0;
    }
}

}  // namespace

BasketBuilder::BasketBuilder(const BranchPlan& plan, std::int64_t basket_bytes, std::int32_t keylen,
                             BufferPool& pool)
    : plan_(plan),
      basket_bytes_(static_cast<std::size_t>(basket_bytes)),
      value_size_(frame::dtypeSize(plan.dtype)),
      keylen_(keylen),
      pool_(&pool) {}

std::size_t BasketBuilder::openSize() const {
    // The entry-offset array: int32 n and n = entries + 1 offsets.
    const std::size_t offsets =
        plan_.hasEntryOffsets() ? 4 * (static_cast<std::size_t>(open_.num_entries) + 2) : 0;
    return open_.data.size() + offsets;
}

void BasketBuilder::startEntry(std::int64_t cluster) {
    if (open_.num_entries == 0) {
        // The buffer of a written basket (its pages are mapped already); most baskets fill up
        // to basket_bytes_, so that much is reserved at once.
        const std::size_t reserve = std::min(basket_bytes_ + kReserveSlack, kMaxReserve);
        open_.data = pool_->take();
        open_.data.reserve(reserve);
        if (plan_.hasEntryOffsets()) {
            // At most basket_bytes_ too (they count in openSize); pooled, as the data.
            open_.entry_offsets = pool_->take();
            open_.entry_offsets.reserve(reserve);
        }
        open_.first_entry = next_entry_;
        open_.cluster = cluster;
        open_.slot = next_slot_;
    }
    HEPFLOW_ASSERT(open_.cluster == cluster, "a basket spans two clusters");
}

void BasketBuilder::close(std::vector<BasketContent>& closed) {
    if (open_.num_entries == 0) return;
    if (open_.data.size() > static_cast<std::size_t>(kMaxBasketBytes))
        throw UsageError(fmt::format("branch '{}': an entry of more than {} bytes does not fit "
                                     "in a ROOT basket",
                                     plan_.name, kMaxBasketBytes))
            .setObject(plan_.name);
    closed.push_back(std::move(open_));
    open_ = BasketContent{};
    ++next_slot_;
}

void BasketBuilder::flush(std::vector<BasketContent>& closed) {
    close(closed);
}

void BasketBuilder::append(const frame::Column& column, std::int64_t begin, std::int64_t end,
                           std::int64_t cluster, std::vector<BasketContent>& closed) {
    if (begin >= end) return;
    switch (plan_.kind) {
        case BranchKind::Scalar:
        case BranchKind::FixedArray:
        case BranchKind::Counter: appendFixed(column, begin, end, cluster, closed); break;
        case BranchKind::CountedArray: appendCounted(column, begin, end, cluster, closed); break;
        default: appendVariable(column, begin, end, cluster, closed); break;
    }
}

void BasketBuilder::appendFixed(const frame::Column& column, std::int64_t begin, std::int64_t end,
                                std::int64_t cluster, std::vector<BasketContent>& closed) {
    const std::size_t per_entry = static_cast<std::size_t>(plan_.fixed_length);
    const std::int64_t capacity =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(basket_bytes_ / plan_.entrySize()));
    const std::byte* values = column.bytes().data();
    // A fixed array read back by hepflow is jagged with constant lengths; either shape works.
    const auto first_value = [&](std::int64_t entry) -> std::size_t {
        if (column.levels() == 1)
            return static_cast<std::size_t>(column.offsets(0)[static_cast<std::size_t>(entry)]);
        return static_cast<std::size_t>(entry) * per_entry;
    };
    std::int64_t entry = begin;
    while (entry < end) {
        startEntry(cluster);
        const std::int64_t take = std::min(capacity - open_.num_entries, end - entry);
        const std::size_t count = static_cast<std::size_t>(take) * per_entry;
        const std::byte* src = values + first_value(entry) * value_size_;
        appendValues(open_.data, plan_.dtype, src, count);
        if (plan_.kind == BranchKind::Counter)
            maximum_ = std::max(maximum_, maxInteger(plan_.dtype, src, count));
        open_.num_entries += take;
        next_entry_ += take;
        entry += take;
        if (open_.num_entries >= capacity) close(closed);
    }
}

void BasketBuilder::appendCounted(const frame::Column& column, std::int64_t begin, std::int64_t end,
                                  std::int64_t cluster, std::vector<BasketContent>& closed) {
    const std::int64_t* offsets = column.offsets(0).data();
    const std::byte* values = column.bytes().data();
    const auto value_size = static_cast<std::int64_t>(value_size_);
    const auto basket_bytes = static_cast<std::int64_t>(basket_bytes_);
    std::int64_t entry = begin;
    while (entry < end) {
        startEntry(cluster);
        // Take entries until the basket reaches its size (the last one may overshoot): the
        // first stop where the open size plus the values and offsets of [entry, stop) reach
        // basket_bytes_, found by bisection (the size grows with stop). At least one entry.
        const auto open_size = static_cast<std::int64_t>(openSize());
        const auto size_at = [&](std::int64_t stop) {
            return open_size + (offsets[stop] - offsets[entry]) * value_size + 4 * (stop - entry);
        };
        std::int64_t low = entry + 1;
        std::int64_t high = end;
        while (low < high) {
            const std::int64_t middle = low + (high - low) / 2;
            if (size_at(middle) >= basket_bytes)
                high = middle;
            else
                low = middle + 1;
        }
        const std::int64_t stop = high;
        const bool full = size_at(stop) >= basket_bytes;
        // Entry offsets: fKeylen + position of each entry in data. Every entry starts below
        // basket_bytes_ <= kMaxBasketBytes, so the values fit an int32.
        const std::int64_t first = offsets[entry];
        const auto start = static_cast<std::int64_t>(keylen_) +
                           static_cast<std::int64_t>(open_.data.size()) - first * value_size;
        auto& entry_offsets = open_.entry_offsets;
        const std::size_t at = entry_offsets.size();
        entry_offsets.resize(at + 4 * static_cast<std::size_t>(stop - entry));
        std::byte* out = entry_offsets.data() + at;
        for (std::int64_t e = entry; e < stop; ++e, out += 4)
            storeBigEndian<std::int32_t>(
                out, static_cast<std::int32_t>(start + offsets[e] * value_size));
        appendValues(open_.data, plan_.dtype, values + first * value_size,
                     static_cast<std::size_t>(offsets[stop] - first));
        open_.num_entries += stop - entry;
        next_entry_ += stop - entry;
        entry = stop;
        if (full) close(closed);
    }
}

void BasketBuilder::appendVariable(const frame::Column& column, std::int64_t begin,
                                   std::int64_t end, std::int64_t cluster,
                                   std::vector<BasketContent>& closed) {
    for (std::int64_t entry = begin; entry < end; ++entry) {
        startEntry(cluster);
        appendBig<std::int32_t>(open_.entry_offsets,
                                keylen_ + static_cast<std::int32_t>(open_.data.size()));
        writeEntry(column, entry);
        ++open_.num_entries;
        ++next_entry_;
        if (openSize() >= basket_bytes_) close(closed);
    }
}

void BasketBuilder::writeEntry(const frame::Column& column, std::int64_t entry) {
    auto& out = open_.data;
    const auto e = static_cast<std::size_t>(entry);
    switch (plan_.kind) {
        case BranchKind::CharStar:
        case BranchKind::StdString: {
            const auto text = stringOf(column, entry);
            if (plan_.kind == BranchKind::CharStar)
                maximum_ =
                    std::max<std::int64_t>(maximum_, static_cast<std::int64_t>(text.size()) + 1);
            appendTString(out, text);
            return;
        }
        case BranchKind::Vector: {
            const auto& offsets = column.offsets(0);
            const auto first = static_cast<std::size_t>(offsets[e]);
            const auto count = static_cast<std::size_t>(offsets[e + 1]) - first;
            appendStlHeader(out, 2 + 4 + count * value_size_, plan_.name, entry);
            appendBig<std::int32_t>(out, static_cast<std::int32_t>(count));
            appendValues(out, plan_.dtype, column.bytes().data() + first * value_size_, count);
            return;
        }
        case BranchKind::VectorVector: {
            const auto& outer = column.offsets(0);
            const auto& inner = column.offsets(1);
            const auto first = static_cast<std::size_t>(outer[e]);
            const auto last = static_cast<std::size_t>(outer[e + 1]);
            const auto values = static_cast<std::size_t>(inner[last] - inner[first]);
            appendStlHeader(out, 2 + 4 + 4 * (last - first) + values * value_size_, plan_.name,
                            entry);
            appendBig<std::int32_t>(out, static_cast<std::int32_t>(last - first));
            for (std::size_t item = first; item < last; ++item) {
                const auto begin = static_cast<std::size_t>(inner[item]);
                const auto count = static_cast<std::size_t>(inner[item + 1]) - begin;
                appendBig<std::int32_t>(out, static_cast<std::int32_t>(count));
                appendValues(out, plan_.dtype, column.bytes().data() + begin * value_size_, count);
            }
            return;
        }
        case BranchKind::VectorString: {
            const auto& outer = column.offsets(0);
            const auto first = static_cast<std::size_t>(outer[e]);
            const auto last = static_cast<std::size_t>(outer[e + 1]);
            std::size_t counted = 2 + 4;
            for (std::size_t item = first; item < last; ++item)
                counted += tstringSize(stringOf(column, static_cast<std::int64_t>(item)).size());
            appendStlHeader(out, counted, plan_.name, entry);
            appendBig<std::int32_t>(out, static_cast<std::int32_t>(last - first));
            for (std::size_t item = first; item < last; ++item)
                appendTString(out, stringOf(column, static_cast<std::int64_t>(item)));
            return;
        }
        default: HEPFLOW_ASSERT(false, "fixed-size kind in writeEntry");
    }
}

}  // namespace hepflow::root
