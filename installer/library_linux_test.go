package installer

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

// forcedSystem makes kardianos/service use its systemd backend on a machine where it would
// not detect systemd (this container: PID 1 is not systemd, no user bus).
type forcedSystem struct{ service.System }

func (forcedSystem) Detect() bool { return true }

// Where systemctl --user cannot work, install through the library's real systemd backend
// anyway: it must write exactly our rendered unit (the template engine passes it through),
// fail at `systemctl --user enable` with that error, and a reinstall must get past the
// stale unit.
func TestLibraryWritesOurUnit(t *testing.T) {
	if ok, why := userSystemd(); ok || !strings.Contains(why, "bus") {
		t.Skipf("systemctl --user works or is missing here (%s); TestInstallForReal covers a working one", why)
	}
	var systemd service.System
	for _, s := range service.AvailableSystems() {
		if s.String() == "linux-systemd" {
			systemd = s
		}
	}
	saved := service.AvailableSystems()
	service.ChooseSystem(forcedSystem{systemd})
	t.Cleanup(func() { service.ChooseSystem(saved...) })

	t.Setenv("HOME", t.TempDir())
	spec := testSpec()
	m, err := NewManager(spec)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Install()
	if err == nil || !strings.Contains(err.Error(), "install the service") {
		t.Fatalf("install without a user bus: %v", err)
	}
	unit, _ := UnitPath()
	got, rerr := os.ReadFile(unit)
	want, _ := SystemdUnit(spec)
	if rerr != nil || string(got) != want {
		t.Fatalf("the library wrote %s (%v):\n%s\nwant:\n%s", unit, rerr, got, want)
	}
	if st := m.State(); !st.Installed || st.Running {
		t.Errorf("state with the unit written: %+v", st)
	}
	// Reinstall: the stale unit cannot be disabled cleanly (no bus) but must not block.
	if err := m.Install(); err == nil || strings.Contains(err.Error(), "remove the old service") || strings.Contains(err.Error(), "already exists") {
		t.Errorf("reinstall over a stale unit: %v", err)
	}
	if got, _ := os.ReadFile(unit); string(got) != want {
		t.Errorf("unit after reinstall:\n%s", got)
	}
	// Uninstall removes it, even though the manager cannot be reloaded.
	if err := m.Uninstall(); err != nil {
		t.Errorf("uninstall: %v", err)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("unit still there after uninstall: %v", err)
	}
	if err := m.Uninstall(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("second uninstall: %v", err)
	}
}
