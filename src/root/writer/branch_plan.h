// How each BranchSpec becomes ROOT branches: the branch kind (scalar, fixed array, counter,
// counted array, char*, std::vector, vector<vector>, std::string, vector<string>), the order
// in the tree (a counter right before its first array), leaf classes and titles, and the
// TBranchElement class names, checksums and container streamer infos (ROOT-FORMAT.md 6, 9.6).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frame/columns/column.h"
#include "root/compression/compression.h"
#include "root/streamer_info.h"
#include "root/writer/tree_writer.h"

namespace hepflow::root {

enum class BranchKind {
    Scalar,        // x/F: one value per entry
    FixedArray,    // x[3]/F: fixed_length values per entry
    Counter,       // nMuon/I: the number of items of its counted arrays (fIsRange leaf)
    CountedArray,  // Muon_pt[nMuon]/F: values only, the count lives in the counter
    CharStar,      // s/C: TString-encoded bytes (TLeafC)
    Vector,        // vector<T>: count+version, int32 n, n values
    VectorVector,  // vector<vector<T> >: count+version, int32 n, n x (int32 m, m values)
    StdString,     // string: TString-encoded bytes (TBranchElement, no header)
    VectorString,  // vector<string>: count+version, int32 n, n TStrings
};

// A leaf class of a plain TBranch for a value type (ROOT-FORMAT.md 6.5).
struct LeafType {
    std::string_view leaf_class;  // "TLeafF"
    char letter = 'F';            // in the branch title: "x/F"
    std::int32_t size = 4;        // fLenType
    bool is_unsigned = false;
};
LeafType leafTypeOf(frame::DType dtype);

// The C++ name ROOT gives a value type inside a container: "float", "unsigned int",
// "Long64_t" (ROOT normalizes long long), "string".
std::string_view stlValueTypeName(frame::DType dtype);

struct BranchPlan {
    std::string name;
    BranchKind kind = BranchKind::Scalar;
    frame::DType dtype = frame::DType::Float64;  // value type (String for the string kinds)
    int column = -1;          // index of its column in a batch; -1 for a counter the writer adds
    int counter = -1;         // CountedArray: plan index of its counter
    std::vector<int> arrays;  // Counter: plan indices of the arrays it counts
    std::int32_t fixed_length = 1;  // values per entry of Scalar / FixedArray / Counter
    CompressionSetting compression;
    std::string title;       // branch title ("Muon_pt[nMuon]/F", or the element branch name)
    std::string leaf_title;  // "Muon_pt[nMuon]", "x[3]", "n"

    // TBranchElement kinds: the container class and its checksum / class version, and the
    // container's TStreamerInfo (null for string, which ROOT describes by none).
    std::string class_name;
    std::uint32_t class_checksum = 0;
    std::int16_t class_version = 0;
    std::shared_ptr<const StreamerInfo> container_info;

    bool isElement() const;
    // Whether baskets carry entry offsets (fEntryOffsetLen > 0): every variable-size kind.
    bool hasEntryOffsets() const;
    // Bytes per entry of the fixed-size kinds (0 for variable-size kinds).
    std::size_t entrySize() const;
    // TLeafElement fType / TBranchElement fType (ROOT-FORMAT.md 6.4, 9.6).
    std::int32_t elementBranchType() const;
};

struct TreePlan {
    std::vector<BranchPlan> branches;   // in tree order
    std::vector<int> branch_of_column;  // spec (column) index -> plan index
};

// Resolves the specs. Throws UsageError naming the branch for an empty or duplicate name, a
// Struct dtype, levels > 2, a fixed length combined with jagged levels or the Vector layout, a
// counter spec that is not a flat integer column, and a counter name that is also a jagged
// or non-integer branch.
TreePlan planTree(std::span<const BranchSpec> specs, CompressionSetting file_default);

}  // namespace hepflow::root
