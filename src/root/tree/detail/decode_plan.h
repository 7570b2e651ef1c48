// Decode plans: the value layout of an element branch, built once per branch from the streamer
// infos (streamer element or C++ type name -> a tree of nodes), before any basket is read. Each
// leaf node writes one output column ("sink"); containers end offsets levels of the sinks below.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frame/columns/column.h"
#include "root/streamer_info.h"
#include "root/tree/detail/element_types.h"

namespace hepflow::root::detail {

enum class NodeKind : std::uint8_t {
    Number,      // one number
    Bits,        // TObject::fBits as a split member: uint32 [+ uint16 pidf if referenced]
    String,      // TString encoding, after a count+version when `header`
    Sequence,    // vector/set/...: [count+version] int32 n, then n items
    FixedArray,  // `length` items, nothing else
    Map,         // member-wise: count+version, pair version [+checksum], n, keys, values
    Object,      // count+version, then the members of a streamer info in order
    TObject,     // TObject::Streamer: version, fUniqueID, fBits [, pidf]
    TRef,        // TObject::Streamer + uint16 pid
    TRefArray,   // count+version, TObject, name, n, lower bound, pidf, n uids
};

// An offsets level a node ends after each of its values.
struct ListEnd {
    int sink = 0;
    std::size_t level = 0;
};

// Indices into Node::parts (kPid for TRef, kName onwards for TRefArray).
enum Part : std::size_t { kUniqueID, kBits, kPid, kName = 2, kLast, kLowerBound, kUIDs };

struct Node {
    NodeKind kind = NodeKind::Number;
    bool header = false;    // a count+version precedes the value
    std::string type_name;  // for messages
    NumberCodec codec;      // Number
    int sink = -1;          // Number, String
    // Sequence, FixedArray: {item}; Map: {key, value}; Object: members in streaming order.
    std::vector<std::unique_ptr<Node>> children;
    std::vector<ListEnd> ends;  // lists closed after each value
    std::int64_t length = 0;    // FixedArray
    bool key_header = false;    // Map: one count+version before the block of keys / values
    bool value_header = false;
    int class_version = 0;                             // Object: the version its members describe
    std::array<int, 6> parts{-1, -1, -1, -1, -1, -1};  // TObject, TRef, TRefArray sinks
};

// One output column of a plan.
struct SinkSpec {
    std::string name;  // member name ("" / "#string" alone: the branch's single column)
    frame::DType dtype = frame::DType::Int32;
    std::size_t levels = 0;  // offsets levels (strings: without the character level)
};

// Where a value sits, which decides whether ROOT wrote a count+version before it (4.7).
enum class Site : std::uint8_t {
    Entry,   // a whole top-level entry: STL containers have one, strings do not
    Member,  // a data member: STL containers and std::string have one
    Item,    // inside a container or a member-wise block: none (objects keep theirs)
};

// The dimensions of a fixed-array element: fMaxIndex, or fArrayLength when they disagree.
// Throws UnsupportedError for a dimension below 1.
std::vector<std::int64_t> arrayDimensions(const StreamerElement& element);
// "[2][3]".
std::string dimensionsText(std::span<const std::int64_t> dims);

// Builds the nodes of one plan and collects its sinks. `path` names the sink of a node (member
// names joined by '.'); `depth` is the number of offsets levels above it. Throws
// UnsupportedError for layouts hepflow does not decode (custom streamers, unknown classes,
// classes nested more than a few dozen levels deep).
class PlanBuilder {
public:
    explicit PlanBuilder(const StreamerInfoSet& streamers) : streamers_(streamers) {}

    std::vector<SinkSpec>& sinks() { return sinks_; }

    std::unique_ptr<Node> number(const NumberCodec& codec, std::string type_name,
                                 const std::string& path, std::size_t depth);
    // ROOT streams a kBits member with the pidf of referenced objects (TStreamerInfo's
    // ReadBuffer, kBits case): 6 bytes per value in Delphes GenParticle/Track collections.
    std::unique_ptr<Node> bits(const std::string& path, std::size_t depth);
    std::unique_ptr<Node> string(bool header, std::string type_name, const std::string& path,
                                 std::size_t depth);
    // A value of C++ type `type_name` at `site`.
    std::unique_ptr<Node> fromTypeName(std::string_view type_name, Site site,
                                       const std::string& path, std::size_t depth);
    // A data member described by a streamer element (split member or object member).
    std::unique_ptr<Node> fromElement(const StreamerElement& element, const std::string& path,
                                      std::size_t depth);
    // An object of a class with its own count+version (kObject/kAny members, whole objects).
    std::unique_ptr<Node> object(std::string_view class_name, const std::string& path,
                                 std::size_t depth);

    // A fixed array of `dims` (outermost first) whose items `make_item(depth)` builds.
    template <class MakeItem>
    std::unique_ptr<Node> fixedArray(std::span<const std::int64_t> dims, std::size_t depth,
                                     MakeItem&& make_item) {
        auto node = makeNode(NodeKind::FixedArray, "array" + dimensionsText(dims));
        node->length = dims.front();
        const int first_sink = static_cast<int>(sinks_.size());
        if (dims.size() > 1)
            node->children.push_back(fixedArray(dims.subspan(1), depth + 1, make_item));
        else
            node->children.push_back(make_item(depth + 1));
        endLists(*node, first_sink, depth);
        return node;
    }

private:
    class Nesting;

    static std::unique_ptr<Node> makeNode(NodeKind kind, std::string type_name);
    int addSink(std::string name, frame::DType dtype, std::size_t levels);
    void endLists(Node& node, int first_sink, std::size_t level) const;
    std::unique_ptr<Node> sequence(const std::string& name,
                                   const std::vector<std::string_view>& args, Site site,
                                   const std::string& path, std::size_t depth);
    std::unique_ptr<Node> map(const std::string& name, const std::vector<std::string_view>& args,
                              Site site, const std::string& path, std::size_t depth);
    std::unique_ptr<Node> named(const std::string& path, std::size_t depth);
    std::unique_ptr<Node> tobject(NodeKind kind, const std::string& path, std::size_t depth);
    std::unique_ptr<Node> refArray(const std::string& path, std::size_t depth);

    const StreamerInfoSet& streamers_;
    std::vector<SinkSpec> sinks_;
    int nesting_ = 0;
};

}  // namespace hepflow::root::detail
