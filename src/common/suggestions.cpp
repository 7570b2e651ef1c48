// Edit distances for "did you mean" suggestions (see suggestions.h).
#include "common/suggestions.h"

#include <algorithm>
#include <cctype>

namespace hepflow {

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closestName(std::string_view name, const std::vector<std::string>& candidates,
                        std::size_t max_distance) {
    const std::string* best = nullptr;
    std::size_t best_distance = max_distance + 1;
    for (const auto& candidate : candidates) {
        const std::size_t distance = editDistance(name, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = &candidate;
        }
    }
    return best == nullptr ? std::string() : *best;
}

}  // namespace hepflow
