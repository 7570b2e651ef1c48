// How the bytes of one branch's baskets become a column. An interpretation is chosen once
// per branch when the tree is opened (never per entry) and then decodes whole baskets:
// flat numbers, counted arrays, strings, std::vector and STL containers, split objects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "frame/columns/column.h"
#include "root/byte_reader.h"
#include "root/streamer_info.h"
#include "root/tree/tree_model.h"

namespace hepflow::root {

enum class InterpretationKind { Flat, Jagged, String, Object, NoData };
std::string_view interpretationKindName(InterpretationKind kind);

// The decompressed contents of one basket, as an interpretation sees it.
struct BasketData {
    // The data part: from the end of the basket's key header (fKeylen) to fLast.
    std::span<const std::byte> data;
    // Byte offset of each entry's start relative to data[0], num_entries + 1 values (the
    // last equals data.size()); empty when the branch has fixed-size entries.
    std::span<const std::int32_t> entry_offsets;
    // Instead of entry_offsets, for a basket parsed with deferred entry offsets (Basket::readView
    // with EntryOffsets::Deferred): ROOT's array as stored, num_entries big-endian int32 counted
    // from the key start (stored_offsets_origin, its fKeylen), unchecked. Only the selective
    // decoding of counted arrays reads it, converting just the entries it keeps.
    std::span<const std::byte> stored_entry_offsets;
    std::int32_t stored_offsets_origin = 0;
    // Instead of both, for a counted array read with its counter (EntryOffsets::Given): the
    // counter's running sums over the basket's entries (num_entries + 1 values), so that entry
    // i's bytes start at (running_counts[i] - running_counts[0]) * counted_item_bytes. Checked
    // by the reader to end exactly at data.size(), and never decreasing.
    std::span<const std::int32_t> running_counts;
    std::int64_t counted_item_bytes = 0;
    std::int64_t num_entries = 0;
    // Error context and the reference origin (fKeylen) for object pointers in the data.
    ByteOrigin origin;
    ByteReader reader() const { return ByteReader(data, origin); }
};

// The bulk fast path of fixed-size numeric interpretations: rows of a basket decoded straight
// into storage the caller sized for a whole entry range, with no per-basket column.
class DirectDecoder {
public:
    virtual ~DirectDecoder() = default;
    // Values per entry when entries have a fixed size; 0 for counted arrays.
    virtual std::size_t fixedValuesPerEntry() const = 0;
    // For a counted array, the bytes on disk of one item (what one count of its counter stands
    // for); 0 when entries have a fixed size.
    virtual std::size_t countedItemBytes() const = 0;
    // Bytes of one value on disk and in the column.
    virtual std::size_t diskValueSize() const = 0;
    virtual std::size_t columnValueSize() const = 0;
    // Values in rows [begin, end) of the basket, from its entry offsets (counted arrays); nullopt
    // when the offsets are malformed (decodeRows then throws the error decode() would).
    virtual std::optional<std::size_t> countValues(const BasketData& basket, std::int64_t begin,
                                                   std::int64_t end) const = 0;
    // Decodes rows [begin, end) into `values` (room for exactly `num_values` values) and, for
    // jagged output, writes end - begin offsets (each row's end, plus `value_base`) to
    // `offsets`. Checks the basket as decode() does and throws the same errors; returns false
    // without writing values when the rows hold another number of values than `num_values`.
    virtual bool decodeRows(const BasketData& basket, std::int64_t begin, std::int64_t end,
                            std::byte* values, std::size_t num_values, std::int64_t* offsets,
                            std::int64_t value_base) const = 0;
    // The same for scattered rows: rows[i] + row_shift for each i, increasing, each in
    // [0, num_entries). What a selective read decodes: only the rows a filter kept.
    virtual std::optional<std::size_t> countSelectedValues(const BasketData& basket,
                                                           std::span<const std::int64_t> rows,
                                                           std::int64_t row_shift) const = 0;
    virtual bool decodeSelectedRows(const BasketData& basket, std::span<const std::int64_t> rows,
                                    std::int64_t row_shift, std::byte* values,
                                    std::size_t num_values, std::int64_t* offsets,
                                    std::int64_t value_base) const = 0;
};

class Interpretation {
public:
    virtual ~Interpretation() = default;
    virtual InterpretationKind kind() const = 0;
    // Human description for `hepflow show`: "float32", "int32[nMuon]", "vector<float>", ...
    virtual std::string describe() const = 0;
    // An empty column of the shape this interpretation produces.
    virtual frame::Column makeColumn() const = 0;
    // Appends the basket's entries to `out`. Throws FormatError (with basket.origin) on
    // inconsistent bytes.
    virtual void decode(const BasketData& basket, frame::Column& out) const = 0;
    // The bulk fast path, for interpretations that offer one.
    virtual const DirectDecoder* directDecoder() const { return nullptr; }
};

// What errors name a branch by: its slash-joined path, or its name when it has none (branches
// built outside a tree).
inline const std::string& branchPath(const TBranch& branch) {
    return branch.path.empty() ? branch.fName : branch.path;
}

// Context for choosing an interpretation.
struct InterpretationContext {
    const TTree& tree;
    const StreamerInfoSet& streamers;
};

// Chooses the interpretation of a branch; throws UnsupportedError naming the branch and its
// type when hepflow cannot decode it. Returns an interpretation of kind NoData for branches
// that carry no values of their own (parents of split objects).
std::unique_ptr<Interpretation> interpretBranch(const TBranch& branch,
                                                const InterpretationContext& context);

// TBranchElement branches (std::vector, strings, STL containers, split class members,
// TClonesArray members): returns null when `branch` is not one this function handles.
std::unique_ptr<Interpretation> interpretElementBranch(const TBranch& branch,
                                                       const InterpretationContext& context);

}  // namespace hepflow::root
