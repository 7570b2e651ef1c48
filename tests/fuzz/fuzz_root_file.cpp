// libFuzzer target: treats the input as a whole ROOT file held in memory and walks it the
// way `hepflow stats` does (header, directories, keys, streamer infos, every tree and every
// branch). Any hepflow::Error is an expected outcome; a crash, hang or sanitizer report is a bug.
#include <cstring>

#include "io/byte_source.h"
#include "root/root_file.h"
#include "root/tree/tree.h"

namespace {

class MemorySource final : public hepflow::io::ByteSource {
public:
    MemorySource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    const std::string& url() const override { return url_; }
    std::uint64_t size() const override { return size_; }
    void readInto(hepflow::io::ReadRange range, std::span<std::byte> out) override {
        if (range.offset > size_ || range.length > size_ - range.offset)
            throw hepflow::IoError("read past end of input");
        std::memcpy(out.data(), data_ + range.offset, range.length);
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::string url_ = "fuzz-input.root";
};

// Bounds the work per input so that the fuzzer explores instead of decoding big trees.
constexpr std::int64_t kMaxEntriesPerBranch = 2000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hepflow;
    try {
        root::RootFile file(std::make_unique<MemorySource>(data, size));
        (void)file.streamerInfos();
        for (const auto& entry : file.allKeys()) {
            if (entry.key->fClassName != "TTree" && entry.key->fClassName != "TNtuple") continue;
            try {
                auto tree = root::Tree::open(file, entry.path);
                const std::int64_t end = std::min(tree->numEntries(), kMaxEntriesPerBranch);
                for (const auto* branch : tree->branches()) {
                    try {
                        (void)tree->readBranch(*branch, 0, end);
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
