// Hand-written streamers for the TTree record: the member order of each class version follows
// ROOT's TStreamerInfo (ROOT-FORMAT.md 6.2-6.5); byte counts let us stop early and skip the
// tail (fAliases, fIndex, fUserInfo, ...) that a reader never needs.
#include "root/tree/tree_streamer.h"

#include <fmt/format.h>

#include "root/core_objects.h"
#include "root/streamer_info.h"
#include "root/tree/basket.h"

namespace hepflow::root {

namespace {

// Class versions with a known layout (uproot5 models and ROOT's streamer infos).
constexpr std::int16_t kMinTreeVersion = 16;
constexpr std::int16_t kMaxTreeVersion = 20;
constexpr std::int16_t kMinBranchVersion = 10;
constexpr std::int16_t kMaxBranchVersion = 13;
constexpr std::int16_t kMinBranchElementVersion = 8;
constexpr std::int16_t kMaxBranchElementVersion = 10;
constexpr std::int16_t kLeafVersion = 2;  // every ROOT 5 and 6 file; older layouts are unknown
// Real trees nest branches a handful of levels deep (split objects in split collections, a leaf
// and its counter leaf below); a corrupt record must not recurse until the stack runs out.
constexpr int kMaxNestingDepth = 64;

thread_local int nesting_depth = 0;

// The flag byte after the fields of a basket inside a TTree record (ROOT's TBasket::Streamer):
// 1 offsets follow, 2 no offsets; +10 the buffer follows; from 20 to 40 the offsets carry
// displacement bits to clear; above 40 a displacement array follows.
constexpr std::uint8_t kFlagOffsets = 1;
constexpr std::uint8_t kFlagNoOffsets = 2;
constexpr std::uint8_t kFlagWithBuffer = 10;
constexpr std::uint8_t kFlagMaskedOffsetsMin = 20;
constexpr std::uint8_t kFlagMaskedOffsetsMax = 40;
constexpr std::uint8_t kFlagDisplacements = 40;
constexpr std::uint32_t kDisplacementMask = 0xFF000000u;

// An array preceded by ROOT's one-byte "is there an array" flag (kOffsetP members such as
// fBasketEntry); `count` comes from the counter member streamed before it.
template <class T>
std::vector<T> readFlaggedArray(ByteReader& reader, std::int64_t count, std::string_view what) {
    const std::size_t position = reader.position();
    const auto flag = reader.read<std::uint8_t>();
    if (flag == 0) return {};
    if (count < 0 || static_cast<std::uint64_t>(count) > reader.remaining() / sizeof(T))
        reader.failAt(position,
                      fmt::format("{} claims {} values, more than the record holds", what, count));
    std::vector<T> values(static_cast<std::size_t>(count));
    reader.readArray<T>(values);
    return values;
}

template <class T>
std::vector<std::shared_ptr<T>> castItems(const TObjArray& array) {
    std::vector<std::shared_ptr<T>> out;
    out.reserve(array.items.size());
    for (const auto& item : array.items) out.push_back(std::dynamic_pointer_cast<T>(item));
    return out;
}

// Skips a versioned base or member we do not model (TAttLine, TAttFill, TIOFeatures...).
void skipVersioned(ByteReader& reader, std::string_view class_name) {
    const VersionHeader header = reader.readVersion();
    if (!header.byte_count)
        reader.failAt(header.start, fmt::format("{} without a byte count", class_name));
    reader.skipToEnd(header, class_name);
}

void requireVersion(const ByteReader& reader, const VersionHeader& header,
                    std::string_view class_name, std::int16_t min_version,
                    std::int16_t max_version) {
    if (header.version >= min_version && header.version <= max_version) return;
    reader.failAt<UnsupportedError>(
        header.start, fmt::format("{} version {} is not supported (known: {} to {})", class_name,
                                  header.version, min_version, max_version));
}

std::shared_ptr<TObjArray> readObjArrayMember(ByteReader& reader) {
    return readTObjArray(reader, streamTreeObject);
}

// TBranch members after the count+version header (the caller checked the version).
void readBranchMembers(ByteReader& reader, std::int16_t version, TBranch& branch) {
    const TNamed named = readTNamedBody(reader);
    branch.fName = named.name;
    branch.fTitle = named.title;
    skipVersioned(reader, "TAttFill");
    branch.fCompress = reader.read<std::int32_t>();
    branch.fBasketSize = reader.read<std::int32_t>();
    branch.fEntryOffsetLen = reader.read<std::int32_t>();
    branch.fWriteBasket = reader.read<std::int32_t>();
    branch.fEntryNumber = reader.read<std::int64_t>();
    if (version >= 13) skipVersioned(reader, "ROOT::TIOFeatures");
    branch.fOffset = reader.read<std::int32_t>();
    branch.fMaxBaskets = reader.read<std::int32_t>();
    branch.fSplitLevel = reader.read<std::int32_t>();
    branch.fEntries = reader.read<std::int64_t>();
    if (version >= 11) branch.fFirstEntry = reader.read<std::int64_t>();
    branch.fTotBytes = reader.read<std::int64_t>();
    branch.fZipBytes = reader.read<std::int64_t>();
    branch.fBranches = castItems<TBranch>(*readObjArrayMember(reader));
    branch.fLeaves = castItems<TLeaf>(*readObjArrayMember(reader));
    const auto baskets = readObjArrayMember(reader);
    branch.fBaskets.reserve(baskets->items.size());
    for (const auto& item : baskets->items) {
        auto object = std::dynamic_pointer_cast<EmbeddedBasketObject>(item);
        branch.fBaskets.push_back(object ? object->basket : nullptr);
    }
    branch.fBasketBytes =
        readFlaggedArray<std::int32_t>(reader, branch.fMaxBaskets, "fBasketBytes");
    branch.fBasketEntry =
        readFlaggedArray<std::int64_t>(reader, branch.fMaxBaskets, "fBasketEntry");
    branch.fBasketSeek = readFlaggedArray<std::int64_t>(reader, branch.fMaxBaskets, "fBasketSeek");
    branch.fFileName = reader.readTString();
}

std::shared_ptr<TBranch> readBranch(ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    requireVersion(reader, header, "TBranch", kMinBranchVersion, kMaxBranchVersion);
    auto branch = std::make_shared<TBranch>();
    readBranchMembers(reader, header.version, *branch);
    reader.skipToEnd(header, "TBranch");
    return branch;
}

// The TBranch base of a TBranchElement/TBranchObject, streamed as a versioned sub-object.
void readBranchBase(ByteReader& reader, TBranch& branch) {
    const VersionHeader header = reader.readVersion();
    requireVersion(reader, header, "TBranch", kMinBranchVersion, kMaxBranchVersion);
    readBranchMembers(reader, header.version, branch);
    reader.skipToEnd(header, "TBranch");
}

std::shared_ptr<TBranch> readBranchElement(ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    requireVersion(reader, header, "TBranchElement", kMinBranchElementVersion,
                   kMaxBranchElementVersion);
    auto branch = std::make_shared<TBranch>();
    branch->is_element = true;
    readBranchBase(reader, *branch);
    branch->fClassName = reader.readTString();
    branch->fParentName = reader.readTString();
    branch->fClonesName = reader.readTString();
    branch->fCheckSum = reader.read<std::uint32_t>();
    branch->fClassVersion = header.version >= 10
                                ? reader.read<std::int16_t>()
                                : static_cast<std::int16_t>(reader.read<std::int32_t>());
    branch->fID = reader.read<std::int32_t>();
    branch->fType = reader.read<std::int32_t>();
    branch->fStreamerType = reader.read<std::int32_t>();
    branch->fMaximum = reader.read<std::int32_t>();
    branch->fBranchCount =
        std::dynamic_pointer_cast<TBranch>(reader.readObjectAny(streamTreeObject));
    branch->fBranchCount2 =
        std::dynamic_pointer_cast<TBranch>(reader.readObjectAny(streamTreeObject));
    reader.skipToEnd(header, "TBranchElement");
    return branch;
}

std::shared_ptr<TBranch> readBranchObject(ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    requireVersion(reader, header, "TBranchObject", 1, 1);
    auto branch = std::make_shared<TBranch>();
    branch->is_element = true;
    readBranchBase(reader, *branch);
    branch->fClassName = reader.readTString();
    reader.skipToEnd(header, "TBranchObject");
    return branch;
}

// TLeaf base members (count+version, TNamed, fLen, fLenType, fOffset, fIsRange, fIsUnsigned,
// fLeafCount).
void readLeafBase(ByteReader& reader, TLeaf& leaf) {
    const VersionHeader header = reader.readVersion();
    requireVersion(reader, header, "TLeaf", kLeafVersion, kLeafVersion);
    const TNamed named = readTNamedBody(reader);
    leaf.fName = named.name;
    leaf.fTitle = named.title;
    leaf.fLen = reader.read<std::int32_t>();
    leaf.fLenType = reader.read<std::int32_t>();
    leaf.fOffset = reader.read<std::int32_t>();
    leaf.fIsRange = reader.read<std::uint8_t>() != 0;
    leaf.fIsUnsigned = reader.read<std::uint8_t>() != 0;
    const std::size_t count_position = reader.position();
    RootObjectPtr count = reader.readObjectAny(streamTreeObject);
    if (count) {
        leaf.fLeafCount = std::dynamic_pointer_cast<TLeaf>(count);
        if (!leaf.fLeafCount)
            reader.failAt(count_position, fmt::format("leaf '{}' has a counter of class {}",
                                                      leaf.fName, count->class_name));
    }
    reader.skipToEnd(header, "TLeaf");
}

std::shared_ptr<TLeaf> readLeaf(std::string_view class_name, ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    auto leaf = std::make_shared<TLeaf>();
    if (class_name == "TLeaf") {
        // A bare TLeaf object: its members follow the header directly.
        reader.seek(header.start);
        readLeafBase(reader, *leaf);
        return leaf;
    }
    readLeafBase(reader, *leaf);
    if (class_name == "TLeafElement") {
        leaf->fID = reader.read<std::int32_t>();
        leaf->fType = reader.read<std::int32_t>();
    } else if (class_name == "TLeafF16" || class_name == "TLeafD32") {
        parseLeafRange(*leaf);
    }
    // fMinimum/fMaximum (TLeafB...TLeafD), fVirtual (TLeafObject): not needed.
    reader.skipToEnd(header, class_name);
    return leaf;
}

// The key header and basket fields of a TBasket inside fBaskets, then its arrays and buffer
// (ROOT's TBasket::Streamer, ROOT-FORMAT.md 7.4).
std::shared_ptr<EmbeddedBasket> readEmbeddedBasket(ByteReader& reader) {
    const std::size_t start = reader.position();
    const BasketHeader header = readBasketHeader(reader, /*embedded=*/true);
    auto basket = std::make_shared<EmbeddedBasket>();
    basket->fNbytes = header.key.fNbytes;
    basket->fObjlen = header.key.fObjlen;
    basket->fKeylen = header.key.fKeylen;
    basket->fLast = header.fLast;
    basket->fNevBuf = header.fNevBuf;
    basket->fNevBufSize = header.fNevBufSize;
    if (header.flag == 0) return basket;  // header only: no entries kept in memory

    std::vector<std::int32_t> raw_offsets;
    if (header.flag % kFlagWithBuffer != kFlagNoOffsets && header.fNevBuf > 0) {
        const std::size_t position = reader.position();
        const auto n = reader.read<std::int32_t>();
        if (n < header.fNevBuf || static_cast<std::uint64_t>(n) > reader.remaining() / 4)
            reader.failAt(position, fmt::format("embedded basket with {} entries has an offset "
                                                "array of {} values",
                                                header.fNevBuf, n));
        raw_offsets.resize(static_cast<std::size_t>(n));
        reader.readArray<std::int32_t>(raw_offsets);
        if (header.flag > kFlagMaskedOffsetsMin && header.flag < kFlagMaskedOffsetsMax)
            for (auto& offset : raw_offsets)
                offset = static_cast<std::int32_t>(static_cast<std::uint32_t>(offset) &
                                                   ~kDisplacementMask);
        basket->has_entry_offsets = true;
    }
    if (header.flag > kFlagDisplacements) {
        const std::size_t position = reader.position();
        const auto n = reader.read<std::int32_t>();
        if (n < 0 || static_cast<std::uint64_t>(n) > reader.remaining() / 4)
            reader.failAt(position, fmt::format("bad displacement array length {}", n));
        reader.skip(static_cast<std::size_t>(n) * 4);
    }
    if (header.flag == kFlagOffsets || header.flag > kFlagWithBuffer) {
        if (header.fLast < header.key.fKeylen)
            reader.failAt(start, fmt::format("embedded basket fLast {} is below its fKeylen {}",
                                             header.fLast, header.key.fKeylen));
        const auto buffer = reader.readBytes(static_cast<std::size_t>(header.fLast));
        basket->payload_position = reader.position() - buffer.size() + header.key.fKeylen;
        const auto data = buffer.subspan(static_cast<std::size_t>(header.key.fKeylen));
        basket->data.assign(data.begin(), data.end());
    } else if (header.fNevBuf > 0) {
        reader.failAt(start, fmt::format("embedded basket with {} entries but no buffer (flag {})",
                                         header.fNevBuf, header.flag));
    }
    if (basket->has_entry_offsets) {
        basket->entry_offsets = relativeEntryOffsets(raw_offsets, header.key.fKeylen, header.fLast,
                                                     header.fNevBuf, reader, start);
    }
    return basket;
}

std::shared_ptr<TTree> readTreeBody(ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    requireVersion(reader, header, "TTree", kMinTreeVersion, kMaxTreeVersion);
    const std::int16_t version = header.version;
    auto tree = std::make_shared<TTree>();
    const TNamed named = readTNamedBody(reader);
    tree->fName = named.name;
    tree->fTitle = named.title;
    skipVersioned(reader, "TAttLine");
    skipVersioned(reader, "TAttFill");
    skipVersioned(reader, "TAttMarker");
    tree->fEntries = reader.read<std::int64_t>();
    tree->fTotBytes = reader.read<std::int64_t>();
    tree->fZipBytes = reader.read<std::int64_t>();
    tree->fSavedBytes = reader.read<std::int64_t>();
    if (version >= 18) tree->fFlushedBytes = reader.read<std::int64_t>();
    (void)reader.read<double>();                           // fWeight
    (void)reader.read<std::int32_t>();                     // fTimerInterval
    (void)reader.read<std::int32_t>();                     // fScanField
    (void)reader.read<std::int32_t>();                     // fUpdate
    if (version >= 17) (void)reader.read<std::int32_t>();  // fDefaultEntryOffsetLen
    std::int32_t cluster_ranges = 0;
    if (version >= 19) cluster_ranges = reader.read<std::int32_t>();  // fNClusterRange
    (void)reader.read<std::int64_t>();                                // fMaxEntries
    (void)reader.read<std::int64_t>();                                // fMaxEntryLoop
    (void)reader.read<std::int64_t>();                                // fMaxVirtualSize
    tree->fAutoSave = reader.read<std::int64_t>();
    if (version >= 18) tree->fAutoFlush = reader.read<std::int64_t>();
    (void)reader.read<std::int64_t>();  // fEstimate
    if (version >= 19) {
        tree->fClusterRangeEnd =
            readFlaggedArray<std::int64_t>(reader, cluster_ranges, "fClusterRangeEnd");
        tree->fClusterSize = readFlaggedArray<std::int64_t>(reader, cluster_ranges, "fClusterSize");
    }
    if (version >= 20) skipVersioned(reader, "ROOT::TIOFeatures");
    tree->fBranches = castItems<TBranch>(*readObjArrayMember(reader));
    tree->fLeaves = castItems<TLeaf>(*readObjArrayMember(reader));
    // fAliases, fIndexValues, fIndex, fTreeIndex, fFriends, fUserInfo, fBranchRef: skipped.
    reader.skipToEnd(header, "TTree");
    return tree;
}

void linkBranch(TBranch& branch, TBranch* parent) {
    branch.parent = parent;
    branch.path = parent ? parent->path + "/" + branch.fName : branch.fName;
    for (const auto& child : branch.fBranches)
        if (child) linkBranch(*child, &branch);
}

}  // namespace

void parseLeafRange(TLeaf& leaf) {
    const auto spec = parseFloatRangeSpec(leaf.fTitle);
    if (!spec) return;
    leaf.range_min = spec->xmin;
    leaf.range_max = spec->xmax;
    leaf.range_bits = spec->nbits;
}

RootObjectPtr streamTreeObject(std::string_view class_name, ByteReader& reader) {
    if (class_name.starts_with("TBranch") || class_name.starts_with("TLeaf")) {
        const NestingGuard guard(nesting_depth, kMaxNestingDepth, reader, "branches and leaves");
        if (class_name == "TBranch") return readBranch(reader);
        if (class_name == "TBranchElement") return readBranchElement(reader);
        if (class_name == "TBranchObject") return readBranchObject(reader);
        if (class_name.starts_with("TLeaf")) return readLeaf(class_name, reader);
    }
    if (class_name == "TBasket") {
        auto object = std::make_shared<EmbeddedBasketObject>();
        object->basket = readEmbeddedBasket(reader);
        return object;
    }
    return streamCoreObject(class_name, reader);
}

std::shared_ptr<TTree> readTree(std::string_view class_name, ByteReader& reader) {
    std::shared_ptr<TTree> tree;
    if (class_name == "TTree") {
        tree = readTreeBody(reader);
    } else if (class_name == "TNtuple" || class_name == "TNtupleD") {
        // count+version, the TTree base, int32 fNvar.
        const VersionHeader header = reader.readVersion();
        tree = readTreeBody(reader);
        reader.skipToEnd(header, class_name);
    } else {
        reader.failAt<UnsupportedError>(reader.position(),
                                        fmt::format("class {} is not a TTree", class_name));
    }
    tree->class_name = std::string(class_name);
    linkBranches(*tree);
    return tree;
}

void linkBranches(TTree& tree) {
    for (const auto& branch : tree.fBranches)
        if (branch) linkBranch(*branch, nullptr);
}

}  // namespace hepflow::root
