// The TTree metadata as ROOT streams it: TTree, TBranch, TBranchElement, TLeaf* and the
// baskets embedded in a TTree record, with ROOT's field names (ROOT-FORMAT.md section 6).
// Pure data: streaming lives in tree_streamer.cpp, decoding of values in interpretations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "root/byte_reader.h"

namespace hepflow::root {

struct TLeaf : RootObject {
    std::string fName, fTitle;
    std::int32_t fLen = 1;      // values per entry for fixed arrays (product of dimensions)
    std::int32_t fLenType = 0;  // bytes per value
    std::int32_t fOffset = 0;
    bool fIsRange = false;
    bool fIsUnsigned = false;
    std::shared_ptr<TLeaf> fLeafCount;  // counter leaf of a counted array ([nMuon]), or null
    // TLeafElement only.
    std::int32_t fID = -1;
    std::int32_t fType = 0;
    // For Float16_t / Double32_t leaves (TLeafF16, TLeafD32): the range parsed from fTitle.
    double range_min = 0, range_max = 0;
    int range_bits = 0;  // 0 = no explicit range
};

struct TBranch;
// A basket that ROOT left inside the TTree record (not yet written as its own key):
// its key header fields and its (uncompressed) bytes.
struct EmbeddedBasket {
    std::int32_t fNbytes = 0, fObjlen = 0, fKeylen = 0, fLast = 0, fNevBuf = 0, fNevBufSize = 0;
    std::vector<std::byte> data;              // data part only (fLast - fKeylen bytes)
    std::vector<std::int32_t> entry_offsets;  // relative to data start; empty for fixed-size
    // Added: where the basket's data part starts inside the decompressed TTree payload (for
    // error messages), and whether the record carried an entry-offset array. When it did,
    // entry_offsets holds fNevBuf + 1 values, the last one closing the data part.
    std::size_t payload_position = 0;
    bool has_entry_offsets = false;
};

struct TBranch : RootObject {
    // TBranch
    std::string fName, fTitle;
    std::int32_t fCompress = 0, fBasketSize = 0, fEntryOffsetLen = 0, fWriteBasket = 0;
    std::int64_t fEntryNumber = 0;
    std::int32_t fOffset = 0, fMaxBaskets = 0, fSplitLevel = 0;
    std::int64_t fEntries = 0, fFirstEntry = 0, fTotBytes = 0, fZipBytes = 0;
    std::vector<std::shared_ptr<TBranch>> fBranches;
    std::vector<std::shared_ptr<TLeaf>> fLeaves;
    std::vector<std::shared_ptr<EmbeddedBasket>>
        fBaskets;  // embedded baskets by slot (may be null)
    std::vector<std::int32_t> fBasketBytes;
    std::vector<std::int64_t> fBasketEntry;
    std::vector<std::int64_t> fBasketSeek;
    std::string fFileName;

    // TBranchElement (only when class_name is "TBranchElement" / "TBranchObject").
    bool is_element = false;
    std::string fClassName, fParentName, fClonesName;
    std::uint32_t fCheckSum = 0;
    std::int16_t fClassVersion = 0;
    std::int32_t fID = -1, fType = 0, fStreamerType = -1, fMaximum = 0;
    std::shared_ptr<TBranch> fBranchCount, fBranchCount2;

    // Filled after streaming: parent branch (not owning) and slash-joined path.
    TBranch* parent = nullptr;
    std::string path;
};

struct TTree : RootObject {
    std::string fName, fTitle;
    std::int64_t fEntries = 0, fTotBytes = 0, fZipBytes = 0, fSavedBytes = 0, fFlushedBytes = 0;
    std::int64_t fAutoFlush = 0, fAutoSave = 0;
    std::vector<std::int64_t> fClusterRangeEnd, fClusterSize;
    std::vector<std::shared_ptr<TBranch>> fBranches;
    std::vector<std::shared_ptr<TLeaf>> fLeaves;
};

}  // namespace hepflow::root
