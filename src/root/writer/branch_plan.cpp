// Branch kinds, tree order, titles, leaf classes and container classes for TreeWriter: the
// decisions that make each spec a branch ROOT, uproot and JSROOT read the same way.
#include "root/writer/branch_plan.h"

#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/error.h"
#include "root/writer/streamer_registry.h"

namespace hepflow::root {

namespace {

using frame::DType;

// What ROOT 6.20 writes in a top-level std::string TBranchElement (uproot-stl_containers.root
// branch "string"): the checksum and version of TClass "string"; no streamer info goes with it.
constexpr std::uint32_t kStdStringChecksum = 0xCE81D3E7;
constexpr std::int16_t kStdStringClassVersion = 2;

bool isInteger(DType dtype) {
    switch (dtype) {
        case DType::Int8:
        case DType::UInt8:
        case DType::Int16:
        case DType::UInt16:
        case DType::Int32:
        case DType::UInt32:
        case DType::Int64:
        case DType::UInt64: return true;
        default: return false;
    }
}

std::string defaultCounterName(std::string_view array_name) {
    const auto underscore = array_name.find('_');
    const auto prefix =
        underscore == std::string_view::npos ? array_name : array_name.substr(0, underscore);
    // Appended rather than "n" + std::string(prefix): GCC 12 warns (-Wrestrict) on that.
    std::string name;
    name.reserve(prefix.size() + 1);
    name += 'n';
    name += prefix;
    return name;
}

[[noreturn]] void badSpec(const BranchSpec& spec, std::string_view why) {
    throw UsageError(fmt::format("tree branch '{}': {}", spec.name, why)).setObject(spec.name);
}

bool isCountedArray(const BranchSpec& spec) {
    return spec.levels == 1 && spec.dtype != DType::String && spec.layout == JaggedLayout::Counted;
}

// Kind of a spec that is not a counter.
BranchKind kindOf(const BranchSpec& spec) {
    if (spec.name.empty()) throw UsageError("tree branch with an empty name");
    // ROOT parses '/', '[' and ':' in leaf-list titles; such names would not read back.
    if (spec.name.find_first_of("/[]:") != std::string::npos)
        badSpec(spec, "names must not contain '/', '[', ']' or ':'");
    if (spec.dtype == DType::Struct) badSpec(spec, "struct columns cannot be written as a branch");
    if (spec.levels > 2) badSpec(spec, fmt::format("{} jagged levels (at most 2)", spec.levels));
    if (spec.fixed_length < 0) badSpec(spec, "negative fixed_length");
    if (spec.fixed_length > 0) {
        if (spec.levels != 0) badSpec(spec, "a fixed-size array cannot also be jagged");
        if (spec.layout == JaggedLayout::Vector)
            badSpec(spec, "a fixed-size array has no std::vector layout");
        if (spec.dtype == DType::String) badSpec(spec, "fixed-size arrays of strings");
        return BranchKind::FixedArray;
    }
    if (spec.dtype == DType::String) {
        if (spec.levels == 0)
            return spec.layout == JaggedLayout::Vector ? BranchKind::StdString
                                                       : BranchKind::CharStar;
        if (spec.levels == 1) return BranchKind::VectorString;
        badSpec(spec, "strings with two jagged levels (vector<vector<string> >)");
    }
    if (spec.levels == 0) return BranchKind::Scalar;
    if (spec.levels == 2) return BranchKind::VectorVector;
    return spec.layout == JaggedLayout::Vector ? BranchKind::Vector : BranchKind::CountedArray;
}

void fillTitles(BranchPlan& plan, const std::string& user_title, std::string_view counter_name) {
    const char letter = plan.kind == BranchKind::CharStar ? 'C' : leafTypeOf(plan.dtype).letter;
    switch (plan.kind) {
        case BranchKind::Scalar:
        case BranchKind::Counter:
        case BranchKind::CharStar: plan.leaf_title = plan.name; break;
        case BranchKind::FixedArray:
            plan.leaf_title = fmt::format("{}[{}]", plan.name, plan.fixed_length);
            break;
        case BranchKind::CountedArray:
            plan.leaf_title = fmt::format("{}[{}]", plan.name, counter_name);
            break;
        default:
            // TBranchElement: ROOT titles branch and leaf with the branch name.
            plan.leaf_title = plan.name;
            plan.title = user_title.empty() ? plan.name : user_title;
            return;
    }
    plan.title = user_title.empty() ? fmt::format("{}/{}", plan.leaf_title, letter) : user_title;
}

void fillElementClass(BranchPlan& plan) {
    std::string element_type;
    switch (plan.kind) {
        case BranchKind::Vector: element_type = stlValueTypeName(plan.dtype); break;
        case BranchKind::VectorVector:
            element_type = fmt::format("vector<{}>", stlValueTypeName(plan.dtype));
            break;
        case BranchKind::VectorString: element_type = "string"; break;
        case BranchKind::StdString:
            plan.class_name = "string";
            plan.class_checksum = kStdStringChecksum;
            plan.class_version = kStdStringClassVersion;
            return;
        default: return;
    }
    // The container info carries ROOT's name ("vector<vector<float> >"), checksum and version.
    plan.container_info = vectorStreamerInfo(element_type);
    plan.class_name = plan.container_info->name;
    plan.class_checksum = plan.container_info->checksum;
    plan.class_version = static_cast<std::int16_t>(plan.container_info->class_version);
}

}  // namespace

LeafType leafTypeOf(DType dtype) {
    switch (dtype) {
        case DType::Bool: return {"TLeafO", 'O', 1, false};
        case DType::Int8: return {"TLeafB", 'B', 1, false};
        case DType::UInt8: return {"TLeafB", 'b', 1, true};
        case DType::Int16: return {"TLeafS", 'S', 2, false};
        case DType::UInt16: return {"TLeafS", 's', 2, true};
        case DType::Int32: return {"TLeafI", 'I', 4, false};
        case DType::UInt32: return {"TLeafI", 'i', 4, true};
        case DType::Int64: return {"TLeafL", 'L', 8, false};
        case DType::UInt64: return {"TLeafL", 'l', 8, true};
        case DType::Float32: return {"TLeafF", 'F', 4, false};
        case DType::Float64: return {"TLeafD", 'D', 8, false};
        case DType::String: return {"TLeafC", 'C', 1, false};
        case DType::Struct: break;
    }
    HEPFLOW_ASSERT(false, "no leaf class for a struct column");
    return {};
}

std::string_view stlValueTypeName(DType dtype) {
    switch (dtype) {
        case DType::Bool: return "bool";
        case DType::Int8: return "char";
        case DType::UInt8: return "unsigned char";
        case DType::Int16: return "short";
        case DType::UInt16: return "unsigned short";
        case DType::Int32: return "int";
        case DType::UInt32: return "unsigned int";
        case DType::Int64: return "Long64_t";
        case DType::UInt64: return "ULong64_t";
        case DType::Float32: return "float";
        case DType::Float64: return "double";
        case DType::String: return "string";
        case DType::Struct: break;
    }
    HEPFLOW_ASSERT(false, "no container value type for a struct column");
    return {};
}

bool BranchPlan::isElement() const {
    switch (kind) {
        case BranchKind::Vector:
        case BranchKind::VectorVector:
        case BranchKind::StdString:
        case BranchKind::VectorString: return true;
        default: return false;
    }
}

bool BranchPlan::hasEntryOffsets() const {
    switch (kind) {
        case BranchKind::Scalar:
        case BranchKind::FixedArray:
        case BranchKind::Counter: return false;
        default: return true;
    }
}

std::size_t BranchPlan::entrySize() const {
    if (hasEntryOffsets()) return 0;
    return frame::dtypeSize(dtype) * static_cast<std::size_t>(fixed_length);
}

std::int32_t BranchPlan::elementBranchType() const {
    // kLeafNode (0) for a whole container; ROOT marks top-level strings with -1.
    return kind == BranchKind::StdString ? -1 : 0;
}

TreePlan planTree(std::span<const BranchSpec> specs, CompressionSetting file_default) {
    std::unordered_map<std::string_view, int> spec_index;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& spec = specs[i];
        kindOf(spec);  // validates
        if (!spec_index.emplace(spec.name, static_cast<int>(i)).second)
            badSpec(spec, "duplicate branch name");
    }
    // Counter name of every counted array.
    std::vector<std::string> counter_of(specs.size());
    std::unordered_set<std::string> counter_names;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!isCountedArray(specs[i])) continue;
        counter_of[i] =
            specs[i].counter.empty() ? defaultCounterName(specs[i].name) : specs[i].counter;
        if (counter_of[i].find_first_of("/[]:") != std::string::npos || counter_of[i].empty())
            badSpec(specs[i], fmt::format("invalid counter name '{}'", counter_of[i]));
        counter_names.insert(counter_of[i]);
    }

    TreePlan tree;
    tree.branch_of_column.assign(specs.size(), -1);
    std::unordered_map<std::string, int> placed_counters;

    const auto compression_of = [&](const BranchSpec& spec) {
        return spec.compression.value_or(file_default);
    };
    const auto place_counter = [&](const std::string& name) -> int {
        if (auto it = placed_counters.find(name); it != placed_counters.end()) return it->second;
        BranchPlan plan;
        plan.name = name;
        plan.kind = BranchKind::Counter;
        plan.dtype = DType::Int32;
        plan.compression = file_default;
        std::string user_title;
        if (auto it = spec_index.find(name); it != spec_index.end()) {
            const auto& spec = specs[static_cast<std::size_t>(it->second)];
            if (!isInteger(spec.dtype) || spec.levels != 0 || spec.fixed_length != 0)
                badSpec(spec,
                        "it counts a counted array, so it must be a flat integer column "
                        "(or leave the counter to the writer)");
            plan.dtype = spec.dtype;
            plan.column = it->second;
            plan.compression = compression_of(spec);
            user_title = spec.title;
            tree.branch_of_column[static_cast<std::size_t>(it->second)] =
                static_cast<int>(tree.branches.size());
        }
        fillTitles(plan, user_title, {});
        const int index = static_cast<int>(tree.branches.size());
        tree.branches.push_back(std::move(plan));
        placed_counters.emplace(name, index);
        return index;
    };

    for (std::size_t i = 0; i < specs.size(); ++i) {
        const auto& spec = specs[i];
        if (counter_names.count(spec.name)) {
            place_counter(spec.name);
            continue;
        }
        BranchPlan plan;
        plan.name = spec.name;
        plan.kind = kindOf(spec);
        plan.dtype = spec.dtype;
        plan.column = static_cast<int>(i);
        plan.fixed_length = std::max<std::int32_t>(spec.fixed_length, 1);
        plan.compression = compression_of(spec);
        if (plan.kind == BranchKind::CountedArray) {
            plan.counter = place_counter(counter_of[i]);
        }
        fillTitles(plan, spec.title, counter_of[i]);
        fillElementClass(plan);
        const int index = static_cast<int>(tree.branches.size());
        if (plan.counter >= 0)
            tree.branches[static_cast<std::size_t>(plan.counter)].arrays.push_back(index);
        tree.branch_of_column[i] = index;
        tree.branches.push_back(std::move(plan));
    }
    return tree;
}

}  // namespace hepflow::root
