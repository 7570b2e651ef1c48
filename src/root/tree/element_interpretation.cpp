// Interpretations of TBranchElement branches (ROOT-FORMAT.md 4.6, 4.7, 6.4, 6.6): top-level
// std::vector/set/map/string/TString, members of split objects (numbers, fixed and pointer
// arrays, strings, STL containers, unsplit objects), split TClonesArray/STL collections (count
// branch and per-item members) and TRef/TRefArray. A value plan is built once per branch from
// the streamer infos; numeric members decode in bulk per basket, nested values per item.
#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "root/endian.h"
#include "root/tree/basic_interpretation.h"
#include "root/tree/interpretation.h"

namespace hepflow::root {

namespace {

using frame::Column;
using frame::DType;

// ROOT type codes (TStreamerElement fType, TBranchElement fStreamerType; ROOT-FORMAT.md 8.3).
constexpr int kTypeCounter = 6;
constexpr int kTypeBits = 15;  // TObject::fBits: a pidf follows when kIsReferenced is set
constexpr int kTypeDouble32 = 9;
constexpr int kTypeFloat16 = 19;
constexpr int kTypeOffsetL = 20;  // fixed array of the basic type code - 20
constexpr int kTypeOffsetP = 40;  // pointer array of the basic type code - 40, [counter]
constexpr int kTypeObject = 61;
constexpr int kTypeAny = 62;
constexpr int kTypeTString = 65;
constexpr int kTypeTObject = 66;
constexpr int kTypeTNamed = 67;
constexpr int kTypeSTL = 300;
constexpr int kTypeSTLstring = 365;
constexpr int kTypeStreamer = 500;

// TBranchElement fType (ROOT-FORMAT.md 6.4).
constexpr int kTopLevelString = -1;
constexpr int kLeafNode = 0;
constexpr int kBaseClassNode = 1;
constexpr int kObjectNode = 2;
constexpr int kClonesNode = 3;
constexpr int kSTLNode = 4;
constexpr int kClonesMemberNode = 31;
constexpr int kSTLMemberNode = 41;

// TRef::Streamer writes a TUUID string instead of the pid when this TObject bit is set.
constexpr std::uint32_t kHasUUID = 1u << 5;
// TString length prefix: one byte, or 255 followed by a uint32 length.
constexpr std::uint8_t kLongStringMarker = 255;
// Nested containers and objects deeper than this are a recursive class or corruption.
constexpr int kMaxNesting = 32;
// Float16_t without a range keeps 12 mantissa bits (TBufferFile::ReadFloat16); a "[0, 0, n]"
// range marks truncation with n bits when n is below 15 (TStreamerElement::GetRange).
constexpr int kDefaultFloat16Bits = 12;
constexpr int kMaxTruncatedBits = 15;
constexpr int kFloatMantissaBits = 23;

// ------------------------------------------------------------------------------------------
// Numbers

// How one number is stored and what it becomes.
struct NumberCodec {
    enum class Mode : std::uint8_t {
        Plain,      // big-endian value of the output type
        Float,      // Double32_t without a range: float32 on disk
        Scaled,     // Float16_t/Double32_t with a range: uint32 i, xmin + i / factor
        Truncated,  // Float16_t, or "[0, 0, nbits]": uint8 exponent + uint16 mantissa
    };
    DType dtype = DType::Int32;
    Mode mode = Mode::Plain;
    double xmin = 0;
    double factor = 0;
    int nbits = 0;

    bool plain() const { return mode == Mode::Plain; }
    std::size_t diskSize() const {
        switch (mode) {
            case Mode::Plain: return frame::dtypeSize(dtype);
            case Mode::Float:
            case Mode::Scaled: return 4;
            case Mode::Truncated: return 3;
        }
        return 0;
    }
    TruncatedFloatSpec truncatedSpec() const {
        TruncatedFloatSpec spec;
        spec.mode = mode == Mode::Float    ? TruncatedFloatSpec::Mode::Float
                    : mode == Mode::Scaled ? TruncatedFloatSpec::Mode::Scaled
                                           : TruncatedFloatSpec::Mode::Truncated;
        spec.xmin = xmin;
        spec.factor = factor;
        spec.nbits = nbits;
        return spec;
    }
};

template <class F>
decltype(auto) visitNumeric(DType dtype, F&& f) {
    switch (dtype) {
        case DType::Bool: return f(std::type_identity<bool>{});
        case DType::Int8: return f(std::type_identity<std::int8_t>{});
        case DType::UInt8: return f(std::type_identity<std::uint8_t>{});
        case DType::Int16: return f(std::type_identity<std::int16_t>{});
        case DType::UInt16: return f(std::type_identity<std::uint16_t>{});
        case DType::Int32: return f(std::type_identity<std::int32_t>{});
        case DType::UInt32: return f(std::type_identity<std::uint32_t>{});
        case DType::Int64: return f(std::type_identity<std::int64_t>{});
        case DType::UInt64: return f(std::type_identity<std::uint64_t>{});
        case DType::Float32: return f(std::type_identity<float>{});
        case DType::Float64: return f(std::type_identity<double>{});
        case DType::String:
        case DType::Struct: break;
    }
    throw InternalError(fmt::format("no numeric decoder for dtype {}", frame::dtypeName(dtype)));
}

// Grows the column by n values of T; vector<byte> storage comes from operator new (aligned for
// any T) and holds only whole values of T, so the cast is aligned.
template <class T>
T* growValues(Column& out, std::size_t n) {
    auto& bytes = out.bytes();
    const std::size_t old_size = bytes.size();
    bytes.resize(old_size + n * sizeof(T));
    return reinterpret_cast<T*>(bytes.data() + old_size);
}

float truncatedFloat(const std::byte* p, int nbits) {
    // TBufferFile::ReadWithNbits: bit nbits+1 of the mantissa is the sign.
    const std::uint32_t sign_bit = 1u << (nbits + 1);
    const auto exponent = std::to_integer<std::uint32_t>(p[0]);
    const std::uint32_t mantissa = loadBigEndian<std::uint16_t>(p + 1);
    const std::uint32_t bits = (exponent << kFloatMantissaBits) |
                               ((mantissa & (sign_bit - 1)) << (kFloatMantissaBits - nbits));
    const float value = std::bit_cast<float>(bits);
    return (mantissa & sign_bit) ? -value : value;
}

// Converts `count` values stored at `src` and appends them to `out` (dtype codec.dtype).
void appendNumbers(const NumberCodec& codec, const std::byte* src, std::size_t count, Column& out) {
    visitNumeric(codec.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* dst = growValues<T>(out, count);
        switch (codec.mode) {
            case NumberCodec::Mode::Plain:
                loadBigEndianArray<T>(std::span<const std::byte>(src, count * sizeof(T)),
                                      std::span<T>(dst, count));
                return;
            case NumberCodec::Mode::Float:
                for (std::size_t i = 0; i < count; ++i)
                    dst[i] = static_cast<T>(loadBigEndian<float>(src + 4 * i));
                return;
            case NumberCodec::Mode::Scaled:
                for (std::size_t i = 0; i < count; ++i)
                    dst[i] = static_cast<T>(
                        loadBigEndian<std::uint32_t>(src + 4 * i) / codec.factor + codec.xmin);
                return;
            case NumberCodec::Mode::Truncated:
                for (std::size_t i = 0; i < count; ++i)
                    dst[i] = static_cast<T>(truncatedFloat(src + 3 * i, codec.nbits));
                return;
        }
    });
}

// Float16_t / Double32_t codec from a streamer element's range (as the file layer parsed it
// the way TStreamerElement::GetRange does), or the defaults without an element.
NumberCodec truncatedCodec(bool is_float16, const StreamerElement* element) {
    NumberCodec codec;
    codec.dtype = is_float16 ? DType::Float32 : DType::Float64;
    if (element != nullptr && element->factor > 0) {
        codec.mode = NumberCodec::Mode::Scaled;
        codec.xmin = element->xmin;
        codec.factor = element->factor;
        codec.nbits = element->nbits;
        return codec;
    }
    // Without a factor, GetRange leaves the truncation bits in xmin ("nbits + 0.1").
    const int bits = element != nullptr ? static_cast<int>(element->xmin) : 0;
    if (bits > 0 && bits < kMaxTruncatedBits) {
        codec.mode = NumberCodec::Mode::Truncated;
        codec.nbits = bits;
    } else if (is_float16) {
        codec.mode = NumberCodec::Mode::Truncated;
        codec.nbits = kDefaultFloat16Bits;
    } else {
        codec.mode = NumberCodec::Mode::Float;
    }
    return codec;
}

// The codec of a basic type code 1..19 (not 7 char*, not 10 legacy char).
std::optional<NumberCodec> codecOfType(int type, const StreamerElement* element) {
    NumberCodec codec;
    switch (type) {
        case 1: codec.dtype = DType::Int8; break;
        case 2: codec.dtype = DType::Int16; break;
        case 3:
        case kTypeCounter: codec.dtype = DType::Int32; break;
        case 4:  // Long_t: ROOT writes 8 bytes
        case 16: codec.dtype = DType::Int64; break;
        case 5: codec.dtype = DType::Float32; break;
        case 8: codec.dtype = DType::Float64; break;
        case 11: codec.dtype = DType::UInt8; break;
        case 12: codec.dtype = DType::UInt16; break;
        case 13:
        case 15: codec.dtype = DType::UInt32; break;  // 15: TObject::fBits
        case 14:
        case 17: codec.dtype = DType::UInt64; break;
        case 18: codec.dtype = DType::Bool; break;
        case kTypeDouble32: return truncatedCodec(false, element);
        case kTypeFloat16: return truncatedCodec(true, element);
        default: return std::nullopt;
    }
    return codec;
}

bool isBasicType(int type) {
    return codecOfType(type, nullptr).has_value();
}

// The codec of a basic C++ type name as ROOT writes them in STL type names.
std::optional<NumberCodec> codecOfTypeName(std::string_view name) {
    struct Entry {
        std::string_view name;
        DType dtype;
    };
    static constexpr Entry kTable[] = {
        {"bool", DType::Bool},
        {"Bool_t", DType::Bool},
        {"char", DType::Int8},
        {"signed char", DType::Int8},
        {"Char_t", DType::Int8},
        {"int8_t", DType::Int8},
        {"unsigned char", DType::UInt8},
        {"UChar_t", DType::UInt8},
        {"uint8_t", DType::UInt8},
        {"short", DType::Int16},
        {"short int", DType::Int16},
        {"Short_t", DType::Int16},
        {"int16_t", DType::Int16},
        {"unsigned short", DType::UInt16},
        {"unsigned short int", DType::UInt16},
        {"UShort_t", DType::UInt16},
        {"uint16_t", DType::UInt16},
        {"int", DType::Int32},
        {"Int_t", DType::Int32},
        {"int32_t", DType::Int32},
        {"unsigned int", DType::UInt32},
        {"unsigned", DType::UInt32},
        {"UInt_t", DType::UInt32},
        {"uint32_t", DType::UInt32},
        {"long", DType::Int64},  // Long_t is written as 8 bytes
        {"long int", DType::Int64},
        {"Long_t", DType::Int64},
        {"long long", DType::Int64},
        {"long long int", DType::Int64},
        {"Long64_t", DType::Int64},
        {"int64_t", DType::Int64},
        {"unsigned long", DType::UInt64},
        {"unsigned long int", DType::UInt64},
        {"ULong_t", DType::UInt64},
        {"unsigned long long", DType::UInt64},
        {"ULong64_t", DType::UInt64},
        {"uint64_t", DType::UInt64},
        {"float", DType::Float32},
        {"Float_t", DType::Float32},
        {"double", DType::Float64},
        {"Double_t", DType::Float64},
    };
    if (name == "Double32_t") return truncatedCodec(false, nullptr);
    if (name == "Float16_t") return truncatedCodec(true, nullptr);
    for (const auto& entry : kTable)
        if (entry.name == name) return NumberCodec{.dtype = entry.dtype};
    return std::nullopt;
}

// ------------------------------------------------------------------------------------------
// Type names

std::string_view trim(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

// "std::vector<std::vector<int> > " -> "vector<vector<int>>".
std::string normalizeTypeName(std::string_view name) {
    std::string out;
    name = trim(name);
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name.compare(i, 5, "std::") == 0) {
            i += 4;
            continue;
        }
        const char c = name[i];
        if (c == ' ' && (out.empty() || out.back() == '<' || out.back() == ',' ||
                         out.back() == '>' || i + 1 == name.size() || name[i + 1] == '>' ||
                         name[i + 1] == ',' || name[i + 1] == ' '))
            continue;
        out.push_back(c);
    }
    return out;
}

struct TemplateName {
    std::string_view base;               // "vector"
    std::vector<std::string_view> args;  // top-level arguments
};

// Splits "map<int,vector<short>>" into "map" and {"int", "vector<short>"}; nullopt when the
// name is not a template or its brackets do not balance.
std::optional<TemplateName> splitTemplate(std::string_view name) {
    const std::size_t open = name.find('<');
    if (open == std::string_view::npos || name.back() != '>') return std::nullopt;
    TemplateName out{trim(name.substr(0, open)), {}};
    int depth = 0;
    std::size_t start = open + 1;
    for (std::size_t i = open + 1; i + 1 < name.size(); ++i) {
        if (name[i] == '<') ++depth;
        if (name[i] == '>' && --depth < 0) return std::nullopt;
        if (name[i] == ',' && depth == 0) {
            out.args.push_back(trim(name.substr(start, i - start)));
            start = i + 1;
        }
    }
    if (depth != 0) return std::nullopt;
    out.args.push_back(trim(name.substr(start, name.size() - 1 - start)));
    return out;
}

bool isSequenceName(std::string_view base) {
    return base == "vector" || base == "list" || base == "deque" || base == "set" ||
           base == "multiset" || base == "unordered_set" || base == "unordered_multiset";
}
bool isMapName(std::string_view base) {
    return base == "map" || base == "multimap" || base == "unordered_map" ||
           base == "unordered_multimap";
}
bool isStdStringName(std::string_view name) {
    return name == "string" || name == "basic_string<char>";
}

// ------------------------------------------------------------------------------------------
// Value plans: a tree of nodes built once per branch; each leaf writes one output column.

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
    DType dtype = DType::Int32;
    std::size_t levels = 0;  // offsets levels (strings: without the character level)
};

// Where a value sits, which decides whether ROOT wrote a count+version before it (4.7).
enum class Site : std::uint8_t {
    Entry,   // a whole top-level entry: STL containers have one, strings do not
    Member,  // a data member: STL containers and std::string have one
    Item,    // inside a container or a member-wise block: none (objects keep theirs)
};

// The dimensions of a fixed-array element: fMaxIndex, or fArrayLength when they disagree.
std::vector<std::int64_t> arrayDimensions(const StreamerElement& element) {
    std::vector<std::int64_t> dims;
    std::int64_t product = 1;
    const int n = std::clamp(element.array_dim, 0, static_cast<int>(element.max_index.size()));
    for (int i = 0; i < n; ++i) {
        dims.push_back(element.max_index[i]);
        product *= element.max_index[i];
    }
    if (dims.empty() || product != element.array_length) dims = {element.array_length};
    for (auto dim : dims)
        if (dim < 1)
            throw UnsupportedError(
                fmt::format("fixed array member '{}' with dimension {}", element.name, dim));
    return dims;
}

std::string dimensionsText(std::span<const std::int64_t> dims) {
    std::string text;
    for (auto dim : dims) text += fmt::format("[{}]", dim);
    return text;
}

class PlanBuilder {
public:
    explicit PlanBuilder(const StreamerInfoSet& streamers) : streamers_(streamers) {}

    std::vector<SinkSpec>& sinks() { return sinks_; }

    std::unique_ptr<Node> number(const NumberCodec& codec, std::string type_name,
                                 const std::string& path, std::size_t depth) {
        auto node = makeNode(NodeKind::Number, std::move(type_name));
        node->codec = codec;
        node->sink = addSink(path, codec.dtype, depth);
        return node;
    }

    // ROOT streams a kBits member with the pidf of referenced objects (TStreamerInfo's
    // ReadBuffer, kBits case): 6 bytes per value in Delphes GenParticle/Track collections.
    std::unique_ptr<Node> bits(const std::string& path, std::size_t depth) {
        auto node = makeNode(NodeKind::Bits, "fBits");
        node->sink = addSink(path, DType::UInt32, depth);
        return node;
    }

    std::unique_ptr<Node> string(bool header, std::string type_name, const std::string& path,
                                 std::size_t depth) {
        auto node = makeNode(NodeKind::String, std::move(type_name));
        node->header = header;
        node->sink = addSink(path + "#string", DType::String, depth);
        return node;
    }

    // A value of C++ type `type_name` at `site`; `depth` is the number of offsets levels above.
    std::unique_ptr<Node> fromTypeName(std::string_view type_name, Site site,
                                       const std::string& path, std::size_t depth) {
        const Nesting guard(*this, type_name);
        const std::string name = normalizeTypeName(type_name);
        if (auto codec = codecOfTypeName(name)) return number(*codec, name, path, depth);
        if (isStdStringName(name)) return string(site == Site::Member, name, path, depth);
        if (name == "TString") return string(false, name, path, depth);
        if (auto tmpl = splitTemplate(name)) {
            if (isSequenceName(tmpl->base)) return sequence(name, tmpl->args, site, path, depth);
            if (isMapName(tmpl->base)) return map(name, tmpl->args, site, path, depth);
            throw UnsupportedError(fmt::format("the type '{}'", name));
        }
        return object(name, path, depth);
    }

    // A data member described by a streamer element (split member or object member).
    std::unique_ptr<Node> fromElement(const StreamerElement& element, const std::string& path,
                                      std::size_t depth) {
        const int type = element.type;
        if (type == kTypeBits) return bits(path, depth);
        if (auto codec = codecOfType(type, &element))
            return number(*codec, element.type_name, path, depth);
        if (type > kTypeOffsetL && type < kTypeOffsetP && isBasicType(type - kTypeOffsetL)) {
            const auto codec = *codecOfType(type - kTypeOffsetL, &element);
            const auto dims = arrayDimensions(element);
            return fixedArray(dims, depth, [&](std::size_t item_depth) {
                return number(codec, element.type_name, path, item_depth);
            });
        }
        if (type == kTypeTString) return string(false, "TString", path, depth);
        if (type == kTypeTObject) return object("TObject", path, depth);
        if (type == kTypeTNamed) return object("TNamed", path, depth);
        if (type == kTypeSTL || type == kTypeStreamer || type == kTypeSTLstring)
            return fromTypeName(element.type_name, Site::Member, path, depth);
        if (type == kTypeObject || type == kTypeAny) return object(element.type_name, path, depth);
        if (type == kTypeOffsetL + kTypeObject || type == kTypeOffsetL + kTypeAny) {
            const auto dims = arrayDimensions(element);
            return fixedArray(dims, depth, [&](std::size_t item_depth) {
                return object(element.type_name, path, item_depth);
            });
        }
        if (type > kTypeOffsetP && type < kTypeOffsetP + kTypeOffsetL)
            throw UnsupportedError(fmt::format(
                "member '{}' ({}, fType {}): arrays counted by another member inside an "
                "unsplit object",
                element.name, element.type_name, type));
        throw UnsupportedError(fmt::format("member '{}' of type '{}' (fType {})", element.name,
                                           element.type_name, type));
    }

    // An object of a class with its own count+version (kObject/kAny members, whole objects).
    std::unique_ptr<Node> object(std::string_view class_name, const std::string& path,
                                 std::size_t depth) {
        const Nesting guard(*this, class_name);
        const std::string name = normalizeTypeName(class_name);
        if (name == "TObject") return tobject(NodeKind::TObject, path, depth);
        if (name == "TRef") return tobject(NodeKind::TRef, path, depth);
        if (name == "TRefArray") return refArray(path, depth);
        if (name == "TString" || isStdStringName(name) || splitTemplate(name) ||
            codecOfTypeName(name))
            return fromTypeName(name, Site::Member, path, depth);
        if (hasCustomStreamer(name))
            throw UnsupportedError(
                fmt::format("class '{}' inside an unsplit object (custom "
                            "streamer)",
                            name));
        const StreamerInfo* info = streamers_.find(name);
        if (info == nullptr && name == "TNamed") return named(path, depth);
        if (info == nullptr)
            throw UnsupportedError(fmt::format("class '{}' (no streamer info in the file)", name));
        auto node = makeNode(NodeKind::Object, name);
        node->header = true;
        node->class_version = info->class_version;
        for (const auto& element : info->elements) {
            if (element.isBase()) {
                // Base classes: TObject by its own streamer, others as versioned sub-objects;
                // their members keep the object's path (JSROOT flattens them the same way).
                if (element.type == kTypeTObject || element.name == "TObject")
                    node->children.push_back(tobject(NodeKind::TObject, path, depth));
                else if (element.type == kTypeTNamed || element.type == 0)
                    node->children.push_back(object(element.name, path, depth));
                else
                    throw UnsupportedError(fmt::format("base class '{}' of '{}' (fType {})",
                                                       element.name, name, element.type));
            } else {
                node->children.push_back(fromElement(element, path + "." + element.name, depth));
            }
        }
        return node;
    }

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
    // Counts nesting so that a class containing itself ends in an error, not a stack overflow.
    class Nesting {
    public:
        Nesting(PlanBuilder& builder, std::string_view name) : builder_(builder) {
            if (++builder_.nesting_ > kMaxNesting)
                throw UnsupportedError(
                    fmt::format("'{}' nested more than {} levels deep", name, kMaxNesting));
        }
        ~Nesting() { --builder_.nesting_; }
        Nesting(const Nesting&) = delete;
        Nesting& operator=(const Nesting&) = delete;

    private:
        PlanBuilder& builder_;
    };

    static std::unique_ptr<Node> makeNode(NodeKind kind, std::string type_name) {
        auto node = std::make_unique<Node>();
        node->kind = kind;
        node->type_name = std::move(type_name);
        return node;
    }

    int addSink(std::string name, DType dtype, std::size_t levels) {
        sinks_.push_back(SinkSpec{std::move(name), dtype, levels});
        return static_cast<int>(sinks_.size()) - 1;
    }

    void endLists(Node& node, int first_sink, std::size_t level) const {
        for (int s = first_sink; s < static_cast<int>(sinks_.size()); ++s)
            node.ends.push_back(ListEnd{s, level});
    }

    std::unique_ptr<Node> sequence(const std::string& name,
                                   const std::vector<std::string_view>& args, Site site,
                                   const std::string& path, std::size_t depth) {
        if (args.empty()) throw UnsupportedError(fmt::format("the type '{}'", name));
        auto node = makeNode(NodeKind::Sequence, name);
        node->header = site != Site::Item;
        const int first_sink = static_cast<int>(sinks_.size());
        node->children.push_back(fromTypeName(args.front(), Site::Item, path, depth + 1));
        endLists(*node, first_sink, depth);
        return node;
    }

    std::unique_ptr<Node> map(const std::string& name, const std::vector<std::string_view>& args,
                              Site site, const std::string& path, std::size_t depth) {
        if (args.size() < 2) throw UnsupportedError(fmt::format("the type '{}'", name));
        if (site == Site::Item)
            throw UnsupportedError(fmt::format("the type '{}' inside a container", name));
        auto node = makeNode(NodeKind::Map, name);
        node->header = true;
        const int first_sink = static_cast<int>(sinks_.size());
        node->children.push_back(fromTypeName(args[0], Site::Item, path + ".first", depth + 1));
        node->children.push_back(fromTypeName(args[1], Site::Item, path + ".second", depth + 1));
        // In a member-wise map, a block of strings or containers gets one count+version;
        // blocks of numbers and TStrings get none (checked on uproot-stl_containers.root).
        node->key_header = needsBlockHeader(*node->children[0]);
        node->value_header = needsBlockHeader(*node->children[1]);
        endLists(*node, first_sink, depth);
        return node;
    }

    static bool needsBlockHeader(const Node& node) {
        switch (node.kind) {
            case NodeKind::Number: return false;
            case NodeKind::String: return node.type_name != "TString";
            case NodeKind::Sequence:
            case NodeKind::Map: return true;
            default:
                throw UnsupportedError(
                    fmt::format("map keys or values of type '{}'", node.type_name));
        }
    }

    // Classes whose hand-written Streamer does not follow their streamer info (collections,
    // TArray*, ...): their layout would be misread from the elements.
    static bool hasCustomStreamer(std::string_view name) {
        static constexpr std::string_view kClasses[] = {
            "TClonesArray", "TObjArray", "TList", "THashList", "TMap",  "TBtree",
            "TCollection",  "TArray",    "TBits", "TDatime",   "TUUID", "TProcessID"};
        for (auto custom : kClasses)
            if (name == custom) return true;
        return name.starts_with("TArray") || name.starts_with("TH1") || name.starts_with("TH2") ||
               name.starts_with("TH3");
    }

    // TNamed when the file has no streamer info for it: TObject, fName, fTitle (4.5).
    std::unique_ptr<Node> named(const std::string& path, std::size_t depth) {
        auto node = makeNode(NodeKind::Object, "TNamed");
        node->header = true;
        node->class_version = 1;
        node->children.push_back(tobject(NodeKind::TObject, path, depth));
        node->children.push_back(string(false, "TString", path + ".fName", depth));
        node->children.push_back(string(false, "TString", path + ".fTitle", depth));
        return node;
    }

    std::unique_ptr<Node> tobject(NodeKind kind, const std::string& path, std::size_t depth) {
        auto node = makeNode(kind, kind == NodeKind::TRef ? "TRef" : "TObject");
        node->parts[kUniqueID] = addSink(path + ".fUniqueID", DType::UInt32, depth);
        node->parts[kBits] = addSink(path + ".fBits", DType::UInt32, depth);
        if (kind == NodeKind::TRef)
            node->parts[kPid] = addSink(path + ".fPID", DType::UInt16, depth);
        return node;
    }

    // TRefArray::Streamer, with JSROOT's member names (fLast = n - 1).
    std::unique_ptr<Node> refArray(const std::string& path, std::size_t depth) {
        auto node = makeNode(NodeKind::TRefArray, "TRefArray");
        node->header = true;
        node->parts[kUniqueID] = addSink(path + ".fUniqueID", DType::UInt32, depth);
        node->parts[kBits] = addSink(path + ".fBits", DType::UInt32, depth);
        node->parts[kName] = addSink(path + ".name#string", DType::String, depth);
        node->parts[kLast] = addSink(path + ".fLast", DType::Int32, depth);
        node->parts[kLowerBound] = addSink(path + ".fLowerBound", DType::Int32, depth);
        node->parts[kUIDs] = addSink(path + ".fUIDs", DType::UInt32, depth + 1);
        node->ends.push_back(ListEnd{node->parts[kUIDs], depth});
        return node;
    }

    const StreamerInfoSet& streamers_;
    std::vector<SinkSpec> sinks_;
    int nesting_ = 0;
};

// ------------------------------------------------------------------------------------------
// Decoding

// A bounds-checked cursor over one entry of a basket. Overruns throw FormatError with the
// basket's file, object and offset; nothing is appended from bytes past the entry.
class Cursor {
public:
    explicit Cursor(const BasketData& basket) : basket_(basket), data_(basket.data.data()) {}

    void setRange(std::size_t begin, std::size_t end) {
        pos_ = begin;
        end_ = end;
    }
    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return end_ - pos_; }
    bool atEnd() const { return pos_ == end_; }

    void need(std::size_t count) const {
        if (count > end_ - pos_)
            fail(pos_, fmt::format("needs {} bytes but the entry has {} left", count, end_ - pos_));
    }
    template <BigEndianValue T>
    T read() {
        need(sizeof(T));
        const T value = loadBigEndian<T>(data_ + pos_);
        pos_ += sizeof(T);
        return value;
    }
    const std::byte* take(std::size_t count) {
        need(count);
        const std::byte* p = data_ + pos_;
        pos_ += count;
        return p;
    }
    std::string_view readString() {
        std::size_t length = read<std::uint8_t>();
        if (length == kLongStringMarker) length = read<std::uint32_t>();
        return {reinterpret_cast<const char*>(take(length)), length};
    }
    // A count+version header (the count is optional, ROOT-FORMAT.md 4.1). Returns the end of
    // the counted bytes, or 0 when there is no count.
    std::size_t readHeader(std::int16_t& version) {
        const std::size_t start = pos_;
        const auto word = read<std::uint32_t>();
        std::size_t end = 0;
        if (word & kByteCountMask) {
            const std::size_t count = word & ~kByteCountMask;
            if (count < 2 || count > end_ - pos_)
                fail(start, fmt::format("byte count {} runs past the entry ({} bytes left)", count,
                                        end_ - pos_));
            end = pos_ + count;
        } else {
            pos_ = start;
        }
        version = read<std::int16_t>();
        return end;
    }
    void expectEnd(std::size_t end, std::size_t start, std::string_view what) const {
        if (end != 0 && pos_ != end)
            fail(start, fmt::format("{} decoded {} bytes, but its byte count says {}", what,
                                    pos_ - start, end - start));
    }
    // A count of items that each take at least `min_bytes`: rejects counts the entry cannot
    // hold before anything is allocated.
    std::size_t readCount(std::size_t min_bytes, std::string_view what) {
        const std::size_t at = pos_;
        const auto n = read<std::int32_t>();
        if (n < 0 || static_cast<std::size_t>(n) * min_bytes > end_ - pos_)
            fail(at, fmt::format("{} of {} items does not fit in the {} bytes left", what, n,
                                 end_ - pos_));
        return static_cast<std::size_t>(n);
    }

    [[noreturn]] void fail(std::size_t position, std::string_view message) const {
        basket_.reader().failAt(position, message);
    }
    [[noreturn]] void unsupported(std::size_t position, std::string message) const {
        UnsupportedError error(std::move(message));
        basket_.reader().addContext(error, position);
        throw error;
    }

private:
    const BasketData& basket_;
    const std::byte* data_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

// Ends offsets level `level` of `column`: the next level's (or the values') current count.
void endList(Column& column, std::size_t level) {
    const std::int64_t count = level + 1 < column.levels()
                                   ? static_cast<std::int64_t>(column.offsets(level + 1).size()) - 1
                                   : static_cast<std::int64_t>(column.numValues());
    column.offsets(level).push_back(count);
}

// Walks a plan over the bytes of one basket, appending to the sink columns.
class PlanDecoder {
public:
    PlanDecoder(Cursor& cursor, std::span<Column* const> sinks) : cursor_(cursor), sinks_(sinks) {}

    void decode(const Node& node) {
        switch (node.kind) {
            case NodeKind::Number:
                appendNumbers(node.codec, cursor_.take(node.codec.diskSize()), 1,
                              *sinks_[node.sink]);
                return;
            case NodeKind::Bits: {
                const auto bits = cursor_.read<std::uint32_t>();
                sinks_[node.sink]->append(bits);
                if (bits & kIsReferenced) (void)cursor_.read<std::uint16_t>();  // pidf
                return;
            }
            case NodeKind::String: return decodeString(node);
            case NodeKind::Sequence: return decodeSequence(node);
            case NodeKind::FixedArray:
                decodeItems(*node.children[0], static_cast<std::size_t>(node.length));
                return endLists(node);
            case NodeKind::Map: return decodeMap(node);
            case NodeKind::Object: return decodeObject(node);
            case NodeKind::TObject: decodeTObject(node); return;
            case NodeKind::TRef: return decodeTRef(node);
            case NodeKind::TRefArray: return decodeRefArray(node);
        }
    }

    void endLists(const Node& node) {
        for (const auto& end : node.ends) endList(*sinks_[end.sink], end.level);
    }

private:
    void decodeItems(const Node& item, std::size_t n) {
        if (item.kind == NodeKind::Number) {
            appendNumbers(item.codec, cursor_.take(n * item.codec.diskSize()), n,
                          *sinks_[item.sink]);
            return;
        }
        for (std::size_t i = 0; i < n; ++i) decode(item);
    }

    std::size_t minItemBytes(const Node& item) const {
        return item.kind == NodeKind::Number ? item.codec.diskSize() : 1;
    }

    void decodeString(const Node& node) {
        const std::size_t start = cursor_.position();
        std::int16_t version = 0;
        const std::size_t end = node.header ? cursor_.readHeader(version) : 0;
        sinks_[node.sink]->appendString(cursor_.readString());
        cursor_.expectEnd(end, start, node.type_name);
    }

    void decodeSequence(const Node& node) {
        const std::size_t start = cursor_.position();
        std::size_t end = 0;
        if (node.header) {
            std::int16_t version = 0;
            end = cursor_.readHeader(version);
            if (version & kStreamedMemberWise)
                cursor_.unsupported(start, fmt::format("member-wise streamed {}", node.type_name));
        }
        const Node& item = *node.children[0];
        decodeItems(item, cursor_.readCount(minItemBytes(item), node.type_name));
        endLists(node);
        cursor_.expectEnd(end, start, node.type_name);
    }

    void decodeMap(const Node& node) {
        const std::size_t start = cursor_.position();
        std::int16_t version = 0;
        const std::size_t end = cursor_.readHeader(version);
        if (!(version & kStreamedMemberWise))
            cursor_.unsupported(start, fmt::format("object-wise streamed {}", node.type_name));
        // ReadVersionForMemberWise: the pair's class version, then its checksum if that is 0.
        if (cursor_.read<std::int16_t>() <= 0) (void)cursor_.read<std::uint32_t>();
        const Node& key = *node.children[0];
        const Node& value = *node.children[1];
        const std::size_t n =
            cursor_.readCount(minItemBytes(key) + minItemBytes(value), node.type_name);
        decodeBlock(key, n, node.key_header);
        decodeBlock(value, n, node.value_header);
        endLists(node);
        cursor_.expectEnd(end, start, node.type_name);
    }

    void decodeBlock(const Node& item, std::size_t n, bool header) {
        const std::size_t start = cursor_.position();
        std::int16_t version = 0;
        const std::size_t end = header ? cursor_.readHeader(version) : 0;
        decodeItems(item, n);
        cursor_.expectEnd(end, start, item.type_name);
    }

    void decodeObject(const Node& node) {
        const std::size_t start = cursor_.position();
        std::int16_t version = 0;
        const std::size_t end = cursor_.readHeader(version);
        if (version != node.class_version)
            cursor_.unsupported(start, fmt::format("{} version {} (the file's streamer info "
                                                   "describes version {})",
                                                   node.type_name, version, node.class_version));
        for (const auto& member : node.children) decode(*member);
        cursor_.expectEnd(end, start, node.type_name);
    }

    std::uint32_t decodeTObject(const Node& node) {
        const std::size_t start = cursor_.position();
        std::int16_t version = cursor_.read<std::int16_t>();
        if (version & kByteCountVMask) {
            // Old form: the two bytes were the high half of a byte count; the version follows.
            cursor_.take(2);
            version = cursor_.read<std::int16_t>();
        }
        if (version < 0) cursor_.fail(start, fmt::format("TObject version {}", version));
        const auto unique_id = cursor_.read<std::uint32_t>();
        const auto bits = cursor_.read<std::uint32_t>();
        sinks_[node.parts[kUniqueID]]->append(unique_id);
        sinks_[node.parts[kBits]]->append(bits);
        if (bits & kIsReferenced) (void)cursor_.read<std::uint16_t>();  // pidf
        return bits;
    }

    void decodeTRef(const Node& node) {
        const std::size_t start = cursor_.position();
        const std::uint32_t bits = decodeTObject(node);
        if (bits & kHasUUID) cursor_.unsupported(start, "TRef holding a TUUID");
        sinks_[node.parts[kPid]]->append(cursor_.read<std::uint16_t>());
    }

    void decodeRefArray(const Node& node) {
        const std::size_t start = cursor_.position();
        std::int16_t version = 0;
        const std::size_t end = cursor_.readHeader(version);
        decodeTObject(node);
        sinks_[node.parts[kName]]->appendString(cursor_.readString());
        const auto n = cursor_.read<std::int32_t>();
        sinks_[node.parts[kLast]]->append(static_cast<std::int32_t>(n - 1));
        sinks_[node.parts[kLowerBound]]->append(cursor_.read<std::int32_t>());
        (void)cursor_.read<std::uint16_t>();  // pidf
        if (n < 0 || static_cast<std::size_t>(n) * 4 > cursor_.remaining())
            cursor_.fail(start, fmt::format("TRefArray of {} references does not fit in the {} "
                                            "bytes left",
                                            n, cursor_.remaining()));
        const NumberCodec uid_codec{.dtype = DType::UInt32};
        appendNumbers(uid_codec, cursor_.take(static_cast<std::size_t>(n) * 4),
                      static_cast<std::size_t>(n), *sinks_[node.parts[kUIDs]]);
        endLists(node);
        cursor_.expectEnd(end, start, "TRefArray");
    }

    Cursor& cursor_;
    std::span<Column* const> sinks_;
};

// ------------------------------------------------------------------------------------------
// Interpretations

Column makeSinkColumn(const SinkSpec& sink) {
    return Column(sink.dtype, sink.levels);
}

bool isSingleColumn(const std::vector<SinkSpec>& sinks) {
    return sinks.size() == 1 && (sinks[0].name.empty() || sinks[0].name == "#string");
}

// Checks the basket's entry offsets (the tree core builds them; this guards the decoders).
void checkOffsets(const BasketData& basket) {
    const auto n = static_cast<std::size_t>(basket.num_entries);
    const auto& offsets = basket.entry_offsets;
    if (offsets.size() != n + 1)
        basket.reader().failAt(
            0, fmt::format("basket of {} entries has {} entry offsets", n, offsets.size()));
    for (std::size_t i = 0; i < n; ++i)
        if (offsets[i] < 0 || offsets[i] > offsets[i + 1] ||
            static_cast<std::size_t>(offsets[i + 1]) > basket.data.size())
            basket.reader().failAt(0,
                                   fmt::format("entry offsets {}..{} of entry {} lie outside "
                                               "the {}-byte data",
                                               offsets[i], offsets[i + 1], i, basket.data.size()));
}

// Values described by a plan. `items` (split collection members): each entry holds a
// variable number of values, one after the other, up to the entry's end.
class PlanInterpretation final : public Interpretation {
public:
    PlanInterpretation(std::unique_ptr<Node> root, std::vector<SinkSpec> sinks, bool items,
                       std::string description)
        : root_(std::move(root)),
          sinks_(std::move(sinks)),
          items_(items),
          single_(isSingleColumn(sinks_)),
          description_(std::move(description)) {}

    InterpretationKind kind() const override {
        if (!single_) return InterpretationKind::Object;
        if (sinks_[0].dtype == DType::String) return InterpretationKind::String;
        return sinks_[0].levels > 0 ? InterpretationKind::Jagged : InterpretationKind::Flat;
    }
    std::string describe() const override { return description_; }

    Column makeColumn() const override {
        if (single_) return makeSinkColumn(sinks_[0]);
        Column column(DType::Struct);
        for (const auto& sink : sinks_)
            column.members().emplace_back(sink.name, makeSinkColumn(sink));
        return column;
    }

    void decode(const BasketData& basket, Column& out) const override {
        std::vector<Column*> columns;
        if (single_) {
            columns.push_back(&out);
        } else {
            HEPFLOW_ASSERT(out.members().size() == sinks_.size(), "column from makeColumn()");
            for (auto& member : out.members()) columns.push_back(&member.second);
        }
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        Cursor cursor(basket);
        PlanDecoder decoder(cursor, columns);
        if (offsets.empty()) {
            if (items_)
                cursor.unsupported(0, fmt::format("{}: split collection member basket without "
                                                  "entry offsets",
                                                  description_));
            // Self-delimiting values one after the other.
            cursor.setRange(0, basket.data.size());
            for (std::size_t i = 0; i < n; ++i) decoder.decode(*root_);
            if (!cursor.atEnd())
                cursor.fail(cursor.position(), fmt::format("{} bytes left after the last of {} "
                                                           "entries",
                                                           cursor.remaining(), n));
        } else {
            checkOffsets(basket);
            for (std::size_t i = 0; i < n; ++i) {
                cursor.setRange(static_cast<std::size_t>(offsets[i]),
                                static_cast<std::size_t>(offsets[i + 1]));
                if (items_) {
                    while (!cursor.atEnd()) decoder.decode(*root_);
                    for (auto* column : columns) endList(*column, 0);
                } else {
                    decoder.decode(*root_);
                    if (!cursor.atEnd())
                        cursor.fail(cursor.position(),
                                    fmt::format("entry {} has {} bytes left after its value", i,
                                                cursor.remaining()));
                }
            }
        }
        if (!single_) out.setStructLength(out.length() + basket.num_entries);
    }

private:
    std::unique_ptr<Node> root_;
    std::vector<SinkSpec> sinks_;
    bool items_;
    bool single_;
    std::string description_;
};

// std::vector of plain numbers, one per entry (a top-level branch or a split member), the
// most common element branch: count+version, int32 n, n values. A first pass checks every
// header and sizes the column once; the second converts each entry's values in place.
template <class T>
class NumberVectorInterpretation final : public Interpretation {
public:
    explicit NumberVectorInterpretation(std::string description)
        : description_(std::move(description)) {}

    InterpretationKind kind() const override { return InterpretationKind::Jagged; }
    std::string describe() const override { return description_; }
    Column makeColumn() const override { return Column(frame::dtypeOf<T>(), 1); }

    void decode(const BasketData& basket, Column& out) const override {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        const auto& offsets = basket.entry_offsets;
        const bool has_offsets = !offsets.empty();
        if (has_offsets) checkOffsets(basket);
        Cursor cursor(basket);
        if (!has_offsets) cursor.setRange(0, basket.data.size());
        std::vector<const std::byte*> starts(n);
        auto& column_offsets = out.offsets(0);
        column_offsets.reserve(column_offsets.size() + n);
        std::size_t total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (has_offsets)
                cursor.setRange(static_cast<std::size_t>(offsets[i]),
                                static_cast<std::size_t>(offsets[i + 1]));
            const std::size_t start = cursor.position();
            std::int16_t version = 0;
            const std::size_t end = cursor.readHeader(version);
            if (version & kStreamedMemberWise)
                cursor.unsupported(start, fmt::format("member-wise streamed {}", description_));
            const std::size_t count = cursor.readCount(sizeof(T), description_);
            starts[i] = cursor.take(count * sizeof(T));
            cursor.expectEnd(end, start, description_);
            if (has_offsets && !cursor.atEnd())
                cursor.fail(cursor.position(), fmt::format("entry {} has {} bytes left after "
                                                           "its value",
                                                           i, cursor.remaining()));
            total += count;
            column_offsets.push_back(column_offsets.back() + static_cast<std::int64_t>(count));
        }
        if (!has_offsets && !cursor.atEnd())
            cursor.fail(cursor.position(), fmt::format("{} bytes left after the last of {} "
                                                       "entries",
                                                       cursor.remaining(), n));
        T* dst = growValues<T>(out, total);
        const std::int64_t* lengths = column_offsets.data() + column_offsets.size() - n - 1;
        for (std::size_t i = 0; i < n; ++i) {
            const auto count = static_cast<std::size_t>(lengths[i + 1] - lengths[i]);
            loadBigEndianArray<T>(std::span<const std::byte>(starts[i], count * sizeof(T)),
                                  std::span<T>(dst, count));
            dst += count;
        }
    }

private:
    std::string description_;
};

// The interpretation of a plan: the vector fast path when it applies, else the plan walker.
std::unique_ptr<Interpretation> planInterpretation(std::unique_ptr<Node> root,
                                                   std::vector<SinkSpec> sinks, bool items,
                                                   std::string description) {
    if (!items && root->kind == NodeKind::Sequence && root->header &&
        root->children[0]->kind == NodeKind::Number && root->children[0]->codec.plain()) {
        return visitNumeric(
            root->children[0]->codec.dtype, [&](auto tag) -> std::unique_ptr<Interpretation> {
                using T = typename decltype(tag)::type;
                return std::make_unique<NumberVectorInterpretation<T>>(std::move(description));
            });
    }
    return std::make_unique<PlanInterpretation>(std::move(root), std::move(sinks), items,
                                                std::move(description));
}

// Numbers in shapes the basic decoders do not cover: split-collection items that are fixed
// arrays (entry -> items -> dims) and pointer arrays `T* x //[n]` (a presence byte, then the
// values; ROOT-FORMAT.md 6.6). The decode is one bulk conversion per entry or per basket.
class NumberBlockInterpretation final : public Interpretation {
public:
    enum class Shape { ItemsOfArrays, PointerArray };

    NumberBlockInterpretation(Shape shape, NumberCodec codec, std::vector<std::int64_t> dims,
                              std::string description)
        : shape_(shape),
          codec_(codec),
          dims_(std::move(dims)),
          description_(std::move(description)) {
        per_item_ = 1;
        for (auto dim : dims_) per_item_ *= static_cast<std::size_t>(dim);
    }

    InterpretationKind kind() const override { return InterpretationKind::Jagged; }
    std::string describe() const override { return description_; }
    Column makeColumn() const override { return Column(codec_.dtype, 1 + dims_.size()); }

    void decode(const BasketData& basket, Column& out) const override {
        const auto n = static_cast<std::size_t>(basket.num_entries);
        if (basket.entry_offsets.empty())
            throw UnsupportedError(
                fmt::format("{}: variable-size basket without entry offsets", description_));
        checkOffsets(basket);
        const auto& offsets = basket.entry_offsets;
        const std::size_t value_size = codec_.diskSize();
        const std::size_t item_bytes = value_size * per_item_;
        auto& entry_offsets = out.offsets(0);
        const std::size_t first_item = static_cast<std::size_t>(entry_offsets.back());
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t begin = static_cast<std::size_t>(offsets[i]);
            const std::size_t end = static_cast<std::size_t>(offsets[i + 1]);
            if (shape_ == Shape::PointerArray) {
                // The presence byte: 0 for a null pointer (then no values), 1 otherwise.
                if (begin == end)
                    basket.reader().failAt(begin, fmt::format("entry {} lacks the pointer-array "
                                                              "presence byte",
                                                              i));
                const auto present = std::to_integer<int>(basket.data[begin]);
                if (present > 1 || (present == 0 && end != begin + 1))
                    basket.reader().failAt(begin, fmt::format("entry {}: pointer-array presence "
                                                              "byte {} before {} bytes",
                                                              i, present, end - begin - 1));
                ++begin;
            }
            if ((end - begin) % item_bytes != 0)
                basket.reader().failAt(begin, fmt::format("entry {} spans {} bytes, not a "
                                                          "multiple of the {}-byte item",
                                                          i, end - begin, item_bytes));
            const std::size_t items = (end - begin) / item_bytes;
            entry_offsets.push_back(entry_offsets.back() + static_cast<std::int64_t>(items));
            if (shape_ == Shape::PointerArray)
                appendNumbers(codec_, basket.data.data() + begin, items * per_item_, out);
        }
        if (shape_ == Shape::ItemsOfArrays && n > 0) {
            // Entries are contiguous in the data: one conversion for the whole basket.
            const auto begin = static_cast<std::size_t>(offsets[0]);
            const std::size_t total = (static_cast<std::size_t>(offsets[n]) - begin) / value_size;
            appendNumbers(codec_, basket.data.data() + begin, total, out);
        }
        // Inner levels have constant lengths.
        std::size_t parents = static_cast<std::size_t>(entry_offsets.back()) - first_item;
        for (std::size_t level = 0; level < dims_.size(); ++level) {
            auto& level_offsets = out.offsets(level + 1);
            std::int64_t last = level_offsets.back();
            for (std::size_t p = 0; p < parents; ++p) level_offsets.push_back(last += dims_[level]);
            parents *= static_cast<std::size_t>(dims_[level]);
        }
    }

private:
    Shape shape_;
    NumberCodec codec_;
    std::vector<std::int64_t> dims_;
    std::size_t per_item_ = 1;
    std::string description_;
};

// ------------------------------------------------------------------------------------------
// Choosing the interpretation of a branch

std::string branchPath(const TBranch& branch) {
    return branch.path.empty() ? branch.fName : branch.path;
}

// "Jet.PT" -> "PT", "ArrayI16[10]" -> "ArrayI16", "P3.Px" -> "Px".
std::string_view memberName(std::string_view branch_name) {
    const std::size_t bracket = branch_name.find('[');
    if (bracket != std::string_view::npos) branch_name = branch_name.substr(0, bracket);
    const std::size_t dot = branch_name.rfind('.');
    if (dot != std::string_view::npos) branch_name = branch_name.substr(dot + 1);
    return branch_name;
}

// The branch's fStreamerType and the element's fType may legitimately differ: STL members
// are kSTL (300) on the branch and kStreamer (500) in the streamer info, and kUChar members
// named bool are reported as kBool by the file layer.
bool typesAgree(int branch_type, int element_type) {
    if (branch_type == element_type || branch_type < 0) return true;
    const auto stl = [](int t) {
        return t == kTypeSTL || t == kTypeStreamer || t == kTypeSTLstring;
    };
    if (stl(branch_type) && stl(element_type)) return true;
    return branch_type == 11 && element_type == 18;
}

// The streamer element of a split member branch: by name in fClassName (and its bases), else
// by fID; null when the file does not describe the class.
const StreamerElement* findMemberElement(const TBranch& branch,
                                         const InterpretationContext& context) {
    const auto& streamers = context.streamers;
    const StreamerElement* element =
        streamers.findElement(branch.fClassName, memberName(branch.fName));
    if (element == nullptr && branch.fID >= 0) {
        if (const StreamerInfo* info = streamers.find(branch.fClassName))
            if (static_cast<std::size_t>(branch.fID) < info->elements.size())
                element = &info->elements[static_cast<std::size_t>(branch.fID)];
    }
    if (element != nullptr && !typesAgree(branch.fStreamerType, element->type))
        throw UnsupportedError(fmt::format(
            "member '{}' of '{}': fStreamerType {} disagrees with the streamer info (fType {})",
            element->name, branch.fClassName, branch.fStreamerType, element->type));
    return element;
}

std::string numberName(const NumberCodec& codec) {
    return std::string(frame::dtypeName(codec.dtype));
}

std::unique_ptr<Interpretation> plainNumbers(const NumberCodec& codec, std::int32_t per_item,
                                             bool counted, std::string description) {
    if (codec.plain())
        return makeNumericInterpretation(codec.dtype, per_item, counted, std::move(description));
    return makeTruncatedFloatInterpretation(codec.dtype, codec.truncatedSpec(), per_item, counted,
                                            std::move(description));
}

// A member of a split object (`items` false: one value per entry) or of a split collection
// (`items` true: the entry's objects, each contributing one value).
std::unique_ptr<Interpretation> memberInterpretation(const TBranch& branch,
                                                     const InterpretationContext& context,
                                                     bool items) {
    const StreamerElement* element = findMemberElement(branch, context);
    const int type = element != nullptr ? element->type : branch.fStreamerType;
    const std::string suffix = items ? "[]" : "";

    // Basic numbers: the plain-leaf decoders, except fBits whose size varies.
    if (type == kTypeBits) {
        PlanBuilder builder(context.streamers);
        auto root = builder.bits("", items ? 1 : 0);
        return std::make_unique<PlanInterpretation>(std::move(root), std::move(builder.sinks()),
                                                    items, "uint32 (fBits)" + suffix);
    }
    if (auto codec = codecOfType(type, element))
        return plainNumbers(*codec, 1, items, numberName(*codec) + suffix);

    // Fixed arrays of numbers (kOffsetL + T).
    if (type > kTypeOffsetL && type < kTypeOffsetP && isBasicType(type - kTypeOffsetL)) {
        const auto codec = *codecOfType(type - kTypeOffsetL, element);
        std::vector<std::int64_t> dims;
        if (element != nullptr) {
            dims = arrayDimensions(*element);
        } else if (branch.fLeaves.size() == 1 && branch.fLeaves[0] && branch.fLeaves[0]->fLen > 0) {
            dims = {branch.fLeaves[0]->fLen};
        } else {
            throw UnsupportedError(fmt::format(
                "fixed array member of class '{}' without a streamer info", branch.fClassName));
        }
        const std::string description = numberName(codec) + suffix + dimensionsText(dims);
        if (dims.size() == 1 && !items)
            return plainNumbers(codec, static_cast<std::int32_t>(dims[0]), false, description);
        if (!items) {
            PlanBuilder builder(context.streamers);
            auto root = builder.fixedArray(dims, 0, [&](std::size_t depth) {
                return builder.number(codec, description, "", depth);
            });
            return std::make_unique<PlanInterpretation>(std::move(root), std::move(builder.sinks()),
                                                        false, description);
        }
        return std::make_unique<NumberBlockInterpretation>(
            NumberBlockInterpretation::Shape::ItemsOfArrays, codec, std::move(dims), description);
    }

    // Pointer arrays `T* x //[n]` (kOffsetP + T): a presence byte, then n values.
    if (type > kTypeOffsetP && type < kTypeOffsetP + kTypeOffsetL &&
        isBasicType(type - kTypeOffsetP)) {
        if (items)
            throw UnsupportedError(fmt::format(
                "variable-size array '{}' inside the items of a split collection (needs the "
                "second count branch)",
                branch.fName));
        const auto codec = *codecOfType(type - kTypeOffsetP, element);
        const std::string counter =
            element != nullptr && !element->count_name.empty() ? element->count_name : "";
        return std::make_unique<NumberBlockInterpretation>(
            NumberBlockInterpretation::Shape::PointerArray, codec, std::vector<std::int64_t>{},
            fmt::format("{}[{}]", numberName(codec), counter));
    }

    // Strings, STL containers and unsplit objects: a value plan.
    PlanBuilder builder(context.streamers);
    const std::size_t depth = items ? 1 : 0;
    std::unique_ptr<Node> root;
    std::string type_name;
    if (type == kTypeTString) {
        type_name = "TString";
        root = builder.string(false, type_name, "", depth);
    } else if (element == nullptr) {
        throw UnsupportedError(fmt::format(
            "member '{}' of class '{}' (fStreamerType {}) has no streamer info in the file",
            memberName(branch.fName), branch.fClassName, branch.fStreamerType));
    } else {
        type_name = normalizeTypeName(element->type_name);
        root = builder.fromElement(*element, "", depth);
    }
    return planInterpretation(std::move(root), std::move(builder.sinks()), items,
                              type_name + suffix);
}

// A top-level branch whose entries are whole values of fClassName (fID -1): STL containers,
// std::string, TString, or an unsplit object.
std::unique_ptr<Interpretation> wholeValueInterpretation(const TBranch& branch,
                                                         const InterpretationContext& context) {
    const std::string type_name = normalizeTypeName(branch.fClassName);
    if (type_name == "TClonesArray") throw UnsupportedError("unsplit TClonesArray (split level 0)");
    PlanBuilder builder(context.streamers);
    std::unique_ptr<Node> root;
    if (splitTemplate(type_name) || isStdStringName(type_name) || type_name == "TString" ||
        codecOfTypeName(type_name))
        root = builder.fromTypeName(type_name, Site::Entry, "", 0);
    else
        root = builder.object(type_name, "", 0);
    return planInterpretation(std::move(root), std::move(builder.sinks()), false, type_name);
}

std::unique_ptr<Interpretation> chooseElementInterpretation(const TBranch& branch,
                                                            const InterpretationContext& context) {
    const bool has_children = !branch.fBranches.empty();
    if (branch.class_name == "TBranchObject") {
        if (has_children)
            return makeNoDataInterpretation(fmt::format(
                "{} (split into {} sub-branches)", branch.fClassName, branch.fBranches.size()));
        throw UnsupportedError(fmt::format("TBranchObject of class '{}'", branch.fClassName));
    }
    switch (branch.fType) {
        case kClonesNode:
        case kSTLNode: {
            // The parent of a split collection stores each entry's item count (int32).
            const std::string collection = branch.fType == kClonesNode
                                               ? fmt::format("TClonesArray<{}>", branch.fClonesName)
                                               : normalizeTypeName(branch.fClassName);
            return makeNumericInterpretation(DType::Int32, 1, false,
                                             fmt::format("int32 (size of {})", collection));
        }
        case kClonesMemberNode:
        case kSTLMemberNode: return memberInterpretation(branch, context, true);
        case kBaseClassNode:
        case kObjectNode:
        case kLeafNode:
        case kTopLevelString:
            // Split objects (fID -2 at the top, kObjectNode/kBaseClassNode below) keep their
            // values in their sub-branches.
            if (has_children)
                return makeNoDataInterpretation(
                    fmt::format("{} (split into {} sub-branches)",
                                branch.fID >= 0 ? memberName(branch.fName) : branch.fClassName,
                                branch.fBranches.size()));
            if (branch.fType == kBaseClassNode)
                throw UnsupportedError(
                    fmt::format("unsplit base-class branch of '{}'", branch.fClassName));
            if (branch.fID < 0) return wholeValueInterpretation(branch, context);
            return memberInterpretation(branch, context, false);
        default:
            throw UnsupportedError(fmt::format("TBranchElement fType {} (class '{}')", branch.fType,
                                               branch.fClassName));
    }
}

}  // namespace

std::unique_ptr<Interpretation> interpretElementBranch(const TBranch& branch,
                                                       const InterpretationContext& context) {
    if (!branch.is_element) return nullptr;
    try {
        return chooseElementInterpretation(branch, context);
    } catch (UnsupportedError& error) {
        error.setObject(branchPath(branch));
        error.within(fmt::format("{} '{}' (fType {}, fStreamerType {}, fID {})", branch.class_name,
                                 branch.fClassName, branch.fType, branch.fStreamerType,
                                 branch.fID));
        throw;
    }
}

}  // namespace hepflow::root
