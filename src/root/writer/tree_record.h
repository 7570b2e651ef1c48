// The TTree record payload (ROOT-FORMAT.md 6.2-6.5, 9.2): TTree v20 with its TObjArray of
// TBranch v13 / TBranchElement v10 (leaves TLeaf* / TLeafElement, basket tables) and the
// fLeaves array of back-references, field for field as ROOT 6.20 writes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "root/writer/branch_plan.h"
#include "root/writer/byte_writer.h"

namespace hepflow::root {

// What the record says about one branch once its baskets are written.
struct BranchRecord {
    const BranchPlan* plan = nullptr;
    std::int32_t basket_size = 0;            // fBasketSize
    std::vector<std::int32_t> basket_bytes;  // per written basket: fNbytes
    std::vector<std::int64_t> basket_entry;  // per written basket: first entry
    std::vector<std::uint64_t> basket_seek;  // per written basket: record offset
    std::int64_t entries = 0;
    std::int64_t tot_bytes = 0;  // sum of fKeylen + fObjlen
    std::int64_t zip_bytes = 0;  // sum of fNbytes
    // Counter: largest count (fMaximum); CharStar: longest string + 1 (fLen, fMaximum).
    std::int64_t maximum = 0;
};

struct TreeRecord {
    std::string name;
    std::string title;
    std::int64_t entries = 0;
    std::int64_t auto_flush = 0;         // cluster size in entries (fAutoFlush)
    std::vector<BranchRecord> branches;  // in tree order; counters before their arrays
};

// The smallest fMaxBaskets ROOT writes (TBranch::Streamer: max(fWriteBasket + 1, 10)).
inline constexpr std::int32_t kMinMaxBaskets = 10;

// Streams the TTree object into `out`, whose ref_origin must be the TTree key's fKeylen (the
// leaves' back-references depend on it).
void writeTreePayload(ByteWriter& out, const TreeRecord& tree);

// The leaf classes the record uses, for the file's StreamerInfo ("TLeafF", "TLeafElement"...).
std::vector<std::string> leafClassesOf(const TreeRecord& tree);

}  // namespace hepflow::root
