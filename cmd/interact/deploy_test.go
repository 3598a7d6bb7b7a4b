package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository, seen from this package.
var repoRoot = filepath.Join("..", "..")

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dockerBuild returns the environment and arguments of the Dockerfile's
// go build command, split as a shell splits them (single quotes only).
func dockerBuild(t *testing.T) (env, args []string) {
	t.Helper()
	for _, line := range strings.Split(readRepoFile(t, "Dockerfile"), "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "RUN ")
		if !ok || !strings.Contains(cmd, "go build") {
			continue
		}
		var words []string
		for _, m := range regexp.MustCompile(`'([^']*)'|(\S+)`).FindAllStringSubmatch(cmd, -1) {
			words = append(words, m[1]+m[2])
		}
		for len(words) > 0 && strings.Contains(words[0], "=") {
			env, words = append(env, words[0]), words[1:]
		}
		if len(words) < 2 || words[0] != "go" || words[1] != "build" {
			t.Fatalf("the Dockerfile's build line %q is not VAR=… go build …", cmd)
		}
		return env, words[2:]
	}
	t.Fatal("no go build in the Dockerfile")
	return nil, nil
}

// TestStaticBuildAsInDockerfile builds the binary exactly as the Dockerfile
// does (CGO_ENABLED=0, -trimpath, -ldflags '-s -w') and checks that it is
// static, stripped and free of build paths, and that it runs: version, and
// the exit status of a refused command.
func TestStaticBuildAsInDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env, args := dockerBuild(t)
	if !slices.Equal(env, []string{"CGO_ENABLED=0"}) {
		t.Errorf("build environment %q, want CGO_ENABLED=0", env)
	}
	i := slices.Index(args, "-ldflags")
	if !slices.Contains(args, "-trimpath") || i < 0 || i+1 >= len(args) || args[i+1] != "-s -w" || args[len(args)-1] != "./cmd/interact" {
		t.Errorf("build arguments %q, want -trimpath -ldflags '-s -w' … ./cmd/interact", args)
	}
	bin := filepath.Join(t.TempDir(), "interact")
	if o := slices.Index(args, "-o"); o >= 0 && o+1 < len(args) {
		args[o+1] = bin
	} else {
		t.Fatalf("build arguments %q name no -o", args)
	}
	build := exec.Command("go", append([]string{"build"}, args...)...)
	build.Dir = repoRoot
	// As in the golang image, whose environment sets no GOFLAGS: Go stamps
	// the VCS revision in when it can (a GOFLAGS=-buildvcs=false here would
	// hide what the image gets).
	build.Env = append(os.Environ(), append(env, "GOFLAGS=-buildvcs=auto")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %q: %v\n%s", args, err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (program header %v)", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary has a symbol table (-s did not apply)")
	}
	abs, _ := filepath.Abs(repoRoot)
	if raw, _ := os.ReadFile(bin); bytes.Contains(raw, []byte(abs+string(filepath.Separator))) {
		t.Errorf("the binary holds the build path %s (-trimpath did not apply)", abs)
	}

	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "interact ") {
		t.Fatalf("version: %v %q", err, out)
	}
	t.Logf("%s", out)
	// Go stamps the revision of a checkout whose .git is a directory (not
	// of a git worktree, whose .git is a file).
	if st, err := os.Stat(filepath.Join(repoRoot, ".git")); err != nil || !st.IsDir() {
		t.Log("no .git directory: no revision to compare")
	} else if rev, err := exec.Command("git", "-C", repoRoot, "rev-parse", "HEAD").Output(); err == nil {
		if !strings.Contains(string(out), "revision: "+strings.TrimSpace(string(rev))) {
			t.Errorf("version does not name the checkout's revision %s: %q", rev, out)
		}
	}
	if again, err := exec.Command(bin, "--version").Output(); err != nil || !bytes.Equal(again, out) {
		t.Errorf("--version: %v %q", err, again)
	}

	url, _ := newSQLiteStore(t)
	cmd := exec.Command(bin, "reset-password", "--database-url", url, "nobody@example.com")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), "No user has the e-mail address") {
		t.Errorf("reset-password of an unknown e-mail: %v, stderr %q", err, stderr.String())
	}
	if out, err := exec.Command(bin, "backup", "--database-url", url, filepath.Join(t.TempDir(), "copy.db")).CombinedOutput(); err != nil {
		t.Errorf("backup: %v\n%s", err, out)
	}
}

// envNames are the INTERACT_* variables interact reads: one per serve flag,
// and those without a flag.
func envNames(t *testing.T) map[string]bool {
	t.Helper()
	var usage bytes.Buffer
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &usage); err == nil {
		t.Fatal("-h did not ask for help")
	}
	names := map[string]bool{"INTERACT_ADMIN_PASSWORD": true, "INTERACT_NEW_PASSWORD": true}
	for _, m := range regexp.MustCompile(`(?m)^  -(\S+)`).FindAllStringSubmatch(usage.String(), -1) {
		names["INTERACT_"+strings.ToUpper(strings.ReplaceAll(m[1], "-", "_"))] = true
	}
	if !names["INTERACT_DATABASE_URL"] || !names["INTERACT_TURN_RELAY_PORTS"] {
		t.Fatalf("flags not found in the usage text: %v", names)
	}
	return names
}

// TestDeployFiles checks the container recipe, the compose file and the
// systemd unit as text (no YAML parser is a dependency): the services and
// settings they need are there, and every INTERACT_* variable they set is
// one interact reads.
func TestDeployFiles(t *testing.T) {
	known := envNames(t)
	files := map[string]string{}
	for _, name := range []string{"Dockerfile", "deploy/compose.yaml", "deploy/interact.service", "deploy/env.example"} {
		files[name] = readRepoFile(t, name)
		for _, v := range regexp.MustCompile(`INTERACT_[A-Z_]+`).FindAllString(files[name], -1) {
			if !known[v] {
				t.Errorf("%s sets %s, which interact does not read", name, v)
			}
		}
	}
	contains := func(name string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(files[name], w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}

	goMod := readRepoFile(t, "go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\S+)`).FindStringSubmatch(goMod)
	if goVersion == nil {
		t.Fatal("no go directive in go.mod")
	}
	contains("Dockerfile", "ARG GO_VERSION="+goVersion[1]+"\n", "FROM golang:${GO_VERSION} AS build",
		"FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532:65532", "VOLUME /data", "INTERACT_DATA=/data",
		"EXPOSE 8080/tcp 3478/udp 3478/tcp", `ENTRYPOINT ["/usr/local/bin/interact"]`)
	if regexp.MustCompile(`(?m)^USER (root|0)\b`).MatchString(files["Dockerfile"]) {
		t.Error("the image runs as root")
	}

	// The compose file: its services, each at the start of a line under
	// services:, and the multi-node settings of both interact nodes.
	compose := files["deploy/compose.yaml"]
	services := compose[strings.Index(compose, "\nservices:\n"):]
	for _, s := range []string{"interact-1", "interact-2", "postgres", "nats", "lb"} {
		if !strings.Contains(services, "\n  "+s+":\n") {
			t.Errorf("compose.yaml has no service %s", s)
		}
	}
	contains("deploy/compose.yaml", "INTERACT_DATABASE_URL: postgres://", "@postgres:5432/", "INTERACT_NATS_URL: nats://nats:4222",
		"INTERACT_PUBLIC_URL:", "<<: *interact-env", "image: postgres:", "image: nats:", "health_uri /readyz")
	if n := strings.Count(compose, "<<: *interact\n"); n != 2 {
		t.Errorf("compose.yaml has %d interact nodes, want 2", n)
	}

	contains("deploy/interact.service", "\nUser=interact\n", "\nStateDirectory=interact\n", "\nRestart=on-failure\n",
		"\nEnvironmentFile=/etc/interact/env\n", "\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n",
		"\nReadWritePaths=/var/lib/interact\n", "\nEnvironment=INTERACT_DATA=/var/lib/interact\n", "\nExecStart=/usr/local/bin/interact serve\n")
	if strings.Contains(files["deploy/interact.service"], "\nUser=root") {
		t.Error("the unit runs as root")
	}
}
