// Lowering of the four-vector functions mass()/pt()/eta()/phi(): sums over a whole collection,
// or fused sums over the members of every pairs()/triplets() combination.
#include <cmath>

#include <fmt/format.h>

#include "frame/expr/detail/diagnostics.h"
#include "frame/expr/detail/lowering.h"
#include "frame/kernels/vector_math.h"

namespace hepflow::frame::expr::detail {

namespace {

struct FusedSumArgs {
    const double* const* cartesian;  // per member: px, py, pz, E of its collection
    const std::int64_t* const* positions;
    const Offsets* const* objects;  // per member: its collection's offsets
    const Offsets* combinations;
    double* out;
    // Per member, the absolute positions (Combinations::absolute), or null when a member's
    // objects do not have the offsets the combinations were made from.
    const std::int64_t* const* absolute;
};

// `part` of the sum of the members of every combination, reading each member's (px, py, pz,
// E) through its positions. Members and part are compile-time constants: the member loop
// unrolls and the part's switch folds. With absolute positions it is one flat loop.
template <std::size_t kMembers, kernels::FourVectorPart kPart>
void sumCombinationMembers(const FusedSumArgs& args) {
    const auto one = [&](std::int64_t i, const std::int64_t* const* positions,
                         const std::int64_t* base) {
        double x = 0, y = 0, z = 0, energy = 0;
        for (std::size_t m = 0; m < kMembers; ++m) {
            const std::int64_t j = base[m] + positions[m][i];
            x += args.cartesian[4 * m][j];
            y += args.cartesian[4 * m + 1][j];
            z += args.cartesian[4 * m + 2][j];
            energy += args.cartesian[4 * m + 3][j];
        }
        args.out[i] = kernels::fourVectorPart(kPart, x, y, z, energy);
    };
    const Offsets& combos = *args.combinations;
    const std::int64_t first = combos.front();
    if (args.absolute) {
        const std::int64_t zero[kMembers] = {};
        const std::int64_t total = combos.back() - first;
        for (std::int64_t i = 0; i < total; ++i) one(i, args.absolute, zero);
        return;
    }
    const std::size_t num_events = combos.size() - 1;
    for (std::size_t e = 0; e < num_events; ++e) {
        std::int64_t base[kMembers];
        for (std::size_t m = 0; m < kMembers; ++m) base[m] = (*args.objects[m])[e];
        for (std::int64_t i = combos[e] - first; i < combos[e + 1] - first; ++i)
            one(i, args.positions, base);
    }
}

template <class F>
void withPart(kernels::FourVectorPart part, F&& f) {
    using enum kernels::FourVectorPart;
    switch (part) {
        case Mass: f.template operator()<Mass>(); return;
        case Pt: f.template operator()<Pt>(); return;
        case Eta: f.template operator()<Eta>(); return;
        case Phi: f.template operator()<Phi>(); return;
    }
}

}  // namespace

Val Compiler::lowerFourVector(const Node& node, const std::string& name) {
    const kernels::FourVectorPart part = name == "mass"  ? kernels::FourVectorPart::Mass
                                         : name == "pt"  ? kernels::FourVectorPart::Pt
                                         : name == "eta" ? kernels::FourVectorPart::Eta
                                                         : kernels::FourVectorPart::Phi;
    if (node.children.empty()) fail(node.pos, fmt::format("{}() needs arguments", name));
    std::vector<Term> terms;
    for (const auto& arg : node.children) terms.push_back(lowerTerm(*arg));
    auto fourVector = [&](const CollPtr& coll, int pos, auto&& get) {
        std::array<int, 4> regs{-1, -1, -1, -1};
        std::array<std::string, 4> parts = {"pt", "eta", "phi", "mass"};
        std::string key;
        for (std::size_t p = 0; p < 4; ++p) {
            const auto f = fourVectorField(*coll, parts[p]);
            if (!f) {
                if (p == 3) break;  // massless
                fail(pos, fmt::format("collection '{}' has no '{}' field", coll->root, parts[p]));
            }
            const Val v = get(*f);
            regs[p] = v.reg;
            key += v.key + ";";
        }
        return std::make_pair(regs, key);
    };
    if (terms.size() == 1 && terms[0].kind == Term::Kind::Collection) {
        const CollPtr coll = terms[0].coll;
        const auto fields = fourVector(coll, node.children[0]->pos,
                                       [&](const std::string& f) { return field(coll, f); });
        const std::array<int, 4> regs = fields.first;
        const std::string& key = fields.second;
        Val out;
        out.shape = Shape::Event;
        out.ty = Ty::Double;
        out.key = name + "sumObjects(" + key + ")";
        if (reuse(out)) return out;
        std::vector<int> inputs;
        for (int r : regs)
            if (r >= 0) inputs.push_back(r);
        const int out_reg = out.reg;
        emit(inputs, {out_reg}, [regs, part, out_reg](Frame& frame) {
            kernels::FourVectorColumns c;
            c.pt = &frame.in(regs[0]);
            c.eta = &frame.in(regs[1]);
            c.phi = &frame.in(regs[2]);
            c.mass = regs[3] >= 0 ? &frame.in(regs[3]) : nullptr;
            frame.set(out_reg, kernels::sumObjects(c, part));
        });
        return remember(out);
    }
    // Objects of a pairs()/triplets(): each object's four-vector is turned into (px, py, pz, E)
    // once per collection; one fused loop then sums the members of every combination, reading
    // the objects through the member positions. Trigonometry runs once per object instead of
    // once per member of every combination, and no gathered copies are made.
    ComboPtr combo;
    struct Member {
        std::array<Val, 4> cartesian;
        Val positions;
    };
    std::vector<Member> members;
    std::string key = name + "sumCartesian(";
    for (std::size_t i = 0; i < terms.size(); ++i) {
        if (terms[i].kind != Term::Kind::Param)
            fail(node.children[i]->pos,
                 fmt::format("{}() takes one collection ({}(Muon)) or objects of a pairs()/"
                             "triplets() body ({}(a, b))",
                             name, name, name));
        const ParamRef& p = terms[i].param;
        if (combo && combo != p.combo)
            fail(node.children[i]->pos,
                 fmt::format("{}(): '{}' belongs to another pairs()/triplets()", name, p.name));
        combo = p.combo;
        Member m{cartesianOf(p.combo->colls[p.member], node.children[i]->pos), positionsOf(p)};
        key += m.cartesian[0].key + "@" + m.positions.key + "|";
        members.push_back(m);
    }
    Val out;
    out.shape = Shape::Object;
    out.ty = Ty::Double;
    out.coll = combo->key;
    out.root = combo->root;
    out.combo = true;
    out.key = key + ")";
    if (reuse(out)) return out;
    // Per member: x, y, z, E, positions, absolute positions, the offsets they count in.
    constexpr std::size_t kPerMember = 7;
    std::vector<int> inputs;
    for (std::size_t i = 0; i < members.size(); ++i) {
        for (const auto& v : members[i].cartesian) inputs.push_back(v.reg);
        inputs.push_back(members[i].positions.reg);
        const ParamRef& p = terms[i].param;
        inputs.push_back(p.combo->absolute[p.member]);
        inputs.push_back(p.combo->made_from[p.member]);
    }
    const int out_reg = out.reg;
    emit(inputs, {out_reg}, [inputs, part, out_reg](Frame& frame) {
        const std::size_t num_members = inputs.size() / kPerMember;
        const Column& shape = frame.in(inputs[4]);
        const Offsets& combos = shape.offsets(0);
        std::vector<const double*> p(num_members * 4);
        std::vector<const std::int64_t*> pos(num_members);
        std::vector<const std::int64_t*> absolute(num_members);
        std::vector<const Offsets*> objects(num_members);
        bool use_absolute = true;
        for (std::size_t m = 0; m < num_members; ++m) {
            const int* in = inputs.data() + kPerMember * m;
            for (std::size_t c = 0; c < 4; ++c)
                p[4 * m + c] = frame.in(in[c]).values<double>().data();
            const Column& positions = frame.in(in[4]);
            pos[m] = positions.values<std::int64_t>().data() + firstOffset(positions);
            const Column& absolute_positions = frame.in(in[5]);
            absolute[m] =
                absolute_positions.values<std::int64_t>().data() + firstOffset(absolute_positions);
            objects[m] = &frame.in(in[0]).offsets(0);
            HEPFLOW_ASSERT(objects[m]->size() == combos.size() && (*objects[m])[0] == 0,
                           "four-vector columns and combinations over other events");
            use_absolute = use_absolute && *objects[m] == frame.in(in[6]).offsets(0);
        }
        Column out = newLike<double>(frame, shape, true, activeCount(shape));
        const FusedSumArgs args{p.data(),
                                pos.data(),
                                objects.data(),
                                &combos,
                                out.values<double>().data(),
                                use_absolute ? absolute.data() : nullptr};
        withPart(part, [&]<kernels::FourVectorPart kPart>() {
            switch (num_members) {
                case 1: sumCombinationMembers<1, kPart>(args); break;
                case 2: sumCombinationMembers<2, kPart>(args); break;
                case 3: sumCombinationMembers<3, kPart>(args); break;
                default: HEPFLOW_ASSERT(false, "combinations of 1 to 3 members");
            }
        });
        frame.set(out_reg, std::move(out));
    });
    return remember(out);
}

// (px, py, pz, E) of every object of a collection, as double per-object columns.
std::array<Val, 4> Compiler::cartesianOf(const CollPtr& coll, int pos) {
    std::array<int, 4> regs{-1, -1, -1, -1};
    std::array<Val, 4> fields;
    static const std::array<std::string, 4> kParts = {"pt", "eta", "phi", "mass"};
    std::string key = "cartesian(";
    for (std::size_t p = 0; p < 4; ++p) {
        const auto f = fourVectorField(*coll, kParts[p]);
        if (!f) {
            if (p == 3) break;  // massless
            fail(pos, fmt::format("collection '{}' has no '{}' field", coll->root, kParts[p]));
        }
        fields[p] = field(coll, *f);
    }
    // Float fields are read as they are; anything else is converted to double first.
    bool all_float = true;
    for (const auto& v : fields) all_float = all_float && (v.reg < 0 || v.ty == Ty::Float);
    const Ty input_ty = all_float ? Ty::Float : Ty::Double;
    for (std::size_t p = 0; p < 4; ++p) {
        if (fields[p].reg < 0) continue;
        fields[p] = cast(fields[p], input_ty);
        regs[p] = fields[p].reg;
        key += fields[p].key + ";";
    }
    key += ")";
    std::array<Val, 4> out;
    for (std::size_t c = 0; c < 4; ++c) {
        out[c].shape = Shape::Object;
        out[c].ty = Ty::Double;
        out[c].coll = coll->key;
        out[c].root = coll->root;
        out[c].key = fmt::format("{}#{}", key, c);
    }
    if (memo(out[0].key) != nullptr) {
        for (std::size_t c = 0; c < 4; ++c) out[c] = *memo(out[c].key);
        return out;
    }
    std::vector<int> inputs;
    for (int r : regs)
        if (r >= 0) inputs.push_back(r);
    std::vector<int> outputs;
    for (auto& v : out) {
        v.reg = newRegister();
        outputs.push_back(v.reg);
        v = remember(v);
    }
    const auto emitConversion = [&]<class T>() {
        // Only the px column carries offsets: py, pz and E are read by the fused sum alone,
        // with px's offsets.
        emit(inputs, outputs, [regs, outputs](Frame& frame) {
            const Column& pt_column = frame.in(regs[0]);
            const std::size_t n = activeCount(pt_column);
            for (int r : regs)
                if (r >= 0) requireValues(frame, frame.in(r), n, "four-vector");
            auto data = [&](int reg) {
                const Column& c = frame.in(reg);
                return c.values<T>().data() + firstOffset(c);
            };
            const T* pt = data(regs[0]);
            const T* eta = data(regs[1]);
            const T* phi = data(regs[2]);
            const T* mass = regs[3] >= 0 ? data(regs[3]) : nullptr;
            std::array<Column, 4> cols;
            std::array<double*, 4> dst{};
            for (std::size_t c = 0; c < 4; ++c) {
                cols[c] = newLike<double>(frame, pt_column, c == 0, n);
                dst[c] = cols[c].values<double>().data();
            }
            kernels::polarToCartesian(pt, eta, phi, mass, n, dst[0], dst[1], dst[2], dst[3]);
            for (std::size_t c = 0; c < 4; ++c) frame.set(outputs[c], std::move(cols[c]));
        });
    };
    if (input_ty == Ty::Float)
        emitConversion.template operator()<float>();
    else
        emitConversion.template operator()<double>();
    return out;
}

}  // namespace hepflow::frame::expr::detail
