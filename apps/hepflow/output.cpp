// Shared output helpers of the hepflow subcommands (see output.h): the pieces ls, show, dump
// and stats have in common, so each command file holds only its own layout.
#include "output.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "common/error.h"
#include "root/compression/compression.h"

namespace hepflow::cli {

FileSpec parseFileSpec(std::string_view text) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(text), ec)) return {std::string(text), {}};
    // In a URL the separator can only follow the start of the path (never the port's ':').
    std::size_t path_start = 0;
    if (const auto scheme = text.find("://"); scheme != std::string_view::npos) {
        path_start = text.find('/', scheme + 3);
        if (path_start == std::string_view::npos) return {std::string(text), {}};
    }
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon <= path_start) return {std::string(text), {}};
    return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

namespace {

std::int64_t parseEntry(std::string_view text, std::string_view whole) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0)
        throw UsageError(
            fmt::format("--entries '{}': expected A:B with entry numbers >= 0", whole));
    return value;
}

}  // namespace

EntryRange parseEntryRange(std::string_view text) {
    EntryRange range;
    if (text.empty()) return range;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos)
        throw UsageError(fmt::format("--entries '{}': expected A:B, A: or :B", text));
    if (colon > 0) range.begin = parseEntry(text.substr(0, colon), text);
    if (colon + 1 < text.size()) range.end = parseEntry(text.substr(colon + 1), text);
    if (range.end >= 0 && range.end < range.begin)
        throw UsageError(fmt::format("--entries '{}': the end is before the start", text));
    return range;
}

bool isTreeClass(std::string_view class_name) {
    return class_name == "TTree" || class_name == "TNtuple" || class_name == "TNtupleD";
}

std::vector<root::RootFile::KeyEntry> treeKeys(const root::RootFile& file) {
    std::vector<root::RootFile::KeyEntry> trees;
    for (const auto& entry : file.allKeys())
        if (isTreeClass(entry.key->fClassName)) trees.push_back(entry);
    return trees;
}

std::string keySpec(const root::RootFile::KeyEntry& entry) {
    return fmt::format("{};{}", entry.path, entry.key->fCycle);
}

namespace {

// The leaf type names of the reference dump (ROOT's typedef names).
std::string leafTypeName(const root::TLeaf& leaf) {
    struct Names {
        const char* leaf_class;
        const char* signed_name;
        const char* unsigned_name;
    };
    static constexpr Names kNames[] = {{"TLeafB", "Char_t", "UChar_t"},
                                       {"TLeafS", "Short_t", "UShort_t"},
                                       {"TLeafI", "Int_t", "UInt_t"},
                                       {"TLeafL", "Long64_t", "ULong64_t"},
                                       {"TLeafG", "Long_t", "ULong_t"},
                                       {"TLeafF", "Float_t", "Float_t"},
                                       {"TLeafD", "Double_t", "Double_t"},
                                       {"TLeafO", "Bool_t", "Bool_t"},
                                       {"TLeafC", "char*", "char*"},
                                       {"TLeafF16", "Float16_t", "Float16_t"},
                                       {"TLeafD32", "Double32_t", "Double32_t"}};
    for (const auto& names : kNames)
        if (leaf.class_name == names.leaf_class)
            return leaf.fIsUnsigned ? names.unsigned_name : names.signed_name;
    if (leaf.class_name == "TLeafElement") return fmt::format("streamer-type-{}", leaf.fType);
    return leaf.class_name;
}

// The C++ type of a branch as the reference dump names it: the streamer element's type for
// members of split objects, the class for whole objects and collections, else the leaves'.
std::string branchTypeName(const root::TBranch& branch, const root::StreamerInfoSet& streamers) {
    constexpr int kClonesArrayNode = 3;
    constexpr int kStlCollectionNode = 4;
    if (branch.is_element) {
        if (branch.fID < 0 || branch.fType == kClonesArrayNode ||
            branch.fType == kStlCollectionNode) {
            if (branch.fType == kClonesArrayNode && !branch.fClonesName.empty())
                return fmt::format("TClonesArray<{}>", branch.fClonesName);
            if (!branch.fClassName.empty()) return branch.fClassName;
        } else if (const auto* info = streamers.find(branch.fClassName, branch.fClassVersion);
                   info != nullptr &&
                   static_cast<std::size_t>(branch.fID) < info->elements.size()) {
            const auto& element = info->elements[static_cast<std::size_t>(branch.fID)];
            std::string name = element.type_name;
            for (int d = 0; d < element.array_dim && d < static_cast<int>(element.max_index.size());
                 ++d)
                name += fmt::format("[{}]", element.max_index[static_cast<std::size_t>(d)]);
            return name;
        }
    }
    std::string joined;
    for (const auto& leaf : branch.fLeaves)
        joined += (joined.empty() ? "" : ":") + leafTypeName(*leaf);
    return joined;
}

}  // namespace

BranchSummary summarizeBranch(const root::Tree& tree, const root::TBranch& branch) {
    const auto& info = tree.branchInfo(branch);
    BranchSummary summary;
    summary.branch = &branch;
    summary.class_name = branch.class_name;
    summary.type = branchTypeName(branch, tree.file().streamerInfos());
    if (info.interpretation == nullptr) {
        summary.readable = false;
        summary.interpretation = "unsupported: " + info.unsupported;
        return summary;
    }
    const auto kind = info.interpretation->kind();
    summary.interpretation =
        fmt::format("{}: {}", root::interpretationKindName(kind), info.interpretation->describe());
    if (kind == root::InterpretationKind::NoData) {
        summary.no_data_note = "object branch without data of its own; see its sub-branches";
    } else if (branch.fEntries == 0 && branch.fWriteBasket == 0) {
        summary.no_data_note = "branch has no entries";
    } else {
        summary.has_data = true;
    }
    return summary;
}

std::string compressionName(int setting) {
    try {
        const auto decoded = root::CompressionSetting::fromRoot(setting);
        if (decoded.algorithm == root::CompressionAlgorithm::None || decoded.level == 0)
            return "none";
        return fmt::format("{}({})", root::algorithmName(decoded.algorithm), decoded.level);
    } catch (const Error&) {
        return fmt::format("unknown({})", setting);
    }
}

std::string formatRootVersion(int version) {
    return fmt::format("{}.{:02}/{:02}", version / 10000, version / 100 % 100, version % 100);
}

std::string formatBytes(std::int64_t bytes) {
    static constexpr std::array<const char*, 4> kUnits = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) return fmt::format("{} B", bytes);
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    for (value /= 1024; value >= 1024 && unit + 1 < kUnits.size(); value /= 1024) ++unit;
    return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

namespace {

// Matches one bracket expression at pattern[pos] ('[' already there) against c; sets `end`
// to the position after ']'. A '[' without ']' is an ordinary character.
bool matchBracket(std::string_view pattern, std::size_t pos, char c, std::size_t& end,
                  bool& valid) {
    std::size_t i = pos + 1;
    const bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
    if (negate) ++i;
    bool matched = false;
    for (bool first = true; i < pattern.size() && (first || pattern[i] != ']'); first = false) {
        char low = pattern[i];
        char high = low;
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            high = pattern[i + 2];
            i += 3;
        } else {
            ++i;
        }
        if (low <= c && c <= high) matched = true;
    }
    valid = i < pattern.size();
    end = i + 1;
    return matched != negate;
}

}  // namespace

bool globMatch(std::string_view pattern, std::string_view text) {
    // Iterative matching with one backtrack point (the last '*'): linear in practice.
    std::size_t p = 0, t = 0;
    std::size_t star_p = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        bool advanced = false;
        if (p < pattern.size()) {
            if (pattern[p] == '*') {
                star_p = p++;
                star_t = t;
                continue;
            }
            if (pattern[p] == '[') {
                std::size_t end = 0;
                bool valid = false;
                const bool matched = matchBracket(pattern, p, text[t], end, valid);
                if (valid) {
                    if (matched) {
                        p = end;
                        ++t;
                        advanced = true;
                    }
                } else if (text[t] == '[') {
                    ++p;
                    ++t;
                    advanced = true;
                }
            } else if (pattern[p] == '?' || pattern[p] == text[t]) {
                ++p;
                ++t;
                advanced = true;
            }
        }
        if (advanced) continue;
        if (star_p == std::string_view::npos) return false;
        p = star_p + 1;
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

void TextTable::print(std::ostream& out, std::string_view indent) const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows_) {
        std::string line(indent);
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

namespace {

nlohmann::json shownJson(const frame::ShownValue& value) {
    return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json memberJson(const frame::NumberStats& stats) {
    nlohmann::json out = {{"count", stats.count}, {"sum", stats.sum}};
    if (stats.hasRange()) {
        out["min"] = stats.min;
        out["max"] = stats.max;
    }
    if (stats.nan_count) out["nan_count"] = stats.nan_count;
    if (stats.inf_count) out["inf_count"] = stats.inf_count;
    out["first"] = nlohmann::json::array();
    for (const auto& value : stats.first) out["first"].push_back(shownJson(value));
    return out;
}

nlohmann::json memberJson(const frame::StringStats& stats) {
    return {{"count", stats.count}, {"total_length", stats.total_length}, {"first", stats.first}};
}

}  // namespace

nlohmann::json statsJson(const frame::ColumnStats& stats) {
    nlohmann::json out = {{"entries_read", stats.entries}};
    if (!stats.lengths_first.empty()) out["lengths_first"] = stats.lengths_first;
    if (stats.values) out["values"] = memberJson(*stats.values);
    if (stats.strings) out["strings"] = memberJson(*stats.strings);
    if (!stats.members.empty()) {
        auto& members = out["members"] = nlohmann::json::object();
        for (const auto& [path, member] : stats.members)
            members[path] = std::visit([](const auto& s) { return memberJson(s); }, member);
    }
    return out;
}

namespace {

// ".first#string" (the statistics' member path) -> "first".
std::string memberLabel(std::string_view name) {
    if (name.starts_with('.')) name.remove_prefix(1);
    if (name.ends_with("#string")) name.remove_suffix(std::string_view("#string").size());
    return std::string(name);
}

template <class T>
nlohmann::json numberAt(const frame::Column& column, std::int64_t index) {
    return nlohmann::json(column.values<T>()[static_cast<std::size_t>(index)]);
}

nlohmann::json valueAt(const frame::Column& column, std::size_t level, std::int64_t index) {
    using frame::DType;
    const std::size_t outer = column.levels() - (column.dtype() == DType::String ? 1 : 0);
    if (level < outer) {
        const auto& offsets = column.offsets(level);
        auto list = nlohmann::json::array();
        const auto i = static_cast<std::size_t>(index);
        for (std::int64_t item = offsets[i]; item < offsets[i + 1]; ++item)
            list.push_back(valueAt(column, level + 1, item));
        return list;
    }
    switch (column.dtype()) {
        case DType::Bool: return numberAt<bool>(column, index);
        case DType::Int8: return numberAt<std::int8_t>(column, index);
        case DType::UInt8: return numberAt<std::uint8_t>(column, index);
        case DType::Int16: return numberAt<std::int16_t>(column, index);
        case DType::UInt16: return numberAt<std::uint16_t>(column, index);
        case DType::Int32: return numberAt<std::int32_t>(column, index);
        case DType::UInt32: return numberAt<std::uint32_t>(column, index);
        case DType::Int64: return numberAt<std::int64_t>(column, index);
        case DType::UInt64: return numberAt<std::uint64_t>(column, index);
        case DType::Float32: return numberAt<float>(column, index);
        case DType::Float64: return numberAt<double>(column, index);
        case DType::String: return std::string(column.stringAt(static_cast<std::size_t>(index)));
        case DType::Struct: {
            // Members are columns over the items of this level (or over entries when flat).
            auto object = nlohmann::json::object();
            for (const auto& [name, member] : column.members())
                object[memberLabel(name)] = valueAt(member, 0, index);
            return object;
        }
    }
    return nullptr;
}

}  // namespace

nlohmann::json entryJson(const frame::Column& column, std::int64_t entry) {
    return valueAt(column, 0, entry);
}

}  // namespace hepflow::cli
