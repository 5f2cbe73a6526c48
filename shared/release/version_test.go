package release

import (
	"sort"
	"testing"
)

func TestParseVersion(t *testing.T) {
	good := []string{"v1.2.3", "1.2.3", "v0.0.0", "v1.2.3-rc.1", "v1.2.3-alpha-1.x.7", "v1.2.3+build.5", "v10.20.30-rc.1+meta"}
	for _, s := range good {
		if _, err := ParseVersion(s); err != nil {
			t.Errorf("ParseVersion(%q): %v", s, err)
		}
	}
	bad := []string{"", "dev", "v1", "v1.2", "v1.2.3.4", "v01.2.3", "v1.2.3-", "v1.2.3-rc..1", "v1.2.3-rc.01",
		"v1.2.3+", "v-1.2.3", "v1.2.x", "v1.2.3-r c", "vv1.2.3", "v99999999999999999999.0.0", "../1.2.3"}
	for _, s := range bad {
		if _, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) accepted", s)
		}
	}
}

func TestCompareOrdersLikeSemver(t *testing.T) {
	// In increasing order, from the semver spec's examples plus our own.
	order := []string{"v0.9.9", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta",
		"v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.1.0-rc.1", "v1.1.0", "v1.10.0", "v2.0.0"}
	vs := make([]Version, len(order))
	for i, s := range order {
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		vs[i] = v
	}
	for i := range vs {
		for j := range vs {
			want := cmpUint(uint64(i), uint64(j))
			if got := vs[i].Compare(vs[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", vs[i], vs[j], got, want)
			}
		}
	}
	shuffled := append([]Version(nil), vs[7:]...)
	shuffled = append(shuffled, vs[:7]...)
	sort.Slice(shuffled, func(a, b int) bool { return shuffled[a].Compare(shuffled[b]) < 0 })
	for i := range shuffled {
		if shuffled[i].String() != order[i] {
			t.Fatalf("sorted[%d] = %s, want %s", i, shuffled[i], order[i])
		}
	}
	a, _ := ParseVersion("v1.2.3+one")
	b, _ := ParseVersion("1.2.3+two")
	if a.Compare(b) != 0 {
		t.Error("build metadata and the leading v must not take part in ordering")
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"v1.2.3", "1.0.0-rc.1", "v1.2.3+meta", "dev", "v1.2", "v1.2.3-0a.1", "v0.0.0-"} {
		f.Add(s, "v1.2.3")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := ParseVersion(a)
		vb, errB := ParseVersion(b)
		if errA != nil || errB != nil {
			return
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%q is not equal to itself", a)
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) is not antisymmetric", a, b)
		}
		again, err := ParseVersion(va.String())
		if err != nil || again.Compare(va) != 0 {
			t.Fatalf("%q does not round-trip: %v", a, err)
		}
	})
}

func TestSameVersion(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"v1.2.0", "1.2.0", true}, {"v1.2.0+build.7", "v1.2.0", true}, {"dev", "dev", true},
		{"v1.2.0", "v1.2.1", false}, {"v1.2.0-rc.1", "v1.2.0", false}, {"dev", "v1.2.0", false},
	} {
		if got := SameVersion(c.a, c.b); got != c.want {
			t.Errorf("SameVersion(%q, %q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}
