// Compile-time error reporting: "col N: " messages and edit-distance suggestions for unknown
// names (docs/expressions.md, "Errors").
#include "frame/expr/detail/diagnostics.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/error.h"
#include "common/suggestions.h"

namespace hepflow::frame::expr::detail {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
    const std::string best =
        closestName(name, candidates, std::max<std::size_t>(2, name.size() / 3));
    return best.empty() ? std::string() : fmt::format(" \u2014 did you mean '{}'?", best);
}

[[noreturn]] void fail(int pos, const std::string& what) {
    throw UsageError(fmt::format("col {}: {}", pos, what));
}

}  // namespace hepflow::frame::expr::detail
