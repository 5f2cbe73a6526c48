package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// appDir is install.ps1's %LOCALAPPDATA%\mcp-gateway-agent.
func appDir() string {
	if d := os.Getenv("LOCALAPPDATA"); d != "" {
		return filepath.Join(d, "mcp-gateway-agent")
	}
	return ""
}

func platformBinDirs() []string {
	if d := appDir(); d != "" {
		return []string{filepath.Join(d, "bin")}
	}
	return nil
}

func platformDataDirs() []string {
	if d := appDir(); d != "" {
		return []string{d}
	}
	return nil
}

const userPathDesc = `your user PATH (HKCU\Environment)`

// userPath reads the user's PATH raw: REG_EXPAND_SZ entries stay unexpanded.
func userPath() (registry.Key, string, uint32, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, "Environment", registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return 0, "", 0, fmt.Errorf("open HKCU\\Environment: %w", err)
	}
	v, typ, err := k.GetStringValue("Path")
	if errors.Is(err, registry.ErrNotExist) {
		return k, "", registry.EXPAND_SZ, nil
	}
	if err != nil {
		k.Close()
		return 0, "", 0, fmt.Errorf("read the user PATH: %w", err)
	}
	return k, v, typ, nil
}

// ours reports whether a PATH entry is one of the agent's bin directories.
func ours(entry string) bool {
	dirs, _ := binDirs()
	e, _ := registry.ExpandString(entry)
	e = strings.TrimRight(e, `\`)
	for _, d := range dirs {
		if strings.EqualFold(e, strings.TrimRight(d, `\`)) {
			return true
		}
	}
	return false
}

func splitPath(v string) (kept []string, removed int) {
	for _, e := range strings.Split(v, ";") {
		switch {
		case e == "":
		case ours(e):
			removed++
		default:
			kept = append(kept, e)
		}
	}
	return kept, removed
}

func pathEntries() ([]string, error) {
	k, v, _, err := userPath()
	if err != nil {
		return nil, err
	}
	defer k.Close()
	if _, removed := splitPath(v); removed > 0 {
		return []string{userPathDesc}, nil
	}
	return nil, nil
}

func removePathEntries(w io.Writer) error {
	k, v, typ, err := userPath()
	if err != nil {
		return err
	}
	defer k.Close()
	kept, removed := splitPath(v)
	if removed == 0 {
		return nil
	}
	nv := strings.Join(kept, ";")
	if typ == registry.SZ {
		err = k.SetStringValue("Path", nv)
	} else {
		err = k.SetExpandStringValue("Path", nv)
	}
	if err != nil {
		return fmt.Errorf("write the user PATH: %w", err)
	}
	broadcastEnvChange()
	fmt.Fprintf(w, "Removed the agent's bin directory from %s\n", userPathDesc)
	return nil
}

// broadcastEnvChange tells Explorer that the environment changed, so new shells see the PATH.
func broadcastEnvChange() {
	env, _ := syscall.UTF16PtrFromString("Environment")
	proc := windows.NewLazySystemDLL("user32.dll").NewProc("SendMessageTimeoutW")
	const hwndBroadcast, wmSettingChange, smtoAbortIfHung = 0xffff, 0x001A, 0x0002
	var result uintptr
	_, _, _ = proc.Call(hwndBroadcast, wmSettingChange, 0, uintptr(unsafe.Pointer(env)), smtoAbortIfHung, 5000, uintptr(unsafe.Pointer(&result)))
}

// removeEntry removes path; the running binary cannot be deleted on Windows but can be
// renamed, so it is moved to the temporary directory first.
func removeEntry(path string) error {
	if exe, err := os.Executable(); err == nil && strings.EqualFold(filepath.Clean(exe), filepath.Clean(path)) {
		dst := filepath.Join(os.TempDir(), fmt.Sprintf("mcp-gateway-agent-uninstalled-%d.exe", os.Getpid()))
		if err := os.Rename(path, dst); err != nil {
			return fmt.Errorf("move the running binary %s out of the way: %w", path, err)
		}
		return nil
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
