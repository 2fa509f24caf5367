package main

import (
	"log/slog"
	"slices"
	"time"

	"github.com/e2etls/e2etls/certsource"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/azurejson"
)

// fileWatch applies the configuration again, as SIGHUP does, whenever the
// document or a file it names (certificates and keys, trusted roots,
// client CA chains, CRLs: azurejson.Document.Files) changes: certificates
// rotated on disk (by cert-manager, a Kubernetes Secret update, certbot)
// take effect without a signal. A version of the files that does not load
// is logged and left out until they change again (certsource waits one
// interval for a writer to finish first); a version that loads but that
// the gateway refuses is logged too; either way the running configuration
// keeps serving. A nil *fileWatch watches nothing.
type fileWatch struct {
	interval time.Duration
	load     func() (*azurejson.Document, error)
	logger   *slog.Logger
	w        *certsource.Watcher[*azurejson.Document]
	next     <-chan struct{}
}

// newFileWatch watches files every interval; nil, and no error, when
// interval is 0.
func newFileWatch(files []string, interval time.Duration, load func() (*azurejson.Document, error), logger *slog.Logger) (*fileWatch, error) {
	if interval <= 0 {
		return nil, nil
	}
	f := &fileWatch{interval: interval, load: load, logger: logger}
	if err := f.watch(files); err != nil {
		return nil, err
	}
	return f, nil
}

// watch starts watching files, in place of what was watched.
func (f *fileWatch) watch(files []string) error {
	w, err := certsource.Watch(func([]certsource.File) (*azurejson.Document, error) { return f.load() },
		certsource.Options{Interval: f.interval, OnError: func(err error) {
			f.logger.Error("appgw: reload refused; the running configuration keeps serving", slog.String("error", err.Error()))
		}}, files...)
	if err != nil {
		return err
	}
	if f.w != nil {
		f.w.Close()
	}
	f.w = w
	_, f.next = w.Current()
	return nil
}

// changed is closed when the files have changed and loaded.
func (f *fileWatch) changed() <-chan struct{} {
	if f == nil {
		return nil
	}
	return f.next
}

// apply updates gw with the configuration the files hold now, and watches
// the files it names if they are not those watched.
func (f *fileWatch) apply(gw *gateway.Gateway, path string, extras func(*gateway.Config)) {
	doc, next := f.w.Current()
	f.next = next
	cfg := doc.Config
	extras(&cfg)
	if err := gw.Update(cfg); err != nil {
		f.logger.Error("appgw: reload refused; the running configuration keeps serving", slog.String("config", path), slog.String("error", err.Error()))
	} else {
		f.logger.Info("appgw: reloaded: a file changed", slog.String("config", path))
	}
	if !slices.Equal(doc.Files, f.w.Files()) {
		if err := f.watch(doc.Files); err != nil {
			f.logger.Error("appgw: watching the files the configuration names", slog.String("error", err.Error()))
		}
	}
}

// close stops watching.
func (f *fileWatch) close() {
	if f != nil {
		f.w.Close()
	}
}
