// The known-streamer table as StreamerInfo objects, their dependency closure, ROOT's class
// checksum, and the TStreamerInfo/TStreamerElement serializer of the StreamerInfo record.
#include "root/writer/streamer_registry.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "root/byte_reader.h"
#include "root/writer/byte_writer.h"

namespace hepflow::root {

namespace {

// Class versions ROOT 6 writes for the streamer classes themselves (ROOT-FORMAT.md 6.1, 8.2).
constexpr std::int16_t kStreamerInfoVersion = 9;
constexpr std::int16_t kStreamerElementVersion = 4;
constexpr std::int16_t kTNamedVersion = 1;
constexpr std::int16_t kTObjArrayVersion = 3;
constexpr std::int16_t kTListVersion = 5;
constexpr std::int16_t kTObjStringVersion = 1;
// The version ROOT 6 gives every std::vector<T> TStreamerInfo (section 9.6).
constexpr int kStlContainerClassVersion = 6;
// TStreamerElement fType of STL members and container infos, and TStreamerSTL fSTLtype of vector.
constexpr int kStreamerTypeStreamer = 500;
constexpr int kStlVector = 1;
// fCtype for a container of objects (strings, nested containers, classes).
constexpr int kStreamerTypeObject = 61;
constexpr int kStreamerTypeInt = 3;

// TObject::fBits as ROOT writes them: TStreamerInfo objects carry bit 16 besides kIsOnHeap |
// kNotDeleted; the collections only kNotDeleted; the rules list also TCollection::kIsOwner.
constexpr std::uint32_t kStreamerInfoBits = 0x03010000;
constexpr std::uint32_t kElementBits = 0x03000000;
constexpr std::uint32_t kCollectionBits = 0x02000000;
constexpr std::uint32_t kRulesListBits = 0x02004000;
constexpr std::uint32_t kObjStringBits = 0x03000000;
// TStreamerElement::kHasRange: the title holds a Float16_t/Double32_t range.
constexpr std::uint32_t kHasRangeBit = 1u << 6;

// Depth bound of the dependency walk (a corrupt table cannot loop: names are deduplicated).
constexpr int kMaxDependencyDepth = 64;

std::int16_t elementClassVersion(std::string_view element_class) {
    static const std::unordered_map<std::string_view, std::int16_t> versions = {
        {"TStreamerBase", 3},      {"TStreamerBasicType", 2},        {"TStreamerBasicPointer", 2},
        {"TStreamerLoop", 2},      {"TStreamerObject", 2},           {"TStreamerObjectPointer", 2},
        {"TStreamerObjectAny", 2}, {"TStreamerObjectAnyPointer", 1}, {"TStreamerString", 2},
        {"TStreamerSTL", 3},       {"TStreamerSTLstring", 2},        {"TStreamerArtificial", 0},
    };
    const auto it = versions.find(element_class);
    if (it == versions.end())
        throw UnsupportedError(
            fmt::format("cannot write a streamer element of class '{}'", element_class));
    return it->second;
}

// Writes object pointers the way ROOT's TBufferFile does inside one record: the first object of
// a class gets a new-class tag, later ones a reference to that tag.
class RecordObjectWriter {
public:
    RecordObjectWriter(ByteWriter& out, std::int64_t ref_origin)
        : out_(out), ref_origin_(ref_origin) {}

    std::size_t beginObject(std::string_view class_name) {
        const std::size_t start = out_.position();
        const auto it = tags_.find(std::string(class_name));
        if (it == tags_.end()) {
            // The tag is the position of the 0xFFFFFFFF word, from the key start, + kMapOffset.
            const std::int64_t tag =
                static_cast<std::int64_t>(start) + 4 + ref_origin_ + kMapOffset;
            HEPFLOW_ASSERT(tag < static_cast<std::int64_t>(kClassMask),
                           "class tag beyond ROOT's 31-bit reference range");
            tags_.emplace(std::string(class_name), static_cast<std::uint32_t>(tag));
            out_.beginObject(class_name);
        } else {
            out_.write<std::uint32_t>(0);
            out_.write<std::uint32_t>(it->second | kClassMask);
        }
        return start;
    }
    void endObject(std::size_t start) { out_.endObject(start); }

    void writeInfo(const StreamerInfo& info) {
        const std::size_t object = beginObject("TStreamerInfo");
        const std::size_t version = out_.beginVersion(kStreamerInfoVersion);
        writeNamed(kStreamerInfoBits, info.name, info.title);
        out_.write<std::uint32_t>(info.checksum);
        out_.write<std::int32_t>(info.class_version);
        const std::size_t array = beginObject("TObjArray");
        const std::size_t array_version = out_.beginVersion(kTObjArrayVersion);
        out_.writeTObject(kCollectionBits);
        out_.writeTString("");
        out_.write<std::int32_t>(static_cast<std::int32_t>(info.elements.size()));
        out_.write<std::int32_t>(0);  // fLowerBound
        for (const StreamerElement& element : info.elements) writeElement(element);
        out_.endVersion(array_version);
        endObject(array);
        out_.endVersion(version);
        endObject(object);
    }

    void writeElement(const StreamerElement& element) {
        const std::int16_t subclass_version = elementClassVersion(element.element_class);
        const std::size_t object = beginObject(element.element_class);
        const std::size_t version = out_.beginVersion(subclass_version);
        if (element.element_class == "TStreamerSTLstring") {
            // Its only member is a complete TStreamerSTL object.
            const std::size_t stl = out_.beginVersion(elementClassVersion("TStreamerSTL"));
            writeElementBase(element);
            out_.write<std::int32_t>(element.stl_type);
            out_.write<std::int32_t>(element.ctype);
            out_.endVersion(stl);
        } else {
            writeElementBase(element);
            if (element.element_class == "TStreamerBase") {
                out_.write<std::int32_t>(element.base_version);
            } else if (element.element_class == "TStreamerBasicPointer" ||
                       element.element_class == "TStreamerLoop") {
                out_.write<std::int32_t>(element.count_version);
                out_.writeTString(element.count_name);
                out_.writeTString(element.count_class);
            } else if (element.element_class == "TStreamerSTL") {
                out_.write<std::int32_t>(element.stl_type);
                out_.write<std::int32_t>(element.ctype);
            }
        }
        out_.endVersion(version);
        endObject(object);
    }

private:
    void writeNamed(std::uint32_t bits, std::string_view name, std::string_view title) {
        const std::size_t named = out_.beginVersion(kTNamedVersion);
        out_.writeTObject(bits);
        out_.writeTString(name);
        out_.writeTString(title);
        out_.endVersion(named);
    }

    void writeElementBase(const StreamerElement& element) {
        const std::size_t base = out_.beginVersion(kStreamerElementVersion);
        // The reader keeps a range only when ROOT flagged it (nbits is set then), so the flag
        // round-trips.
        writeNamed(element.nbits != 0 ? kElementBits | kHasRangeBit : kElementBits, element.name,
                   element.title);
        out_.write<std::int32_t>(element.type);
        out_.write<std::int32_t>(element.size);
        out_.write<std::int32_t>(element.array_length);
        out_.write<std::int32_t>(element.array_dim);
        for (int index : element.max_index) out_.write<std::int32_t>(index);
        out_.writeTString(element.type_name);
        out_.endVersion(base);
    }

    ByteWriter& out_;
    std::int64_t ref_origin_;
    std::unordered_map<std::string, std::uint32_t> tags_;
};

std::shared_ptr<const StreamerInfo> makeInfo(const detail::KnownInfo& row,
                                             std::span<const detail::KnownElement> elements) {
    auto info = std::make_shared<StreamerInfo>();
    info->class_name = "TStreamerInfo";
    info->name = row.name;
    info->checksum = row.checksum;
    info->class_version = row.class_version;
    for (const detail::KnownElement& known :
         elements.subspan(row.first_element, row.element_count)) {
        StreamerElement element;
        element.element_class = known.element_class;
        element.name = known.name;
        element.title = known.title;
        element.type_name = known.type_name;
        element.type = known.type;
        element.size = known.size;
        element.array_length = known.array_length;
        element.array_dim = known.array_dim;
        element.max_index = known.max_index;
        element.element_version = kStreamerElementVersion;
        element.base_version = known.base_version;
        element.count_name = known.count_name;
        element.count_class = known.count_class;
        element.count_version = known.count_version;
        element.stl_type = known.stl_type;
        element.ctype = known.ctype;
        info->elements.push_back(std::move(element));
    }
    return info;
}

struct Table {
    std::vector<std::shared_ptr<const StreamerInfo>> infos;
    std::unordered_map<std::string, std::size_t> by_name;
};

const Table& table() {
    static const Table instance = [] {
        Table built;
        const auto rows = detail::knownStreamerTable();
        const auto elements = detail::knownStreamerElements();
        for (const detail::KnownInfo& row : rows) {
            HEPFLOW_ASSERT(row.first_element + row.element_count <= elements.size(),
                           "known-streamer table row points past its elements");
            built.by_name.emplace(row.name, built.infos.size());
            built.infos.push_back(makeInfo(row, elements));
        }
        return built;
    }();
    return instance;
}

// The class an object member refers to: "TList*" -> "TList".
std::string_view memberClass(std::string_view type_name) {
    while (!type_name.empty() && (type_name.back() == '*' || type_name.back() == ' '))
        type_name.remove_suffix(1);
    return type_name;
}

bool refersToClass(const StreamerElement& element) {
    static const std::unordered_set<std::string_view> kinds = {
        "TStreamerBase",          "TStreamerObject",           "TStreamerObjectAny",
        "TStreamerObjectPointer", "TStreamerObjectAnyPointer", "TStreamerString",
    };
    return kinds.contains(element.element_class);
}

void collect(const StreamerInfo& info, std::unordered_set<std::string>& seen,
             std::vector<std::shared_ptr<const StreamerInfo>>& out, int depth) {
    HEPFLOW_ASSERT(depth < kMaxDependencyDepth, "streamer dependencies nest too deeply");
    for (const StreamerElement& element : info.elements) {
        if (!refersToClass(element)) continue;
        const std::string name(element.isBase() ? std::string_view(element.name)
                                                : memberClass(element.type_name));
        if (!seen.insert(name).second) continue;
        const auto known = knownStreamerInfo(name);
        if (!known) continue;
        collect(*known, seen, out, depth + 1);
        out.push_back(known);
    }
}

void foldChecksum(std::uint32_t& id, std::string_view text) {
    // ROOT folds `char` values, which are signed: bytes >= 0x80 contribute negative numbers.
    for (char c : text) id = id * 3 + static_cast<std::uint32_t>(static_cast<int>(c));
}

// TClassEdit::ResolveTypedef for the ROOT typedefs a streamer element can name (Long64_t,
// ULong64_t, Double32_t and Float16_t stay: ROOT keeps those spellings in checksums).
std::string resolveTypedefs(std::string_view type_name) {
    static const std::unordered_map<std::string_view, std::string_view> typedefs = {
        {"Char_t", "char"},
        {"UChar_t", "unsigned char"},
        {"Short_t", "short"},
        {"UShort_t", "unsigned short"},
        {"Int_t", "int"},
        {"UInt_t", "unsigned int"},
        {"Seek_t", "int"},
        {"Long_t", "long"},
        {"ULong_t", "unsigned long"},
        {"Float_t", "float"},
        {"Double_t", "double"},
        {"Bool_t", "bool"},
        {"Byte_t", "unsigned char"},
        {"Version_t", "short"},
        {"Option_t", "char"},
        {"Ssiz_t", "int"},
        {"Real_t", "float"},
        {"Axis_t", "double"},
        {"Stat_t", "double"},
        {"Font_t", "short"},
        {"Style_t", "short"},
        {"Marker_t", "short"},
        {"Width_t", "short"},
        {"Color_t", "short"},
        {"SCoord_t", "short"},
        {"Coord_t", "double"},
        {"Angle_t", "float"},
        {"Size_t", "float"},
    };
    std::string out;
    std::size_t i = 0;
    auto is_word = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == ':';
    };
    while (i < type_name.size()) {
        if (!is_word(type_name[i])) {
            out.push_back(type_name[i++]);
            continue;
        }
        std::size_t j = i;
        while (j < type_name.size() && is_word(type_name[j])) ++j;
        const std::string_view word = type_name.substr(i, j - i);
        const auto it = typedefs.find(word);
        out += it == typedefs.end() ? word : it->second;
        i = j;
    }
    return out;
}

bool isBasicIntName(std::string_view type_name) {
    return type_name == "int" || type_name == "Int_t" || type_name == "signed int";
}

// TClassEdit::IsStdClass / IsSTLCont for the names streamer infos carry.
bool isStdTemplate(std::string_view name, std::string_view& kind) {
    static constexpr std::string_view kTemplates[] = {
        "vector<",
        "list<",
        "deque<",
        "map<",
        "multimap<",
        "set<",
        "multiset<",
        "unordered_set<",
        "unordered_multiset<",
        "unordered_map<",
        "unordered_multimap<",
        "bitset<",
        "forward_list<",
        "pair<",
    };
    if (name.starts_with("std::")) name.remove_prefix(5);
    for (std::string_view prefix : kTemplates) {
        if (name.starts_with(prefix)) {
            kind = prefix.substr(0, prefix.size() - 1);
            return true;
        }
    }
    return false;
}

// How ROOT names the element type in a vector info's title ("<Int_t> Used to call ...").
std::string vectorTitleType(std::string_view element_type) {
    static const std::unordered_map<std::string_view, std::string_view> names = {
        {"bool", "Bool_t"},
        {"char", "Char_t"},
        {"unsigned char", "UChar_t"},
        {"short", "Short_t"},
        {"unsigned short", "UShort_t"},
        {"int", "Int_t"},
        {"unsigned int", "UInt_t"},
        {"long", "Long_t"},
        {"unsigned long", "ULong_t"},
        {"long long", "Long64_t"},
        {"unsigned long long", "ULong64_t"},
        {"float", "Float_t"},
        {"double", "Double_t"},
    };
    const auto it = names.find(element_type);
    return std::string(it == names.end() ? element_type : it->second);
}

// fCtype of a vector<T> element: T's basic type code, or kObject for strings and classes.
int vectorElementType(std::string_view element_type) {
    static const std::unordered_map<std::string_view, int> codes = {
        {"char", 1},
        {"short", 2},
        {"int", 3},
        {"long", 4},
        {"float", 5},
        {"double", 8},
        {"unsigned char", 11},
        {"unsigned short", 12},
        {"unsigned int", 13},
        {"unsigned long", 14},
        {"Long64_t", 16},
        {"long long", 16},
        {"ULong64_t", 17},
        {"unsigned long long", 17},
        {"bool", 18},
        {"Char_t", 1},
        {"Short_t", 2},
        {"Int_t", 3},
        {"Float_t", 5},
        {"Double_t", 8},
        {"Bool_t", 18},
    };
    const auto it = codes.find(element_type);
    return it == codes.end() ? kStreamerTypeObject : it->second;
}

}  // namespace

std::shared_ptr<const StreamerInfo> knownStreamerInfo(std::string_view class_name) {
    const Table& t = table();
    const auto it = t.by_name.find(std::string(class_name));
    return it == t.by_name.end() ? nullptr : t.infos[it->second];
}

const std::vector<std::shared_ptr<const StreamerInfo>>& knownStreamerInfos() {
    return table().infos;
}

std::string_view knownStreamerSource(std::string_view class_name) {
    for (const detail::KnownInfo& row : detail::knownStreamerTable())
        if (class_name == row.name) return row.source;
    return {};
}

std::vector<std::shared_ptr<const StreamerInfo>> withDependencies(
    std::shared_ptr<const StreamerInfo> info) {
    HEPFLOW_ASSERT(info != nullptr, "withDependencies needs an info");
    std::vector<std::shared_ptr<const StreamerInfo>> out;
    std::unordered_set<std::string> seen{info->name};
    collect(*info, seen, out, 0);
    out.push_back(std::move(info));
    return out;
}

std::uint32_t streamerChecksum(const StreamerInfo& info) {
    std::uint32_t id = 0;
    foldChecksum(id, info.name);
    std::string_view kind;
    if (isStdTemplate(info.name, kind)) {
        // ROOT skips bases of std classes; a vector's dictionary lists no data members, so its
        // checksum is its name alone (checked against every vector info in testdata).
        if (kind == "vector") return id;
        if (kind != "pair")
            throw UnsupportedError(fmt::format(
                "the class checksum of '{}' (a std::{}) is not reproduced", info.name, kind));
    } else {
        for (const StreamerElement& element : info.elements) {
            if (!element.isBase()) continue;
            foldChecksum(id, element.name);
            // ROOT 6 stores the base's checksum in fMaxIndex[1] of a TStreamerBase.
            if (element.element_class == "TStreamerBase")
                id = id * 3 + static_cast<std::uint32_t>(element.max_index[1]);
        }
    }
    for (const StreamerElement& element : info.elements) {
        if (element.isBase()) continue;
        // An Int_t-typed member whose type is not int is an enum (TStreamerInfo::GetCheckSum).
        if (element.type == kStreamerTypeInt && !isBasicIntName(element.type_name)) id = id * 3 + 1;
        foldChecksum(id, element.name);
        foldChecksum(id, resolveTypedefs(element.type_name));
        for (int i = 0; i < element.array_dim && i < static_cast<int>(element.max_index.size());
             ++i)
            id = id * 3 + static_cast<std::uint32_t>(element.max_index[i]);
        // A title starting with "[...]" (after '*' and blanks) names a counter or a range.
        std::string_view title = element.title;
        while (!title.empty() && (title.front() == '*' || title.front() == ' ' ||
                                  title.front() == '\t' || title.front() == '\n'))
            title.remove_prefix(1);
        if (title.starts_with('[')) {
            const auto right = title.find(']');
            if (right != std::string_view::npos) foldChecksum(id, title.substr(1, right - 1));
        }
    }
    return id;
}

std::shared_ptr<const StreamerInfo> vectorStreamerInfo(std::string_view element_type) {
    if (element_type.empty()) throw UsageError("vector streamer info needs an element type");
    auto info = std::make_shared<StreamerInfo>();
    info->class_name = "TStreamerInfo";
    // ROOT closes nested templates with "> >".
    info->name = fmt::format("vector<{}{}>", element_type, element_type.ends_with('>') ? " " : "");
    info->class_version = kStlContainerClassVersion;
    StreamerElement element;
    element.element_class = "TStreamerSTL";
    element.name = "This";
    element.title = fmt::format("<{}> Used to call the proper TStreamerInfo case",
                                vectorTitleType(element_type));
    element.type_name = info->name;
    element.type = kStreamerTypeStreamer;
    element.element_version = kStreamerElementVersion;
    element.stl_type = kStlVector;
    element.ctype = vectorElementType(element_type);
    info->elements.push_back(std::move(element));
    info->checksum = streamerChecksum(*info);
    return info;
}

const std::vector<std::string>& treeReadRules() {
    // Exactly as ROOT 6.14-6.30 writes them (every TTree file of testdata), trailing blank
    // included.
    static const std::vector<std::string> rules = {
        "type=read sourceClass=\"TTree\" targetClass=\"TTree\" version=\"[-16]\" source=\"\" "
        "target=\"fDefaultEntryOffsetLen\" code=\"{ fDefaultEntryOffsetLen = 1000; }\" ",
        "type=read sourceClass=\"TTree\" targetClass=\"TTree\" version=\"[-18]\" source=\"\" "
        "target=\"fNClusterRange\" code=\"{ fNClusterRange = 0; }\" ",
    };
    return rules;
}

std::vector<std::byte> serializeStreamerInfoList(
    std::span<const std::shared_ptr<const StreamerInfo>> infos, std::span<const std::string> rules,
    std::int64_t ref_origin) {
    ByteWriter out(ref_origin);
    RecordObjectWriter objects(out, ref_origin);
    const std::size_t list = out.beginVersion(kTListVersion);
    out.writeTObject(kCollectionBits);
    out.writeTString("");
    out.write<std::int32_t>(static_cast<std::int32_t>(infos.size() + (rules.empty() ? 0 : 1)));
    for (const auto& info : infos) {
        HEPFLOW_ASSERT(info != nullptr, "null streamer info in the StreamerInfo list");
        objects.writeInfo(*info);
        out.write<std::uint8_t>(0);  // the item's option string
    }
    if (!rules.empty()) {
        const std::size_t rules_object = objects.beginObject("TList");
        const std::size_t rules_list = out.beginVersion(kTListVersion);
        out.writeTObject(kRulesListBits);
        out.writeTString("listOfRules");
        out.write<std::int32_t>(static_cast<std::int32_t>(rules.size()));
        for (const std::string& rule : rules) {
            const std::size_t object = objects.beginObject("TObjString");
            const std::size_t version = out.beginVersion(kTObjStringVersion);
            out.writeTObject(kObjStringBits);
            out.writeTString(rule);
            out.endVersion(version);
            objects.endObject(object);
            out.write<std::uint8_t>(0);
        }
        out.endVersion(rules_list);
        objects.endObject(rules_object);
        out.write<std::uint8_t>(0);
    }
    out.endVersion(list);
    return out.release();
}

}  // namespace hepflow::root
