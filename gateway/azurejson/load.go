package azurejson

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/e2etls/e2etls/gateway"
)

// maxFileSize bounds a certificate or key file. Azure's own limit is 16 KB;
// anything beyond a megabyte is the wrong file.
const maxFileSize = 1 << 20

// Load reads the configuration file at path and converts it into a
// [gateway.Config]. Certificate and key files named in it are read relative
// to the directory of path unless they are absolute.
//
// Every problem of the file is reported at once, as an errors.Join of
// [*Error] values in file order. Problems of the configuration as a whole,
// such as a rule that names a pool that does not exist, are left to
// [gateway.New], which reports them all at once in the same way.
func Load(path string) (gateway.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return gateway.Config{}, fmt.Errorf("azurejson: %w", err)
	}
	return Parse(data, filepath.Dir(path))
}

// Parse converts the configuration file data into a [gateway.Config], like
// [Load]. Relative file names in data are relative to baseDir; an empty
// baseDir means the current directory.
func Parse(data []byte, baseDir string) (gateway.Config, error) {
	return parseWith(data, func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(baseDir, name)
		}
		return readFile(name)
	})
}

// parseWith is Parse with the files read by readFile, which receives each
// file name as written in data.
func parseWith(data []byte, readFile func(name string) ([]byte, error)) (gateway.Config, error) {
	root, err := parse(data)
	if err != nil {
		return gateway.Config{}, err
	}
	d := &decoder{data: data, readFile: readFile}
	cfg := d.config(root)
	if err := d.err(); err != nil {
		return gateway.Config{}, err
	}
	return cfg, nil
}

// readFile reads the file at name, of at most maxFileSize bytes.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxFileSize)
	}
	return data, nil
}

// file reads the file named by member key. A problem is reported with the
// file name as written, and ok is false.
func (o *object) file(key string) (data []byte, ok bool) {
	v := o.get(key)
	switch {
	case v == nil:
		o.failf(key, "missing")
		return nil, false
	case v.kind != kindString:
		o.failf(key, "want a file name, got %s", describe(v))
		return nil, false
	case v.text == "":
		o.failf(key, "empty file name")
		return nil, false
	}
	data, err := o.d.readFile(v.text)
	if err != nil {
		o.fileFail(key, err)
		return nil, false
	}
	return data, true
}

// fileFail records err as a problem with the certificate that member key
// (certFile, keyFile or data) gives, naming the file when there is one.
func (o *object) fileFail(key string, err error) {
	v := o.get(key)
	seg := key
	if key != "data" {
		seg += " " + quote(v.text)
	}
	o.d.fail(v.off, join(o.path, seg), err)
}
