// The FormatError of a damaged branch, named as every tree error names it: the file, then
// "<tree path> branch <branch path>", and the byte offset where known. Shared by opening a tree
// (tree.cpp) and reading it (branch_read.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "root/tree/tree.h"

namespace hepflow::root::detail {

inline FormatError branchError(const Tree& tree, const TBranch& branch, std::string message,
                               std::optional<std::uint64_t> offset = std::nullopt) {
    FormatError error(std::move(message));
    error.at(tree.file().url(), fmt::format("{} branch {}", tree.path(), branch.path), offset);
    return error;
}

}  // namespace hepflow::root::detail
