// What the TBranchElement decoders know about types: ROOT's type codes (TStreamerElement fType,
// TBranchElement fStreamerType; ROOT-FORMAT.md 8.3) and C++ type names as ROOT writes them in
// STL types, mapped to number codecs and container kinds. Internal to the element decoders.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frame/columns/column.h"
#include "root/streamer_info.h"
#include "root/tree/basic_interpretation.h"

namespace hepflow::root::detail {

// ROOT type codes beyond the basic ones of streamer_info.h.
inline constexpr int kTypeCounter = 6;
inline constexpr int kTypeBits = 15;     // TObject::fBits: a pidf follows when kIsReferenced is set
inline constexpr int kTypeOffsetL = 20;  // fixed array of the basic type code - 20
inline constexpr int kTypeOffsetP = 40;  // pointer array of the basic type code - 40, [counter]
inline constexpr int kTypeObject = 61;
inline constexpr int kTypeAny = 62;
inline constexpr int kTypeTString = 65;
inline constexpr int kTypeTObject = 66;
inline constexpr int kTypeTNamed = 67;
inline constexpr int kTypeSTL = 300;
inline constexpr int kTypeSTLstring = 365;
inline constexpr int kTypeStreamer = 500;

// How one number is stored and what it becomes: a big-endian value of `dtype`, or a
// Float16_t / Double32_t (`truncated`) that becomes a float32 / float64.
struct NumberCodec {
    frame::DType dtype = frame::DType::Int32;
    std::optional<TruncatedFloatSpec> truncated;

    // A plain big-endian number of `dtype`.
    static NumberCodec of(frame::DType dtype) { return NumberCodec{dtype, std::nullopt}; }
    bool plain() const { return !truncated; }
    std::size_t diskSize() const {
        return truncated ? truncated->diskSize() : frame::dtypeSize(dtype);
    }
};

// Converts `count` values stored at `src` and appends them to `out` (dtype codec.dtype).
void appendNumbers(const NumberCodec& codec, const std::byte* src, std::size_t count,
                   frame::Column& out);

// The codec of a basic type code 1..19 (not 7 char*, not 10 legacy char); `element` gives the
// Float16_t / Double32_t range (null: ROOT's defaults).
std::optional<NumberCodec> codecOfType(int type, const StreamerElement* element);
bool isBasicType(int type);
// The codec of a basic C++ type name as ROOT writes them in STL type names ("int", "Float_t",
// "unsigned long long", "Double32_t", ...).
std::optional<NumberCodec> codecOfTypeName(std::string_view name);

// "std::vector<std::vector<int> > " -> "vector<vector<int>>".
std::string normalizeTypeName(std::string_view name);

struct TemplateName {
    std::string_view base;               // "vector"
    std::vector<std::string_view> args;  // top-level arguments
};
// Splits "map<int,vector<short>>" into "map" and {"int", "vector<short>"}; nullopt when the
// name is not a template or its brackets do not balance. The views point into `name`.
std::optional<TemplateName> splitTemplate(std::string_view name);

// vector, list, deque and the sets: a count, then the items.
bool isSequenceName(std::string_view base);
// map, multimap and their unordered forms: member-wise blocks of keys and of values.
bool isMapName(std::string_view base);
bool isStdStringName(std::string_view name);

}  // namespace hepflow::root::detail
