package sqlstore

import (
	"context"
	"errors"
)

// MigrateBefore brings the database at url to the schema just before the
// migration named stop (e.g. "0007_references.sql"), so that a test can
// fill it in the old shape and then Open it.
func MigrateBefore(ctx context.Context, url, stop string) error {
	db, err := openPools(url)
	if err != nil {
		return err
	}
	return errors.Join(db.migrate(ctx, stop), db.closePools())
}
