package main

import "strings"

// plainDoc is the package's plainDoc with the references to reachable
// types and their fields and members written as the Go names they have in
// package dropbox: :type:`WriteMode` -> WriteMode (or the name a collision gave
// it), :field:`ListFolderResult.has_more` -> ListFolderResult.HasMore,
// :field:`LookupError.not_found` -> LookupErrorNotFound (the tag constant).
// References it cannot place keep their spec text.
func (g *gen) plainDoc(doc string) string { return plainDocWith(doc, g.resolveRef) }

// resolveRef is the refResolver of the generated docs.
func (g *gen) resolveRef(kind, text string) (string, bool) {
	switch kind {
	case "type":
		if ti := g.typeBySpecName(text); ti != nil {
			return ti.goName, true
		}
	case "field":
		i := strings.LastIndex(text, ".")
		if i < 0 {
			return "", false // a field of the type at hand: its spec name reads as well
		}
		ti := g.typeBySpecName(text[:i])
		if ti == nil {
			return "", false
		}
		name := text[i+1:]
		switch ti.kind {
		case kStruct, kWrapper:
			for _, f := range g.fields(ti.st) {
				if f.Name == name {
					return ti.goName + "." + camel(name), true
				}
			}
		case kUnion:
			for _, m := range g.members(ti.un) {
				if m.Name == name {
					return ti.goName + camel(name), true
				}
			}
		}
	}
	return "", false
}

// typeBySpecName returns the reachable type a reference names, "ns.Name"
// or "Name"; a bare name must name one reachable type only.
func (g *gen) typeBySpecName(ref string) *typeInfo {
	ns, name, qualified := strings.Cut(ref, ".")
	if !qualified {
		name, ns = ns, ""
	}
	var found *typeInfo
	for _, ti := range g.order {
		if ti.name != name || qualified && ti.ns != ns {
			continue
		}
		if found != nil {
			return nil
		}
		found = ti
	}
	return found
}
