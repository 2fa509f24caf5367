package certsource

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// File is one watched file's name and contents, as a parse function of
// [Watch] receives them.
type File struct {
	Name string
	Data []byte
}

// Options configures a [Watcher]. Every field is optional.
type Options struct {
	// Interval is how often the files are polled. Zero means 5 seconds. A
	// negative Interval starts no goroutine: the files are read only when
	// Poll is called (on SIGHUP, say).
	Interval time.Duration

	// OnError is called with every bad new version of the files, once it
	// has stayed unchanged for one poll (see [Watcher.Poll]), from the
	// goroutine that polls. The old value stays in force. If nil, errors
	// are only counted (Stats).
	OnError func(error)

	// OnReload is called after each new value has been taken, from the
	// goroutine that polls. If nil, nothing is called; waiting on the
	// channel of Current works either way.
	OnReload func()
}

const defaultInterval = 5 * time.Second

// racyWindow: a file modified this close to when it was last read may have
// changed again without its size or modification time showing it (coarse
// timestamps), so it is read again until it is older.
const racyWindow = 2 * time.Second

// Stats counts what a Watcher did.
type Stats struct {
	// Reloads counts the new values taken since the first.
	Reloads uint64
	// Failures counts the bad new versions reported (kept out).
	Failures uint64
	// LastError is the last failure reported, nil if none, or if the files
	// have been good again since.
	LastError error
	// LastReload is when the current value was taken.
	LastReload time.Time
}

// Watcher is a [Source] read from files: it polls them (stat, and the
// SHA-256 of their contents when the stat changed or is recent), parses
// them together when any changed, and swaps the value in only if the parse
// succeeds. Polling, rather than file-system notifications, survives
// Kubernetes' mounted-volume updates, which replace a symbolic link to a
// directory, and editors that write a new file and rename it: the stat of
// the path, followed through links, changes either way.
//
// Files written in several steps (a certificate, then its key) may be
// caught half-written. A version that does not parse is not reported at
// once: it is read again at the next poll and reported (OnError, Stats)
// only if it is still the same and still bad, so that a writer has one
// interval to finish. The old value stays in force meanwhile and after.
type Watcher[T any] struct {
	files []string
	parse func([]File) (T, error)
	opts  Options

	pollMu sync.Mutex // serializes polls
	seen   []fileState
	// pending is the digest of a bad version seen once and not yet
	// reported; reported is the digest of the last bad version reported.
	pending, reported digest
	hasPending        bool

	mu      sync.Mutex
	value   T
	changed chan struct{}
	failed  chan struct{} // closed at the next failure reported
	sums    []digest
	stats   Stats

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type digest [sha256.Size]byte

type fileState struct {
	info     os.FileInfo
	readTime time.Time
}

// Watch reads files, parses them with parse (which receives them in
// order) and returns a Watcher whose value is the result; it then polls
// them every opts.Interval until Close. It fails if the files cannot be
// read or parsed now. files must not be empty.
func Watch[T any](parse func([]File) (T, error), opts Options, files ...string) (*Watcher[T], error) {
	if len(files) == 0 {
		return nil, errors.New("certsource: no file to watch")
	}
	if parse == nil {
		return nil, errors.New("certsource: nil parse function")
	}
	w := &Watcher[T]{
		files: append([]string(nil), files...), parse: parse, opts: opts,
		seen: make([]fileState, len(files)), changed: make(chan struct{}), failed: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	contents, sums, err := w.readAll()
	if err != nil {
		return nil, err
	}
	v, err := parse(contents)
	if err != nil {
		return nil, fmt.Errorf("certsource: loading %s: %w", w.names(), err)
	}
	w.value, w.sums, w.stats.LastReload = v, sums, time.Now()
	interval := opts.Interval
	if interval == 0 {
		interval = defaultInterval
	}
	if interval < 0 {
		close(w.done)
		return w, nil
	}
	go w.loop(interval)
	return w, nil
}

func (w *Watcher[T]) loop(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_, _ = w.Poll() // reported through OnError and Stats
		}
	}
}

// Current returns the current value and a channel closed when a newer one
// replaces it.
func (w *Watcher[T]) Current() (T, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.value, w.changed
}

// Failures implements [Reporter]: the number of bad versions reported
// (kept out) so far, a channel closed at the next, and the last one's
// error.
func (w *Watcher[T]) Failures() (n uint64, next <-chan struct{}, last error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats.Failures, w.failed, w.stats.LastError
}

// Files returns the names of the watched files.
func (w *Watcher[T]) Files() []string { return append([]string(nil), w.files...) }

// Stats returns the Watcher's counters.
func (w *Watcher[T]) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Poll checks the files now, as the polling goroutine does at each tick,
// and reports whether a new value was taken. It returns the error of a bad
// version when it reports one: a version that fails to parse is reported
// by the second consecutive poll that finds it unchanged (the first only
// notes it, and leaves a writer time to finish), and only once.
func (w *Watcher[T]) Poll() (bool, error) {
	w.pollMu.Lock()
	defer w.pollMu.Unlock()
	if !w.hasPending && !w.statChanged() {
		return false, nil
	}
	contents, sums, readErr := w.readAll()
	w.mu.Lock()
	same := readErr == nil && equalSums(sums, w.sums)
	w.mu.Unlock()
	if same {
		w.hasPending = false
		return false, nil
	}
	var v T
	err := readErr
	if err == nil {
		v, err = w.parse(contents)
		if err != nil {
			err = fmt.Errorf("certsource: reloading %s: %w (the previous version stays in force)", w.names(), err)
		}
	}
	if err != nil {
		d := versionDigest(sums, err)
		switch {
		case !w.hasPending || d != w.pending:
			w.pending, w.hasPending = d, true // give the writer one interval
			return false, nil
		case d == w.reported:
			return false, nil // reported already
		}
		w.reported = d
		w.mu.Lock()
		w.stats.Failures++
		w.stats.LastError = err
		close(w.failed)
		w.failed = make(chan struct{})
		w.mu.Unlock()
		if w.opts.OnError != nil {
			w.opts.OnError(err)
		}
		return false, err
	}
	w.hasPending, w.reported = false, digest{}
	w.mu.Lock()
	w.value, w.sums = v, sums
	close(w.changed)
	w.changed = make(chan struct{})
	w.stats.Reloads++
	w.stats.LastError = nil
	w.stats.LastReload = time.Now()
	w.mu.Unlock()
	if w.opts.OnReload != nil {
		w.opts.OnReload()
	}
	return true, nil
}

// statChanged reports whether any file's stat differs from the last read,
// or was modified so recently before it that its stat cannot be trusted.
func (w *Watcher[T]) statChanged() bool {
	for i, name := range w.files {
		info, err := os.Stat(name)
		prev := w.seen[i]
		if err != nil || prev.info == nil {
			return true
		}
		if !os.SameFile(info, prev.info) || info.Size() != prev.info.Size() || !info.ModTime().Equal(prev.info.ModTime()) ||
			info.Mode() != prev.info.Mode() || !info.ModTime().Before(prev.readTime.Add(-racyWindow)) {
			return true
		}
	}
	return false
}

// readAll reads every file, recording its stat, and returns the contents
// and their digests.
func (w *Watcher[T]) readAll() ([]File, []digest, error) {
	contents := make([]File, len(w.files))
	sums := make([]digest, len(w.files))
	var errs []error
	for i, name := range w.files {
		info, statErr := os.Stat(name)
		now := time.Now()
		data, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("certsource: %w", err))
			w.seen[i] = fileState{}
			continue
		}
		if statErr == nil {
			w.seen[i] = fileState{info: info, readTime: now}
		}
		contents[i] = File{Name: name, Data: data}
		sums[i] = sha256.Sum256(data)
	}
	return contents, sums, errors.Join(errs...)
}

func equalSums(a, b []digest) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// versionDigest identifies a bad version by its contents and its error
// (a missing file has no contents).
func versionDigest(sums []digest, err error) digest {
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	h.Write([]byte(err.Error()))
	var d digest
	h.Sum(d[:0])
	return d
}

func (w *Watcher[T]) names() string { return strings.Join(w.files, ", ") }

// Close stops the polling goroutine and waits for it to end. The current
// value stays readable. It is safe to call more than once.
func (w *Watcher[T]) Close() error {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	return nil
}
