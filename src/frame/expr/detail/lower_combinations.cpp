// Lowering of pairs()/triplets(): the combination kernels, the scope of the lambda parameters
// and the fields of one member, read through the member's object positions.
#include <fmt/format.h>

#include "frame/expr/detail/diagnostics.h"
#include "frame/expr/detail/lowering.h"

namespace hepflow::frame::expr::detail {

std::string Compiler::combinationKey(const std::string& kind, const std::vector<CollPtr>& colls,
                                     const Val* index) {
    std::string key = kind + "(";
    for (std::size_t i = 0; i < colls.size(); ++i) key += (i ? "," : "") + colls[i]->key;
    return intern(key + ")" + (index != nullptr ? "[" + keyOf(*index) + "]" : ""));
}

ComboPtr Compiler::combination(const std::string& kind, std::vector<CollPtr> colls,
                               const Val* index) {
    const std::string key = combinationKey(kind, colls, index);
    std::string root = kind + "(";
    for (std::size_t i = 0; i < colls.size(); ++i) root += (i ? ", " : "") + colls[i]->root;
    root = displayName(root + ")");
    if (auto it = combos_.find(key); it != combos_.end()) return it->second;
    auto combo = std::make_shared<Combo>();
    combo->key = key;
    combo->root = root;
    const std::size_t k = kind == "triplets" ? 3 : 2;
    std::vector<int> inputs;
    for (const auto& c : colls) inputs.push_back(offsetsOf(c).reg);
    for (std::size_t m = 0; m < k; ++m) {
        combo->colls.push_back(colls.size() == 1 ? colls[0] : colls[m]);
        combo->regs.push_back(newRegister());
        combo->absolute.push_back(newRegister());
        combo->made_from.push_back(inputs.size() == 1 ? inputs[0] : inputs[m]);
    }
    std::vector<int> outputs = combo->regs;
    outputs.insert(outputs.end(), combo->absolute.begin(), combo->absolute.end());
    const bool cross = colls.size() == 2;
    // With an index: only the combination at it, per event (kernels::selectedCombination).
    const bool selected = index != nullptr;
    const bool constant_index = selected && index->shape == Shape::Const;
    const std::int64_t index_value = constant_index ? index->i : 0;
    std::vector<int> reads = inputs;
    if (selected && !constant_index) reads.push_back(index->reg);
    emit(reads, outputs,
         [reads, outputs, cross, k, selected, constant_index, index_value](Frame& frame) {
             const Offsets& first = frame.in(reads[0]).offsets(0);
             const Offsets* second = cross ? &frame.in(reads[1]).offsets(0) : nullptr;
             kernels::Combinations result;
             if (selected) {
                 std::vector<std::int64_t> constant;
                 std::span<const std::int64_t> positions;
                 if (constant_index) {
                     constant.assign(first.size() - 1, index_value);
                     positions = constant;
                 } else {
                     positions = frame.in(reads.back()).values<std::int64_t>();
                 }
                 result =
                     kernels::selectedCombination(first, second, static_cast<int>(k), positions);
             } else {
                 result = cross ? kernels::crossPairs(first, *second)
                                : kernels::combinations(first, static_cast<int>(k));
             }
             HEPFLOW_ASSERT(result.members.size() == k && result.absolute.size() == k,
                            "combination arity");
             for (std::size_t m = 0; m < k; ++m) {
                 frame.set(outputs[m], std::move(result.members[m]));
                 frame.set(outputs[k + m], std::move(result.absolute[m]));
             }
         });
    combos_[key] = combo;
    return combo;
}

Val Compiler::paramField(const ParamRef& param, const std::string& name, int pos) {
    const CollPtr& coll = param.combo->colls[param.member];
    const auto f = findField(*coll, name);
    if (!f)
        fail(pos, fmt::format("'{}' (an object of '{}') has no field '{}'{}", param.name,
                              coll->root, name, suggestion(name, coll->fields)));
    const Val positions = positionsOf(param);
    // An index that is the objects' positions is the member's position: no gather needed.
    if (indexIsPosition(*coll, *f)) return positions;
    return gatherValue(field(coll, *f), positions, pos, &param);
}

Val Compiler::lowerCombinations(const Node& node, const std::string& name, const Val* index,
                                bool* indexed) {
    const std::size_t k = name == "triplets" ? 3 : 2;
    const auto& args = node.children;
    if (args.size() < 2 || args.size() > (name == "pairs" ? 3u : 2u) ||
        args.back()->kind != NodeKind::Lambda)
        fail(node.pos, name == "pairs" ? "pairs() takes a collection (or two) and a lambda: "
                                         "pairs(C, (a, b) -> ...)"
                                       : "triplets() takes a collection and a lambda: "
                                         "triplets(C, (a, b, c) -> ...)");
    const Node& lambda = *args.back();
    if (lambda.params.size() != k)
        fail(lambda.pos, fmt::format("the lambda of {}() takes {} parameters", name, k));
    std::vector<CollPtr> colls;
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        colls.push_back(lowerCollection(*args[i], name + "()"));
    // All the combinations, enumerated already in this expression (for an argmin beside the
    // index), serve the index too: the lambda over all of them costs less than a second,
    // selected enumeration when it is as cheap as a field (a.index).
    if (index != nullptr && combos_.contains(combinationKey(name, colls, nullptr))) index = nullptr;
    if (indexed != nullptr) *indexed = index != nullptr;
    ComboPtr combo = combination(name, colls, index);
    std::map<std::string, ParamRef> scope;
    for (std::size_t m = 0; m < k; ++m) scope[lambda.params[m]] = {combo, m, lambda.params[m]};
    scopes_.push_back(std::move(scope));
    Val body = lowerValue(*lambda.children[0]);
    scopes_.pop_back();
    Val shape;
    shape.shape = Shape::Object;
    shape.ty = Ty::Int;
    shape.reg = combo->regs[0];
    shape.key = combo->key + "#0";
    shape.coll = combo->key;
    shape.root = combo->root;
    shape.combo = true;
    if (body.shape != Shape::Object) return broadcastTo(body, shape);
    if (body.coll != combo->key)
        fail(lambda.children[0]->pos,
             fmt::format("a {}() body may use per-event values and the fields of its objects, "
                         "not per-object values of '{}'",
                         name, body.root));
    return body;
}

Val Compiler::positionsOf(const ParamRef& param) {
    Val positions;
    positions.shape = Shape::Object;
    positions.ty = Ty::Int;
    positions.reg = param.combo->regs[param.member];
    positions.key = fmt::format("{}#{}", param.combo->key, param.member);
    positions.coll = param.combo->key;
    positions.root = param.combo->root;
    positions.combo = true;
    return positions;
}

}  // namespace hepflow::frame::expr::detail
