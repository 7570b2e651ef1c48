// Type codes and C++ type names -> number codecs, and the bulk conversion of numbers that every
// element decoder ends in (plain big-endian arrays, or Float16_t / Double32_t).
#include "root/tree/detail/element_types.h"

#include <span>

#include "root/endian.h"

namespace hepflow::root::detail {

using frame::Column;
using frame::DType;

namespace {

// Float16_t / Double32_t codec from a streamer element's range, or the defaults without one.
NumberCodec truncatedCodec(bool is_float16, const StreamerElement* element) {
    return NumberCodec{.dtype = is_float16 ? DType::Float32 : DType::Float64,
                       .truncated = TruncatedFloatSpec::fromElement(is_float16, element)};
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

}  // namespace

void appendNumbers(const NumberCodec& codec, const std::byte* src, std::size_t count, Column& out) {
    if (codec.truncated) {
        if (codec.dtype == DType::Float32)
            codec.truncated->decode(src, growValues<float>(out, count), count);
        else
            codec.truncated->decode(src, growValues<double>(out, count), count);
        return;
    }
    visitNumericDType(codec.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        loadBigEndianArray<T>(std::span<const std::byte>(src, count * sizeof(T)),
                              std::span<T>(growValues<T>(out, count), count));
    });
}

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
        case kStreamerTypeUChar: codec.dtype = DType::UInt8; break;
        case 12: codec.dtype = DType::UInt16; break;
        case 13:
        case kTypeBits: codec.dtype = DType::UInt32; break;
        case 14:
        case 17: codec.dtype = DType::UInt64; break;
        case kStreamerTypeBool: codec.dtype = DType::Bool; break;
        case kStreamerTypeDouble32: return truncatedCodec(false, element);
        case kStreamerTypeFloat16: return truncatedCodec(true, element);
        default: return std::nullopt;
    }
    return codec;
}

bool isBasicType(int type) {
    return codecOfType(type, nullptr).has_value();
}

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
        if (entry.name == name) return NumberCodec::of(entry.dtype);
    return std::nullopt;
}

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

}  // namespace hepflow::root::detail
