// The TStreamerInfo records hepflow writes: a table of ROOT 6 class descriptions (generated from
// ROOT-written files into known_streamers.cpp), the classes each depends on, ROOT's class
// checksum, and the serializer of the StreamerInfo record (ROOT-FORMAT.md 3.6, 8).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "root/streamer_info.h"

namespace hepflow::root {

// The streamer info ROOT 6.14-6.30 writes for `class_name`, or null when the table lacks it.
// The returned info lives for the whole program. Thread-safe.
std::shared_ptr<const StreamerInfo> knownStreamerInfo(std::string_view class_name);
// Every class in the table, in table order (for tests and the generator's self-check).
const std::vector<std::shared_ptr<const StreamerInfo>>& knownStreamerInfos();
// The ROOT-written test file each table entry was taken from ("derived: ..." for the two
// histogram classes built from older versions), by class name; empty when unknown.
std::string_view knownStreamerSource(std::string_view class_name);

// `info` preceded by the classes it needs described beside it: its bases and the classes of its
// object members, recursively, restricted to what the table knows (TArrayD and the other
// hand-streamed classes ROOT does not list are not in it; STL containers are not followed).
// Deduplicated by class name; dependencies come before the classes that use them.
std::vector<std::shared_ptr<const StreamerInfo>> withDependencies(
    std::shared_ptr<const StreamerInfo> info);

// ROOT's class checksum (TClass::GetCheckSum, kLatestCheckSum) computed from a streamer info:
// the class name, each base's name and checksum (taken from the TStreamerBase element, where ROOT
// 6 stores it), and each member's name, type name (ROOT typedefs resolved), enum flag, array
// dimensions and "[counter]" title prefix. Reproduces every ROOT 6 checksum in testdata for
// classes and std::vector<T>; version-0 classes whose members are all transient (TSeqCollection,
// THashList) and associative containers (set, map) differ, so never recompute those. Throws
// UnsupportedError for set/map/list/deque and other non-vector containers.
std::uint32_t streamerChecksum(const StreamerInfo& info);

// The TStreamerInfo ROOT 6 writes for std::vector<T> (class version 6, one TStreamerSTL element
// "This", fType 500, fSTLtype 1): `element_type` as ROOT spells it in class names ("float",
// "int", "unsigned int", "Long64_t", "ULong64_t", "bool", "double", "string", "vector<float>"
// ...). The checksum is computed (streamerChecksum). Throws UsageError for an empty type.
std::shared_ptr<const StreamerInfo> vectorStreamerInfo(std::string_view element_type);

// The schema-evolution rules ROOT stores beside a TTree's infos (the "listOfRules" TList,
// section 3.6), exactly as ROOT 6.14-6.30 writes them.
const std::vector<std::string>& treeReadRules();

// The whole StreamerInfo record payload: a TList of the infos (each an object pointer followed
// by an empty option string) plus, when `rules` is not empty, a TList "listOfRules" of
// TObjString, laid out as ROOT writes it (each class name once, class references after).
// `ref_origin` is the fKeylen of the record's key. Throws UnsupportedError for an element class
// the serializer does not know.
std::vector<std::byte> serializeStreamerInfoList(
    std::span<const std::shared_ptr<const StreamerInfo>> infos, std::span<const std::string> rules,
    std::int64_t ref_origin);

namespace detail {

// One row of the generated table (known_streamers.cpp): a StreamerElement in plain data.
struct KnownElement {
    const char* element_class;
    const char* name;
    const char* title;
    const char* type_name;
    int type;
    int size;
    int array_length;
    int array_dim;
    std::array<int, 5> max_index;
    int base_version;
    const char* count_name;
    const char* count_class;
    int count_version;
    int stl_type;
    int ctype;
};

struct KnownInfo {
    const char* name;
    const char* source;  // test file it came from, or "derived: ..."
    std::uint32_t checksum;
    int class_version;
    std::size_t first_element;  // into knownStreamerElements()
    std::size_t element_count;
};

std::span<const KnownInfo> knownStreamerTable();
std::span<const KnownElement> knownStreamerElements();

}  // namespace detail

}  // namespace hepflow::root
