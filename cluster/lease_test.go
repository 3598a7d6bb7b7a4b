package cluster_test

import (
	"testing"

	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/sqlstore"
)

// storeLease is the lease the nodes contend for: the store's own.
func storeLease(t testing.TB, db *sqlstore.DB) cluster.Leaser { return db }
