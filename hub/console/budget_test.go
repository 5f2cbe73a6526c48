package console

import "testing"

// budget is the first-load limit: everything the console serves, compressed.
const budget = 300 << 10

// TestAssetBudget sums the gzip size of every embedded file: loading all of them (the
// first load loads most) stays within budget.
func TestAssetBudget(t *testing.T) {
	c := New(Config{}, nil, nil)
	total := 0
	for _, p := range c.Paths() {
		total += c.GzipSize(p)
	}
	t.Logf("%d files, %d bytes gzip (budget %d)", len(c.Paths()), total, budget)
	if total > budget {
		t.Fatalf("the console's files are %d bytes gzip, over the %d byte budget", total, budget)
	}
	if total == 0 {
		t.Fatal("no embedded files")
	}
}
