// The tree writer's checks of a batch against its plan, done before the tree changes (a
// rejected batch leaves it as it was): column names, dtypes, shapes and offsets, arrays that
// share a counter agreeing entry by entry, and the counters derived from those arrays.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "frame/columns/column.h"
#include "root/writer/branch_plan.h"
#include "root/writer/tree_writer.h"

namespace hepflow::root {

// Checks a batch (its columns in the order of `specs`) for `plan`. Branches are checked in
// parallel on oneTBB; the error thrown is the one of the first failing branch, as a serial
// check would find it: UsageError naming tree, branch and (tree) entry, which counts from
// `first_entry`. Returns the column of every plan branch: a batch column, or a counter made
// from its arrays and kept in `made` (one slot per plan branch).
std::vector<const frame::Column*> checkBatch(const TreePlan& plan,
                                             const std::vector<BranchSpec>& specs,
                                             const frame::ColumnBatch& batch, std::string_view tree,
                                             std::int64_t first_entry,
                                             std::vector<frame::Column>& made);

}  // namespace hepflow::root
