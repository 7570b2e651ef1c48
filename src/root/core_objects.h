// ROOT's hand-streamed core classes that every other object builds on: TNamed, TObjArray,
// TList/THashList and TObjString (ROOT-FORMAT.md sections 4.4-4.6), plus streamCoreObject, the
// object factory for these and the streamer-info classes. Factories of higher layers (trees,
// histograms) handle their own classes and fall back to streamCoreObject for the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "root/byte_reader.h"

namespace hepflow::root {

struct TNamed : RootObject {
    std::string name;
    std::string title;
    std::uint32_t fBits = 0;  // TObject::fBits (streamer elements keep flags such as kHasRange)
};

struct TObjArray : RootObject {
    std::string name;
    std::vector<RootObjectPtr> items;  // null for empty slots and for skipped classes
};

// TList and THashList (same bytes); class_name tells which.
struct TList : RootObject {
    std::string name;
    std::vector<RootObjectPtr> items;  // null for skipped classes
};

struct TObjString : RootObject {
    std::string string;
};

// A TNamed streamed as a member or base: count+version, TObject, fName, fTitle. Moves to the
// end of its byte count. Throws FormatError on overrun.
TNamed readTNamedBody(ByteReader& reader);

// A TObjArray (count+version, TObject, fName, nobjects, fLowerBound, object pointers). Each item
// is read with readObjectAny(items), so `items` decides which classes become objects.
std::shared_ptr<TObjArray> readTObjArray(ByteReader& reader, ObjectFactory items);

// A TList or THashList (count+version, TObject, fName, nobjects, then object pointer + option
// string per item).
std::shared_ptr<TList> readTList(ByteReader& reader, ObjectFactory items);

// ObjectFactory for TNamed, TObjArray, TList, THashList, TObjString, TStreamerInfo and every
// TStreamerElement subclass (collections stream their items with this factory too). Returns
// nullptr for any other class, which ByteReader::readObjectAny then skips by its byte count.
RootObjectPtr streamCoreObject(std::string_view class_name, ByteReader& reader);

}  // namespace hepflow::root
