// Compile-time error reporting: "col N: " messages and edit-distance suggestions for unknown
// names (docs/expressions.md, "Errors").
#include "frame/expr/detail/diagnostics.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::frame::expr::detail {
namespace {

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
    std::size_t best = std::string::npos;
    const std::string* best_name = nullptr;
    for (const auto& candidate : candidates) {
        const std::size_t d = editDistance(lower(name), lower(candidate));
        if (d < best) {
            best = d;
            best_name = &candidate;
        }
    }
    const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
    if (best_name == nullptr || best > limit) return "";
    return fmt::format(" \u2014 did you mean '{}'?", *best_name);
}

[[noreturn]] void fail(int pos, const std::string& what) {
    throw UsageError(fmt::format("col {}: {}", pos, what));
}

}  // namespace hepflow::frame::expr::detail
