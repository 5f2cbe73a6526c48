package store

import (
	"context"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"ordered", fstest.MapFS{"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/README": file("x")}, []int{1, 2}, false},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, nil, true},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, nil, true},
		{"unnumbered", fstest.MapFS{"m/init.sql": file("A")}, nil, true},
		{"zero", fstest.MapFS{"m/0000_a.sql": file("A")}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, err := loadMigrations(c.files, "m")
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if len(ms) != len(c.want) {
				t.Fatalf("got %d migrations, want %d", len(ms), len(c.want))
			}
			for i, m := range ms {
				if m.version != c.want[i] {
					t.Errorf("migration %d has version %d, want %d", i, m.version, c.want[i])
				}
			}
		})
	}
}

// Both dialects must describe the same schema history, one file per version each.
func TestEmbeddedMigrationsInStep(t *testing.T) {
	lite, err := loadMigrations(migrationFiles, "migrations/"+dialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(migrationFiles, "migrations/"+dialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("version %d: sqlite %s, postgres %s", i+1, lite[i].name, pg[i].name)
		}
	}
}

func TestRebind(t *testing.T) {
	pg := &sqlStore{dialect: dialectPostgres}
	lite := &sqlStore{dialect: dialectSQLite}
	const q = "UPDATE t SET a = ? WHERE id = ? AND b < ?"
	if got, want := pg.q(q), "UPDATE t SET a = $1 WHERE id = $2 AND b < $3"; got != want {
		t.Errorf("postgres: %q, want %q", got, want)
	}
	if got := lite.q(q); got != q {
		t.Errorf("sqlite changed the query: %q", got)
	}
}

// The DSN's pragmas reach the connection: WAL, synchronous NORMAL, and the larger
// autocheckpoint the audit writes are measured with.
func TestSQLitePragmas(t *testing.T) {
	s, err := openSQLite(context.Background(), t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "1", "wal_autocheckpoint": "10000"} {
		var got string
		if err := s.db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}
