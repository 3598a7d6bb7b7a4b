package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/interact-oss/interact"
)

// OUs.

type ouNode struct {
	interact.OU
	Depth    int
	Children []*ouNode
}

// ouOption is an OU in a select, indented by depth.
type ouOption struct {
	ID, Label string
}

// ouTree returns the readable OUs as a forest and as indented options.
func (q *adminReq) ouTree() ([]*ouNode, []ouOption, map[string]string, error) {
	ous, err := q.s.store.OUs(q.ctx(), q.a)
	if err != nil {
		return nil, nil, nil, err
	}
	nodes := map[string]*ouNode{}
	names := map[string]string{}
	for _, o := range ous {
		nodes[o.ID] = &ouNode{OU: o}
		names[o.ID] = o.Name
	}
	var roots []*ouNode
	for _, o := range ous {
		n := nodes[o.ID]
		if o.ParentID != nil && nodes[*o.ParentID] != nil {
			p := nodes[*o.ParentID]
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var opts []ouOption
	var walk func(ns []*ouNode, depth int)
	walk = func(ns []*ouNode, depth int) {
		sort.Slice(ns, func(i, j int) bool { return strings.ToLower(ns[i].Name) < strings.ToLower(ns[j].Name) })
		for _, n := range ns {
			n.Depth = depth
			opts = append(opts, ouOption{ID: n.ID, Label: strings.Repeat("— ", depth) + n.Name})
			walk(n.Children, depth+1)
		}
	}
	walk(roots, 0)
	return roots, opts, names, nil
}

func viewOUs(q *adminReq) error {
	tree, opts, _, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("ous", "Organization units", map[string]any{"Tree": tree, "Options": opts})
	return nil
}

func actCreateOU(q *adminReq) (string, string, error) {
	parent := q.val("parent")
	o, err := q.s.store.CreateOU(q.ctx(), q.a, interact.OU{Name: q.val("name"), ParentID: &parent})
	if err != nil {
		return "", "", err
	}
	return "/admin/ous", fmt.Sprintf("OU %q created.", o.Name), nil
}

func actUpdateOU(q *adminReq) (string, string, error) {
	var upd interact.OUUpdate
	if _, ok := q.r.PostForm["name"]; ok {
		n := q.val("name")
		upd.Name = &n
	}
	if p := q.val("parent"); p != "" {
		upd.ParentID = &p
	}
	o, err := q.s.store.UpdateOU(q.ctx(), q.a, q.id(), upd)
	if err != nil {
		return "", "", err
	}
	return "/admin/ous", fmt.Sprintf("OU %q saved.", o.Name), nil
}

func actDeleteOU(q *adminReq) (string, string, error) {
	return "/admin/ous", "OU deleted.", q.s.store.DeleteOU(q.ctx(), q.a, q.id())
}
