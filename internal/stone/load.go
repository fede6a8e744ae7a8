package stone

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Load parses every .stone file in dir, merges files of the same
// namespace and resolves the references between types (see Resolve).
func Load(dir string) (*Spec, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.stone"))
	if err != nil {
		return nil, fmt.Errorf("list spec files: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .stone files in %s", dir)
	}
	var files []*File
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read spec: %w", err)
		}
		f, err := ParseFile(filepath.Base(path), src)
		if err != nil {
			return nil, fmt.Errorf("parse spec: %w", err)
		}
		files = append(files, f)
	}
	spec := Merge(files...)
	if err := spec.Resolve(); err != nil {
		return nil, err
	}
	return spec, nil
}

// Merge joins parsed files into one Spec, combining files that declare
// the same namespace in the order given. Namespaces are sorted by name.
func Merge(files ...*File) *Spec {
	s := &Spec{}
	for _, f := range files {
		in := f.Namespace
		ns := s.Namespace(in.Name)
		if ns == nil {
			s.Namespaces = append(s.Namespaces, in)
			continue
		}
		ns.Doc = appendDoc(ns.Doc, in.Doc)
		ns.Imports = append(ns.Imports, in.Imports...)
		ns.Routes = append(ns.Routes, in.Routes...)
		ns.Structs = append(ns.Structs, in.Structs...)
		ns.Unions = append(ns.Unions, in.Unions...)
		ns.Aliases = append(ns.Aliases, in.Aliases...)
		ns.Annotations = append(ns.Annotations, in.Annotations...)
	}
	sort.SliceStable(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Name < s.Namespaces[j].Name })
	return s
}

// Resolve links every type reference to the declaration it names
// (TypeRef.Decl) and every annotation use to its declaration, and checks
// what Stone requires: known names, imported namespaces, no duplicate
// declarations, structs extending structs and unions extending unions,
// List with one type and Map with two. All problems found are returned
// together.
func (s *Spec) Resolve() error {
	var errs []error
	for _, ns := range s.Namespaces {
		errs = append(errs, s.resolveNamespace(ns)...)
	}
	return errors.Join(errs...)
}

func (s *Spec) resolveNamespace(ns *Namespace) []error {
	var errs []error
	fail := func(p Pos, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", p, fmt.Sprintf(format, args...)))
	}
	imported := map[string]bool{ns.Name: true}
	for _, imp := range ns.Imports {
		if s.Namespace(imp) == nil {
			fail(Pos{File: ns.Name}, "namespace %s imports unknown namespace %s", ns.Name, imp)
		}
		imported[imp] = true
	}
	seen := map[string]Pos{}
	declare := func(name string, p Pos) {
		if prev, ok := seen[name]; ok {
			fail(p, "%s.%s is declared twice (first at %s)", ns.Name, name, prev)
		}
		seen[name] = p
	}
	for _, d := range ns.Structs {
		declare(d.Name, d.Pos)
	}
	for _, d := range ns.Unions {
		declare(d.Name, d.Pos)
	}
	for _, d := range ns.Aliases {
		declare(d.Name, d.Pos)
	}
	routes := map[string]Pos{}
	for _, r := range ns.Routes {
		key := fmt.Sprintf("%s:%d", r.Name, r.Version)
		if prev, ok := routes[key]; ok {
			fail(r.Pos, "route %s is declared twice (first at %s)", key, prev)
		}
		routes[key] = r.Pos
	}

	var ref func(t *TypeRef)
	ref = func(t *TypeRef) {
		if t == nil {
			return
		}
		for _, a := range t.Args {
			ref(a.Type)
		}
		if t.Builtin() {
			switch t.Name {
			case TypeList:
				if t.Elem() == nil || t.Value() != nil {
					fail(t.Pos, "List takes one element type")
				}
			case TypeMap:
				if t.Key() == nil || t.Value() == nil {
					fail(t.Pos, "Map takes a key and a value type")
				}
			}
			return
		}
		target := ns
		if t.Namespace != "" {
			if !imported[t.Namespace] {
				fail(t.Pos, "%s refers to namespace %s, which %s does not import", t, t.Namespace, ns.Name)
				return
			}
			if target = s.Namespace(t.Namespace); target == nil {
				fail(t.Pos, "unknown namespace %s", t.Namespace)
				return
			}
		}
		if t.Decl = target.Decl(t.Name); t.Decl == nil {
			fail(t.Pos, "unknown type %s", t)
		}
	}
	annotations := func(refs []*AnnotationRef) {
		for _, r := range refs {
			target := ns
			if r.Namespace != "" {
				if target = s.Namespace(r.Namespace); target == nil || !imported[r.Namespace] {
					fail(r.Pos, "unknown annotation namespace %s", r.Namespace)
					continue
				}
			}
			for _, a := range target.Annotations {
				if a.Name == r.Name {
					r.Decl = a
				}
			}
			if r.Decl == nil {
				fail(r.Pos, "unknown annotation %s", r.Name)
			}
		}
	}

	for _, r := range ns.Routes {
		ref(r.Arg)
		ref(r.Result)
		ref(r.Error)
	}
	for _, a := range ns.Aliases {
		ref(a.Type)
		annotations(a.Annotations)
	}
	for _, st := range ns.Structs {
		ref(st.Extends)
		if st.Extends != nil && st.Extends.Decl != nil {
			if _, ok := st.Extends.Decl.(*Struct); !ok {
				fail(st.Extends.Pos, "struct %s extends %s, which is not a struct", st.Name, st.Extends)
			}
		}
		for _, sub := range st.Subtypes {
			ref(sub.Type)
			if sub.Type.Decl != nil {
				if c, ok := sub.Type.Decl.(*Struct); !ok || c.Extends == nil || c.Extends.Decl != Decl(st) && c.Extends.Name != st.Name {
					fail(sub.Pos, "subtype %s of %s does not extend it", sub.Type, st.Name)
				}
			}
		}
		for _, f := range st.Fields {
			ref(f.Type)
			annotations(f.Annotations)
		}
	}
	for _, u := range ns.Unions {
		ref(u.Extends)
		if u.Extends != nil && u.Extends.Decl != nil {
			if _, ok := u.Extends.Decl.(*Union); !ok {
				fail(u.Extends.Pos, "union %s extends %s, which is not a union", u.Name, u.Extends)
			}
		}
		for _, m := range u.Members {
			ref(m.Type)
			annotations(m.Annotations)
		}
	}
	return errs
}

// Unalias follows aliases from t to the type they stand for. The result
// is nullable when t or any alias on the way is.
func Unalias(t *TypeRef) *TypeRef {
	nullable := false
	for {
		nullable = nullable || t.Nullable
		a, ok := t.Decl.(*Alias)
		if !ok {
			break
		}
		t = a.Type
	}
	if nullable && !t.Nullable {
		c := *t
		c.Nullable = true
		return &c
	}
	return t
}
