// Lowering of collections: base collections from the schema, masked and concatenated ones, their
// fields (loaded or masked only when used), counts, and a collection as an expression's result.
#include <algorithm>

#include <fmt/format.h>

#include "frame/expr/detail/lowering.h"

namespace hepflow::frame::expr::detail {

CollPtr Compiler::baseCollection(const std::string& name) {
    auto it = base_colls_.find(name);
    if (it != base_colls_.end()) return it->second;
    auto coll = std::make_shared<Coll>();
    coll->kind = Coll::Kind::Base;
    coll->key = name;
    coll->root = name;
    for (const auto& [f, column] : collections_.fields.at(name)) {
        coll->fields.push_back(f);
        coll->columns.push_back(column);
    }
    // The objects of an earlier selection (GoodMuon_index) keep their index into the file's
    // collection; only a collection without one gets positions.
    if (std::find(coll->fields.begin(), coll->fields.end(), "index") == coll->fields.end())
        coll->fields.push_back("index");
    base_colls_[name] = coll;
    return coll;
}

Val Compiler::offsetsOf(const CollPtr& coll) {
    switch (coll->kind) {
        case Coll::Kind::Base: return loadColumn(coll->columns.front());
        case Coll::Kind::Masked: {
            // Reuse a field that is already masked; otherwise mask the mask itself.
            for (const auto& f : coll->fields)
                if (const Val* v = memo(coll->key + "." + f)) return *v;
            return maskValue(coll->mask, coll->mask, 0);
        }
        case Coll::Kind::Concat: return field(coll, "source");
    }
    HEPFLOW_ASSERT(false, "collection kind");
}

// Where the objects of a concatenated collection go, made once for all of its fields.
Val Compiler::concatLayoutOf(const CollPtr& coll) {
    // '#' cannot start a field's name, so the key is no field's.
    const std::string key = coll->key + ".#layout";
    if (const Val* v = memo(key)) return *v;
    const int a_reg = offsetsOf(coll->parent).reg;
    const int b_reg = offsetsOf(coll->second).reg;
    Val v;
    v.shape = Shape::Object;
    v.ty = Ty::Int;
    v.reg = newRegister();
    v.key = key;
    v.coll = coll->key;
    v.root = coll->root;
    const int out_reg = v.reg;
    emit({a_reg, b_reg}, {out_reg}, [a_reg, b_reg, out_reg](Frame& frame) {
        frame.set(out_reg,
                  kernels::concatLayout(frame.in(a_reg).offsets(0), frame.in(b_reg).offsets(0)));
    });
    memo_[key] = v;
    return v;
}

// The position of every object within its entry (0, 1, ...), shaped like `shape`; the caller
// sets the identity (collection and key) of the result.
Val Compiler::localIndex(const Val& shape) {
    Val v;
    v.shape = Shape::Object;
    v.ty = Ty::Int;
    v.reg = newRegister();
    const int in_reg = shape.reg;
    const int out_reg = v.reg;
    emit({in_reg}, {out_reg}, [in_reg, out_reg](Frame& frame) {
        frame.set(out_reg, kernels::localIndex(frame.in(in_reg).offsets(0)));
    });
    return v;
}

Val Compiler::field(const CollPtr& coll, const std::string& name) {
    const std::string key = coll->key + "." + name;
    if (const Val* v = memo(key)) return *v;
    Val v;
    switch (coll->kind) {
        case Coll::Kind::Base: {
            if (indexIsPosition(*coll, name)) {
                v = localIndex(offsetsOf(coll));
            } else {
                const auto it = std::find(coll->fields.begin(), coll->fields.end(), name);
                v = loadColumn(coll->columns[static_cast<std::size_t>(it - coll->fields.begin())]);
            }
            break;
        }
        case Coll::Kind::Masked: {
            v = maskValue(field(coll->parent, name), coll->mask, 0);
            break;
        }
        case Coll::Kind::Concat: {
            if (name == "index") {
                v = localIndex(field(coll, "source"));
                break;
            }
            if (name == "source") {
                // 0 for the first collection's objects, 1 for the second's, placed by the
                // layout that the other fields share.
                const int a_reg = offsetsOf(coll->parent).reg;
                const int layout_reg = concatLayoutOf(coll).reg;
                v.shape = Shape::Object;
                v.ty = Ty::Int;
                v.reg = newRegister();
                const int out_reg = v.reg;
                emit({a_reg, layout_reg}, {out_reg}, [a_reg, layout_reg, out_reg](Frame& frame) {
                    const Offsets& first = frame.in(a_reg).offsets(0);
                    frame.set(out_reg, kernels::concatSource(frame.in(layout_reg),
                                                             first.back() - first.front()));
                });
                break;
            }
            Val a = field(coll->parent, name);
            Val b = field(coll->second, name);
            const Ty t = promote({&a, &b}, false);
            a = cast(a, t);
            b = cast(b, t);
            v.shape = Shape::Object;
            v.ty = a.ty;
            v.reg = newRegister();
            const int a_reg = a.reg;
            const int b_reg = b.reg;
            const int layout_reg = concatLayoutOf(coll).reg;
            const int out_reg = v.reg;
            emit({a_reg, b_reg, layout_reg}, {out_reg},
                 [a_reg, b_reg, layout_reg, out_reg](Frame& frame) {
                     frame.set(out_reg, kernels::concatLaidOut(frame.in(a_reg), frame.in(b_reg),
                                                               frame.in(layout_reg)));
                 });
            break;
        }
    }
    v.coll = coll->key;
    v.root = coll->root;
    v.combo = false;
    if (v.key.empty()) v.key = key;
    // Also reachable by the field's own key (e.g. "col:Muon_pt"), so that both spellings share
    // every computation that uses them.
    memo_[key] = v;
    memo_[v.key] = v;
    return v;
}

CollPtr Compiler::maskCollection(const CollPtr& coll, const Val& mask, int pos) {
    // Checks the collections now; each masked field checks counts itself where unproven.
    const Val shape = offsetsOf(coll);
    bool proven = false;
    requireSameCollection(shape, mask, pos, "mask", &proven);
    auto out = std::make_shared<Coll>();
    out->kind = Coll::Kind::Masked;
    out->parent = coll;
    out->mask = mask;
    out->key = intern(coll->key + "[" + keyOf(mask) + "]");
    out->root = coll->root;
    out->fields = coll->fields;
    return out;
}

CollPtr Compiler::concatCollections(const CollPtr& a, const CollPtr& b) {
    auto out = std::make_shared<Coll>();
    out->kind = Coll::Kind::Concat;
    out->parent = a;
    out->second = b;
    out->key = intern("concat(" + a->key + "," + b->key + ")");
    out->root = displayName("concat(" + a->root + ", " + b->root + ")");
    for (const auto& f : a->fields) {
        if (f == "index" || f == "source") continue;
        if (std::find(b->fields.begin(), b->fields.end(), f) != b->fields.end())
            out->fields.push_back(f);
    }
    out->fields.push_back("source");
    out->fields.push_back("index");
    return out;
}

Val Compiler::collectionResult(const CollPtr& coll) {
    std::vector<Val> fields;
    for (const auto& f : coll->fields) fields.push_back(field(coll, f));
    Val out;
    out.shape = Shape::Object;
    out.reg = newRegister();
    std::vector<int> inputs;
    for (const auto& f : fields) inputs.push_back(f.reg);
    const auto names = coll->fields;
    const int out_reg = out.reg;
    emit(inputs, {out_reg}, [inputs, names, out_reg](Frame& frame) {
        Column out(DType::Struct);
        for (std::size_t i = 0; i < names.size(); ++i) {
            // A field read by nothing after this (the usual masked field) is moved in; one
            // shared with later instructions or borrowed from the batch is copied.
            const int reg = inputs[i];
            const bool once = std::count(inputs.begin(), inputs.end(), reg) == 1;
            if (once && frame.isDying(reg))
                out.members().emplace_back(names[i], std::move(frame.owned(reg)));
            else
                out.members().emplace_back(names[i], frame.in(reg));
        }
        out.setStructLength(frame.batch->num_entries);
        frame.set(out_reg, std::move(out));
    });
    return out;
}

}  // namespace hepflow::frame::expr::detail
