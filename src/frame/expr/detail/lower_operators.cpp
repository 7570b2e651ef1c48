// Lowering of names, member access, unary/binary/ternary operators and indexing (masks, gathers,
// single-object takes) to elementwise and jagged kernels (docs/expressions.md, "Operators").
#include <optional>

#include <fmt/format.h>

#include "frame/expr/detail/diagnostics.h"
#include "frame/expr/detail/lowering.h"

namespace hepflow::frame::expr::detail {

Val Compiler::lowerValue(const Node& node) {
    Term t = lowerTerm(node);
    if (t.kind == Term::Kind::Collection)
        fail(node.pos,
             fmt::format("'{}' is a collection, not a value: use one of its fields "
                         "('{}.{}') or count({})",
                         t.coll->root, t.coll->root,
                         t.coll->fields.empty() ? "index" : t.coll->fields.front(), t.coll->root));
    if (t.kind == Term::Kind::Param)
        fail(node.pos, fmt::format("'{}' is an object of pairs()/triplets(): use one of its "
                                   "fields ('{}.pt') or mass({}, ...)",
                                   t.param.name, t.param.name, t.param.name));
    return t.value;
}

CollPtr Compiler::lowerCollection(const Node& node, std::string_view what) {
    Term t = lowerTerm(node);
    if (t.kind != Term::Kind::Collection)
        fail(node.pos, fmt::format("{} needs a collection (such as 'Muon')", what));
    return t.coll;
}

Term Compiler::lowerTerm(const Node& node) {
    Term t;
    switch (node.kind) {
        case NodeKind::IntLiteral: t.value = makeConst<std::int64_t>(node.int_value); return t;
        case NodeKind::FloatLiteral: t.value = makeConst<double>(node.float_value, true); return t;
        case NodeKind::BoolLiteral: t.value = makeConst<bool>(node.int_value != 0); return t;
        case NodeKind::Name: return resolveName(node.text, node.pos);
        case NodeKind::Member: return lowerMember(node);
        case NodeKind::Unary: t.value = lowerUnary(node); return t;
        case NodeKind::Binary: t.value = lowerBinary(node); return t;
        case NodeKind::Ternary: t.value = lowerTernary(node); return t;
        case NodeKind::Index: return lowerIndex(node);
        case NodeKind::Call: return lowerCall(node);
        case NodeKind::Lambda:
            fail(node.pos,
                 "a lambda '(a, b) -> ...' may only be the last argument of pairs() or "
                 "triplets()");
    }
    fail(node.pos, "unexpected syntax");
}

Term Compiler::resolveName(const std::string& name, int pos) {
    Term t;
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
        auto it = scope->find(name);
        if (it != scope->end()) {
            t.kind = Term::Kind::Param;
            t.param = it->second;
            return t;
        }
    }
    if (auto it = lets_.find(name); it != lets_.end()) return it->second;
    const ColumnType* type = findColumn(name);
    if (type != nullptr && usableColumn(*type)) {
        t.value = loadColumn(name);
        return t;
    }
    if (collections_.fields.count(name) != 0) {
        t.kind = Term::Kind::Collection;
        t.coll = baseCollection(name);
        return t;
    }
    if (type != nullptr) {
        if (type->dtype == DType::String || type->dtype == DType::Struct)
            fail(pos, fmt::format("column '{}' ({}) cannot be used in expressions", name,
                                  dtypeName(type->dtype)));
        fail(pos, fmt::format("column '{}' ({}, {} levels) cannot be used in expressions", name,
                              dtypeName(type->dtype), type->levels));
    }
    std::vector<std::string> candidates;
    for (const auto& [column, _] : schema_.columns)
        if (!isInternalColumn(column)) candidates.push_back(column);
    for (const auto& [coll, _] : collections_.fields) candidates.push_back(coll);
    for (const auto& [let, _] : lets_) candidates.push_back(let);
    for (const auto& scope : scopes_)
        for (const auto& [param, _] : scope) candidates.push_back(param);
    fail(pos, fmt::format("unknown column '{}'{}", name, suggestion(name, candidates)));
}

Term Compiler::lowerMember(const Node& node) {
    const Node& base = *node.children[0];
    const std::string& name = node.text;
    if (base.kind == NodeKind::Name) {
        bool shadowed = lets_.count(base.text) != 0;
        for (const auto& scope : scopes_) shadowed = shadowed || scope.count(base.text) != 0;
        const std::string dotted = base.text + "." + name;
        const ColumnType* type = findColumn(dotted);
        if (!shadowed && type != nullptr && usableColumn(*type)) {
            Term t;
            t.value = loadColumn(dotted);
            return t;
        }
    }
    Term b = lowerTerm(base);
    Term t;
    if (b.kind == Term::Kind::Param) {
        t.value = paramField(b.param, name, node.op_pos);
        return t;
    }
    if (b.kind == Term::Kind::Collection) {
        const auto f = findField(*b.coll, name);
        if (!f)
            fail(node.op_pos, fmt::format("collection '{}' has no field '{}'{}", b.coll->root, name,
                                          suggestion(name, b.coll->fields)));
        t.value = field(b.coll, *f);
        return t;
    }
    fail(node.op_pos, fmt::format("'.{}' needs a collection or an object of pairs()/triplets() "
                                  "on its left",
                                  name));
}

Val Compiler::maskValue(const Val& x, const Val& mask, int pos) {
    bool proven = false;
    requireSameCollection(x, mask, pos, "mask", &proven);
    Val m = cast(mask, Ty::Bool);
    Val out = x;
    out.coll = intern(x.coll + "[" + keyOf(m) + "]");
    out.key = "mask(" + x.key + "," + m.key + ")";
    if (reuse(out)) return out;
    const int x_reg = x.reg;
    const int m_reg = m.reg;
    const int out_reg = out.reg;
    const std::string x_root = x.root;
    const std::string m_root = mask.root;
    emit({x_reg, m_reg}, {out_reg}, [=](Frame& frame) {
        if (!proven) checkSameCounts(frame, frame.in(x_reg), frame.in(m_reg), x_root, m_root);
        frame.set(out_reg, kernels::maskObjects(frame.in(x_reg), frame.in(m_reg)));
    });
    return remember(out);
}

Val Compiler::takeValue(const Val& x, const Val& index, int pos) {
    Val out = x;
    out.shape = Shape::Event;
    out.coll.clear();
    out.root.clear();
    out.combo = false;
    out.key = "take(" + x.key + "," + keyOf(index) + ")";
    if (reuse(out)) return out;
    const int x_reg = x.reg;
    const int out_reg = out.reg;
    if (index.shape == Shape::Const) {
        if (index.ty != Ty::Int) fail(pos, "an index must be an int");
        const std::int64_t i = index.i;
        emit({x_reg}, {out_reg},
             [=](Frame& frame) { frame.set(out_reg, kernels::take(frame.in(x_reg), i)); });
    } else {
        const int i_reg = index.reg;
        emit({x_reg, i_reg}, {out_reg}, [=](Frame& frame) {
            frame.set(out_reg, kernels::take(frame.in(x_reg), frame.in(i_reg)));
        });
    }
    return remember(out);
}

Val Compiler::gatherValue(const Val& x, const Val& indices, int, const ParamRef* member) {
    Val out = x;
    out.coll = indices.coll;
    out.root = indices.root;
    out.combo = indices.combo;
    out.key = "gather(" + x.key + "," + indices.key + ")";
    if (reuse(out)) return out;
    const int x_reg = x.reg;
    const int i_reg = indices.reg;
    const int out_reg = out.reg;
    if (member) {
        // A combination member's field: through its absolute positions when they hold.
        const int made_from_reg = member->combo->made_from[member->member];
        const int absolute_reg = member->combo->absolute[member->member];
        emit({x_reg, made_from_reg, absolute_reg, i_reg}, {out_reg}, [=](Frame& frame) {
            frame.set(out_reg,
                      kernels::gatherCombined(frame.in(x_reg), frame.in(made_from_reg).offsets(0),
                                              frame.in(absolute_reg), frame.in(i_reg)));
        });
        return remember(out);
    }
    emit({x_reg, i_reg}, {out_reg}, [=](Frame& frame) {
        const Column& in = frame.in(x_reg);
        const Column& idx = frame.in(i_reg);
        if (in.offsets(0).size() != idx.offsets(0).size())
            throw UsageError(
                fmt::format("expression '{}': gather over different numbers of "
                            "entries",
                            *frame.text));
        frame.set(out_reg, kernels::gather(in, idx));
    });
    return remember(out);
}

Val Compiler::reduceValue(kernels::Reduction op, const Val& x, Ty out_ty) {
    Val out;
    out.shape = Shape::Event;
    out.ty = out_ty;
    out.key = fmt::format("reduce{}({})", static_cast<int>(op), x.key);
    if (reuse(out)) return out;
    const int x_reg = x.reg;
    const int out_reg = out.reg;
    emit({x_reg}, {out_reg},
         [=](Frame& frame) { frame.set(out_reg, kernels::reduce(op, frame.in(x_reg))); });
    return remember(out);
}

Val Compiler::lowerUnary(const Node& node) {
    Val x = lowerValue(*node.children[0]);
    if (node.text == "!") {
        x = cast(x, Ty::Bool);
        return map<bool, bool>(
            "not", [](bool a) { return !a; }, {x}, node.pos);
    }
    Ty t = x.ty == Ty::Bool ? Ty::Int : x.ty;
    x = cast(x, t);
    return withType(t, [&]<class T>() -> Val {
        if constexpr (std::is_same_v<T, std::int64_t>) {
            return map<T, T>(
                "neg",
                [](T a) {
                    return static_cast<T>(std::uint64_t{0} - static_cast<std::uint64_t>(a));
                },
                {x}, node.pos);
        } else if constexpr (std::is_same_v<T, bool>) {
            HEPFLOW_ASSERT(false, "negation of bool");
        } else {
            Val r = map<T, T>(
                "neg", [](T a) { return -a; }, {x}, node.pos);
            r.weak = x.weak && r.shape == Shape::Const;
            return r;
        }
    });
}

Val Compiler::arith(const std::string& op, Val a, Val b, int pos) {
    Ty t = promote({&a, &b}, true);
    if (op == "/" && t == Ty::Int) t = Ty::Double;
    a = cast(a, t);
    b = cast(b, t);
    return withType(t, [&]<class T>() -> Val {
        if constexpr (std::is_same_v<T, bool>) {
            HEPFLOW_ASSERT(false, "arithmetic on bool");
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
            using U = std::uint64_t;
            if (op == "+")
                return map<T, T, T>(
                    "+",
                    [](T x, T y) { return static_cast<T>(static_cast<U>(x) + static_cast<U>(y)); },
                    {a, b}, pos);
            if (op == "-")
                return map<T, T, T>(
                    "-",
                    [](T x, T y) { return static_cast<T>(static_cast<U>(x) - static_cast<U>(y)); },
                    {a, b}, pos);
            if (op == "*")
                return map<T, T, T>(
                    "*",
                    [](T x, T y) { return static_cast<T>(static_cast<U>(x) * static_cast<U>(y)); },
                    {a, b}, pos);
            // `%` by 0 (and INT64_MIN % -1, which overflows) gives 0 instead of trapping.
            return map<T, T, T>(
                "%", [](T x, T y) { return (y == 0 || y == -1) ? T{0} : static_cast<T>(x % y); },
                {a, b}, pos);
        } else {
            if (op == "+")
                return map<T, T, T>(
                    "+", [](T x, T y) { return x + y; }, {a, b}, pos);
            if (op == "-")
                return map<T, T, T>(
                    "-", [](T x, T y) { return x - y; }, {a, b}, pos);
            if (op == "*")
                return map<T, T, T>(
                    "*", [](T x, T y) { return x * y; }, {a, b}, pos);
            if (op == "/")
                return map<T, T, T>(
                    "/", [](T x, T y) { return x / y; }, {a, b}, pos);
            return map<T, T, T>(
                "%", [](T x, T y) { return std::fmod(x, y); }, {a, b}, pos);
        }
    });
}

Val Compiler::compare(const std::string& op, Val a, Val b, int pos) {
    const Ty t = promote({&a, &b}, false);
    a = cast(a, t);
    b = cast(b, t);
    return withType(t, [&]<class T>() -> Val {
        if (op == "<")
            return map<bool, T, T>(
                "<", [](T x, T y) { return x < y; }, {a, b}, pos);
        if (op == "<=")
            return map<bool, T, T>(
                "<=", [](T x, T y) { return x <= y; }, {a, b}, pos);
        if (op == ">")
            return map<bool, T, T>(
                ">", [](T x, T y) { return x > y; }, {a, b}, pos);
        if (op == ">=")
            return map<bool, T, T>(
                ">=", [](T x, T y) { return x >= y; }, {a, b}, pos);
        if (op == "==")
            return map<bool, T, T>(
                "==", [](T x, T y) { return x == y; }, {a, b}, pos);
        return map<bool, T, T>(
            "!=", [](T x, T y) { return x != y; }, {a, b}, pos);
    });
}

Val Compiler::logic(const std::string& op, Val a, Val b, int pos) {
    a = cast(a, Ty::Bool);
    b = cast(b, Ty::Bool);
    // Both sides are whole columns already, so non-short-circuit bitwise forms vectorize.
    if (op == "&&")
        return map<bool, bool, bool>(
            "&&", [](bool x, bool y) { return x & y; }, {a, b}, pos);
    return map<bool, bool, bool>(
        "||", [](bool x, bool y) { return x | y; }, {a, b}, pos);
}

Val Compiler::lowerBinary(const Node& node) {
    const std::string& op = node.text;
    Val a = lowerValue(*node.children[0]);
    Val b = lowerValue(*node.children[1]);
    if (op == "&&" || op == "||") return logic(op, a, b, node.pos);
    if (op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=")
        return compare(op, a, b, node.pos);
    return arith(op, a, b, node.pos);
}

Val Compiler::lowerTernary(const Node& node) {
    Val c = cast(lowerValue(*node.children[0]), Ty::Bool);
    Val a = lowerValue(*node.children[1]);
    Val b = lowerValue(*node.children[2]);
    const Ty t = promote({&a, &b}, false);
    a = cast(a, t);
    b = cast(b, t);
    return withType(t, [&]<class T>() -> Val {
        return map<T, bool, T, T>(
            "?:", [](bool k, T x, T y) { return k ? x : y; }, {c, a, b}, node.pos);
    });
}

Term Compiler::lowerIndex(const Node& node) {
    const Node& base_node = *node.children[0];
    const int pos = node.pos;
    Term t;
    std::optional<Val> lowered_index;
    if (base_node.kind == NodeKind::Call &&
        (base_node.text == "pairs" || base_node.text == "triplets")) {
        // pairs(C, f)[i] with one int per event: f of the combination at i alone, then its
        // value (or the missing value where i is out of range, as indexing all of them gives).
        lowered_index = lowerValue(*node.children[1]);
        const Val& index = *lowered_index;
        if (index.ty == Ty::Int && index.shape != Shape::Object) {
            bool indexed = false;
            const Val values = lowerCombinations(base_node, base_node.text, &index, &indexed);
            t.value = takeValue(values, indexed ? makeConst<std::int64_t>(0) : index, pos);
            return t;
        }
    }
    Term base = lowerTerm(base_node);
    const Val index = lowered_index ? *lowered_index : lowerValue(*node.children[1]);
    if (base.kind == Term::Kind::Collection) {
        if (index.shape != Shape::Object || index.ty != Ty::Bool)
            fail(node.children[1]->pos,
                 fmt::format("a collection is selected with a per-object bool mask "
                             "('{}[{}.pt > 10]'); index one of its fields for single objects",
                             base.coll->root, base.coll->root));
        t.kind = Term::Kind::Collection;
        t.coll = maskCollection(base.coll, index, pos);
        return t;
    }
    if (base.kind == Term::Kind::Param)
        fail(pos, fmt::format("'{}' is one object: use its fields", base.param.name));
    const Val& x = base.value;
    if (x.shape != Shape::Object)
        fail(pos, "only per-object values can be indexed (this one has one value per event)");
    if (index.shape == Shape::Object) {
        if (index.ty == Ty::Bool) {
            t.value = maskValue(x, index, pos);
        } else if (index.ty == Ty::Int) {
            t.value = gatherValue(x, index, pos);
        } else {
            fail(node.children[1]->pos,
                 fmt::format("an index must be int or a bool mask, not {}", tyName(index.ty)));
        }
        return t;
    }
    if (index.ty != Ty::Int)
        fail(node.children[1]->pos,
             fmt::format("an index must be an int, not {}", tyName(index.ty)));
    t.value = takeValue(x, index, pos);
    return t;
}

}  // namespace hepflow::frame::expr::detail
