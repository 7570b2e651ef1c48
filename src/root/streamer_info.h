// The file's own description of its classes: the StreamerInfo record, a TList of TStreamerInfo
// (one per class and version, each a list of TStreamerElement members) and the schema-evolution
// rules (ROOT-FORMAT.md sections 3.6 and 8). Readers use it for split objects, STL containers
// and class members whose layout ROOT does not hard-code.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "root/byte_reader.h"

namespace hepflow::root {

// fType codes used here (ROOT-FORMAT.md section 8.3).
inline constexpr int kStreamerTypeUChar = 11;
inline constexpr int kStreamerTypeBool = 18;
inline constexpr int kStreamerTypeDouble32 = 9;
inline constexpr int kStreamerTypeFloat16 = 19;
// fSTLtype codes whose meaning old files swapped (TStreamerSTL::Streamer fixes them up).
inline constexpr int kStlMultimap = 5;
inline constexpr int kStlSet = 6;

struct StreamerElement {
    std::string name;
    std::string title;
    std::string type_name;      // fTypeName: "vector<float>", "Int_t", "TString", "BASE"
    std::string element_class;  // "TStreamerBase", "TStreamerBasicType", "TStreamerSTL", ...
    int type = 0;               // fType (section 8.3); kUChar named Bool_t is reported as kBool
    int size = 0;
    int array_length = 0;
    int array_dim = 0;
    std::array<int, 5> max_index{};
    int element_version = 0;  // version of the TStreamerElement base object
    // TStreamerBase.
    int base_version = 0;
    // TStreamerBasicPointer, TStreamerLoop: the counter member ([fN]).
    std::string count_name;
    std::string count_class;
    int count_version = 0;
    // TStreamerSTL, TStreamerSTLstring.
    int stl_type = 0;
    int ctype = 0;
    // Float16_t / Double32_t range from the title ("[xmin, xmax, nbits]"), as ROOT's GetRange
    // leaves it: factor = 2^nbits / (xmax - xmin) when xmin < xmax; for "[0, 0, nbits]" with
    // nbits < 15 ROOT sets xmin = nbits + 0.1 (its truncated-mantissa marker). Only elements
    // flagged kHasRange (or version 3 elements, which store the three values) have them.
    double xmin = 0;
    double xmax = 0;
    double factor = 0;
    int nbits = 0;  // bits of the range spec (32 if not given); 0 when there is no range

    bool isBase() const { return element_class == "TStreamerBase"; }
};

struct StreamerInfo : RootObject {
    std::string name;  // the class described
    std::string title;
    std::uint32_t checksum = 0;
    int class_version = 0;
    std::vector<StreamerElement> elements;

    const StreamerElement* findElement(std::string_view member) const;
};

// The RootObject a TStreamerElement item becomes inside a TObjArray.
struct StreamerElementObject : RootObject {
    StreamerElement element;
};

// A Float16_t/Double32_t range spec as written in a title (a streamer element's comment, a
// TLeafF16/TLeafD32 title), read the way ROOT's TStreamerElement::GetRange reads it:
// "[xmin, xmax]" or "[xmin, xmax, nbits]", bounds may be "pi", "-2pi", "pi/4", ...; a first
// bracket without a comma is an array dimension; nbits defaults to 32 (also when out of 2..32).
struct FloatRangeSpec {
    double xmin = 0;
    double xmax = 0;
    int nbits = 0;
};
// nullopt when the title holds no range.
std::optional<FloatRangeSpec> parseFloatRangeSpec(std::string_view title);

// What GetRange makes of a spec: factor = 2^nbits / (xmax - xmin) when xmin < xmax (2^32 - 1 for
// 32 bits), and when xmin >= xmax with nbits < 15 xmin becomes nbits + 0.1, ROOT's
// truncated-mantissa marker.
struct FloatRange {
    double xmin = 0;
    double xmax = 0;
    double factor = 0;
    int nbits = 0;
};
// nullopt when the title holds no range.
std::optional<FloatRange> parseFloatRange(std::string_view title);
// GetRange's factor for xmin < xmax: 2^nbits / (xmax - xmin), 2^32 - 1 steps for 32 bits.
double floatRangeFactor(double xmin, double xmax, int nbits);

// One TStreamerInfo object (count+version, TNamed, fCheckSum, fClassVersion, fElements).
std::shared_ptr<StreamerInfo> readStreamerInfo(ByteReader& reader);
// One TStreamerElement subclass object of class `element_class`, with its base element.
StreamerElement readStreamerElement(std::string_view element_class, ByteReader& reader);

class StreamerInfoSet {
public:
    StreamerInfoSet() = default;
    // Indexes `infos` by class name (first info of a class wins for find(name); find(name,
    // version) picks the exact version).
    StreamerInfoSet(std::vector<std::shared_ptr<const StreamerInfo>> infos,
                    std::vector<std::string> rules);

    // The info of a class (the first one in the file if it holds several versions), or null.
    const StreamerInfo* find(std::string_view class_name) const;
    const StreamerInfo* find(std::string_view class_name, int class_version) const;
    // A member of a class: its own elements first, then (depth-first) those of its bases.
    const StreamerElement* findElement(std::string_view class_name, std::string_view member) const;
    const std::vector<std::shared_ptr<const StreamerInfo>>& all() const { return infos_; }
    // The schema-evolution rules of the "listOfRules" lists, as written ("type=read ...").
    const std::vector<std::string>& rules() const { return rules_; }

private:
    const StreamerElement* findElementIn(std::string_view class_name, std::string_view member,
                                         int depth) const;

    std::vector<std::shared_ptr<const StreamerInfo>> infos_;
    std::unordered_map<std::string, std::vector<const StreamerInfo*>> by_name_;
    std::vector<std::string> rules_;
};

// Parses the payload of the StreamerInfo record: a TList of TStreamerInfo objects, optionally
// followed by TLists of TObjString rules. Other items are skipped by their byte counts.
// Throws FormatError (with the reader's context) on corrupt bytes.
StreamerInfoSet readStreamerInfoList(ByteReader& payload);

}  // namespace hepflow::root
