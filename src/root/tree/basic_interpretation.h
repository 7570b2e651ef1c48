// Interpretations of plain TBranch leaves (ROOT-FORMAT.md 6.5, 6.6, 8.4): numbers of every basic
// type, fixed arrays (x[3]), counted arrays (Muon_pt[nMuon]), char* strings, Float16_t /
// Double32_t and leaf lists (x/D:y/I:z/B). The numeric decoders are exposed so that element
// interpretations (split TClonesArray / STL members) can reuse the same tight loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "frame/columns/column.h"
#include "root/tree/interpretation.h"

namespace hepflow::root {

// How Float16_t / Double32_t values are stored, from the range spec (ROOT's GetRange and
// TBufferFile::ReadFloat16/ReadDouble32).
struct TruncatedFloatSpec {
    enum class Mode {
        Float,      // Double32_t without a range: a plain float32
        Scaled,     // [xmin, xmax(, nbits)] with xmin < xmax: uint32 i, xmin + i / factor
        Truncated,  // Float16_t by default, or [0, 0, nbits] with nbits < 15: 3-byte float
    };
    Mode mode = Mode::Float;
    double xmin = 0;
    double factor = 0;  // 2^nbits / (xmax - xmin) (0xFFFFFFFF instead of 2^32 for 32 bits)
    int nbits = 0;      // mantissa bits kept in Truncated mode

    // From a leaf's parsed range (TLeaf::range_*), for a Float16_t (true) or Double32_t leaf.
    static TruncatedFloatSpec fromRange(bool is_float16, double xmin, double xmax, int nbits);
    // From a streamer element's range as the file layer left it (GetRange's fXmin and fFactor,
    // see StreamerElement), or ROOT's defaults when `element` is null.
    static TruncatedFloatSpec fromElement(bool is_float16, const StreamerElement* element);
    // Bytes per value on disk: 4 (Float, Scaled) or 3 (Truncated).
    std::size_t diskSize() const { return mode == Mode::Truncated ? 3 : 4; }
    // Converts the n values stored at `src` (n * diskSize() bytes) into out[0..n).
    void decode(const std::byte* src, float* out, std::size_t n) const;
    void decode(const std::byte* src, double* out, std::size_t n) const;
};

// An interpretation of fixed-size numbers: `values_per_item` values of `dtype` per item (the
// product of fixed dimensions, 1 for scalars). Not counted: one item per entry, a flat column
// (values_per_item == 1) or a jagged column with constant lengths. Counted: each entry holds a
// variable number of items given by the basket's entry offsets (bytes / item size), a jagged
// column. `description` is what describe() returns.
std::unique_ptr<Interpretation> makeNumericInterpretation(frame::DType dtype,
                                                          std::int32_t values_per_item,
                                                          bool counted, std::string description);
// The same for Float16_t (dtype Float32) or Double32_t (dtype Float64) values.
std::unique_ptr<Interpretation> makeTruncatedFloatInterpretation(frame::DType dtype,
                                                                 const TruncatedFloatSpec& spec,
                                                                 std::int32_t values_per_item,
                                                                 bool counted,
                                                                 std::string description);
// char* (TLeafC): each entry a 1-byte length (or 255 + int32 length) and the characters.
std::unique_ptr<Interpretation> makeCharStarInterpretation();
// For branches that carry no values themselves (parents of split objects).
std::unique_ptr<Interpretation> makeNoDataInterpretation(std::string description);

// The value type of a basic leaf class (TLeafO/B/S/I/L/G/F/D/F16/D32 with fIsUnsigned); throws
// UnsupportedError for other classes (TLeafC, TLeafElement, TLeafObject...).
frame::DType leafDType(const TLeaf& leaf);

[[noreturn]] void throwNoNumericType(frame::DType dtype);
// Calls f(std::type_identity<T>{}) with the C++ type T of a numeric dtype, so that a decoder is
// picked once per branch; throws InternalError for String and Struct.
template <class F>
decltype(auto) visitNumericDType(frame::DType dtype, F&& f) {
    using frame::DType;
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
    throwNoNumericType(dtype);
}

// Grows the column's values by n values of T and returns where they go. The bytes of a
// vector<byte> come from operator new, aligned for any T, and hold only whole values of T.
template <class T>
T* growValues(frame::Column& out, std::size_t n) {
    auto& bytes = out.bytes();
    const std::size_t old_size = bytes.size();
    bytes.resize(old_size + n * sizeof(T));
    return reinterpret_cast<T*>(bytes.data() + old_size);
}

// The interpretation of a plain TBranch from its leaves. Throws UnsupportedError (naming the
// branch path and leaf class) for leaf kinds hepflow does not decode.
std::unique_ptr<Interpretation> interpretLeafBranch(const TBranch& branch);

}  // namespace hepflow::root
