// The helpers shared by the test suites. tests/data is found through HEPFLOW_TESTDATA_DIR,
// which tests/support/CMakeLists.txt sets for this library and every test that links it.
#include "support/test_support.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <stdexcept>

#include "io/memory_source.h"

namespace hepflow::test {

std::string dataPath(std::string_view name) {
    return std::string(HEPFLOW_TESTDATA_DIR) + "/" + std::string(name);
}

const nlohmann::json& expectedJson() {
    static const nlohmann::json document = [] {
        std::ifstream in(dataPath("expected.json"));
        return nlohmann::json::parse(in);
    }();
    return document;
}

std::vector<std::string> expectedFileNames() {
    std::vector<std::string> names;
    for (const auto& [name, value] : expectedJson().at("files").items()) names.push_back(name);
    return names;
}

std::vector<std::byte> fileBytes(std::string_view name) {
    const std::string path = dataPath(name);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<std::byte> bytes;
    std::transform(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(),
                   std::back_inserter(bytes), [](char c) { return static_cast<std::byte>(c); });
    return bytes;
}

std::unique_ptr<root::RootFile> openMemory(std::vector<std::byte> bytes, std::string url) {
    return std::make_unique<root::RootFile>(
        std::make_unique<io::MemorySource>(std::move(bytes), std::move(url)));
}

std::uint64_t testSeed(std::string_view test) {
    const char* env = std::getenv("HEPFLOW_TEST_SEED");
    const std::uint64_t seed = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::cout << test << " seed (HEPFLOW_TEST_SEED): " << seed << "\n";
    return seed;
}

}  // namespace hepflow::test
