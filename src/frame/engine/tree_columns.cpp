// Branch -> column naming and write specs (see tree_columns.h).
#include "frame/engine/tree_columns.h"

#include <algorithm>
#include <span>
#include <string_view>

#include "common/error.h"
#include "root/writer/branch_plan.h"

namespace hepflow::frame::engine {
namespace {

// The branch holding a leaf called `leaf_name` (the counter of a counted array), or null.
const root::TBranch* branchWithLeaf(const root::Tree& tree, std::string_view leaf_name) {
    for (const root::TBranch* branch : tree.branches())
        for (const auto& leaf : branch->fLeaves)
            if (leaf->fName == leaf_name) return branch;
    return nullptr;
}

// x[N] of a plain leaf or a split member: N values in every entry, no counter.
std::int32_t fixedLength(const root::TBranch& branch) {
    if (branch.fLeaves.size() != 1 || branch.fBranchCount != nullptr) return 0;
    const auto& leaf = *branch.fLeaves[0];
    return leaf.fLeafCount == nullptr && leaf.fLen > 1 ? leaf.fLen : 0;
}

}  // namespace

bool isCollectionSize(const root::Tree& tree, const root::TBranch& branch) {
    const auto& info = tree.branchInfo(branch);
    return branch.is_element && !branch.fBranches.empty() &&
           (branch.fType == 3 || branch.fType == 4) && info.interpretation != nullptr &&
           info.interpretation->kind() == root::InterpretationKind::Flat;
}

std::string columnName(const root::Tree& tree, const root::TBranch& branch) {
    std::string name = branch.fName.substr(0, branch.fName.find('['));
    std::replace(name.begin(), name.end(), '.', '_');
    if (isCollectionSize(tree, branch)) name = "n" + name;
    return name;
}

const root::TBranch* sourceCounter(const root::Tree& tree, const root::TBranch& branch) {
    if (branch.fBranchCount != nullptr) return branch.fBranchCount.get();
    if (branch.fLeaves.size() == 1 && branch.fLeaves[0]->fLeafCount != nullptr)
        return branchWithLeaf(tree, branch.fLeaves[0]->fLeafCount->fName);
    return nullptr;
}

std::variant<root::BranchSpec, std::string> branchSpecFor(const root::Tree& tree,
                                                          const root::TBranch& branch,
                                                          root::JaggedLayout layout,
                                                          root::CompressionSetting compression) {
    const auto& info = tree.branchInfo(branch);
    HEPFLOW_ASSERT(info.interpretation != nullptr, "branchSpecFor needs a readable branch");
    const frame::Column shape = info.interpretation->makeColumn();
    if (shape.dtype() == frame::DType::Struct) return "object " + info.interpretation->describe();
    root::BranchSpec spec;
    spec.name = columnName(tree, branch);
    spec.dtype = shape.dtype();
    spec.layout = layout;
    // BranchSpec counts a string as one value: its character level is not a jagged level.
    spec.levels = shape.dtype() == frame::DType::String ? shape.levels() - 1 : shape.levels();
    if (spec.dtype != frame::DType::String && spec.levels == 1) {
        if (const auto n = fixedLength(branch); n > 0) {
            spec.fixed_length = n;
            spec.levels = 0;
            spec.layout = root::JaggedLayout::Counted;  // x[N]: no vector, whatever the layout
        } else if (const root::TBranch* counter = sourceCounter(tree, branch)) {
            spec.counter = columnName(tree, *counter);
        } else {
            spec.counter = "n" + spec.name;  // unique, so no two vectors share a counter
        }
    }
    try {
        // The writer's own rules decide what it can express (levels, strings, bools, ...).
        root::planTree(std::span(&spec, 1), compression);
    } catch (const UsageError& e) {
        return std::string(e.message());
    }
    return spec;
}

}  // namespace hepflow::frame::engine
