package interact

import "strings"

// OU is an organization unit: a node of a tenant's tree. The root has no
// parent and stands for the tenant itself.
type OU struct {
	ID       string  `json:"id"`
	TenantID string  `json:"-"`
	Name     string  `json:"name"`
	ParentID *string `json:"parentId"`
}

// OUUpdate renames or moves an OU.
type OUUpdate struct {
	Name     *string `json:"name"`
	ParentID *string `json:"parentId"`
}

// Validate checks the OU's own fields.
func (o *OU) Validate() error {
	o.Name = strings.TrimSpace(o.Name)
	return validName("OU name", o.Name)
}

// OUTree is a tenant's OU tree as child → parent ("" for the root).
type OUTree map[string]string

// Has reports whether id is a node of the tree.
func (t OUTree) Has(id string) bool { _, ok := t[id]; return ok }

// Path returns id and its ancestors up to the root, nearest first. It
// returns nil for an unknown id.
func (t OUTree) Path(id string) []string {
	var path []string
	for id != "" && len(path) <= len(t) {
		if !t.Has(id) {
			return path
		}
		path = append(path, id)
		id = t[id]
	}
	return path
}

// Within reports whether id is root or a descendant of root.
func (t OUTree) Within(id, root string) bool {
	for _, p := range t.Path(id) {
		if p == root {
			return true
		}
	}
	return false
}

// Visible reports whether an item in OU item can be read from OU from: the
// item sits in from's OU or one of its ancestors ("read up to the root").
func (t OUTree) Visible(item, from string) bool { return t.Within(from, item) }

// CheckMove returns ou_cycle if moving id below newParent would make id its
// own ancestor.
func (t OUTree) CheckMove(id, newParent string) error {
	if t.Within(newParent, id) {
		return Errorf(EOUCYCLE, "An OU cannot be moved below itself or one of its descendants.")
	}
	return nil
}
