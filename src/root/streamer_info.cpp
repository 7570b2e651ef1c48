// Streamers of TStreamerInfo and the TStreamerElement family (ROOT-FORMAT.md section 8), and the
// StreamerInfo record's list.
#include "root/streamer_info.h"

#include <algorithm>
#include <charconv>
#include <numbers>

#include <fmt/format.h>

#include "root/core_objects.h"
#include "root/key.h"

namespace hepflow::root {

namespace {

// TStreamerElement::kHasRange (BIT(6) of TObject::fBits): the title holds a Float16/Double32 range.
constexpr std::uint32_t kHasRangeBit = 1u << 6;
// Element versions: v1 stores fMaxIndex with a length prefix; v3 stores fXmin/fXmax/fFactor.
constexpr std::int16_t kElementVersionCountedMaxIndex = 1;
constexpr std::int16_t kElementVersionStoredRange = 3;
constexpr std::int16_t kElementFirstVersionWithRangeBit = 4;
// TStreamerBase stores fBaseVersion from its version 3.
constexpr std::int16_t kBaseFirstVersionWithBaseVersion = 3;
// TStreamerInfo version 1 (ROOT 3) put fClassVersion before fCheckSum; not supported.
constexpr std::int16_t kStreamerInfoFirstSupportedVersion = 2;
// ROOT's default and limits for the nbits of a range spec (TStreamerElement GetRange).
constexpr int kDefaultRangeBits = 32;
constexpr int kMinRangeBits = 2;
constexpr int kMaxTruncatedMantissaBits = 15;
// Inheritance deeper than this is a cycle in a corrupt file.
constexpr int kMaxBaseDepth = 64;

std::string_view trimSpaces(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
}

// One bound of a range spec: a number, or one of ROOT's pi spellings ("-pi", "2*pi", "pi/4").
double parseRangeBound(std::string_view text) {
    std::string lower;
    for (char c : text)
        if (c != ' ') lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    if (lower.find("pi") != std::string::npos) {
        double value = std::numbers::pi;
        if (lower.find("2pi") != std::string::npos || lower.find("2*pi") != std::string::npos ||
            lower.find("twopi") != std::string::npos)
            value = 2 * std::numbers::pi;
        else if (lower.find("pi/2") != std::string::npos)
            value = std::numbers::pi / 2;
        else if (lower.find("pi/4") != std::string::npos)
            value = std::numbers::pi / 4;
        return lower.find('-') != std::string::npos ? -value : value;
    }
    std::string_view number = lower;
    if (number.starts_with('+')) number.remove_prefix(1);
    double value = 0;
    std::from_chars(number.data(), number.data() + number.size(), value);
    return value;
}

// The TStreamerElement base object every element subclass starts with.
void readElementBase(ByteReader& reader, StreamerElement& element) {
    const VersionHeader header = reader.readVersion();
    element.element_version = header.version;
    const TNamed named = readTNamedBody(reader);
    element.name = named.name;
    element.title = named.title;
    element.type = reader.read<std::int32_t>();
    element.size = reader.read<std::int32_t>();
    element.array_length = reader.read<std::int32_t>();
    element.array_dim = reader.read<std::int32_t>();
    if (header.version == kElementVersionCountedMaxIndex) {
        const std::size_t position = reader.position();
        const auto count = reader.read<std::int32_t>();
        if (count < 0 || count > static_cast<std::int32_t>(element.max_index.size()))
            reader.failAt(position, fmt::format("streamer element '{}' has {} array dimensions "
                                                "(at most 5)",
                                                printableName(element.name), count));
        for (std::int32_t i = 0; i < count; ++i) element.max_index[i] = reader.read<std::int32_t>();
    } else {
        for (int& index : element.max_index) index = reader.read<std::int32_t>();
    }
    element.type_name = reader.readTString();
    if (element.type == kStreamerTypeUChar &&
        (element.type_name == "Bool_t" || element.type_name == "bool"))
        element.type = kStreamerTypeBool;
    if (header.version == kElementVersionStoredRange) {
        element.xmin = reader.read<double>();
        element.xmax = reader.read<double>();
        element.factor = reader.read<double>();
    } else if (header.version >= kElementFirstVersionWithRangeBit && (named.fBits & kHasRangeBit)) {
        if (const auto range = parseFloatRange(element.title)) {
            element.xmin = range->xmin;
            element.xmax = range->xmax;
            element.factor = range->factor;
            element.nbits = range->nbits;
        }
    }
    reader.skipToEnd(header, "TStreamerElement");
}

}  // namespace

std::optional<FloatRangeSpec> parseFloatRangeSpec(std::string_view title) {
    auto left = title.find('[');
    if (left == std::string_view::npos) return std::nullopt;
    auto right = title.find(']', left);
    if (right == std::string_view::npos) return std::nullopt;
    auto comma = title.find(',', left);
    if (comma == std::string_view::npos || comma > right) {
        // The first bracket was an array dimension; the range may be the next one.
        left = title.find('[', right);
        if (left == std::string_view::npos) return std::nullopt;
        right = title.find(']', left);
        if (right == std::string_view::npos) return std::nullopt;
        comma = title.find(',', left);
        if (comma == std::string_view::npos || comma > right) return std::nullopt;
    }
    FloatRangeSpec spec;
    spec.nbits = kDefaultRangeBits;
    const auto comma2 = title.find(',', comma + 1);
    if (comma2 != std::string_view::npos && comma2 < right) {
        const std::string_view bits = trimSpaces(title.substr(comma2 + 1, right - comma2 - 1));
        int parsed = kDefaultRangeBits;
        std::from_chars(bits.data(), bits.data() + bits.size(), parsed);
        if (parsed >= kMinRangeBits && parsed <= kDefaultRangeBits) spec.nbits = parsed;
        right = comma2;
    }
    spec.xmin = parseRangeBound(title.substr(left + 1, comma - left - 1));
    spec.xmax = parseRangeBound(title.substr(comma + 1, right - comma - 1));
    return spec;
}

std::optional<FloatRange> parseFloatRange(std::string_view title) {
    const auto spec = parseFloatRangeSpec(title);
    if (!spec) return std::nullopt;
    FloatRange range{spec->xmin, spec->xmax, 0, spec->nbits};
    if (range.xmin < range.xmax)
        range.factor = floatRangeFactor(range.xmin, range.xmax, range.nbits);
    if (range.xmin >= range.xmax && range.nbits < kMaxTruncatedMantissaBits)
        range.xmin = range.nbits + 0.1;
    return range;
}

double floatRangeFactor(double xmin, double xmax, int nbits) {
    const double steps = nbits < kDefaultRangeBits ? static_cast<double>(std::uint64_t{1} << nbits)
                                                   : static_cast<double>(UINT32_MAX);
    return steps / (xmax - xmin);
}

StreamerElement readStreamerElement(std::string_view element_class, ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    StreamerElement element;
    if (element_class == "TStreamerSTLstring") {
        // Its only member is a complete TStreamerSTL object (three nested headers).
        element = readStreamerElement("TStreamerSTL", reader);
    } else {
        readElementBase(reader, element);
        if (element_class == "TStreamerBase") {
            if (header.version >= kBaseFirstVersionWithBaseVersion)
                element.base_version = reader.read<std::int32_t>();
        } else if (element_class == "TStreamerBasicPointer" || element_class == "TStreamerLoop") {
            element.count_version = reader.read<std::int32_t>();
            element.count_name = reader.readTString();
            element.count_class = reader.readTString();
        } else if (element_class == "TStreamerSTL") {
            element.stl_type = reader.read<std::int32_t>();
            element.ctype = reader.read<std::int32_t>();
            // Old files swapped set and multimap; ROOT decides from the type name.
            if (element.stl_type == kStlMultimap || element.stl_type == kStlSet) {
                const std::string_view type = element.type_name;
                if (type.starts_with("std::set") || type.starts_with("set"))
                    element.stl_type = kStlSet;
                else if (type.starts_with("std::multimap") || type.starts_with("multimap"))
                    element.stl_type = kStlMultimap;
            }
        }
        // Every other subclass (Object, ObjectAny, ObjectPointer, String, BasicType,
        // Artificial, ...) has no members beyond the base; unknown ones are skipped by count.
    }
    element.element_class = element_class;
    reader.skipToEnd(header, element_class);
    return element;
}

std::shared_ptr<StreamerInfo> readStreamerInfo(ByteReader& reader) {
    const VersionHeader header = reader.readVersion();
    if (header.version < kStreamerInfoFirstSupportedVersion) {
        reader.failAt<UnsupportedError>(header.start,
                                        fmt::format("TStreamerInfo version {}", header.version));
    }
    auto info = std::make_shared<StreamerInfo>();
    info->class_name = "TStreamerInfo";
    const TNamed named = readTNamedBody(reader);
    info->name = named.name;
    info->title = named.title;
    info->checksum = reader.read<std::uint32_t>();
    info->class_version = reader.read<std::int32_t>();
    const std::size_t elements_position = reader.position();
    const RootObjectPtr elements = reader.readObjectAny(streamCoreObject);
    if (elements) {
        const auto array = std::dynamic_pointer_cast<TObjArray>(elements);
        if (!array)
            reader.failAt(
                elements_position,
                fmt::format("fElements of the streamer info of {} is a {}, not a "
                            "TObjArray",
                            printableName(info->name), printableName(elements->class_name)));
        info->elements.reserve(array->items.size());
        for (std::size_t i = 0; i < array->items.size(); ++i) {
            const auto element = std::dynamic_pointer_cast<StreamerElementObject>(array->items[i]);
            if (!element)
                reader.failAt(
                    elements_position,
                    fmt::format("element {} of the streamer info of {} is {}", i,
                                printableName(info->name),
                                array->items[i] ? printableName(array->items[i]->class_name)
                                                : std::string("null")));
            info->elements.push_back(element->element);
        }
    }
    reader.skipToEnd(header, "TStreamerInfo");
    return info;
}

const StreamerElement* StreamerInfo::findElement(std::string_view member) const {
    for (const StreamerElement& element : elements)
        if (element.name == member) return &element;
    return nullptr;
}

StreamerInfoSet::StreamerInfoSet(std::vector<std::shared_ptr<const StreamerInfo>> infos,
                                 std::vector<std::string> rules)
    : infos_(std::move(infos)), rules_(std::move(rules)) {
    for (const auto& info : infos_) by_name_[info->name].push_back(info.get());
}

const StreamerInfo* StreamerInfoSet::find(std::string_view class_name) const {
    const auto it = by_name_.find(std::string(class_name));
    return it == by_name_.end() ? nullptr : it->second.front();
}

const StreamerInfo* StreamerInfoSet::find(std::string_view class_name, int class_version) const {
    const auto it = by_name_.find(std::string(class_name));
    if (it == by_name_.end()) return nullptr;
    for (const StreamerInfo* info : it->second)
        if (info->class_version == class_version) return info;
    return nullptr;
}

const StreamerElement* StreamerInfoSet::findElement(std::string_view class_name,
                                                    std::string_view member) const {
    return findElementIn(class_name, member, 0);
}

const StreamerElement* StreamerInfoSet::findElementIn(std::string_view class_name,
                                                      std::string_view member, int depth) const {
    if (depth > kMaxBaseDepth) return nullptr;
    const StreamerInfo* info = find(class_name);
    if (info == nullptr) return nullptr;
    if (const StreamerElement* element = info->findElement(member)) return element;
    for (const StreamerElement& element : info->elements) {
        if (!element.isBase()) continue;
        if (const StreamerElement* found = findElementIn(element.name, member, depth + 1))
            return found;
    }
    return nullptr;
}

StreamerInfoSet readStreamerInfoList(ByteReader& payload) {
    const auto list = readTList(payload, streamCoreObject);
    std::vector<std::shared_ptr<const StreamerInfo>> infos;
    std::vector<std::string> rules;
    // Rules come as a TList of TObjString, possibly nested one level per class.
    auto collect_rules = [&rules](const TList& rule_list, auto& self, int depth) -> void {
        if (depth > kMaxBaseDepth) return;
        for (const auto& item : rule_list.items) {
            if (const auto text = std::dynamic_pointer_cast<TObjString>(item))
                rules.push_back(text->string);
            else if (const auto nested = std::dynamic_pointer_cast<TList>(item))
                self(*nested, self, depth + 1);
        }
    };
    for (const auto& item : list->items) {
        if (auto info = std::dynamic_pointer_cast<StreamerInfo>(item))
            infos.push_back(std::move(info));
        else if (const auto nested = std::dynamic_pointer_cast<TList>(item))
            collect_rules(*nested, collect_rules, 0);
    }
    return StreamerInfoSet(std::move(infos), std::move(rules));
}

}  // namespace hepflow::root
