// The Interpretation classes of TBranchElement branches, each decoding whole baskets: values
// described by a decode plan (whole objects, STL containers, members of split objects and of
// split collections), and numbers in bulk (std::vector of numbers, arrays in collections,
// pointer arrays).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "root/tree/detail/decode_plan.h"
#include "root/tree/detail/element_types.h"
#include "root/tree/interpretation.h"

namespace hepflow::root::detail {

// The values a plan describes. `items` false: one value per entry. `items` true (members of
// split collections): each entry holds a variable number of values, one after the other, up to
// the entry's end. A std::vector of plain numbers, the most common element branch, gets a
// faster decoder that sizes the column once per basket.
std::unique_ptr<Interpretation> planInterpretation(std::unique_ptr<Node> root,
                                                   std::vector<SinkSpec> sinks, bool items,
                                                   std::string description);

// Split-collection items that are fixed arrays of numbers (entry -> items -> `dims`): one bulk
// conversion per basket.
std::unique_ptr<Interpretation> itemArraysInterpretation(const NumberCodec& codec,
                                                         std::vector<std::int64_t> dims,
                                                         std::string description);

// Pointer arrays `T* x //[n]` (ROOT-FORMAT.md 6.6): per entry a presence byte, then the values.
std::unique_ptr<Interpretation> pointerArrayInterpretation(const NumberCodec& codec,
                                                           std::string description);

}  // namespace hepflow::root::detail
