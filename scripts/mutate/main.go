// Command mutate is `make mutate`: mutation testing of the packages given
// (gremlins paths such as ./auth, which takes in ./auth/...), with
// `go tool gremlins unleash` on each. It prints every mutant that lived, was
// not covered or timed out, then per path the counts, the test efficacy
// (killed of killed + lived) and the mutator coverage (killed + lived of
// killed + lived + not covered), and exits 1 when a path is under
// -efficacy or -mcover. gremlins' full output goes to -logs.
//
// gremlins (v0.5.0, and v0.6.0 still) takes a mutant as covered only when
// its position lies in a block of the coverage profile, and Go's cover tool
// gives no block to the expressions of a case clause nor to package-level
// const and var declarations (go-gremlins/gremlins#298). In this codebase,
// whose checks are mostly tagless switches, that would leave a third of the
// conditions "not covered" however well tested. So this program also stands
// in as `go` on gremlins' PATH: it runs the real go and, after gremlins'
// coverage run, adds to the profile the case expressions that ran and the
// declarations of the packages whose tests ran (see addUnmappedBlocks), so
// that gremlins mutates and tests them like any other line.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// envRealGo names, for the stand-in `go`, the go it runs; envExclude the
// -exclude pattern; envMinBase the -base duration.
const (
	envRealGo  = "MUTATE_REAL_GO"
	envExclude = "MUTATE_EXCLUDE"
	envMinBase = "MUTATE_MIN_BASE"
)

func main() {
	if filepath.Base(os.Args[0]) == "go" {
		os.Exit(standInGo(os.Args[1:]))
	}
	minEfficacy := flag.Float64("efficacy", 99, "fail a path whose test efficacy (%) is below this")
	minCoverage := flag.Float64("mcover", 95, "fail a path whose mutator coverage (%) is below this")
	logs := flag.String("logs", "testdata-out", "directory for gremlins' full output, one log per path")
	goCmd := flag.String("go", "go", "the go command that gremlins runs (through the stand-in)")
	exclude := flag.String("exclude", "", "a regexp of module-relative file paths whose mutants are neither run nor counted")
	minBase := flag.Duration("base", 10*time.Second, "the least time the coverage run may take: gremlins times mutants out at a multiple of it")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/mutate [-efficacy 99] [-mcover 95] [-logs dir] [-go go] [-exclude regexp] path...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	excluded, err := regexp.Compile(*exclude)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate: -exclude:", err)
		os.Exit(2)
	}
	if *exclude == "" {
		excluded = nil
	}
	os.Setenv(envMinBase, minBase.String())
	if err := run(*goCmd, flag.Args(), *minEfficacy, *minCoverage, *logs, excluded); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func run(goCmd string, paths []string, minEfficacy, minCoverage float64, logs string, exclude *regexp.Regexp) error {
	realGo, err := exec.LookPath(goCmd)
	if err != nil {
		return err
	}
	if realGo, err = filepath.Abs(realGo); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bin, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	if err := os.Symlink(self, filepath.Join(bin, "go")); err != nil {
		return err
	}
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), envRealGo+"="+realGo)
	if exclude != nil {
		env = append(env, envExclude+"="+exclude.String())
	}
	// gremlins is run by its path, as `go tool -n` names it: run by
	// `go tool`, it would find the real go first on a PATH that go prefixes
	// with GOROOT/bin.
	out, err := exec.Command(realGo, "tool", "-n", "gremlins").Output()
	if err != nil {
		return fmt.Errorf("go tool -n gremlins: %v", err)
	}
	gremlins := strings.TrimSpace(string(out))

	var results []result
	for _, path := range paths {
		r, err := unleash(gremlins, env, bin, logs, path, exclude)
		if err != nil {
			return err
		}
		results = append(results, r)
	}

	fmt.Printf("\n%-20s %7s %5s %11s %9s %10s %8s %9s %9s %8s\n", "path", "killed", "lived", "not covered", "timed out", "not viable", "excluded", "efficacy", "coverage", "time")
	var failed []string
	for _, r := range results {
		fmt.Printf("%-20s %7d %5d %11d %9d %10d %8d %8.2f%% %8.2f%% %7.0fs\n", r.path, r.killed, r.lived, r.notCovered, r.timedOut, r.notViable, r.excluded, r.efficacy(), r.coverage(), r.wall.Seconds())
		if r.efficacy() < minEfficacy || r.coverage() < minCoverage {
			failed = append(failed, r.path)
		}
	}
	if failed != nil {
		return fmt.Errorf("%s under the thresholds (efficacy %.0f%%, mutator coverage %.0f%%)", strings.Join(failed, ", "), minEfficacy, minCoverage)
	}
	fmt.Printf("mutate: every path at efficacy >= %.0f%% and mutator coverage >= %.0f%%\n", minEfficacy, minCoverage)
	return nil
}

// result is one path's outcome, counted from gremlins' JSON report.
type result struct {
	path                                           string
	killed, lived, notCovered, timedOut, notViable int
	excluded                                       int // in files -exclude matches
	wall                                           time.Duration
}

func (r result) efficacy() float64 { return percent(r.killed, r.killed+r.lived) }
func (r result) coverage() float64 {
	return percent(r.killed+r.lived, r.killed+r.lived+r.notCovered)
}

// percent is 100·n/d, and 0 for no mutant at all, so that an empty run fails.
func percent(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// report is the part of gremlins' -o file read here. Its totals leave out
// the timed-out mutants, so everything is counted from the mutations.
type report struct {
	Files []struct {
		FileName  string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

func unleash(gremlins string, env []string, tmp, logs, path string, exclude *regexp.Regexp) (result, error) {
	name := strings.Trim(strings.ReplaceAll(filepath.Clean(path), string(filepath.Separator), "-"), ".-")
	out := filepath.Join(tmp, name+".json")
	logPath := filepath.Join(logs, "mutate-"+name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return result{}, err
	}
	defer log.Close()

	fmt.Printf("gremlins unleash %s  (log: %s)\n", path, logPath)
	cmd := exec.Command(gremlins, "unleash", "--output", out, path)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	err = cmd.Run()
	r := result{path: path, wall: time.Since(start)}
	if err != nil {
		return r, fmt.Errorf("gremlins on %s: %v (see %s)", path, err, logPath)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return r, fmt.Errorf("gremlins on %s wrote no report: %v (see %s)", path, err, logPath)
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return r, fmt.Errorf("gremlins' report on %s: %v", path, err)
	}
	var notable []string
	for _, f := range rep.Files {
		if exclude != nil && exclude.MatchString(filepath.ToSlash(filepath.Join(path, f.FileName))) {
			r.excluded += len(f.Mutations)
			continue
		}
		for _, m := range f.Mutations {
			switch m.Status {
			case "KILLED":
				r.killed++
			case "LIVED":
				r.lived++
			case "NOT COVERED":
				r.notCovered++
			case "TIMED OUT":
				r.timedOut++
			case "NOT VIABLE":
				r.notViable++
			}
			if m.Status == "LIVED" || m.Status == "NOT COVERED" || m.Status == "TIMED OUT" {
				notable = append(notable, fmt.Sprintf("  %-11s %-21s %s:%d:%d", m.Status, m.Type, filepath.Join(path, f.FileName), m.Line, m.Column))
			}
		}
	}
	sort.Strings(notable)
	for _, l := range notable {
		fmt.Println(l)
	}
	return r, nil
}

// standInGo runs the real go with args. When they are gremlins' coverage
// run (go test -cover -coverprofile F ...), it completes F. gremlins times
// each mutant's tests out at a multiple of how long this run took, so the
// run skips the test cache and lasts at least MUTATE_MIN_BASE: from the
// build cache it can take a second, while a mutant's run compiles and links
// its package anew, and would time out for no fault of its own.
func standInGo(args []string) int {
	realGo := os.Getenv(envRealGo)
	if realGo == "" {
		fmt.Fprintln(os.Stderr, "mutate: run as go without "+envRealGo)
		return 2
	}
	profile := ""
	for i, a := range args {
		if a == "-coverprofile" && i+1 < len(args) {
			profile = args[i+1]
		} else if v, ok := strings.CutPrefix(a, "-coverprofile="); ok {
			profile = v
		}
	}
	if profile != "" && len(args) > 0 && args[0] == "test" {
		args = append([]string{"test", "-count=1"}, args[1:]...)
	}
	start := time.Now()
	cmd := exec.Command(realGo, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit, ok := errors.AsType[*exec.ExitError](err); ok {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "mutate:", err)
		return 1
	}
	if profile == "" {
		return 0
	}
	if base, err := time.ParseDuration(os.Getenv(envMinBase)); err == nil {
		time.Sleep(base - time.Since(start))
	}
	if err := completeProfile(profile); err != nil {
		fmt.Fprintln(os.Stderr, "mutate: completing the coverage profile:", err)
		return 1
	}
	return 0
}

// completeProfile adds addUnmappedBlocks' blocks to the profile at path,
// reading the sources from the module in the working directory.
func completeProfile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		return err
	}
	module := ""
	for line := range strings.Lines(string(mod)) {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			module = strings.Trim(strings.TrimSpace(m), `"`)
			break
		}
	}
	if module == "" {
		return errors.New("go.mod names no module")
	}
	var exclude *regexp.Regexp
	if e := os.Getenv(envExclude); e != "" {
		if exclude, err = regexp.Compile(e); err != nil {
			return err
		}
	}
	extra, err := addUnmappedBlocks(data, func(name string) ([]byte, error) {
		rel, ok := strings.CutPrefix(name, module+"/")
		if !ok {
			return nil, fmt.Errorf("%s is outside module %s", name, module)
		}
		return os.ReadFile(filepath.FromSlash(rel))
	})
	if err != nil {
		return err
	}
	completed := append(ensureNewline(data), extra...)
	return os.WriteFile(path, dropFiles(completed, module, exclude), 0o644)
}

// ensureNewline ends b with a newline, so that appended lines stay lines.
func ensureNewline(b []byte) []byte {
	if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
		return append(b, '\n')
	}
	return b
}
