// Streams the TTree metadata record into the tree model: TTree (v16-v20) or TNtuple, TBranch
// (v10-v13), TBranchElement (v8-v10), TBranchObject, every TLeaf class and the baskets that
// ROOT left inside the record (ROOT-FORMAT.md sections 6 and 7.4). Layouts are chosen by class
// version, and byte counts skip the members hepflow does not need.
#pragma once

#include <memory>
#include <string_view>

#include "root/byte_reader.h"
#include "root/tree/tree_model.h"

namespace hepflow::root {

// ObjectFactory for everything found inside a TTree record: TBranch, TBranchElement,
// TBranchObject, TLeaf* (returned as TLeaf), TBasket (returned as EmbeddedBasketObject); other
// classes fall back to streamCoreObject. Throws FormatError on corrupt bytes and
// UnsupportedError for class versions whose layout is unknown.
RootObjectPtr streamTreeObject(std::string_view class_name, ByteReader& reader);

// What streamTreeObject returns for a TBasket item of a branch's fBaskets array.
struct EmbeddedBasketObject : RootObject {
    std::shared_ptr<EmbeddedBasket> basket;
};

// Reads the payload of a key of class `class_name` ("TTree", "TNtuple" or "TNtupleD"), then
// fills each branch's parent pointer and slash-joined path ("evt/P3/P3.Py"). The reader must be
// positioned at the start of the payload (the count word of the object). Throws
// UnsupportedError for other classes and unknown versions, FormatError for corrupt bytes.
std::shared_ptr<TTree> readTree(std::string_view class_name, ByteReader& reader);

// Sets parent and path of every branch below the tree (done by readTree; exposed for trees
// built in memory, e.g. by tests).
void linkBranches(TTree& tree);

// Parses the Float16_t / Double32_t range spec of a leaf title ("x/[0,10,12]", "[-pi,pi]")
// into leaf.range_min / range_max / range_bits with parseFloatRangeSpec, as ROOT's TLeafF16 /
// TLeafD32 hand their title to TStreamerElement::GetRange. Leaves the fields at zero when the
// title has no range.
void parseLeafRange(TLeaf& leaf);

}  // namespace hepflow::root
