// Streaming TTree, TBranch, TBranchElement and leaves in ROOT 6.20's layout, with the leaves'
// back-references measured from the key start.
#include "root/writer/tree_record.h"

#include <algorithm>
#include <set>

#include "common/error.h"
#include "root/writer/basket_record.h"

namespace hepflow::root {

namespace {

// Class versions of ROOT 6.14-6.30 (ROOT-FORMAT.md 6.1).
constexpr std::int16_t kTreeVersion = 20;
constexpr std::int16_t kBranchVersion = 13;
constexpr std::int16_t kBranchElementVersion = 10;
constexpr std::int16_t kLeafVersion = 2;
constexpr std::int16_t kConcreteLeafVersion = 1;
constexpr std::int16_t kNamedVersion = 1;
constexpr std::int16_t kObjArrayVersion = 3;
constexpr std::int16_t kAttVersion = 2;
// ROOT::TIOFeatures is a foreign class: version 0 and its checksum, then fIOBits (4.1).
constexpr std::uint32_t kIOFeaturesChecksum = 0x1AA12F10;

// TObject bits as ROOT writes them: kIsOnHeap | kNotDeleted, plus kMustCleanup on the TTree
// and kDoNotUseBufferMap (1 << 22) on branches (ROOT-FORMAT.md 9.2).
constexpr std::uint32_t kTreeBits = 0x03000008;
constexpr std::uint32_t kBranchBits = 0x03400000;
constexpr std::uint32_t kPlainBits = 0x03000000;

// ROOT's TTree defaults, found in every ROOT-written tree of testdata (ROOT-FORMAT.md 6.2).
constexpr std::int16_t kLineColor = 602;
constexpr std::int16_t kFillStyle = 1001;
constexpr std::int32_t kScanField = 25;
constexpr std::int64_t kMaxEntries = 1000000000000;
constexpr std::int64_t kAutoSave = -300000000;
constexpr std::int64_t kEstimate = 1000000;
// vector<T> branches: ROOT's split level for a container of basic types (kept unsplit).
constexpr std::int32_t kContainerSplitLevel = 99;

void writeNamed(ByteWriter& out, std::uint32_t bits, std::string_view name,
                std::string_view title) {
    const auto start = out.beginVersion(kNamedVersion);
    out.writeTObject(bits);
    out.writeTString(name);
    out.writeTString(title);
    out.endVersion(start);
}

void writeIOFeatures(ByteWriter& out) {
    const auto start = out.beginVersion(0);
    out.write<std::uint32_t>(kIOFeaturesChecksum);
    out.write<std::uint8_t>(0);
    out.endVersion(start);
}

// An embedded TObjArray header; the caller writes the `count` slots and ends it.
std::size_t beginObjArray(ByteWriter& out, std::size_t count) {
    const auto start = out.beginVersion(kObjArrayVersion);
    out.writeTObject(kPlainBits);
    out.writeTString("");
    out.write<std::int32_t>(static_cast<std::int32_t>(count));
    out.write<std::int32_t>(0);  // fLowerBound
    return start;
}

void writeEmptyObjArray(ByteWriter& out) {
    out.endVersion(beginObjArray(out, 0));
}

template <class T>
void writeMinMax(ByteWriter& out, std::int64_t maximum) {
    out.write<T>(T{});
    out.write<T>(static_cast<T>(maximum));
}

// fMinimum / fMaximum of a concrete leaf, in its value type.
void writeLeafRange(ByteWriter& out, const BranchPlan& plan, std::int64_t maximum) {
    if (plan.kind == BranchKind::CharStar) return writeMinMax<std::int32_t>(out, maximum);
    switch (plan.dtype) {
        case frame::DType::Bool: return writeMinMax<std::uint8_t>(out, 0);
        case frame::DType::Int8:
        case frame::DType::UInt8: return writeMinMax<std::int8_t>(out, maximum);
        case frame::DType::Int16:
        case frame::DType::UInt16: return writeMinMax<std::int16_t>(out, maximum);
        case frame::DType::Int32:
        case frame::DType::UInt32: return writeMinMax<std::int32_t>(out, maximum);
        case frame::DType::Int64:
        case frame::DType::UInt64: return writeMinMax<std::int64_t>(out, maximum);
        case frame::DType::Float32: return writeMinMax<float>(out, 0);
        case frame::DType::Float64: return writeMinMax<double>(out, 0);
        default: HEPFLOW_ASSERT(false, "no leaf range for this type");
    }
}

std::string leafClassOf(const BranchPlan& plan) {
    if (plan.isElement()) return "TLeafElement";
    if (plan.kind == BranchKind::CharStar) return "TLeafC";
    return std::string(leafTypeOf(plan.dtype).leaf_class);
}

// Writes the branch's only leaf; returns its reference for fLeafCount and TTree::fLeaves.
std::uint32_t writeLeaf(ByteWriter& out, const BranchRecord& branch,
                        std::uint32_t leaf_count_reference) {
    const BranchPlan& plan = *branch.plan;
    std::uint32_t reference = 0;
    const auto object = out.beginObject(leafClassOf(plan), &reference);
    const auto concrete = out.beginVersion(kConcreteLeafVersion);
    const auto leaf = out.beginVersion(kLeafVersion);
    writeNamed(out, kPlainBits, plan.name, plan.leaf_title);
    std::int32_t length = 1;
    std::int32_t length_type = 0;  // what ROOT 6.20 writes in a TLeafElement
    bool is_unsigned = false;
    if (plan.kind == BranchKind::CharStar) {
        // ROOT's TLeafC keeps the longest string + 1 in fLen and truncates longer ones on read.
        length = static_cast<std::int32_t>(std::max<std::int64_t>(branch.maximum, 1));
        length_type = 1;
    } else if (!plan.isElement()) {
        const auto type = leafTypeOf(plan.dtype);
        length = plan.kind == BranchKind::FixedArray ? plan.fixed_length : 1;
        length_type = type.size;
        is_unsigned = type.is_unsigned;
    }
    out.write<std::int32_t>(length);
    out.write<std::int32_t>(length_type);
    out.write<std::int32_t>(0);                                         // fOffset
    out.write<std::uint8_t>(plan.kind == BranchKind::Counter ? 1 : 0);  // fIsRange
    out.write<std::uint8_t>(is_unsigned ? 1 : 0);                       // fIsUnsigned
    out.write<std::uint32_t>(leaf_count_reference);                     // fLeafCount
    out.endVersion(leaf);
    if (plan.isElement()) {
        out.write<std::int32_t>(-1);  // fID: the whole object
        out.write<std::int32_t>(-1);  // fType: ROOT's value for top-level containers/strings
    } else {
        const bool has_range =
            plan.kind == BranchKind::Counter || plan.kind == BranchKind::CharStar;
        writeLeafRange(out, plan, has_range ? branch.maximum : 0);
    }
    out.endVersion(concrete);
    out.endObject(object);
    return reference;
}

template <class T, class Source>
void writeBasketArray(ByteWriter& out, std::int32_t capacity, const Source& values) {
    out.write<std::uint8_t>(1);  // the array is present
    for (std::int32_t i = 0; i < capacity; ++i) {
        const auto index = static_cast<std::size_t>(i);
        out.write<T>(index < values.size() ? static_cast<T>(values[index]) : T{});
    }
}

// The TBranch v13 part; returns the leaf's reference.
std::uint32_t writeBranchBody(ByteWriter& out, const BranchRecord& branch,
                              std::uint32_t leaf_count_reference) {
    const BranchPlan& plan = *branch.plan;
    const auto nbaskets = static_cast<std::int32_t>(branch.basket_bytes.size());
    const std::int32_t capacity = std::max(nbaskets + 1, kMinMaxBaskets);
    const auto start = out.beginVersion(kBranchVersion);
    writeNamed(out, kBranchBits, plan.name, plan.title);
    const auto fill = out.beginVersion(kAttVersion);
    out.write<std::int16_t>(0);
    out.write<std::int16_t>(kFillStyle);
    out.endVersion(fill);
    out.write<std::int32_t>(plan.compression.toRoot());
    out.write<std::int32_t>(branch.basket_size);
    out.write<std::int32_t>(plan.hasEntryOffsets() ? kEntryOffsetLen : 0);
    out.write<std::int32_t>(nbaskets);        // fWriteBasket
    out.write<std::int64_t>(branch.entries);  // fEntryNumber
    writeIOFeatures(out);
    out.write<std::int32_t>(0);         // fOffset
    out.write<std::int32_t>(capacity);  // fMaxBaskets
    const bool container = plan.isElement() && plan.kind != BranchKind::StdString;
    out.write<std::int32_t>(container ? kContainerSplitLevel : 0);
    out.write<std::int64_t>(branch.entries);
    out.write<std::int64_t>(0);  // fFirstEntry
    out.write<std::int64_t>(branch.tot_bytes);
    out.write<std::int64_t>(branch.zip_bytes);
    writeEmptyObjArray(out);  // fBranches
    const auto leaves = beginObjArray(out, 1);
    const std::uint32_t reference = writeLeaf(out, branch, leaf_count_reference);
    out.endVersion(leaves);
    writeEmptyObjArray(out);  // fBaskets: every basket is on disk
    writeBasketArray<std::int32_t>(out, capacity, branch.basket_bytes);
    // fBasketEntry[nbaskets] closes the last basket; the slots after it must stay 0 (JSROOT
    // counts baskets while the next slot is non-zero).
    std::vector<std::int64_t> entries = branch.basket_entry;
    entries.push_back(branch.entries);
    writeBasketArray<std::int64_t>(out, capacity, entries);
    writeBasketArray<std::int64_t>(out, capacity, branch.basket_seek);
    out.writeTString("");  // fFileName: baskets are in this file
    out.endVersion(start);
    return reference;
}

std::uint32_t writeBranch(ByteWriter& out, const BranchRecord& branch,
                          std::uint32_t leaf_count_reference) {
    const BranchPlan& plan = *branch.plan;
    if (!plan.isElement()) {
        const auto object = out.beginObject("TBranch");
        const auto reference = writeBranchBody(out, branch, leaf_count_reference);
        out.endObject(object);
        return reference;
    }
    const auto object = out.beginObject("TBranchElement");
    const auto start = out.beginVersion(kBranchElementVersion);
    const auto reference = writeBranchBody(out, branch, leaf_count_reference);
    out.writeTString(plan.class_name);
    out.writeTString("");  // fParentName
    out.writeTString("");  // fClonesName
    out.write<std::uint32_t>(plan.class_checksum);
    out.write<std::int16_t>(plan.class_version);
    out.write<std::int32_t>(-1);  // fID: the whole object
    out.write<std::int32_t>(plan.elementBranchType());
    out.write<std::int32_t>(-1);  // fStreamerType
    out.write<std::int32_t>(0);   // fMaximum
    out.writeNullPointer();       // fBranchCount
    out.writeNullPointer();       // fBranchCount2
    out.endVersion(start);
    out.endObject(object);
    return reference;
}

}  // namespace

void writeTreePayload(ByteWriter& out, const TreeRecord& tree) {
    std::int64_t tot_bytes = 0;
    std::int64_t zip_bytes = 0;
    for (const auto& branch : tree.branches) {
        tot_bytes += branch.tot_bytes;
        zip_bytes += branch.zip_bytes;
    }
    const auto start = out.beginVersion(kTreeVersion);
    writeNamed(out, kTreeBits, tree.name, tree.title);
    const auto line = out.beginVersion(kAttVersion);
    out.write<std::int16_t>(kLineColor);
    out.write<std::int16_t>(1);
    out.write<std::int16_t>(1);
    out.endVersion(line);
    const auto fill = out.beginVersion(kAttVersion);
    out.write<std::int16_t>(0);
    out.write<std::int16_t>(kFillStyle);
    out.endVersion(fill);
    const auto marker = out.beginVersion(kAttVersion);
    out.write<std::int16_t>(1);
    out.write<std::int16_t>(1);
    out.write<float>(1.0f);
    out.endVersion(marker);
    out.write<std::int64_t>(tree.entries);
    out.write<std::int64_t>(tot_bytes);
    out.write<std::int64_t>(zip_bytes);
    out.write<std::int64_t>(0);  // fSavedBytes
    out.write<std::int64_t>(0);  // fFlushedBytes
    out.write<double>(1.0);      // fWeight
    out.write<std::int32_t>(0);  // fTimerInterval
    out.write<std::int32_t>(kScanField);
    out.write<std::int32_t>(0);                // fUpdate
    out.write<std::int32_t>(kEntryOffsetLen);  // fDefaultEntryOffsetLen
    out.write<std::int32_t>(0);                // fNClusterRange: fAutoFlush describes every cluster
    out.write<std::int64_t>(kMaxEntries);
    out.write<std::int64_t>(kMaxEntries);  // fMaxEntryLoop
    out.write<std::int64_t>(0);            // fMaxVirtualSize
    out.write<std::int64_t>(kAutoSave);
    out.write<std::int64_t>(tree.auto_flush);
    out.write<std::int64_t>(kEstimate);
    out.write<std::uint8_t>(0);  // fClusterRangeEnd: none
    out.write<std::uint8_t>(0);  // fClusterSize: none
    writeIOFeatures(out);

    std::vector<std::uint32_t> leaf_references(tree.branches.size(), 0);
    const auto branches = beginObjArray(out, tree.branches.size());
    for (std::size_t i = 0; i < tree.branches.size(); ++i) {
        const BranchPlan& plan = *tree.branches[i].plan;
        std::uint32_t counter_reference = 0;
        if (plan.counter >= 0) {
            counter_reference = leaf_references[static_cast<std::size_t>(plan.counter)];
            HEPFLOW_ASSERT(counter_reference != 0, "counter branch written after its array");
        }
        leaf_references[i] = writeBranch(out, tree.branches[i], counter_reference);
    }
    out.endVersion(branches);

    const auto leaves = beginObjArray(out, leaf_references.size());
    for (const auto reference : leaf_references) out.writeReference(reference);
    out.endVersion(leaves);

    out.writeNullPointer();      // fAliases
    out.write<std::int32_t>(0);  // fIndexValues (TArrayD, empty)
    out.write<std::int32_t>(0);  // fIndex (TArrayI, empty)
    out.writeNullPointer();      // fTreeIndex
    out.writeNullPointer();      // fFriends
    out.writeNullPointer();      // fUserInfo
    out.writeNullPointer();      // fBranchRef
    out.endVersion(start);
}

std::vector<std::string> leafClassesOf(const TreeRecord& tree) {
    std::set<std::string> classes;
    for (const auto& branch : tree.branches) classes.insert(leafClassOf(*branch.plan));
    return {classes.begin(), classes.end()};
}

}  // namespace hepflow::root
