// Edit-distance suggestions for unknown names.
#include "frame/engine/detail/names.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/suggestions.h"

namespace hepflow::frame::engine::detail {

std::string closestName(std::string_view name, const std::vector<std::string>& candidates) {
    // A third of the name may differ (at least 1, at most 3 edits), as a typo would.
    return hepflow::closestName(name, candidates, std::clamp<std::size_t>(name.size() / 3, 1, 3));
}

std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates) {
    const std::string best = closestName(name, candidates);
    return best.empty() ? std::string() : fmt::format(" — did you mean '{}'?", best);
}

}  // namespace hepflow::frame::engine::detail
