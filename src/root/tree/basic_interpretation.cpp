// Decoders for plain TBranch leaves. Each basket is decoded in bulk: one big-endian array
// conversion per basket (per leaf for leaf lists) and one pass over the entry offsets; the
// value type is a template parameter chosen once per branch, never a per-value dispatch.
#include "root/tree/basic_interpretation.h"

#include <bit>
#include <optional>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "root/endian.h"

namespace hepflow::root {

namespace {

using frame::Column;
using frame::DType;

// ROOT's GetRange: below this many bits a "[0, 0, nbits]" spec means a truncated mantissa.
constexpr int kMaxTruncatedBits = 15;
// Float16_t without a range keeps 12 mantissa bits (TBufferFile::ReadFloat16).
constexpr int kDefaultFloat16Bits = 12;
constexpr int kFloatMantissaBits = 23;

void appendConstantOffsets(Column& out, std::size_t num_entries, std::int64_t per_entry) {
    auto& offsets = out.offsets(0);
    const std::int64_t base = offsets.back();
    const std::size_t old_size = offsets.size();
    offsets.resize(old_size + num_entries);
    for (std::size_t i = 0; i < num_entries; ++i)
        offsets[old_size + i] = base + static_cast<std::int64_t>(i + 1) * per_entry;
}

[[noreturn]] void failBasket(const BasketData& basket, std::size_t position,
                             std::string_view message) {
    basket.reader().failAt(position, message);
}

// A basket's entry offsets relative to its data part, in either of its stored forms, for the
// selective decoders that read a few entries (running counts have their own path): converted
// ones, or stored ones converted one at a time (the closing offset is the data size: ROOT's
// stored one is unreliable). Unchecked: a damaged stored offset comes out negative or past the
// data, which the callers' checks catch.
struct ConvertedOffsets {
    const std::int32_t* offsets;
    std::int64_t operator[](std::size_t i) const { return offsets[i]; }
};
struct StoredOffsets {
    const std::byte* stored;
    std::size_t num_entries;
    std::int64_t origin;
    std::int64_t data_size;
    std::int64_t operator[](std::size_t i) const {
        if (i == num_entries) return data_size;
        return static_cast<std::int64_t>(loadBigEndian<std::int32_t>(stored + 4 * i)) - origin;
    }
};

// Calls body(offsets) with whichever form the basket has; false (body not called) when it has
// neither, so that the caller's whole-basket path reports why.
template <class Body>
bool withEntryOffsets(const BasketData& basket, Body&& body) {
    const auto n = static_cast<std::size_t>(basket.num_entries);
    if (basket.entry_offsets.size() == n + 1) {
        body(ConvertedOffsets{basket.entry_offsets.data()});
        return true;
    }
    if (!basket.stored_entry_offsets.empty() && basket.stored_entry_offsets.size() == 4 * n) {
        body(StoredOffsets{basket.stored_entry_offsets.data(), n, basket.stored_offsets_origin,
                           static_cast<std::int64_t>(basket.data.size())});
        return true;
    }
    return false;
}

// Codecs: how n on-disk values become n values of T.
template <class T>
struct PlainCodec {
    std::size_t diskSize() const { return sizeof(T); }
    void decode(const std::byte* src, T* out, std::size_t n) const {
        loadBigEndianArray<T>(std::span<const std::byte>(src, n * sizeof(T)), std::span<T>(out, n));
    }
};

template <class T>
struct TruncatedFloatCodec {
    TruncatedFloatSpec spec;

    std::size_t diskSize() const { return spec.diskSize(); }
    void decode(const std::byte* src, T* out, std::size_t n) const { spec.decode(src, out, n); }
};

// TBufferFile::ReadFloat16 / ReadDouble32 for n stored values.
template <class T>
void decodeTruncatedFloats(const TruncatedFloatSpec& spec, const std::byte* src, T* out,
                           std::size_t n) {
    using Mode = TruncatedFloatSpec::Mode;
    switch (spec.mode) {
        case Mode::Float:
            for (std::size_t i = 0; i < n; ++i)
                out[i] = static_cast<T>(loadBigEndian<float>(src + 4 * i));
            return;
        case Mode::Scaled:
            for (std::size_t i = 0; i < n; ++i)
                out[i] = static_cast<T>(loadBigEndian<std::uint32_t>(src + 4 * i) / spec.factor +
                                        spec.xmin);
            return;
        case Mode::Truncated: {
            // uint8 exponent, uint16 mantissa whose bit nbits+1 is the sign
            // (TBufferFile::ReadWithNbits).
            const std::uint32_t sign_bit = 1u << (spec.nbits + 1);
            const int shift = kFloatMantissaBits - spec.nbits;
            for (std::size_t i = 0; i < n; ++i) {
                const std::byte* p = src + 3 * i;
                const auto exponent = std::to_integer<std::uint32_t>(p[0]);
                const std::uint32_t mantissa = loadBigEndian<std::uint16_t>(p + 1);
                const std::uint32_t bits =
                    (exponent << kFloatMantissaBits) | ((mantissa & (sign_bit - 1)) << shift);
                float value = std::bit_cast<float>(bits);
                if (mantissa & sign_bit) value = -value;
                out[i] = static_cast<T>(value);
            }
            return;
        }
    }
}

TruncatedFloatSpec scaledSpec(double xmin, double factor, int nbits) {
    TruncatedFloatSpec spec;
    spec.mode = TruncatedFloatSpec::Mode::Scaled;
    spec.xmin = xmin;
    spec.factor = factor;
    spec.nbits = nbits;
    return spec;
}

// What ROOT makes of a range without a factor: a truncated mantissa of `bits` bits when
// 0 < bits < 15, else Float16_t's default truncation or Double32_t's plain float.
TruncatedFloatSpec specWithoutFactor(bool is_float16, int bits) {
    TruncatedFloatSpec spec;
    if (bits > 0 && bits < kMaxTruncatedBits) {
        spec.mode = TruncatedFloatSpec::Mode::Truncated;
        spec.nbits = bits;
    } else if (is_float16) {
        spec.mode = TruncatedFloatSpec::Mode::Truncated;
        spec.nbits = kDefaultFloat16Bits;
    } else {
        spec.mode = TruncatedFloatSpec::Mode::Float;
    }
    return spec;
}

// Decodes `values_per_entry` values per entry from entries `stride` bytes apart, starting
// `offset` bytes into the data; the interface leaf-list members share with whole branches.
class StridedDecoder {
public:
    virtual ~StridedDecoder() = default;
    virtual std::size_t entryBytes() const = 0;
    virtual void decodeStrided(std::span<const std::byte> data, std::size_t offset,
                               std::size_t num_entries, std::size_t stride, Column& out) const = 0;
};

template <class T, class Codec>
class NumericInterpretation final : public Interpretation,
                                    public StridedDecoder,
                                    public DirectDecoder {
public:
    NumericInterpretation(Codec codec, std::int32_t values_per_item, bool counted,
                          std::string description)
        : codec_(codec),
          values_per_item_(static_cast<std::size_t>(values_per_item)),
          counted_(counted),
          description_(std::move(description)) {}

    InterpretationKind kind() const override {
        return jagged() ? InterpretationKind::Jagged : InterpretationKind::Flat;
    }
    std::string describe() const override { return description_; }
    Column makeColumn() const override { return Column(frame::dtypeOf<T>(), jagged() ? 1 : 0); }

    void decode(const BasketData& basket, Column& out) const override {
        if (counted_) return decodeCounted(basket, out);
        const std::size_t item = entryBytes();
        const auto n = static_cast<std::size_t>(basket.num_entries);
        if (basket.data.size() % item != 0 || basket.data.size() / item != n)
            failBasket(basket, 0,
                       fmt::format("basket of {} entries of {} bytes holds {} bytes", n, item,
                                   basket.data.size()));
        decodeStrided(basket.data, 0, n, item, out);
    }

    std::size_t entryBytes() const override { return values_per_item_ * codec_.diskSize(); }

    const DirectDecoder* directDecoder() const override { return this; }
    std::size_t fixedValuesPerEntry() const override { return counted_ ? 0 : values_per_item_; }
    std::size_t countedItemBytes() const override { return counted_ ? entryBytes() : 0; }
    std::size_t diskValueSize() const override { return codec_.diskSize(); }
    std::size_t columnValueSize() const override { return sizeof(T); }

    std::optional<std::size_t> countValues(const BasketData& basket, std::int64_t begin,
                                           std::int64_t end) const override {
        if (!counted_) return static_cast<std::size_t>(end - begin) * values_per_item_;
        if (begin < 0 || begin > end || end > basket.num_entries) return std::nullopt;
        if (hasRunningCounts(basket))
            return static_cast<std::size_t>(
                       basket.running_counts[static_cast<std::size_t>(end)] -
                       basket.running_counts[static_cast<std::size_t>(begin)]) *
                   values_per_item_;
        const auto& offsets = basket.entry_offsets;
        if (offsets.size() != static_cast<std::size_t>(basket.num_entries) + 1) return std::nullopt;
        const std::int64_t bytes = static_cast<std::int64_t>(offsets[end]) - offsets[begin];
        if (bytes < 0 || offsets[begin] < 0 ||
            static_cast<std::size_t>(offsets[end]) > basket.data.size())
            return std::nullopt;
        return static_cast<std::size_t>(bytes) / codec_.diskSize();
    }

    bool decodeRows(const BasketData& basket, std::int64_t begin, std::int64_t end,
                    std::byte* values, std::size_t num_values, std::int64_t* offsets,
                    std::int64_t value_base) const override {
        HEPFLOW_ASSERT(0 <= begin && begin <= end && end <= basket.num_entries,
                       "rows lie in the basket");
        const auto rows = static_cast<std::size_t>(end - begin);
        T* dst = reinterpret_cast<T*>(values);
        if (!counted_) {
            checkFixedBasket(basket);
            if (rows * values_per_item_ != num_values) return false;
            codec_.decode(basket.data.data() + static_cast<std::size_t>(begin) * entryBytes(), dst,
                          num_values);
            if (jagged()) {
                const auto per_entry = static_cast<std::int64_t>(values_per_item_);
                for (std::size_t i = 0; i < rows; ++i)
                    offsets[i] = value_base + static_cast<std::int64_t>(i + 1) * per_entry;
            }
            return true;
        }
        if (hasRunningCounts(basket)) {
            // Valid by construction (see BasketData::running_counts): no checks, no divisions.
            const std::int32_t* counts = basket.running_counts.data();
            const std::int32_t first_count = counts[begin];
            const auto per_item = static_cast<std::int64_t>(values_per_item_);
            if (static_cast<std::size_t>(counts[end] - first_count) * values_per_item_ !=
                num_values)
                return false;
            for (std::size_t i = 0; i < rows; ++i)
                offsets[i] =
                    value_base +
                    (counts[static_cast<std::size_t>(begin) + i + 1] - first_count) * per_item;
            const auto first_byte =
                (static_cast<std::int64_t>(first_count) - counts[0]) * basket.counted_item_bytes;
            codec_.decode(basket.data.data() + first_byte, dst, num_values);
            return true;
        }
        checkCountedBasket(basket);
        const auto& entry_offsets = basket.entry_offsets;
        const std::int64_t first = entry_offsets[begin];
        const auto value_bytes = static_cast<std::int64_t>(codec_.diskSize());
        if (static_cast<std::size_t>((entry_offsets[end] - first) / value_bytes) != num_values)
            return false;
        // Every entry is a whole number of items (checked above), so the divisions are exact.
        for (std::size_t i = 0; i < rows; ++i)
            offsets[i] = value_base + (entry_offsets[begin + i + 1] - first) / value_bytes;
        codec_.decode(basket.data.data() + first, dst, num_values);
        return true;
    }

    std::optional<std::size_t> countSelectedValues(const BasketData& basket,
                                                   std::span<const std::int64_t> rows,
                                                   std::int64_t row_shift) const override {
        if (!counted_) return rows.size() * values_per_item_;
        if (hasRunningCounts(basket)) {
            // Valid by construction: only the rows are checked.
            const std::int32_t* counts = basket.running_counts.data();
            std::int64_t items = 0;
            bool bad_row = false;
            for (const std::int64_t selected : rows) {
                const std::int64_t row = selected + row_shift;
                bad_row |= (row < 0) | (row >= basket.num_entries);
                if (bad_row) return std::nullopt;
                items += counts[row + 1] - counts[row];
            }
            return static_cast<std::size_t>(items) * values_per_item_;
        }
        const auto data_bytes = static_cast<std::int64_t>(basket.data.size());
        std::int64_t bytes = 0;
        bool bad = false;
        const bool has_offsets = withEntryOffsets(basket, [&](const auto& offsets) {
            for (const std::int64_t selected : rows) {
                const std::int64_t row = selected + row_shift;
                bad |= (row < 0) | (row >= basket.num_entries);
                if (bad) break;
                const std::int64_t begin = offsets[static_cast<std::size_t>(row)];
                const std::int64_t end = offsets[static_cast<std::size_t>(row) + 1];
                bad |= (begin < 0) | (end < begin) | (end > data_bytes);
                bytes += end - begin;
            }
        });
        if (!has_offsets || bad) return std::nullopt;
        return static_cast<std::size_t>(bytes) / codec_.diskSize();
    }

    bool decodeSelectedRows(const BasketData& basket, std::span<const std::int64_t> rows,
                            std::int64_t row_shift, std::byte* values, std::size_t num_values,
                            std::int64_t* offsets, std::int64_t value_base) const override {
        T* dst = reinterpret_cast<T*>(values);
        const auto rowAt = [&](std::size_t k) {
            const std::int64_t row = rows[k] + row_shift;
            HEPFLOW_ASSERT(0 <= row && row < basket.num_entries, "rows lie in the basket");
            return static_cast<std::size_t>(row);
        };
        if (!counted_) {
            checkFixedBasket(basket);
            if (rows.size() * values_per_item_ != num_values) return false;
            const std::size_t item = entryBytes();
            const std::byte* data = basket.data.data();
            if constexpr (std::is_same_v<Codec, PlainCodec<T>>) {
                if (values_per_item_ == 1) {
                    for (std::size_t k = 0; k < rows.size(); ++k)
                        dst[k] = loadBigEndian<T>(data + rowAt(k) * item);
                    return true;
                }
            }
            for (std::size_t k = 0; k < rows.size(); ++k)
                codec_.decode(data + rowAt(k) * item, dst + k * values_per_item_, values_per_item_);
            if (jagged()) {
                const auto per_entry = static_cast<std::int64_t>(values_per_item_);
                for (std::size_t k = 0; k < rows.size(); ++k)
                    offsets[k] = value_base + static_cast<std::int64_t>(k + 1) * per_entry;
            }
            return true;
        }
        if (hasRunningCounts(basket)) {
            // Valid by construction (BasketData::running_counts): no checks, no divisions.
            const std::int32_t* counts = basket.running_counts.data();
            const std::byte* data = basket.data.data();
            const auto data_bytes = static_cast<std::int64_t>(basket.data.size());
            const std::int64_t item_bytes = basket.counted_item_bytes;
            const auto per_item = static_cast<std::size_t>(values_per_item_);
            std::size_t written = 0;
            for (std::size_t k = 0; k < rows.size(); ++k) {
                const std::size_t row = rowAt(k);
                const std::int64_t begin =
                    (static_cast<std::int64_t>(counts[row]) - counts[0]) * item_bytes;
                const auto count =
                    static_cast<std::size_t>(counts[row + 1] - counts[row]) * per_item;
                // `values` holds num_values (what countSelectedValues found in the same counts);
                // the space after it belongs to another basket's task.
                if (count > num_values - written) return false;
                decodeEntryValues(data + begin, data_bytes - begin, dst + written, count,
                                  num_values - written);
                written += count;
                offsets[k] = value_base + static_cast<std::int64_t>(written);
            }
            return written == num_values;
        }
        // Only the selected entries are checked: the others are never read (a basket read for
        // a selection may even keep its entry offsets as stored, converting only these). One
        // pass checks each entry, decodes its values and sets its offset. A selection keeps
        // scattered rows of a few values each (13-20% of the events after a trigger or lepton
        // cut), so the per-entry work is kept free of divisions and of loops of unpredictable
        // length.
        const auto data_bytes = static_cast<std::int64_t>(basket.data.size());
        const std::byte* data = basket.data.data();
        std::size_t written = 0;
        bool fits = true;
        const bool has_offsets = withEntryOffsets(basket, [&](const auto& entry_offsets) {
            for (std::size_t k = 0; k < rows.size(); ++k) {
                const std::size_t row = rowAt(k);
                const std::int64_t begin = entry_offsets[row];
                const std::int64_t length = entry_offsets[row + 1] - begin;
                if (begin < 0 || begin + length > data_bytes) [[unlikely]]
                    failBasket(basket, 0, "entry offsets outside the basket data");
                if (length < 0 || !wholeItems(length)) [[unlikely]]
                    failBasket(basket, static_cast<std::size_t>(begin),
                               fmt::format("entry {} spans {} bytes, not a multiple of the "
                                           "{}-byte item",
                                           row, length, entryBytes()));
                const std::size_t count = static_cast<std::size_t>(length) / codec_.diskSize();
                // `values` holds num_values (what countSelectedValues found in the same
                // offsets); the space after it belongs to another basket's task.
                if (count > num_values - written) {
                    fits = false;
                    return;
                }
                decodeEntryValues(data + begin, data_bytes - begin, dst + written, count,
                                  num_values - written);
                written += count;
                offsets[k] = value_base + static_cast<std::int64_t>(written);
            }
        });
        if (!has_offsets)
            failBasket(basket, 0,
                       fmt::format("counted array basket of {} entries has no entry offsets",
                                   basket.num_entries));
        return fits && written == num_values;
    }

    void decodeStrided(std::span<const std::byte> data, std::size_t offset, std::size_t num_entries,
                       std::size_t stride, Column& out) const override {
        HEPFLOW_ASSERT(
            num_entries == 0 || offset + (num_entries - 1) * stride + entryBytes() <= data.size(),
            "caller checks the basket size");
        T* dst = growValues<T>(out, num_entries * values_per_item_);
        if (stride == entryBytes()) {
            codec_.decode(data.data() + offset, dst, num_entries * values_per_item_);
        } else {
            for (std::size_t e = 0; e < num_entries; ++e)
                codec_.decode(data.data() + offset + e * stride, dst + e * values_per_item_,
                              values_per_item_);
        }
        if (jagged())
            appendConstantOffsets(out, num_entries, static_cast<std::int64_t>(values_per_item_));
    }

private:
    bool jagged() const { return counted_ || values_per_item_ > 1; }

    // Whether `length` bytes are a whole number of items (a constant division for the plain
    // codec's single-value items, which are nearly all counted arrays).
    bool wholeItems(std::int64_t length) const {
        const auto value_bytes = static_cast<std::int64_t>(codec_.diskSize());
        if (values_per_item_ == 1) return length % value_bytes == 0;
        return length % static_cast<std::int64_t>(entryBytes()) == 0;
    }

    // Decodes `count` values of one entry at `src` into `dst`. Plain values of a short entry
    // are decoded as a fixed block of kEntryBlock when `src_room` bytes and `dst_room` values
    // allow it (the values past `count` are overwritten by the next entry): a loop of fixed
    // length, without the branches of a loop as long as the entry.
    void decodeEntryValues(const std::byte* src, std::int64_t src_room, T* dst, std::size_t count,
                           std::size_t dst_room) const {
        if constexpr (std::is_same_v<Codec, PlainCodec<T>>) {
            constexpr std::size_t kEntryBlock = 8;
            if (count <= kEntryBlock && dst_room >= kEntryBlock &&
                src_room >= static_cast<std::int64_t>(kEntryBlock * sizeof(T))) {
                for (std::size_t i = 0; i < kEntryBlock; ++i)
                    dst[i] = loadBigEndian<T>(src + i * sizeof(T));
                return;
            }
        }
        codec_.decode(src, dst, count);
    }

    void checkFixedBasket(const BasketData& basket) const {
        const std::size_t item = entryBytes();
        const auto n = static_cast<std::size_t>(basket.num_entries);
        if (basket.data.size() % item != 0 || basket.data.size() / item != n)
            failBasket(basket, 0,
                       fmt::format("basket of {} entries of {} bytes holds {} bytes", n, item,
                                   basket.data.size()));
    }

    bool hasRunningCounts(const BasketData& basket) const {
        return basket.running_counts.size() == static_cast<std::size_t>(basket.num_entries) + 1;
    }

    // The checks of decodeCounted, without writing anything.
    void checkCountedBasket(const BasketData& basket) const {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        if (offsets.size() != n + 1)
            failBasket(basket, 0,
                       fmt::format("counted array basket of {} entries has no entry offsets", n));
        const std::size_t item = entryBytes();
        if (offsets[0] < 0 || static_cast<std::size_t>(offsets[n]) > basket.data.size())
            failBasket(basket, 0, "entry offsets outside the basket data");
        const auto item_bytes = static_cast<std::int64_t>(item);
        bool bad = false;
        if (std::has_single_bit(item)) {
            const std::int64_t mask = item_bytes - 1;
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t length = static_cast<std::int64_t>(offsets[i + 1]) - offsets[i];
                bad |= (length < 0) | ((length & mask) != 0);
            }
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t length = static_cast<std::int64_t>(offsets[i + 1]) - offsets[i];
                bad |= (length < 0) | (length % item_bytes != 0);
            }
        }
        if (!bad) return;
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t length = static_cast<std::int64_t>(offsets[i + 1]) - offsets[i];
            if (length < 0 || length % item_bytes != 0)
                failBasket(
                    basket, static_cast<std::size_t>(offsets[i]),
                    fmt::format("entry {} spans {} bytes, not a multiple of the {}-byte item", i,
                                length, item));
        }
    }

    // Entry i holds the bytes [offsets[i], offsets[i+1]) of the data: a whole number of items.
    void decodeCounted(const BasketData& basket, Column& out) const {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        if (offsets.size() != n + 1)
            failBasket(basket, 0,
                       fmt::format("counted array basket of {} entries has no entry offsets", n));
        const std::size_t item = entryBytes();
        const std::size_t value_size = codec_.diskSize();
        const std::int64_t first = offsets[0];
        if (first < 0 || static_cast<std::size_t>(offsets[n]) > basket.data.size())
            failBasket(basket, 0, "entry offsets outside the basket data");
        // One pass that the compiler can vectorize: item and value sizes are powers of two for
        // every plain type, so the checks are masks and the divisions shifts; the slow scan
        // below only runs to name the offending entry.
        auto& column_offsets = out.offsets(0);
        const std::int64_t base = column_offsets.back();
        const std::size_t old_size = column_offsets.size();
        column_offsets.resize(old_size + n);
        std::int64_t* out_offsets = column_offsets.data() + old_size;
        const auto item_bytes = static_cast<std::int64_t>(item);
        const auto value_bytes = static_cast<std::int64_t>(value_size);
        bool bad = false;
        if (std::has_single_bit(item) && std::has_single_bit(value_size)) {
            const std::int64_t mask = item_bytes - 1;
            const int shift = std::countr_zero(value_size);
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t length = static_cast<std::int64_t>(offsets[i + 1]) - offsets[i];
                bad |= (length < 0) | ((length & mask) != 0);
                out_offsets[i] = base + ((offsets[i + 1] - first) >> shift);
            }
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t length = static_cast<std::int64_t>(offsets[i + 1]) - offsets[i];
                bad |= (length < 0) | (length % item_bytes != 0);
                out_offsets[i] = base + (offsets[i + 1] - first) / value_bytes;
            }
        }
        if (bad) {
            column_offsets.resize(old_size);
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t length = static_cast<std::int64_t>(offsets[i + 1]) - offsets[i];
                if (length < 0 || length % item_bytes != 0)
                    failBasket(basket, static_cast<std::size_t>(offsets[i]),
                               fmt::format("entry {} spans {} bytes, not a multiple of the "
                                           "{}-byte item",
                                           i, length, item));
            }
        }
        const auto num_values = static_cast<std::size_t>(offsets[n] - first) / value_size;
        T* dst = growValues<T>(out, num_values);
        codec_.decode(basket.data.data() + first, dst, num_values);
    }

    Codec codec_;
    std::size_t values_per_item_;
    bool counted_;
    std::string description_;
};

class CharStarInterpretation final : public Interpretation {
public:
    InterpretationKind kind() const override { return InterpretationKind::String; }
    std::string describe() const override { return "char*"; }
    Column makeColumn() const override { return Column(DType::String); }

    void decode(const BasketData& basket, Column& out) const override {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        const bool has_offsets = !offsets.empty();
        if (has_offsets && offsets.size() != n + 1)
            failBasket(basket, 0, "string basket with a short entry-offset array");
        ByteReader reader = basket.reader();
        for (std::size_t i = 0; i < n; ++i) {
            if (has_offsets) reader.seek(static_cast<std::size_t>(offsets[i]));
            const std::size_t start = reader.position();
            const std::size_t end =
                has_offsets ? static_cast<std::size_t>(offsets[i + 1]) : basket.data.size();
            std::size_t length = reader.read<std::uint8_t>();
            if (length == kLongStringMarker) length = reader.read<std::uint32_t>();
            if (length > end - std::min(end, reader.position()))
                reader.failAt(start, fmt::format("string of {} bytes overruns entry {} ({} bytes)",
                                                 length, i, end - start));
            const auto chars = reader.readBytes(length);
            if (has_offsets && reader.position() != end)
                reader.failAt(start, fmt::format("entry {} holds {} bytes after its {}-byte string",
                                                 i, end - reader.position(), length));
            out.appendString(
                std::string_view(reinterpret_cast<const char*>(chars.data()), chars.size()));
        }
        if (!has_offsets && !reader.atEnd())
            reader.fail(fmt::format("{} bytes left after the last string", reader.remaining()));
    }
};

class LeafListInterpretation final : public Interpretation {
public:
    struct Member {
        std::string name;  // ".x": appended to the branch name it gives "leaflist.x"
        std::unique_ptr<Interpretation> interpretation;
        const StridedDecoder* decoder = nullptr;
        std::size_t offset = 0;  // within an entry
    };

    explicit LeafListInterpretation(std::vector<Member> members) : members_(std::move(members)) {
        for (const auto& member : members_) stride_ += member.decoder->entryBytes();
    }

    InterpretationKind kind() const override { return InterpretationKind::Object; }
    std::string describe() const override {
        std::string text = "struct{";
        for (std::size_t i = 0; i < members_.size(); ++i)
            text += fmt::format("{}{}: {}", i ? ", " : "", members_[i].name.substr(1),
                                members_[i].interpretation->describe());
        return text + "}";
    }
    Column makeColumn() const override {
        Column column(DType::Struct);
        for (const auto& member : members_)
            column.members().emplace_back(member.name, member.interpretation->makeColumn());
        return column;
    }

    void decode(const BasketData& basket, Column& out) const override {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        if (basket.data.size() % stride_ != 0 || basket.data.size() / stride_ != n)
            failBasket(basket, 0,
                       fmt::format("leaf-list basket of {} entries of {} bytes holds {} bytes", n,
                                   stride_, basket.data.size()));
        HEPFLOW_ASSERT(out.members().size() == members_.size(), "column from makeColumn()");
        for (std::size_t m = 0; m < members_.size(); ++m)
            members_[m].decoder->decodeStrided(basket.data, members_[m].offset, n, stride_,
                                               out.members()[m].second);
        out.setStructLength(out.length() + basket.num_entries);
    }

private:
    std::vector<Member> members_;
    std::size_t stride_ = 0;
};

class NoDataInterpretation final : public Interpretation {
public:
    explicit NoDataInterpretation(std::string description) : description_(std::move(description)) {}
    InterpretationKind kind() const override { return InterpretationKind::NoData; }
    std::string describe() const override { return description_; }
    Column makeColumn() const override { return Column(DType::Struct); }
    void decode(const BasketData&, Column&) const override {}

private:
    std::string description_;
};

UnsupportedError unsupported(const TBranch& branch, std::string message) {
    UnsupportedError error(std::move(message));
    error.setObject(branchPath(branch));
    return error;
}

bool isTruncatedFloatLeaf(const TLeaf& leaf) {
    return leaf.class_name == "TLeafF16" || leaf.class_name == "TLeafD32";
}

// "[3]", "[nMuon]", "[2][3]": the dimensions written in the leaf title ("x[3]"), without the
// Float16_t range a TLeafF16 title carries after a slash ("x[3]/[0,1,10]").
std::string leafDimensions(const TLeaf& leaf) {
    const std::string& title = leaf.fTitle;
    const std::size_t left = title.find('[');
    const std::size_t slash = title.find('/');
    if (left != std::string::npos && left > 0 && (slash == std::string::npos || left < slash))
        return title.substr(left, slash == std::string::npos ? std::string::npos : slash - left);
    if (leaf.fLeafCount) return "[" + leaf.fLeafCount->fName + "]";
    return leaf.fLen > 1 ? fmt::format("[{}]", leaf.fLen) : "";
}

// The interpretation of one numeric leaf (alone in its branch or a leaf-list member).
std::unique_ptr<Interpretation> numericLeaf(const TLeaf& leaf, bool counted) {
    const DType dtype = leafDType(leaf);
    if (leaf.fLen < 1)
        throw UnsupportedError(fmt::format("leaf '{}' has fLen {}", leaf.fName, leaf.fLen));
    const std::string dims = leafDimensions(leaf);
    if (isTruncatedFloatLeaf(leaf)) {
        const bool is_float16 = leaf.class_name == "TLeafF16";
        const auto spec = TruncatedFloatSpec::fromRange(is_float16, leaf.range_min, leaf.range_max,
                                                        leaf.range_bits);
        const std::string description = fmt::format(
            "{}{} as {}", is_float16 ? "Float16_t" : "Double32_t", dims, frame::dtypeName(dtype));
        return makeTruncatedFloatInterpretation(dtype, spec, leaf.fLen, counted, description);
    }
    return makeNumericInterpretation(dtype, leaf.fLen, counted,
                                     std::string(frame::dtypeName(dtype)) + dims);
}

std::unique_ptr<Interpretation> leafList(const TBranch& branch) {
    std::vector<LeafListInterpretation::Member> members;
    std::size_t offset = 0;
    for (const auto& leaf : branch.fLeaves) {
        if (leaf->fLeafCount)
            throw UnsupportedError(
                fmt::format("leaf list with the counted leaf '{}'", leaf->fName));
        if (leaf->class_name == "TLeafC")
            throw UnsupportedError(fmt::format("leaf list with the char* leaf '{}'", leaf->fName));
        LeafListInterpretation::Member member;
        member.name = "." + leaf->fName;
        member.interpretation = numericLeaf(*leaf, false);
        member.decoder = dynamic_cast<const StridedDecoder*>(member.interpretation.get());
        HEPFLOW_ASSERT(member.decoder != nullptr, "numeric interpretations decode strided");
        member.offset = offset;
        offset += member.decoder->entryBytes();
        members.push_back(std::move(member));
    }
    return std::make_unique<LeafListInterpretation>(std::move(members));
}

}  // namespace

std::string_view interpretationKindName(InterpretationKind kind) {
    switch (kind) {
        case InterpretationKind::Flat: return "flat";
        case InterpretationKind::Jagged: return "jagged";
        case InterpretationKind::String: return "string";
        case InterpretationKind::Object: return "object";
        case InterpretationKind::NoData: return "no data";
    }
    return "?";
}

TruncatedFloatSpec TruncatedFloatSpec::fromRange(bool is_float16, double xmin, double xmax,
                                                 int nbits) {
    if (nbits > 0 && xmin < xmax)
        return scaledSpec(xmin, floatRangeFactor(xmin, xmax, nbits), nbits);
    return specWithoutFactor(is_float16, nbits);
}

TruncatedFloatSpec TruncatedFloatSpec::fromElement(bool is_float16,
                                                   const StreamerElement* element) {
    if (element != nullptr && element->factor > 0)
        return scaledSpec(element->xmin, element->factor, element->nbits);
    // Without a factor, GetRange leaves the truncation bits in xmin ("nbits + 0.1"); the range
    // check keeps a corrupt xmin from overflowing the conversion to int.
    const double bits = element != nullptr ? element->xmin : 0;
    return specWithoutFactor(is_float16,
                             bits > 0 && bits < kMaxTruncatedBits ? static_cast<int>(bits) : 0);
}

void TruncatedFloatSpec::decode(const std::byte* src, float* out, std::size_t n) const {
    decodeTruncatedFloats(*this, src, out, n);
}
void TruncatedFloatSpec::decode(const std::byte* src, double* out, std::size_t n) const {
    decodeTruncatedFloats(*this, src, out, n);
}

void throwNoNumericType(DType dtype) {
    throw InternalError(fmt::format("no numeric decoder for dtype {}", frame::dtypeName(dtype)));
}

std::unique_ptr<Interpretation> makeNumericInterpretation(DType dtype, std::int32_t values_per_item,
                                                          bool counted, std::string description) {
    HEPFLOW_ASSERT(values_per_item >= 1, "at least one value per item");
    return visitNumericDType(dtype, [&](auto tag) -> std::unique_ptr<Interpretation> {
        using T = typename decltype(tag)::type;
        return std::make_unique<NumericInterpretation<T, PlainCodec<T>>>(
            PlainCodec<T>{}, values_per_item, counted, std::move(description));
    });
}

std::unique_ptr<Interpretation> makeTruncatedFloatInterpretation(DType dtype,
                                                                 const TruncatedFloatSpec& spec,
                                                                 std::int32_t values_per_item,
                                                                 bool counted,
                                                                 std::string description) {
    HEPFLOW_ASSERT(values_per_item >= 1, "at least one value per item");
    if (dtype == DType::Float32)
        return std::make_unique<NumericInterpretation<float, TruncatedFloatCodec<float>>>(
            TruncatedFloatCodec<float>{spec}, values_per_item, counted, std::move(description));
    HEPFLOW_ASSERT(dtype == DType::Float64, "Float16_t/Double32_t decode to float32/float64");
    return std::make_unique<NumericInterpretation<double, TruncatedFloatCodec<double>>>(
        TruncatedFloatCodec<double>{spec}, values_per_item, counted, std::move(description));
}

std::unique_ptr<Interpretation> makeCharStarInterpretation() {
    return std::make_unique<CharStarInterpretation>();
}

std::unique_ptr<Interpretation> makeNoDataInterpretation(std::string description) {
    return std::make_unique<NoDataInterpretation>(std::move(description));
}

DType leafDType(const TLeaf& leaf) {
    const std::string& cls = leaf.class_name;
    const bool u = leaf.fIsUnsigned;
    if (cls == "TLeafO") return DType::Bool;
    if (cls == "TLeafB") return u ? DType::UInt8 : DType::Int8;
    if (cls == "TLeafS") return u ? DType::UInt16 : DType::Int16;
    if (cls == "TLeafI") return u ? DType::UInt32 : DType::Int32;
    // TLeafG holds Long_t, which ROOT always writes as 8 bytes.
    if (cls == "TLeafL" || cls == "TLeafG") return u ? DType::UInt64 : DType::Int64;
    if (cls == "TLeafF" || cls == "TLeafF16") return DType::Float32;
    if (cls == "TLeafD" || cls == "TLeafD32") return DType::Float64;
    throw UnsupportedError(
        fmt::format("leaf '{}' of class {} has no basic value type", leaf.fName, cls));
}

std::unique_ptr<Interpretation> interpretLeafBranch(const TBranch& branch) {
    const auto& leaves = branch.fLeaves;
    if (leaves.empty())
        return makeNoDataInterpretation(
            branch.fBranches.empty() ? "no leaves"
                                     : fmt::format("{} sub-branches", branch.fBranches.size()));
    try {
        for (const auto& leaf : leaves)
            if (!leaf) throw UnsupportedError("a leaf of a class hepflow does not model");
        if (leaves.size() > 1) return leafList(branch);
        const TLeaf& leaf = *leaves.front();
        if (leaf.class_name == "TLeafC") {
            if (leaf.fLeafCount) throw UnsupportedError("counted array of char* strings");
            return makeCharStarInterpretation();
        }
        return numericLeaf(leaf, leaf.fLeafCount != nullptr);
    } catch (UnsupportedError& error) {
        error.setObject(branchPath(branch));
        throw;
    }
}

std::unique_ptr<Interpretation> interpretBranch(const TBranch& branch,
                                                const InterpretationContext& context) {
    if (!branch.is_element) return interpretLeafBranch(branch);
    // TBranchElement / TBranchObject: decoded from the streamer infos, last, so that a plain
    // TBranch never depends on them.
    if (auto interpretation = interpretElementBranch(branch, context)) return interpretation;
    throw unsupported(
        branch, fmt::format("{} of class '{}' (fType {}, fStreamerType {})", branch.class_name,
                            branch.fClassName, branch.fType, branch.fStreamerType));
}

}  // namespace hepflow::root
