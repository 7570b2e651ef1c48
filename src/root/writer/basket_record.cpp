// Building TBasket records: big key header, basket header, entry offsets from the key start,
// and compression (raw when it does not shrink, as ROOT decides per basket).
#include "root/writer/basket_record.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "root/key.h"
#include "root/writer/byte_writer.h"

namespace hepflow::root {

namespace {

constexpr std::int16_t kBigKeyVersion = 1004;
// TBasket class version written by ROOT 6.14 and later (ROOT-FORMAT.md 6.1).
constexpr std::int16_t kBasketVersion = 3;
// int16 version, int32 fBufferSize, fNevBufSize, fNevBuf, fLast, uint8 flag.
constexpr std::int32_t kBasketHeaderSize = 19;
// Offset of fSeekKey in a big key header.
constexpr std::size_t kSeekKeyPosition = 18;

}  // namespace

std::int32_t basketKeylen(const BasketKeyInfo& info) {
    const std::size_t strings = tstringSize(std::string_view("TBasket").size()) +
                                tstringSize(info.branch_name.size()) +
                                tstringSize(info.tree_name.size());
    return static_cast<std::int32_t>(kBigKeyFixedSize + strings) + kBasketHeaderSize;
}

EncodedBasket encodeBasket(BasketContent&& content, const BasketKeyInfo& info,
                           CompressionSetting compression, BufferPool& pool) {
    const std::int32_t keylen = basketKeylen(info);
    const auto data_size = static_cast<std::int32_t>(content.data.size());
    const auto nev = static_cast<std::int32_t>(content.num_entries);

    // Payload: the entries, then (variable-size branches) int32 n = fNevBuf + 1 and the
    // offsets from the key start. ROOT leaves the closing offset 0; we store the true end, as
    // uproot does (readers take the end of the last entry from fLast either way).
    ByteBuffer payload = std::move(content.data);
    if (info.entry_offsets) {
        const auto& entry_offsets = content.entry_offsets;
        HEPFLOW_ASSERT(entry_offsets.size() == 4 * static_cast<std::size_t>(nev),
                       "one entry offset per entry");
        const std::size_t position = payload.size();
        payload.resize(position + 4 + entry_offsets.size() + 4);
        std::byte* out = payload.data() + position;
        storeBigEndian<std::int32_t>(out, nev + 1);
        if (!entry_offsets.empty())
            std::memcpy(out + 4, entry_offsets.data(), entry_offsets.size());
        storeBigEndian<std::int32_t>(out + 4 + entry_offsets.size(), keylen + data_size);
        pool.give(std::move(content.entry_offsets));
    }
    const auto objlen = static_cast<std::int32_t>(payload.size());
    // Stored raw when compressing does not shrink it (compressPayloadInto returns 0).
    if (compression.level > 0 && compression.algorithm != CompressionAlgorithm::None) {
        ByteBuffer stored = pool.take();
        stored.resize(payload.size());
        const std::size_t size = compressPayloadInto(payload, compression, stored);
        if (size > 0) {
            stored.resize(size);
            // The uncompressed buffer serves the next basket right away.
            pool.give(std::move(payload));
            payload = std::move(stored);
        } else {
            pool.give(std::move(stored));
        }
    }
    const auto stored_size = static_cast<std::int32_t>(payload.size());

    ByteWriter key;
    key.reserve(static_cast<std::size_t>(keylen));
    key.write<std::int32_t>(keylen + stored_size);
    key.write<std::int16_t>(kBigKeyVersion);
    key.write<std::int32_t>(objlen);
    key.write<std::uint32_t>(info.datime);
    key.write<std::int16_t>(static_cast<std::int16_t>(keylen));
    // ROOT stores the basket's slot as the cycle (a Short_t: it wraps past 32767).
    key.write<std::int16_t>(static_cast<std::int16_t>(content.slot));
    key.write<std::int64_t>(0);  // fSeekKey, set when placed
    key.write<std::int64_t>(static_cast<std::int64_t>(info.seek_pdir));
    key.writeTString("TBasket");
    key.writeTString(info.branch_name);
    key.writeTString(info.tree_name);
    key.write<std::int16_t>(kBasketVersion);
    key.write<std::int32_t>(std::max(info.basket_size, keylen + objlen));  // fBufferSize
    // fNevBufSize: the entry size of fixed-size branches (readers locate entry i at
    // fKeylen + i * fNevBufSize); for variable ones the capacity of the offset array.
    key.write<std::int32_t>(info.entry_offsets ? std::max(kEntryOffsetLen, nev + 1)
                                               : info.entry_size);
    key.write<std::int32_t>(nev);
    key.write<std::int32_t>(keylen + data_size);  // fLast
    key.write<std::uint8_t>(0);                   // header only: the data follow as payload
    HEPFLOW_ASSERT(key.position() == static_cast<std::size_t>(keylen), "basket key length");

    EncodedBasket basket;
    basket.header = key.release();
    basket.payload = std::move(payload);
    basket.keylen = keylen;
    basket.objlen = objlen;
    basket.first_entry = content.first_entry;
    basket.num_entries = content.num_entries;
    basket.slot = content.slot;
    content = BasketContent{};
    return basket;
}

void setBasketSeek(EncodedBasket& basket, std::uint64_t seek_key) {
    storeBigEndian<std::int64_t>(basket.header.data() + kSeekKeyPosition,
                                 static_cast<std::int64_t>(seek_key));
}

}  // namespace hepflow::root
