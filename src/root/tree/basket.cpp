// Basket records: header checks, decompression and the entry-offset array. The key part of a
// basket header is read by readKeyHeader; baskets inside a TTree record use its Embedded check,
// since they legitimately carry fNbytes = 0 and a capacity in fObjlen (ROOT-FORMAT.md 7.4).
#include "root/tree/basket.h"

#include <limits>

#include <fmt/format.h>

#include "common/error.h"
#include "root/tree/detail/counted_offsets.h"

namespace hepflow::root {

namespace {

constexpr std::int16_t kMinBasketVersion = 1;
constexpr std::int16_t kMaxBasketVersion = 3;

}  // namespace

std::string BasketLocation::objectName() const {
    return fmt::format("branch {} basket {}", branch, index);
}

BasketHeader readBasketHeader(ByteReader& reader, bool embedded) {
    const std::size_t start = reader.position();
    BasketHeader header;
    header.key = readKeyHeader(reader, embedded ? KeyCheck::Embedded : KeyCheck::Strict);
    const Key& key = header.key;
    const std::size_t version_position = reader.position();
    header.fVersion = reader.read<std::int16_t>();
    header.fBufferSize = reader.read<std::int32_t>();
    header.fNevBufSize = reader.read<std::int32_t>();
    if (header.fNevBufSize < 0) {
        reader.failAt<UnsupportedError>(
            version_position,
            "TBasket with I/O features (negative fNevBufSize: ROOT's generated offset map)");
    }
    header.fNevBuf = reader.read<std::int32_t>();
    header.fLast = reader.read<std::int32_t>();
    header.flag = reader.read<std::uint8_t>();

    if (header.fVersion < kMinBasketVersion || header.fVersion > kMaxBasketVersion) {
        reader.failAt<UnsupportedError>(
            version_position, fmt::format("TBasket version {} is not supported (known: {} to {})",
                                          header.fVersion, kMinBasketVersion, kMaxBasketVersion));
    }
    const std::size_t header_bytes = reader.position() - start;
    if (static_cast<std::size_t>(key.fKeylen) < header_bytes)
        reader.failAt(start, fmt::format("basket key has fKeylen {} but its header takes {} bytes",
                                         key.fKeylen, header_bytes));
    if (header.fNevBuf < 0)
        reader.failAt(version_position,
                      fmt::format("basket has a negative entry count {}", header.fNevBuf));
    if (header.fLast < key.fKeylen)
        reader.failAt(version_position, fmt::format("basket fLast {} is below its fKeylen {}",
                                                    header.fLast, key.fKeylen));
    if (!embedded && static_cast<std::int64_t>(header.fLast) - key.fKeylen > key.fObjlen)
        reader.failAt(version_position, fmt::format("basket data ends at fLast {} beyond its "
                                                    "payload of {} bytes after fKeylen {}",
                                                    header.fLast, key.fObjlen, key.fKeylen));
    return header;
}

namespace {

// relativeEntryOffsets in place: out[0, num_entries) holds ROOT's offsets (native order) and
// becomes the relative ones, out[num_entries] the closing one.
void makeEntryOffsetsRelative(std::int32_t* out, std::int32_t keylen, std::int32_t last,
                              std::int32_t num_entries, const ByteReader& reader,
                              std::size_t position) {
    HEPFLOW_ASSERT(num_entries >= 0 && keylen >= 0 && last >= keylen,
                   "readBasketHeader checks 0 <= fKeylen <= fLast and fNevBuf >= 0");
    const std::int32_t data_size = last - keylen;
    const auto unsigned_keylen = static_cast<std::uint32_t>(keylen);
    // Two passes the compiler vectorizes (no exit, no carried value): the offsets in wrapping
    // unsigned arithmetic, then the checks on them. An offset below keylen wraps to more than
    // data_size (which is below 2^31 - keylen), so one unsigned comparison checks both ends;
    // the order check only matters once all lie in range. The flags are ints, not bools: GCC
    // vectorizes an int OR-reduction of compares. The loop below only runs to name a bad entry.
    for (std::int32_t i = 0; i < num_entries; ++i)
        out[i] = static_cast<std::int32_t>(static_cast<std::uint32_t>(out[i]) - unsigned_keylen);
    const auto limit = static_cast<std::uint32_t>(data_size);
    int bad = num_entries > 0 && static_cast<std::uint32_t>(out[0]) > limit ? 1 : 0;
    for (std::int32_t i = 1; i < num_entries; ++i)
        bad |= static_cast<int>(static_cast<std::uint32_t>(out[i]) > limit) |
               static_cast<int>(out[i] < out[i - 1]);
    std::int32_t previous = 0;
    for (std::int32_t i = 0; bad != 0 && i < num_entries; ++i) {
        // The subtraction wraps back exactly: ROOT's value as stored.
        const auto raw =
            static_cast<std::int32_t>(static_cast<std::uint32_t>(out[i]) + unsigned_keylen);
        const std::int64_t offset = static_cast<std::int64_t>(raw) - keylen;
        if (offset < previous || offset > data_size)
            reader.failAt(position + 4 * static_cast<std::size_t>(i),
                          fmt::format("entry offset {} of entry {} lies outside [{}, {}] (data "
                                      "part after fKeylen {}, previous entry)",
                                      raw, i, previous + keylen, last, keylen));
        previous = static_cast<std::int32_t>(offset);
    }
    // ROOT leaves the closing offset 0: the data part ends at fLast.
    out[num_entries] = data_size;
}

}  // namespace

std::vector<std::int32_t> relativeEntryOffsets(std::span<const std::int32_t> raw,
                                               std::int32_t keylen, std::int32_t last,
                                               std::int32_t num_entries, const ByteReader& reader,
                                               std::size_t position) {
    HEPFLOW_ASSERT(num_entries >= 0 && raw.size() >= static_cast<std::size_t>(num_entries),
                   "caller checks the offset array length");
    std::vector<std::int32_t> out(raw.begin(), raw.begin() + num_entries);
    out.push_back(0);
    makeEntryOffsetsRelative(out.data(), keylen, last, num_entries, reader, position);
    return out;
}

Basket Basket::read(std::vector<std::byte> record, const BasketLocation& where) {
    Basket basket = parse(record, where, nullptr, EntryOffsets::Converted, {}, 0);
    // Moving the vector keeps its buffer, which a raw basket's bytes_ points into.
    if (!basket.header_.key.isCompressed()) basket.storage_ = std::move(record);
    return basket;
}

Basket Basket::readView(std::span<const std::byte> record, const BasketLocation& where,
                        std::vector<std::byte>& scratch, EntryOffsets offsets,
                        std::span<const std::int32_t> given, std::int64_t item_bytes) {
    return parse(record, where, &scratch, offsets, given, item_bytes);
}

Basket Basket::parse(std::span<const std::byte> record, const BasketLocation& where,
                     std::vector<std::byte>* scratch, EntryOffsets offsets,
                     std::span<const std::int32_t> given, std::int64_t item_bytes) {
    Basket basket;
    ByteOrigin record_origin{where.file, where.objectName(), where.seek, false, 0};
    ByteReader reader(record, record_origin);
    basket.header_ = readBasketHeader(reader, /*embedded=*/false);
    const Key& key = basket.header_.key;
    if (key.fClassName != "TBasket")
        reader.failAt(0, fmt::format("expected a TBasket key, found class '{}'", key.fClassName));
    if (static_cast<std::size_t>(key.fNbytes) != record.size())
        reader.failAt(0, fmt::format("basket key says fNbytes = {} but the branch lists {} bytes "
                                     "(fBasketBytes)",
                                     key.fNbytes, record.size()));
    if (key.fSeekKey != where.seek)
        reader.failAt(0, fmt::format("basket key says it is at byte {} (fSeekKey) but the branch "
                                     "points to {}",
                                     key.fSeekKey, where.seek));

    const auto keylen = static_cast<std::size_t>(key.fKeylen);
    const std::uint64_t payload_offset = where.seek + keylen;
    const auto stored = record.subspan(keylen);
    std::size_t payload_begin = 0;  // within storage_
    if (key.isCompressed()) {
        basket.compression_ = detectBlockAlgorithm(stored);
        try {
            // The declared sizes must add up to fObjlen before fObjlen bytes are allocated.
            const std::uint64_t declared = declaredUncompressedSize(
                stored, std::numeric_limits<std::uint64_t>::max(), payload_offset);
            if (declared != static_cast<std::uint64_t>(key.fObjlen))
                throwAt<FormatError>(fmt::format("compression blocks declare {} uncompressed "
                                                 "bytes but the basket key says fObjlen = {}",
                                                 declared, key.fObjlen),
                                     where.file, where.objectName(), payload_offset);
            const auto objlen = static_cast<std::size_t>(key.fObjlen);
            std::span<std::byte> payload;
            if (scratch != nullptr) {
                if (scratch->size() < objlen) scratch->resize(objlen);
                payload = std::span<std::byte>(*scratch).first(objlen);
            } else {
                basket.storage_.resize(objlen);
                payload = basket.storage_;
            }
            if (offsets == EntryOffsets::Given)
                decompressPayloadPrefix(stored, payload, payload_offset,
                                        static_cast<std::size_t>(basket.header_.fLast) - keylen);
            else
                decompressPayload(stored, payload, payload_offset);
            basket.bytes_ = payload;
        } catch (Error& error) {
            error.at(where.file, where.objectName());
            throw;
        }
    } else {
        basket.bytes_ = record;
        payload_begin = keylen;
    }
    const std::size_t payload_size = static_cast<std::size_t>(key.fObjlen);
    const std::size_t data_size = static_cast<std::size_t>(basket.header_.fLast) - keylen;
    basket.data_begin_ = payload_begin;
    basket.data_size_ = data_size;
    basket.data_origin_ =
        ByteOrigin{where.file, where.objectName(), key.isCompressed() ? where.seek : payload_offset,
                   key.isCompressed(), key.fKeylen};

    if (offsets == EntryOffsets::Given) {
        // The counter's sums replace the stored array, which was not even decompressed.
        const auto entries = static_cast<std::size_t>(basket.header_.fNevBuf);
        if (given.size() != entries + 1 ||
            !detail::countsSpanData(given, item_bytes, static_cast<std::int64_t>(data_size)))
            throwAt<FormatError>(
                fmt::format("the counter branch gives {} running counts of {}-byte items to the "
                            "basket's {} entries, whose data part holds {} bytes",
                            given.size(), item_bytes, entries, data_size),
                where.file, where.objectName(), where.seek);
        basket.running_counts_ = given;
        basket.counted_item_bytes_ = item_bytes;
        return basket;
    }
    // The entry-offset array: int32 n, then n offsets from the key start (7.1).
    if (where.has_entry_offsets && payload_size > data_size) {
        const auto payload = basket.bytes_.subspan(payload_begin, payload_size);
        ByteReader tail(payload, basket.data_origin_);
        tail.seek(data_size);
        const std::size_t count_position = tail.position();
        const auto n = tail.read<std::int32_t>();
        const std::int32_t entries = basket.header_.fNevBuf;
        if (n < entries || static_cast<std::uint64_t>(n) > tail.remaining() / 4)
            tail.failAt(count_position,
                        fmt::format("entry-offset array of {} values for {} entries ({} bytes "
                                    "left in the payload)",
                                    n, entries, tail.remaining()));
        const auto count = static_cast<std::size_t>(entries);
        if (offsets == EntryOffsets::Deferred) {
            basket.stored_entry_offsets_ = payload.subspan(tail.position(), 4 * count);
            return basket;
        }
        // Converted straight from the payload's big-endian array: no staging copy.
        basket.entry_offsets_.reset(new std::int32_t[count + 1]);
        basket.num_entry_offsets_ = count + 1;
        tail.readArray<std::int32_t>(std::span<std::int32_t>(basket.entry_offsets_.get(), count));
        makeEntryOffsetsRelative(basket.entry_offsets_.get(), key.fKeylen, basket.header_.fLast,
                                 entries, tail, count_position + 4);
    }
    return basket;
}

BasketData Basket::view() const {
    BasketData data;
    data.data = this->data();
    data.entry_offsets = entryOffsets();
    data.stored_entry_offsets = stored_entry_offsets_;
    data.stored_offsets_origin = header_.key.fKeylen;
    data.running_counts = running_counts_;
    data.counted_item_bytes = counted_item_bytes_;
    data.num_entries = header_.fNevBuf;
    data.origin = data_origin_;
    return data;
}

CompressionAlgorithm peekBasketCompression(std::span<const std::byte> prefix,
                                           const BasketLocation& where) {
    ByteReader reader(prefix, ByteOrigin{where.file, where.objectName(), where.seek, false, 0});
    const BasketHeader header = readBasketHeader(reader, /*embedded=*/false);
    if (!header.key.isCompressed()) return CompressionAlgorithm::None;
    const auto keylen = static_cast<std::size_t>(header.key.fKeylen);
    if (prefix.size() < keylen + kCompressionBlockHeaderSize)
        reader.failAt(prefix.size(), "basket record too short for a compression block header");
    return detectBlockAlgorithm(prefix.subspan(keylen));
}

}  // namespace hepflow::root
