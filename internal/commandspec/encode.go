package commandspec

import (
	"fmt"
	"strings"
)

// WriteInfo writes the command's COMMAND INFO entry (the 10-element array),
// exactly as redis-server does. Subcommands are written in name order
// (Redis writes them in the order of its internal hash table, which changes
// with every server start).
func (c *Command) WriteInfo(w ReplyWriter) {
	e := encoder{w: w, t: &load().types}
	e.info(c)
}

// WriteDocs writes the command's COMMAND DOCS value (the map that follows
// the command name), exactly as redis-server does; the caller writes the
// enclosing map and the name. Subcommands are written in name order.
func (c *Command) WriteDocs(w ReplyWriter) {
	e := encoder{w: w, t: &load().types}
	e.docs(c)
}

// ---------------------------------------------------------------------------
// RESP3 types, from the "resp3_types" table of commands.json.

type kind uint8

const (
	kindDefault kind = iota
	kindSimple
	kindBulk
	kindInteger
	kindArray
	kindSet
	kindMap
)

var kindNames = map[string]kind{
	"simple": kindSimple, "bulk": kindBulk, "integer": kindInteger,
	"array": kindArray, "set": kindSet, "map": kindMap,
}

// path identifies a position in the replies; pathNames gives the names used
// in commands.json ("elem[]" is an element of the aggregate "elem").
type path uint8

const (
	pInfo path = iota
	pInfoName
	pInfoArity
	pInfoFlags
	pInfoFlagsElem
	pInfoFirstKey
	pInfoLastKey
	pInfoStep
	pInfoCategories
	pInfoCategoriesElem
	pInfoTips
	pInfoTipsElem
	pInfoKeySpecs
	pInfoSubcommands
	pKeySpec
	pKeySpecNotes
	pKeySpecFlags
	pKeySpecFlagsElem
	pBeginSearch
	pBeginSearchType
	pBeginSearchSpec
	pBeginSearchIndex
	pBeginSearchKeyword
	pBeginSearchStartFrom
	pFindKeys
	pFindKeysType
	pFindKeysSpec
	pFindKeysLastKey
	pFindKeysKeyStep
	pFindKeysLimit
	pFindKeysKeyNumIdx
	pFindKeysFirstKey
	pDocs
	pDocsSummary
	pDocsSince
	pDocsGroup
	pDocsComplexity
	pDocsDocFlags
	pDocsDocFlagsElem
	pDocsDeprecatedSince
	pDocsReplacedBy
	pDocsHistory
	pDocsHistoryElem
	pDocsHistoryElemElem
	pDocsArguments
	pDocsSubcommands
	pArg
	pArgName
	pArgType
	pArgKeySpecIndex
	pArgToken
	pArgSummary
	pArgSince
	pArgDeprecatedSince
	pArgFlags
	pArgFlagsElem
	pArgArguments
	pMapKey
	numPaths
)

var pathNames = [numPaths]string{
	pInfo:                 "info",
	pInfoName:             "info.name",
	pInfoArity:            "info.arity",
	pInfoFlags:            "info.flags",
	pInfoFlagsElem:        "info.flags[]",
	pInfoFirstKey:         "info.first_key",
	pInfoLastKey:          "info.last_key",
	pInfoStep:             "info.step",
	pInfoCategories:       "info.acl_categories",
	pInfoCategoriesElem:   "info.acl_categories[]",
	pInfoTips:             "info.tips",
	pInfoTipsElem:         "info.tips[]",
	pInfoKeySpecs:         "info.key_specs",
	pInfoSubcommands:      "info.subcommands",
	pKeySpec:              "key_spec",
	pKeySpecNotes:         "key_spec.notes",
	pKeySpecFlags:         "key_spec.flags",
	pKeySpecFlagsElem:     "key_spec.flags[]",
	pBeginSearch:          "key_spec.begin_search",
	pBeginSearchType:      "key_spec.begin_search.type",
	pBeginSearchSpec:      "key_spec.begin_search.spec",
	pBeginSearchIndex:     "key_spec.begin_search.spec.index",
	pBeginSearchKeyword:   "key_spec.begin_search.spec.keyword",
	pBeginSearchStartFrom: "key_spec.begin_search.spec.startfrom",
	pFindKeys:             "key_spec.find_keys",
	pFindKeysType:         "key_spec.find_keys.type",
	pFindKeysSpec:         "key_spec.find_keys.spec",
	pFindKeysLastKey:      "key_spec.find_keys.spec.lastkey",
	pFindKeysKeyStep:      "key_spec.find_keys.spec.keystep",
	pFindKeysLimit:        "key_spec.find_keys.spec.limit",
	pFindKeysKeyNumIdx:    "key_spec.find_keys.spec.keynumidx",
	pFindKeysFirstKey:     "key_spec.find_keys.spec.firstkey",
	pDocs:                 "docs",
	pDocsSummary:          "docs.summary",
	pDocsSince:            "docs.since",
	pDocsGroup:            "docs.group",
	pDocsComplexity:       "docs.complexity",
	pDocsDocFlags:         "docs.doc_flags",
	pDocsDocFlagsElem:     "docs.doc_flags[]",
	pDocsDeprecatedSince:  "docs.deprecated_since",
	pDocsReplacedBy:       "docs.replaced_by",
	pDocsHistory:          "docs.history",
	pDocsHistoryElem:      "docs.history[]",
	pDocsHistoryElemElem:  "docs.history[][]",
	pDocsArguments:        "docs.arguments",
	pDocsSubcommands:      "docs.subcommands",
	pArg:                  "argument",
	pArgName:              "argument.name",
	pArgType:              "argument.type",
	pArgKeySpecIndex:      "argument.key_spec_index",
	pArgToken:             "argument.token",
	pArgSummary:           "argument.summary",
	pArgSince:             "argument.since",
	pArgDeprecatedSince:   "argument.deprecated_since",
	pArgFlags:             "argument.flags",
	pArgFlagsElem:         "argument.flags[]",
	pArgArguments:         "argument.arguments",
	pMapKey:               "map_key",
}

// typeTable holds the RESP3 type of every path, and separately the type of
// an empty aggregate where Redis uses a different one (COMMAND INFO writes
// "no subcommands" as an empty set but subcommands as an array).
type typeTable struct {
	kinds [numPaths]kind
	empty [numPaths]kind
}

var pathIndex = func() map[string]path {
	m := make(map[string]path, numPaths)
	for p, name := range pathNames {
		m[name] = path(p)
	}
	return m
}()

func (t *typeTable) fill(m map[string]string) error {
	for name, typ := range m {
		k, ok := kindNames[typ]
		if !ok {
			return fmt.Errorf("resp3_types: %s: unknown type %q", name, typ)
		}
		dst := &t.kinds
		if base, ok := strings.CutSuffix(name, "(empty)"); ok {
			name, dst = base, &t.empty
		}
		if p, ok := pathIndex[name]; ok {
			dst[p] = k
		}
		// Paths this package does not know are ignored here; a test checks
		// that there are none.
	}
	return nil
}

// ---------------------------------------------------------------------------
// Encoding.

type encoder struct {
	w ReplyWriter
	t *typeTable
}

func (e encoder) str(p path, s string) {
	if e.t.kinds[p] == kindSimple {
		e.w.Simple(s)
	} else {
		e.w.BulkString(s)
	}
}

func (e encoder) key(s string) { e.str(pMapKey, s) }

func (e encoder) integer(n int) { e.w.Int(int64(n)) }

func (e encoder) kind(p path, n int) kind {
	if n == 0 && e.t.empty[p] != kindDefault {
		return e.t.empty[p]
	}
	return e.t.kinds[p]
}

// list starts an aggregate of n elements at p.
func (e encoder) list(p path, n int) {
	switch e.kind(p, n) {
	case kindSet:
		e.w.SetLen(n)
	default:
		e.w.ArrayLen(n)
	}
}

// dict starts a map of n key/value pairs at p.
func (e encoder) dict(p path, n int) {
	switch e.kind(p, n) {
	case kindArray:
		e.w.ArrayLen(2 * n)
	case kindSet:
		e.w.SetLen(2 * n)
	default:
		e.w.MapLen(n)
	}
}

func (e encoder) strs(p, elem path, ss []string) {
	e.list(p, len(ss))
	for _, s := range ss {
		e.str(elem, s)
	}
}

func (e encoder) info(c *Command) {
	e.list(pInfo, 10)
	e.str(pInfoName, c.Name)
	e.integer(c.Arity)
	e.strs(pInfoFlags, pInfoFlagsElem, c.Flags)
	e.integer(c.FirstKey)
	e.integer(c.LastKey)
	e.integer(c.Step)
	e.strs(pInfoCategories, pInfoCategoriesElem, c.Categories)
	e.strs(pInfoTips, pInfoTipsElem, c.Tips)
	e.list(pInfoKeySpecs, len(c.KeySpecs))
	for i := range c.KeySpecs {
		e.keySpec(&c.KeySpecs[i])
	}
	e.list(pInfoSubcommands, len(c.Subcommands))
	for _, s := range c.Subcommands {
		e.info(s)
	}
}

func (e encoder) keySpec(ks *KeySpec) {
	n := 3
	if ks.Notes != "" {
		n++
	}
	e.dict(pKeySpec, n)
	if ks.Notes != "" {
		e.key("notes")
		e.str(pKeySpecNotes, ks.Notes)
	}
	e.key("flags")
	e.strs(pKeySpecFlags, pKeySpecFlagsElem, ks.Flags)

	e.key("begin_search")
	e.dict(pBeginSearch, 2)
	e.key("type")
	e.str(pBeginSearchType, ks.BeginSearch.Type)
	e.key("spec")
	switch ks.BeginSearch.Type {
	case "index":
		e.dict(pBeginSearchSpec, 1)
		e.key("index")
		e.integer(ks.BeginSearch.Index)
	case "keyword":
		e.dict(pBeginSearchSpec, 2)
		e.key("keyword")
		e.str(pBeginSearchKeyword, ks.BeginSearch.Keyword)
		e.key("startfrom")
		e.integer(ks.BeginSearch.StartFrom)
	default:
		e.dict(pBeginSearchSpec, 0)
	}

	e.key("find_keys")
	e.dict(pFindKeys, 2)
	e.key("type")
	e.str(pFindKeysType, ks.FindKeys.Type)
	e.key("spec")
	switch ks.FindKeys.Type {
	case "range":
		e.dict(pFindKeysSpec, 3)
		e.key("lastkey")
		e.integer(ks.FindKeys.LastKey)
		e.key("keystep")
		e.integer(ks.FindKeys.KeyStep)
		e.key("limit")
		e.integer(ks.FindKeys.Limit)
	case "keynum":
		e.dict(pFindKeysSpec, 3)
		e.key("keynumidx")
		e.integer(ks.FindKeys.KeyNumIdx)
		e.key("firstkey")
		e.integer(ks.FindKeys.FirstKey)
		e.key("keystep")
		e.integer(ks.FindKeys.KeyStep)
	default:
		e.dict(pFindKeysSpec, 0)
	}
}

func (e encoder) docs(c *Command) {
	d := &c.Docs
	n := 1 // group
	for _, present := range [...]bool{
		d.Summary != "", d.Since != "", d.Complexity != "", len(d.DocFlags) > 0,
		d.DeprecatedSince != "", d.ReplacedBy != "", len(d.History) > 0,
		len(d.Arguments) > 0, len(c.Subcommands) > 0,
	} {
		if present {
			n++
		}
	}
	e.dict(pDocs, n)
	if d.Summary != "" {
		e.key("summary")
		e.str(pDocsSummary, d.Summary)
	}
	if d.Since != "" {
		e.key("since")
		e.str(pDocsSince, d.Since)
	}
	e.key("group")
	e.str(pDocsGroup, c.Group)
	if d.Complexity != "" {
		e.key("complexity")
		e.str(pDocsComplexity, d.Complexity)
	}
	if len(d.DocFlags) > 0 {
		e.key("doc_flags")
		e.strs(pDocsDocFlags, pDocsDocFlagsElem, d.DocFlags)
	}
	if d.DeprecatedSince != "" {
		e.key("deprecated_since")
		e.str(pDocsDeprecatedSince, d.DeprecatedSince)
	}
	if d.ReplacedBy != "" {
		e.key("replaced_by")
		e.str(pDocsReplacedBy, d.ReplacedBy)
	}
	if len(d.History) > 0 {
		e.key("history")
		e.list(pDocsHistory, len(d.History))
		for _, h := range d.History {
			e.list(pDocsHistoryElem, 2)
			e.str(pDocsHistoryElemElem, h.Version)
			e.str(pDocsHistoryElemElem, h.Description)
		}
	}
	if len(d.Arguments) > 0 {
		e.key("arguments")
		e.args(pDocsArguments, d.Arguments)
	}
	if len(c.Subcommands) > 0 {
		e.key("subcommands")
		e.dict(pDocsSubcommands, len(c.Subcommands))
		for _, s := range c.Subcommands {
			e.key(s.Name)
			e.docs(s)
		}
	}
}

func (e encoder) args(p path, args []*Argument) {
	e.list(p, len(args))
	for _, a := range args {
		// Redis writes "arguments" for the oneof and block types, even empty.
		nested := a.Type == "oneof" || a.Type == "block"
		n := 2
		for _, present := range [...]bool{
			a.KeySpecIndex >= 0, a.HasToken, a.Summary != "", a.Since != "",
			a.DeprecatedSince != "", len(a.Flags) > 0, nested,
		} {
			if present {
				n++
			}
		}
		e.dict(pArg, n)
		e.key("name")
		e.str(pArgName, a.Name)
		e.key("type")
		e.str(pArgType, a.Type)
		if a.KeySpecIndex >= 0 {
			e.key("key_spec_index")
			e.integer(a.KeySpecIndex)
		}
		if a.HasToken {
			e.key("token")
			e.str(pArgToken, a.Token)
		}
		if a.Summary != "" {
			e.key("summary")
			e.str(pArgSummary, a.Summary)
		}
		if a.Since != "" {
			e.key("since")
			e.str(pArgSince, a.Since)
		}
		if a.DeprecatedSince != "" {
			e.key("deprecated_since")
			e.str(pArgDeprecatedSince, a.DeprecatedSince)
		}
		if len(a.Flags) > 0 {
			e.key("flags")
			e.strs(pArgFlags, pArgFlagsElem, a.Flags)
		}
		if nested {
			e.key("arguments")
			e.args(pArgArguments, a.Arguments)
		}
	}
}
