// Strict YAML reading of the reduce config: every map is checked for unknown keys, every
// scalar for its type, each error naming the config file and line (yaml-cpp's Mark).
#include "frame/engine/reduce_config.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "common/error.h"
#include "frame/engine/detail/names.h"
#include "root/compression/compression_spec.h"

namespace hepflow::frame::engine {
namespace {

class ConfigReader {
public:
    explicit ConfigReader(std::string path) : path_(std::move(path)) {}

    int lineOf(const YAML::Node& node) const {
        return node.Mark().is_null() ? 0 : node.Mark().line + 1;
    }
    std::string where(const YAML::Node& node) const {
        const int line = lineOf(node);
        return line > 0 ? fmt::format("{}:{}", path_, line) : path_ + " (--set)";
    }
    [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
        throw UsageError(fmt::format("{}: {}", where(node), message));
    }

    void checkKeys(const YAML::Node& map, const std::string& what,
                   const std::vector<std::string>& allowed) const {
        if (!map.IsMap()) fail(map, fmt::format("{} must be a map", what));
        for (const auto& entry : map) {
            const auto key = entry.first.as<std::string>();
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            fail(entry.first,
                 fmt::format("unknown key '{}' in {}{} (allowed: {})", key, what,
                             detail::didYouMean(key, allowed), fmt::join(allowed, ", ")));
        }
    }
    void require(const YAML::Node& map, const std::string& key, const std::string& what) const {
        if (!map[key]) fail(map, fmt::format("{} needs '{}'", what, key));
    }

    template <class T>
    T scalar(const YAML::Node& node, const std::string& what, const char* expected) const {
        if (!node.IsScalar()) fail(node, fmt::format("{} must be {}", what, expected));
        try {
            return node.as<T>();
        } catch (const YAML::Exception&) {
            fail(node, fmt::format("{} must be {}, not '{}'", what, expected, node.Scalar()));
        }
    }
    std::string text(const YAML::Node& node, const std::string& what) const {
        return scalar<std::string>(node, what, "a string");
    }
    // A string or a list of strings.
    std::vector<std::string> texts(const YAML::Node& node, const std::string& what) const {
        if (node.IsScalar()) return {text(node, what)};
        if (!node.IsSequence()) fail(node, fmt::format("{} must be a string or a list", what));
        std::vector<std::string> out;
        for (std::size_t i = 0; i < node.size(); ++i)
            out.push_back(text(node[i], fmt::format("{}[{}]", what, i)));
        return out;
    }
    // An ordered map name -> expression.
    std::vector<ReduceConfig::Named> namedExpressions(const YAML::Node& node,
                                                      const std::string& what) const {
        if (!node.IsMap()) fail(node, fmt::format("{} must be a map of NAME: expression", what));
        std::vector<ReduceConfig::Named> out;
        std::set<std::string> seen;
        for (const auto& entry : node) {
            const auto name = text(entry.first, what + " name");
            if (!seen.insert(name).second)
                fail(entry.first, fmt::format("{} '{}' is given twice", what, name));
            out.push_back({name, text(entry.second, fmt::format("{} '{}'", what, name)),
                           lineOf(entry.first)});
        }
        return out;
    }

private:
    std::string path_;
};

// Applies one "a.b.0.c=value" override to the document.
void applyOverride(YAML::Node& root, const std::string& setting) {
    const auto equals = setting.find('=');
    if (equals == std::string::npos || equals == 0)
        throw UsageError(
            fmt::format("--set '{}': expected KEY=VALUE (e.g. outputs.0.file=x.root)", setting));
    const std::string key = setting.substr(0, equals);
    YAML::Node value;
    try {
        value = YAML::Load(setting.substr(equals + 1));
    } catch (const YAML::Exception& e) {
        throw UsageError(fmt::format("--set '{}': the value is not YAML ({})", setting, e.msg));
    }
    std::vector<std::string> parts;
    for (std::size_t begin = 0;;) {
        const auto dot = key.find('.', begin);
        parts.push_back(key.substr(begin, dot - begin));
        if (dot == std::string::npos) break;
        begin = dot + 1;
    }
    YAML::Node node;
    node.reset(root);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& part = parts[i];
        const bool last = i + 1 == parts.size();
        if (node.IsSequence()) {
            std::size_t index = 0;
            try {
                index = std::stoul(part);
            } catch (const std::exception&) {
                throw UsageError(
                    fmt::format("--set '{}': '{}' is a list; use an index", setting, parts[i - 1]));
            }
            if (index >= node.size())
                throw UsageError(
                    fmt::format("--set '{}': the list has {} entries", setting, node.size()));
            if (last) {
                node[index] = value;
                return;
            }
            YAML::Node child = node[index];
            node.reset(child);
        } else {
            if (!node.IsMap() && !node.IsNull())
                throw UsageError(fmt::format("--set '{}': '{}' is not a map", setting,
                                             i == 0 ? std::string("the config") : parts[i - 1]));
            if (last) {
                node[part] = value;
                return;
            }
            if (!node[part])
                throw UsageError(fmt::format("--set '{}': the config has no '{}'", setting,
                                             fmt::join(parts.begin(), parts.begin() + i + 1, ".")));
            YAML::Node child = node[part];
            node.reset(child);
        }
    }
}

}  // namespace

ReduceConfig loadReduceConfig(const std::string& path, const std::vector<std::string>& overrides) {
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        std::error_code error;
        if (!std::filesystem::exists(path, error))
            throw UsageError(fmt::format("config file '{}' does not exist", path));
        throw IoError(fmt::format("cannot read config file '{}'", path));
    } catch (const YAML::ParserException& e) {
        throw UsageError(fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    for (const auto& setting : overrides) applyOverride(root, setting);

    const ConfigReader reader(path);
    reader.checkKeys(root, "the config",
                     {"inputs", "tree", "threads", "objects", "defines", "selections", "histograms",
                      "histogram_file", "outputs"});
    ReduceConfig config;
    config.path = path;
    const auto folder = std::filesystem::path(path).parent_path();
    if (root["inputs"]) {
        for (auto input : reader.texts(root["inputs"], "inputs")) {
            if (input.find("://") == std::string::npos &&
                std::filesystem::path(input).is_relative())
                input = (folder / input).lexically_normal().string();
            config.inputs.push_back(std::move(input));
        }
    }
    if (root["tree"]) config.tree = reader.text(root["tree"], "tree");
    if (root["threads"]) {
        config.threads = reader.scalar<int>(root["threads"], "threads", "an integer");
        if (config.threads < 0) reader.fail(root["threads"], "threads must be 0 (all) or more");
    }
    if (root["objects"]) config.objects = reader.namedExpressions(root["objects"], "objects");
    if (root["defines"]) config.defines = reader.namedExpressions(root["defines"], "defines");
    if (const auto selections = root["selections"]) {
        if (!selections.IsSequence())
            reader.fail(selections, "selections must be a list of {name, cut}");
        for (std::size_t i = 0; i < selections.size(); ++i) {
            const auto item = selections[i];
            const std::string what = fmt::format("selections[{}]", i);
            reader.checkKeys(item, what, {"name", "cut"});
            reader.require(item, "cut", what);
            const std::string name =
                item["name"] ? reader.text(item["name"], what + ".name") : fmt::format("cut{}", i);
            config.selections.push_back(
                {name, reader.text(item["cut"], what + ".cut"), reader.lineOf(item)});
        }
    }
    if (const auto histograms = root["histograms"]) {
        if (!histograms.IsSequence()) reader.fail(histograms, "histograms must be a list");
        for (std::size_t i = 0; i < histograms.size(); ++i) {
            const auto item = histograms[i];
            const std::string what = fmt::format("histograms[{}]", i);
            reader.checkKeys(item, what,
                             {"name", "expression", "title", "bins", "range", "weight"});
            for (const char* key : {"name", "expression", "bins", "range"})
                reader.require(item, key, what);
            ReduceConfig::Histogram histogram;
            histogram.line = reader.lineOf(item);
            histogram.name = reader.text(item["name"], what + ".name");
            histogram.expression = reader.text(item["expression"], what + ".expression");
            if (item["title"]) histogram.title = reader.text(item["title"], what + ".title");
            histogram.bins = reader.scalar<int>(item["bins"], what + ".bins", "an integer");
            const auto range = item["range"];
            if (!range.IsSequence() || range.size() != 2)
                reader.fail(range, what + ".range must be [low, high]");
            histogram.low = reader.scalar<double>(range[0], what + ".range", "a number");
            histogram.high = reader.scalar<double>(range[1], what + ".range", "a number");
            if (!(histogram.bins >= 1 && histogram.low < histogram.high))
                reader.fail(item, what + ": needs bins >= 1 and range low < high");
            if (item["weight"]) histogram.weight = reader.text(item["weight"], what + ".weight");
            config.histograms.push_back(std::move(histogram));
        }
    }
    if (root["histogram_file"])
        config.histogram_file = reader.text(root["histogram_file"], "histogram_file");
    if (const auto outputs = root["outputs"]) {
        if (!outputs.IsSequence()) reader.fail(outputs, "outputs must be a list");
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            const auto item = outputs[i];
            const std::string what = fmt::format("outputs[{}]", i);
            reader.checkKeys(
                item, what,
                {"file", "tree", "selection", "branches", "compression", "reproducible"});
            reader.require(item, "file", what);
            ReduceConfig::Output output;
            output.line = reader.lineOf(item);
            output.file = reader.text(item["file"], what + ".file");
            if (item["tree"]) output.tree = reader.text(item["tree"], what + ".tree");
            if (item["selection"])
                output.selection = reader.text(item["selection"], what + ".selection");
            if (item["branches"])
                output.branches = reader.texts(item["branches"], what + ".branches");
            if (item["compression"]) {
                const auto text = reader.text(item["compression"], what + ".compression");
                try {
                    output.compression = root::parseCompressionSpec(text, what + ".compression");
                } catch (const UsageError& e) {
                    reader.fail(item["compression"], e.message());
                }
            }
            if (item["reproducible"])
                output.reproducible =
                    reader.scalar<bool>(item["reproducible"], what + ".reproducible", "true/false");
            config.outputs.push_back(std::move(output));
        }
    }
    return config;
}

void buildAnalysis(const ReduceConfig& config, Analysis& analysis) {
    const auto origin = [&](int line) {
        return line > 0 ? fmt::format("{}:{}", config.path, line) : config.path + " (--set)";
    };
    for (const auto& object : config.objects)
        analysis.selectObjects(object.name, object.expression, origin(object.line));
    for (const auto& define : config.defines)
        analysis.define(define.name, define.expression, origin(define.line));
    for (const auto& selection : config.selections)
        analysis.filter(selection.name, selection.expression, origin(selection.line));
    for (const auto& histogram : config.histograms) {
        HistogramSpec spec;
        spec.name = histogram.name;
        spec.title = histogram.title;
        spec.value = histogram.expression;
        spec.bins = histogram.bins;
        spec.low = histogram.low;
        spec.high = histogram.high;
        if (!histogram.weight.empty()) spec.weight = Computation(histogram.weight);
        spec.origin = origin(histogram.line);
        analysis.histogram(std::move(spec));
    }
    for (const auto& output : config.outputs) {
        SnapshotSpec spec;
        spec.path = output.file;
        spec.tree = output.tree;
        spec.branches = output.branches;
        spec.compression = output.compression;
        spec.reproducible = output.reproducible;
        if (!output.selection.empty()) spec.filter = Computation(output.selection);
        spec.origin = origin(output.line);
        analysis.snapshot(std::move(spec));
    }
}

}  // namespace hepflow::frame::engine
