// Parsing of "zstd:5"-style compression settings (see compression_spec.h).
#include "root/compression/compression_spec.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "common/error.h"

namespace hepflow::root {

CompressionSetting parseCompressionSpec(std::string_view text, std::string_view what) {
    const auto fail = [&] {
        return UsageError(fmt::format(
            "{} '{}': expected ALGORITHM[:LEVEL] (zstd, lz4, lzma, zlib; level 1-9), none, or a "
            "ROOT setting such as 505",
            what, text));
    };
    std::string spec(text);
    std::transform(spec.begin(), spec.end(), spec.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (spec == "none") return {CompressionAlgorithm::None, 0};
    if (!spec.empty() && std::all_of(spec.begin(), spec.end(),
                                     [](unsigned char c) { return std::isdigit(c) != 0; })) {
        if (spec.size() > 4) throw fail();
        try {
            return CompressionSetting::fromRoot(std::stoi(spec));
        } catch (const Error&) {
            throw fail();
        }
    }
    struct Preset {
        const char* name;
        CompressionAlgorithm algorithm;
        int level;
    };
    constexpr Preset kPresets[] = {{"zlib", CompressionAlgorithm::Zlib, 1},
                                   {"lzma", CompressionAlgorithm::Lzma, 7},
                                   {"lz4", CompressionAlgorithm::Lz4, 4},
                                   {"zstd", CompressionAlgorithm::Zstd, 5}};
    const auto colon = spec.find(':');
    const std::string name = spec.substr(0, colon);
    for (const auto& preset : kPresets) {
        if (name != preset.name) continue;
        if (colon == std::string::npos) return {preset.algorithm, preset.level};
        const std::string level = spec.substr(colon + 1);
        if (level.size() != 1 || level[0] < '1' || level[0] > '9') throw fail();
        return {preset.algorithm, level[0] - '0'};
    }
    throw fail();
}

}  // namespace hepflow::root
