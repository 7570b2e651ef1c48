// `hepflow show FILE[:TREE]`: per tree its entry count, then per branch its path, type, how
// hepflow interprets it, compressed and uncompressed bytes, baskets and the compression of
// its first basket (like uproot's show()). No values are read.
#include <ostream>

#include <fmt/format.h>

#include "commands.h"
#include "output.h"

namespace hepflow::cli {
namespace {

std::string basketCompression(const root::Tree& tree, const root::TBranch& branch) {
    const auto& info = tree.branchInfo(branch);
    if (const auto algorithm = tree.firstBasketCompression(branch))
        return std::string(root::algorithmName(*algorithm));
    return info.num_embedded_baskets > 0 ? "in-tree" : "-";
}

// Baskets kept inside the TTree record are not in fTotBytes (ROOT adds them when it writes
// them out); count their bytes so NanoAOD-style trees do not show 0 B.
std::int64_t uncompressedBytes(const root::BranchInfo& info) {
    std::int64_t bytes = info.uncompressed_bytes;
    for (const auto& slot : info.baskets)
        if (!slot.onDisk()) bytes += static_cast<std::int64_t>(slot.embedded->data.size());
    return bytes;
}

std::string basketCount(const root::BranchInfo& info) {
    if (info.num_embedded_baskets == 0) return std::to_string(info.num_disk_baskets);
    return fmt::format("{}+{} in-tree", info.num_disk_baskets, info.num_embedded_baskets);
}

void showTree(const root::Tree& tree, std::ostream& out) {
    std::int64_t compressed = 0, uncompressed = 0;
    TextTable table;
    table.addRow({"BRANCH", "TYPE", "INTERPRETATION", "COMPRESSED", "UNCOMPRESSED", "BASKETS",
                  "COMPRESSION"});
    for (const root::TBranch* branch : tree.branches()) {
        const auto& info = tree.branchInfo(*branch);
        const auto summary = summarizeBranch(tree, *branch);
        compressed += info.compressed_bytes;
        uncompressed += uncompressedBytes(info);
        table.addRow({branch->path, summary.type, summary.interpretation,
                      formatBytes(info.compressed_bytes), formatBytes(uncompressedBytes(info)),
                      basketCount(info), basketCompression(tree, *branch)});
    }
    out << fmt::format("{} ({}) \"{}\": {} entries, {} branches, {} compressed, {} uncompressed\n",
                       tree.path(), tree.className(), tree.title(), tree.numEntries(),
                       tree.branches().size(), formatBytes(compressed), formatBytes(uncompressed));
    table.print(out);
    out << '\n';
}

}  // namespace

void runShow(const std::string& spec, std::ostream& out) {
    const auto [file_name, tree_path] = parseFileSpec(spec);
    const auto file = root::RootFile::open(file_name);
    if (!tree_path.empty()) {
        showTree(*root::Tree::open(*file, tree_path), out);
        return;
    }
    const auto trees = treeKeys(*file);
    if (trees.empty()) out << file->url() << ": no trees\n";
    for (const auto& entry : trees) showTree(*root::Tree::open(*file, keySpec(entry)), out);
}

}  // namespace hepflow::cli
