package accesslog

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Format is the format of the records.
type Format int

const (
	// Text is logfmt: key=value pairs, one record per line.
	Text Format = iota
	// JSON is one JSON object per line.
	JSON
)

// Options tune a Writer. The zero value is what production wants.
type Options struct {
	// Format is Text (the zero value) or JSON.
	Format Format
	// FlushInterval is how often the batch is written. Zero means 1 s.
	FlushInterval time.Duration
	// BatchSize is the batch size that is written at once, without
	// waiting for the interval. Zero means 64 KiB.
	BatchSize int
	// MaxPending bounds the bytes waiting to be written, in the batch and
	// in the write in progress; records beyond are dropped and counted.
	// Zero means 4 MiB.
	MaxPending int
	// Log receives write errors and the periodic warning about dropped
	// records. Nil means slog.Default().
	Log *slog.Logger
}

// Stats counts a Writer's records.
type Stats struct {
	Written uint64 // records handed to the sink
	Dropped uint64 // records dropped because the sink did not keep up (or failed)
}

// Writer is an asynchronous access log. It is safe for concurrent use.
//
// Records are appended to one of several batches, each behind a lock of
// its own and picked at random, so that requests served on many cores at
// once do not queue for one lock; the order of records in the file is
// therefore only roughly the order of requests (each has its time).
type Writer struct {
	out  io.Writer
	opts Options

	shards  []shard
	pending atomic.Int64 // bytes in the batches and in the write in progress
	closed  atomic.Bool

	kick chan struct{} // a full batch waits
	done chan struct{} // closed by Close
	once sync.Once
	wg   sync.WaitGroup

	written, dropped atomic.Uint64
	reported         uint64 // dropped count at the last warning (flusher only)
	lastErr          error  // the last write error (flusher only, read after Close)
}

// shard is one batch of records.
type shard struct {
	mu      sync.Mutex
	batch   []byte
	records int
	_       [32]byte // the next shard on another cache line
}

// New returns a Writer to out and starts its goroutine; Close stops it.
func New(out io.Writer, opts Options) *Writer {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64 << 10
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 4 << 20
	}
	if opts.MaxPending < opts.BatchSize {
		opts.MaxPending = opts.BatchSize
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < 64 {
		n *= 2
	}
	w := &Writer{out: out, opts: opts, kick: make(chan struct{}, 1), done: make(chan struct{}), shards: make([]shard, n)}
	w.wg.Add(1)
	go w.run()
	return w
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Log formats r and queues it. It never blocks on the sink: a record that
// finds MaxPending bytes waiting is dropped and counted.
func (w *Writer) Log(r *Record) {
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	if w.opts.Format == JSON {
		b = r.appendJSON(b)
	} else {
		b = r.appendText(b)
	}
	switch {
	case w.closed.Load():
		w.dropped.Add(1)
	case w.pending.Add(int64(len(b))) > int64(w.opts.MaxPending):
		w.pending.Add(-int64(len(b)))
		w.dropped.Add(1)
	default:
		sh := &w.shards[0]
		if len(w.shards) > 1 {
			sh = &w.shards[rand.Uint32()&uint32(len(w.shards)-1)]
		}
		sh.mu.Lock()
		sh.batch = append(sh.batch, b...)
		sh.records++
		sh.mu.Unlock()
		if w.pending.Load() >= int64(w.opts.BatchSize) {
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
	if cap(b) <= 4<<10 {
		*bp = b
		bufPool.Put(bp)
	}
}

// Stats returns the Writer's counts.
func (w *Writer) Stats() Stats {
	return Stats{Written: w.written.Load(), Dropped: w.dropped.Load()}
}

// Close writes what is queued and stops the Writer; later records are
// dropped. It returns the last write error, if any.
func (w *Writer) Close() error {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.done)
		w.wg.Wait()
	})
	return w.lastErr
}

func (w *Writer) run() {
	defer w.wg.Done()
	tick := time.NewTicker(w.opts.FlushInterval)
	defer tick.Stop()
	warn := time.NewTicker(time.Minute)
	defer warn.Stop()
	spare := make([]byte, 0, w.opts.BatchSize)
	for {
		select {
		case <-tick.C:
		case <-w.kick:
		case <-warn.C:
			w.warnDropped()
			continue
		case <-w.done:
			w.flush(spare)
			w.warnDropped()
			return
		}
		spare = w.flush(spare)
	}
}

// flush writes every shard's batch, swapping in spare as the next one; it
// returns the buffer to use as the next spare.
func (w *Writer) flush(spare []byte) []byte {
	for i := range w.shards {
		sh := &w.shards[i]
		sh.mu.Lock()
		b, n := sh.batch, sh.records
		sh.batch, sh.records = spare[:0], 0
		sh.mu.Unlock()
		if len(b) > 0 {
			if _, err := w.out.Write(b); err != nil {
				w.lastErr = err
				w.dropped.Add(uint64(n))
				w.opts.Log.LogAttrs(context.Background(), slog.LevelError, "gateway: writing the access log failed",
					slog.Int("records", n), slog.String("error", err.Error()))
			} else {
				w.written.Add(uint64(n))
			}
			w.pending.Add(-int64(len(b)))
		}
		if cap(b) > 4*w.opts.BatchSize {
			b = make([]byte, 0, w.opts.BatchSize) // do not keep a burst's buffer
		}
		spare = b
	}
	return spare
}

func (w *Writer) warnDropped() {
	d := w.dropped.Load()
	if d == w.reported {
		return
	}
	w.opts.Log.LogAttrs(context.Background(), slog.LevelWarn, "gateway: access log records dropped: the sink does not keep up",
		slog.Uint64("dropped", d-w.reported), slog.Uint64("dropped_total", d))
	w.reported = d
}
