// One TBasket: the key header with ROOT's 19 extra basket bytes, the payload decompressed to
// fObjlen bytes, and its split into the data part and the entry-offset array (ROOT-FORMAT.md
// 7.1, 7.4). Everything is validated before any value is decoded, so corrupt baskets throw
// FormatError with the file, the branch and the absolute offset instead of decoding garbage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "root/byte_reader.h"
#include "root/compression/compression.h"
#include "root/key.h"
#include "root/tree/interpretation.h"

namespace hepflow::root {

// The TBasket fields after the key header (part of fKeylen).
struct BasketHeader {
    Key key;
    std::int16_t fVersion = 0;
    std::int32_t fBufferSize = 0;
    std::int32_t fNevBufSize = 0;  // entry size in bytes for fixed-size entries
    std::int32_t fNevBuf = 0;      // entries in the basket
    std::int32_t fLast = 0;        // fKeylen + length of the data part
    std::uint8_t flag = 0;         // 0 on disk; what follows inside a TTree record (7.4)
};

// Parses a basket's key header (readKeyHeader) and basket fields at the reader's position and
// checks them: fKeylen covers them, fNevBuf >= 0, fLast within [fKeylen, fKeylen + fObjlen] (on
// disk). `embedded`: a basket inside a TTree record, whose key has fNbytes = 0 and whose fObjlen
// is a capacity (KeyCheck::Embedded). Throws FormatError with the reader's context,
// UnsupportedError for TBasket versions other than 1-3 and for negative fNevBufSize (ROOT's
// generated offset maps).
BasketHeader readBasketHeader(ByteReader& reader, bool embedded);

// Turns ROOT's entry offsets (`raw`, at least `num_entries` values, measured from the key start,
// the closing one unreliable) into num_entries + 1 offsets relative to the data part, the last
// one being fLast - fKeylen. Checks every offset lies in the data part and that they never
// decrease; on failure throws FormatError at `position` of `reader`.
std::vector<std::int32_t> relativeEntryOffsets(std::span<const std::int32_t> raw,
                                               std::int32_t keylen, std::int32_t last,
                                               std::int32_t num_entries, const ByteReader& reader,
                                               std::size_t position);

// Where an on-disk basket lives, for reading and for error messages.
struct BasketLocation {
    std::string file;    // URL of the file
    std::string branch;  // branch path
    int index = 0;       // slot in fBasketSeek
    std::uint64_t seek = 0;
    // The branch's fEntryOffsetLen > 0: the payload carries an entry-offset array after fLast.
    bool has_entry_offsets = false;

    // "branch Muon_pt basket 3", the object named in errors.
    std::string objectName() const;
};

// How Basket::readView treats the entry-offset array: converted to offsets relative to the
// data part and checked, all of them (what every decoder reads); left as stored for a reader of
// a few entries, who converts and checks those (BasketData::stored_entry_offsets); or not read
// at all, the caller giving the offsets (a counted array's, from its counter branch), so that
// only the data part is decompressed.
enum class EntryOffsets { Converted, Deferred, Given };

// A decompressed on-disk basket. Move-only; data() and entryOffsets() views live as long as it.
class Basket {
public:
    // Parses and decompresses a basket record: `record` holds the fBasketBytes[index] bytes read
    // at where.seek (taken over, so a raw payload is not copied). Checks the key (class TBasket,
    // fNbytes equal to the record size, fSeekKey equal to where.seek), the compression blocks
    // (their declared sizes must add up to fObjlen before anything is allocated) and the entry
    // offsets. Throws FormatError / UnsupportedError naming file, branch and absolute offset.
    static Basket read(std::vector<std::byte> record, const BasketLocation& where);
    // The same checks, but the record stays with the caller (it must outlive the basket) and a
    // compressed payload goes into `scratch`, which only ever grows so that one thread can reuse
    // it for all its baskets without refilling it; the basket views `scratch` until it changes.
    // With EntryOffsets::Given, `given` holds the counter's running sums over the basket's
    // entries (numEntries() + 1, never decreasing), which times `item_bytes` must span the data
    // part exactly (else FormatError); it must outlive the basket (BasketData::running_counts).
    static Basket readView(std::span<const std::byte> record, const BasketLocation& where,
                           std::vector<std::byte>& scratch,
                           EntryOffsets offsets = EntryOffsets::Converted,
                           std::span<const std::int32_t> given = {}, std::int64_t item_bytes = 0);

    Basket(Basket&&) = default;
    Basket& operator=(Basket&&) = default;
    Basket(const Basket&) = delete;
    Basket& operator=(const Basket&) = delete;

    const BasketHeader& header() const { return header_; }
    // Algorithm of the first compression block, None for a raw payload.
    CompressionAlgorithm compression() const { return compression_; }
    std::int64_t numEntries() const { return header_.fNevBuf; }
    // The data part: fLast - fKeylen bytes.
    std::span<const std::byte> data() const { return bytes_.subspan(data_begin_, data_size_); }
    // numEntries() + 1 offsets relative to data(), or empty for a branch without offsets (and
    // for deferred or given ones, which view() passes on as they are).
    std::span<const std::int32_t> entryOffsets() const {
        return {entry_offsets_.get(), num_entry_offsets_};
    }
    // The view an Interpretation decodes; valid while this basket lives.
    BasketData view() const;

private:
    Basket() = default;
    // read and readView: `scratch` null means the payload gets its own storage_.
    static Basket parse(std::span<const std::byte> record, const BasketLocation& where,
                        std::vector<std::byte>* scratch, EntryOffsets offsets,
                        std::span<const std::int32_t> given, std::int64_t item_bytes);

    BasketHeader header_;
    CompressionAlgorithm compression_ = CompressionAlgorithm::None;
    std::vector<std::byte> storage_;    // the raw record, or the decompressed payload
    std::span<const std::byte> bytes_;  // storage_, the caller's record or its scratch buffer
    std::size_t data_begin_ = 0;
    std::size_t data_size_ = 0;
    // Not a vector: filled right after allocation, so zeroing it first would be wasted work.
    std::unique_ptr<std::int32_t[]> entry_offsets_;
    std::size_t num_entry_offsets_ = 0;
    std::span<const std::byte> stored_entry_offsets_;  // EntryOffsets::Deferred: as stored
    std::span<const std::int32_t> running_counts_;     // EntryOffsets::Given
    std::int64_t counted_item_bytes_ = 0;
    ByteOrigin data_origin_;  // context of data()[0] for decode errors
};

// Compression algorithm of a basket from a prefix of its record (enough bytes for the key
// header and the first block header; a whole record works too). None when stored raw. Throws
// FormatError when the prefix is too short or the header corrupt.
CompressionAlgorithm peekBasketCompression(std::span<const std::byte> prefix,
                                           const BasketLocation& where);

}  // namespace hepflow::root
