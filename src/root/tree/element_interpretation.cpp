// Chooses the interpretation of a TBranchElement / TBranchObject branch (ROOT-FORMAT.md 4.6,
// 4.7, 6.4, 6.6) from its fType, fStreamerType and the streamer infos: top-level STL containers,
// strings and objects, members of split objects and of split TClonesArray / STL collections,
// and their count branches. The decoding itself lives in tree/detail/.
#include <fmt/format.h>

#include "common/error.h"
#include "root/tree/basic_interpretation.h"
#include "root/tree/detail/decode_plan.h"
#include "root/tree/detail/element_decoders.h"
#include "root/tree/detail/element_types.h"
#include "root/tree/interpretation.h"

namespace hepflow::root {

namespace detail {
namespace {

using frame::DType;

// TBranchElement fType (ROOT-FORMAT.md 6.4).
constexpr int kTopLevelString = -1;
constexpr int kLeafNode = 0;
constexpr int kBaseClassNode = 1;
constexpr int kObjectNode = 2;
constexpr int kClonesNode = 3;
constexpr int kSTLNode = 4;
constexpr int kClonesMemberNode = 31;
constexpr int kSTLMemberNode = 41;

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
    return branch_type == kStreamerTypeUChar && element_type == kStreamerTypeBool;
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
    return makeTruncatedFloatInterpretation(codec.dtype, *codec.truncated, per_item, counted,
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
        return planInterpretation(std::move(root), std::move(builder.sinks()), items,
                                  "uint32 (fBits)" + suffix);
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
            return planInterpretation(std::move(root), std::move(builder.sinks()), false,
                                      description);
        }
        return itemArraysInterpretation(codec, std::move(dims), description);
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
        return pointerArrayInterpretation(codec, fmt::format("{}[{}]", numberName(codec), counter));
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
}  // namespace detail

std::unique_ptr<Interpretation> interpretElementBranch(const TBranch& branch,
                                                       const InterpretationContext& context) {
    if (!branch.is_element) return nullptr;
    try {
        return detail::chooseElementInterpretation(branch, context);
    } catch (UnsupportedError& error) {
        error.setObject(branchPath(branch));
        error.within(fmt::format("{} '{}' (fType {}, fStreamerType {}, fID {})", branch.class_name,
                                 branch.fClassName, branch.fType, branch.fStreamerType,
                                 branch.fID));
        throw;
    }
}

}  // namespace hepflow::root
