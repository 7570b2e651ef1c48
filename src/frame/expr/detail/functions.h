// The function table of the expression language (docs/expressions.md, "Functions"): which names
// are elementwise math functions (and their arity), which are reductions, and every function
// name for "did you mean" suggestions. Also the phi wrapping the angular functions share.
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hepflow::frame::expr::detail {

// The number of arguments of elementwise math function `name`, or nullopt for another name.
std::optional<std::size_t> mathArity(std::string_view name);

// Whether `name` is a reduction of one per-object argument (min and max are not: with two or
// more arguments they are elementwise).
bool isReduction(std::string_view name);

// Every function name, in the order of the documentation.
const std::vector<std::string>& functionNames();

// `d` wrapped into [-pi, pi).
template <class T>
T wrapPhi(T d) {
    constexpr T kPi = std::numbers::pi_v<T>;
    constexpr T kTwoPi = 2 * std::numbers::pi_v<T>;
    return d - kTwoPi * std::floor((d + kPi) / kTwoPi);
}

}  // namespace hepflow::frame::expr::detail
