// The plan builder: streamer elements and C++ type names -> decode-plan nodes and sinks, with
// ROOT's rules for where a count+version header is written (ROOT-FORMAT.md 4.7) and the
// classes whose hand-written streamers a plan cannot describe.
#include "root/tree/detail/decode_plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::root::detail {

using frame::DType;

namespace {

// Nested containers and objects deeper than this are a recursive class or corruption.
constexpr int kMaxNesting = 32;

// In a member-wise map, a block of strings or containers gets one count+version; blocks of
// numbers and TStrings get none (checked on uproot-stl_containers.root).
bool needsBlockHeader(const Node& node) {
    switch (node.kind) {
        case NodeKind::Number: return false;
        case NodeKind::String: return node.type_name != "TString";
        case NodeKind::Sequence:
        case NodeKind::Map: return true;
        default:
            throw UnsupportedError(fmt::format("map keys or values of type '{}'", node.type_name));
    }
}

// Classes whose hand-written Streamer does not follow their streamer info (collections,
// TArray*, ...): their layout would be misread from the elements.
bool hasCustomStreamer(std::string_view name) {
    static constexpr std::string_view kClasses[] = {
        "TClonesArray", "TObjArray", "TList", "THashList", "TMap",  "TBtree",
        "TCollection",  "TArray",    "TBits", "TDatime",   "TUUID", "TProcessID"};
    for (auto custom : kClasses)
        if (name == custom) return true;
    return name.starts_with("TArray") || name.starts_with("TH1") || name.starts_with("TH2") ||
           name.starts_with("TH3");
}

}  // namespace

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

// Counts nesting so that a class containing itself ends in an error, not a stack overflow.
class PlanBuilder::Nesting {
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

std::unique_ptr<Node> PlanBuilder::number(const NumberCodec& codec, std::string type_name,
                                          const std::string& path, std::size_t depth) {
    auto node = makeNode(NodeKind::Number, std::move(type_name));
    node->codec = codec;
    node->sink = addSink(path, codec.dtype, depth);
    return node;
}

std::unique_ptr<Node> PlanBuilder::bits(const std::string& path, std::size_t depth) {
    auto node = makeNode(NodeKind::Bits, "fBits");
    node->sink = addSink(path, DType::UInt32, depth);
    return node;
}

std::unique_ptr<Node> PlanBuilder::string(bool header, std::string type_name,
                                          const std::string& path, std::size_t depth) {
    auto node = makeNode(NodeKind::String, std::move(type_name));
    node->header = header;
    node->sink = addSink(path + "#string", DType::String, depth);
    return node;
}

std::unique_ptr<Node> PlanBuilder::fromTypeName(std::string_view type_name, Site site,
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

std::unique_ptr<Node> PlanBuilder::fromElement(const StreamerElement& element,
                                               const std::string& path, std::size_t depth) {
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
        throw UnsupportedError(
            fmt::format("member '{}' ({}, fType {}): arrays counted by another member inside an "
                        "unsplit object",
                        element.name, element.type_name, type));
    throw UnsupportedError(
        fmt::format("member '{}' of type '{}' (fType {})", element.name, element.type_name, type));
}

std::unique_ptr<Node> PlanBuilder::object(std::string_view class_name, const std::string& path,
                                          std::size_t depth) {
    const Nesting guard(*this, class_name);
    const std::string name = normalizeTypeName(class_name);
    if (name == "TObject") return tobject(NodeKind::TObject, path, depth);
    if (name == "TRef") return tobject(NodeKind::TRef, path, depth);
    if (name == "TRefArray") return refArray(path, depth);
    if (name == "TString" || isStdStringName(name) || splitTemplate(name) || codecOfTypeName(name))
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

std::unique_ptr<Node> PlanBuilder::makeNode(NodeKind kind, std::string type_name) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->type_name = std::move(type_name);
    return node;
}

int PlanBuilder::addSink(std::string name, DType dtype, std::size_t levels) {
    sinks_.push_back(SinkSpec{std::move(name), dtype, levels});
    return static_cast<int>(sinks_.size()) - 1;
}

void PlanBuilder::endLists(Node& node, int first_sink, std::size_t level) const {
    for (int s = first_sink; s < static_cast<int>(sinks_.size()); ++s)
        node.ends.push_back(ListEnd{s, level});
}

std::unique_ptr<Node> PlanBuilder::sequence(const std::string& name,
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

std::unique_ptr<Node> PlanBuilder::map(const std::string& name,
                                       const std::vector<std::string_view>& args, Site site,
                                       const std::string& path, std::size_t depth) {
    if (args.size() < 2) throw UnsupportedError(fmt::format("the type '{}'", name));
    if (site == Site::Item)
        throw UnsupportedError(fmt::format("the type '{}' inside a container", name));
    auto node = makeNode(NodeKind::Map, name);
    node->header = true;
    const int first_sink = static_cast<int>(sinks_.size());
    node->children.push_back(fromTypeName(args[0], Site::Item, path + ".first", depth + 1));
    node->children.push_back(fromTypeName(args[1], Site::Item, path + ".second", depth + 1));
    node->key_header = needsBlockHeader(*node->children[0]);
    node->value_header = needsBlockHeader(*node->children[1]);
    endLists(*node, first_sink, depth);
    return node;
}

// TNamed when the file has no streamer info for it: TObject, fName, fTitle (4.5).
std::unique_ptr<Node> PlanBuilder::named(const std::string& path, std::size_t depth) {
    auto node = makeNode(NodeKind::Object, "TNamed");
    node->header = true;
    node->class_version = 1;
    node->children.push_back(tobject(NodeKind::TObject, path, depth));
    node->children.push_back(string(false, "TString", path + ".fName", depth));
    node->children.push_back(string(false, "TString", path + ".fTitle", depth));
    return node;
}

std::unique_ptr<Node> PlanBuilder::tobject(NodeKind kind, const std::string& path,
                                           std::size_t depth) {
    auto node = makeNode(kind, kind == NodeKind::TRef ? "TRef" : "TObject");
    node->parts[kUniqueID] = addSink(path + ".fUniqueID", DType::UInt32, depth);
    node->parts[kBits] = addSink(path + ".fBits", DType::UInt32, depth);
    if (kind == NodeKind::TRef) node->parts[kPid] = addSink(path + ".fPID", DType::UInt16, depth);
    return node;
}

// TRefArray::Streamer, with JSROOT's member names (fLast = n - 1).
std::unique_ptr<Node> PlanBuilder::refArray(const std::string& path, std::size_t depth) {
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

}  // namespace hepflow::root::detail
