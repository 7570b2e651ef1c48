// Streamers of TNamed, TObjArray, TList/THashList and TObjString, and the core object factory.
#include "root/core_objects.h"

#include <fmt/format.h>

#include "root/streamer_info.h"

namespace hepflow::root {

namespace {

// Smallest encoding of one object pointer (a null or reference tag), to bound item counts.
constexpr std::size_t kMinObjectPointerSize = 4;
// TList versions: options per item from v4, long (> 254 byte) options from v5; before v3 the
// TObject header is absent, before v2 the name.
constexpr std::int16_t kTListFirstVersionWithOptions = 4;
constexpr std::int16_t kTListFirstVersionWithLongOptions = 5;
constexpr std::int16_t kCollectionFirstVersionWithTObject = 3;
constexpr std::int16_t kCollectionFirstVersionWithName = 2;
// Collections inside collections deeper than this are a corrupt (or hostile) file; the limit
// keeps the recursion of streamCoreObject far from the stack's end.
constexpr int kMaxNestingDepth = 100;
thread_local int nesting_depth = 0;

// The TCollection members every collection starts with: its TObject (from version 3) and
// fName (from version 2).
void readCollectionBase(ByteReader& reader, const VersionHeader& header, std::string& name) {
    if (header.version >= kCollectionFirstVersionWithTObject) reader.readTObject();
    if (header.version >= kCollectionFirstVersionWithName) name = reader.readTString();
}

std::size_t readItemCount(ByteReader& reader, std::size_t min_item_size,
                          std::string_view class_name) {
    const std::size_t position = reader.position();
    const auto count = reader.read<std::int32_t>();
    if (count < 0 || static_cast<std::size_t>(count) > reader.remaining() / min_item_size)
        reader.failAt(position, fmt::format("{} claims {} items, more than its {} remaining "
                                            "bytes can hold",
                                            class_name, count, reader.remaining()));
    return static_cast<std::size_t>(count);
}

bool isStreamerElementClass(std::string_view class_name) {
    return class_name.starts_with("TStreamer") && class_name != "TStreamerInfo";
}

}  // namespace

TNamed readTNamedBody(ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    TNamed named;
    named.class_name = "TNamed";
    named.fBits = reader.readTObject();
    named.name = reader.readTString();
    named.title = reader.readTString();
    reader.skipToEnd(header, "TNamed");
    return named;
}

std::shared_ptr<TObjArray> readTObjArray(ByteReader& reader, ObjectFactory items) {
    const VersionHeader header = reader.readVersion();
    auto array = std::make_shared<TObjArray>();
    array->class_name = "TObjArray";
    readCollectionBase(reader, header, array->name);
    const std::size_t count = readItemCount(reader, kMinObjectPointerSize, "TObjArray");
    (void)reader.read<std::int32_t>();  // fLowerBound
    array->items.reserve(count);
    for (std::size_t i = 0; i < count; ++i) array->items.push_back(reader.readObjectAny(items));
    reader.skipToEnd(header, "TObjArray");
    return array;
}

std::shared_ptr<TList> readTList(ByteReader& reader, ObjectFactory items) {
    const VersionHeader header = reader.readVersion();
    auto list = std::make_shared<TList>();
    list->class_name = "TList";
    readCollectionBase(reader, header, list->name);
    const bool has_options = header.version >= kTListFirstVersionWithOptions;
    const std::size_t count =
        readItemCount(reader, kMinObjectPointerSize + (has_options ? 1 : 0), "TList");
    list->items.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        list->items.push_back(reader.readObjectAny(items));
        if (!has_options) continue;
        std::size_t option_length = reader.read<std::uint8_t>();
        if (option_length == kLongStringMarker &&
            header.version >= kTListFirstVersionWithLongOptions)
            option_length = reader.read<std::uint32_t>();
        reader.skip(option_length);
    }
    reader.skipToEnd(header, "TList");
    return list;
}

RootObjectPtr streamCoreObject(std::string_view class_name, ByteReader& reader) {
    const NestingGuard guard(nesting_depth, kMaxNestingDepth, reader, "objects");
    if (class_name == "TNamed") return std::make_shared<TNamed>(readTNamedBody(reader));
    if (class_name == "TObjArray") return readTObjArray(reader, streamCoreObject);
    if (class_name == "TList" || class_name == "THashList") {
        auto list = readTList(reader, streamCoreObject);
        list->class_name = class_name;
        return list;
    }
    if (class_name == "TObjString") {
        const VersionHeader header = reader.readVersion();
        auto object = std::make_shared<TObjString>();
        reader.readTObject();
        object->string = reader.readTString();
        reader.skipToEnd(header, "TObjString");
        return object;
    }
    if (class_name == "TStreamerInfo") return readStreamerInfo(reader);
    if (isStreamerElementClass(class_name)) {
        auto object = std::make_shared<StreamerElementObject>();
        object->element = readStreamerElement(class_name, reader);
        return object;
    }
    return nullptr;
}

}  // namespace hepflow::root
