// One TBasket record as ROOT writes it to disk (ROOT-FORMAT.md 7.1, 9.4): a big key header
// (version 1004, as ROOT writes every basket key), the 19-byte basket header, then the entries
// and, for variable-size branches, the entry-offset array, compressed unless that fails to shrink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "root/compression/compression.h"
#include "root/writer/basket_builder.h"

namespace hepflow::root {

// ROOT's TTree::fDefaultEntryOffsetLen: the fEntryOffsetLen of variable-size branches (any
// value > 0 tells readers that baskets carry entry offsets).
inline constexpr std::int32_t kEntryOffsetLen = 1000;

// What a basket key says besides the contents.
struct BasketKeyInfo {
    std::string branch_name;  // key fName
    std::string tree_name;    // key fTitle
    std::uint32_t datime = 0;
    std::uint64_t seek_pdir = 0;   // the directory record holding the tree
    std::int32_t basket_size = 0;  // the branch's fBasketSize (fBufferSize floor)
    bool entry_offsets = false;    // the branch's fEntryOffsetLen > 0
    std::int32_t entry_size = 0;   // fixed-size branches: bytes per entry (fNevBufSize)
};

// A basket record ready to be placed: everything but fSeekKey. Header and payload are kept
// apart so that neither is copied again (they are written back to back).
struct EncodedBasket {
    std::vector<std::byte> header;  // key header + basket header (fKeylen bytes)
    ByteBuffer payload;             // stored payload: compressed, or raw when that is smaller
    std::int32_t keylen = 0;
    std::int32_t objlen = 0;  // uncompressed payload
    std::int64_t first_entry = 0;
    std::int64_t num_entries = 0;
    int slot = 0;

    std::int32_t nbytes() const {
        return static_cast<std::int32_t>(header.size() + payload.size());
    }
};

// fKeylen of a basket key with these names: 34 (big key) + the three TStrings + 19.
std::int32_t basketKeylen(const BasketKeyInfo& info);

// Serializes and compresses one basket, consuming its contents; the compressed payload's buffer
// comes from `pool` (thread-safe: the pool is the only shared state).
EncodedBasket encodeBasket(BasketContent&& content, const BasketKeyInfo& info,
                           CompressionSetting compression, BufferPool& pool);

// Fills in fSeekKey once the record's offset is known.
void setBasketSeek(EncodedBasket& basket, std::uint64_t seek_key);

}  // namespace hepflow::root
