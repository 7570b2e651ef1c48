// libFuzzer target: treats the input as a whole ROOT file held in memory and walks it the
// way `hepflow stats` does (header, directories, keys, streamer infos, every tree and every
// branch). Any hepflow::Error is an expected outcome; a crash, hang or sanitizer report is a bug.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "io/memory_source.h"
#include "root/root_file.h"
#include "root/tree/tree.h"

namespace {

// Bounds the work per input so that the fuzzer explores instead of decoding big trees.
constexpr std::int64_t kMaxEntriesPerBranch = 2000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hepflow;
    try {
        root::RootFile file(std::make_unique<io::MemorySource>(
            std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size),
            "fuzz-input.root"));
        (void)file.streamerInfos();
        for (const auto& entry : file.allKeys()) {
            if (entry.key->fClassName != "TTree" && entry.key->fClassName != "TNtuple") continue;
            try {
                auto tree = root::Tree::open(file, entry.path);
                const std::int64_t end = std::min(tree->numEntries(), kMaxEntriesPerBranch);
                // Every third entry: the selective read's own decoding of damaged baskets.
                std::vector<std::int64_t> every_third;
                for (std::int64_t row = 0; row < end; row += 3) every_third.push_back(row);
                for (const auto* branch : tree->branches()) {
                    try {
                        (void)tree->readBranch(*branch, 0, end);
                    } catch (const Error&) {
                    }
                    try {
                        const root::TBranch* one[] = {branch};
                        (void)tree->readBranches(one, 0, end, every_third);
                    } catch (const Error&) {
                    }
                }
            } catch (const Error&) {
            }
        }
    } catch (const Error&) {
    }
    return 0;
}
