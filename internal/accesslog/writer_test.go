package accesslog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample() *Record {
	return &Record{
		Time: time.Date(2026, 12, 4, 17, 0, 0, 123456789, time.UTC), ClientIP: "192.0.2.7", ClientPort: "51000",
		Method: "GET", URI: "/api/orders?id=7&q=a b", Proto: "HTTP/2.0", Host: "orders.internal", OrigHost: "shop.example",
		UserAgent: `curl/8.5 "quoted" \ <b>`, Status: 200, Received: 12, Sent: 1024, TimeTaken: 1234567 * time.Microsecond,
		SSLProtocol: "TLSv1_3", SSLCipher: "TLS_AES_128_GCM_SHA256", Listener: "https", Rule: "api", Pool: "orders",
		Setting: "orders-tls", Member: "10.0.0.4:8443", ServerStatus: 200, ServerLatency: 800 * time.Microsecond,
		BackendSSLProtocol: "TLSv1_3", BackendSSLCipher: "TLS_AES_256_GCM_SHA384", BackendSSLResumed: true,
		RequestID: "0123456789abcdef0123456789abcdef", Reason: "", Error: "",
	}
}

// syncBuffer is a bytes.Buffer safe for the writer's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestJSONRecord(t *testing.T) {
	var out syncBuffer
	w := New(&out, Options{Format: JSON})
	r := sample()
	r.Reason, r.Error, r.UserAgent = "untrusted-root", "backendtls: \"x\"\n\x01bad\xffutf8", "a\tb"
	w.Log(r)
	require.NoError(t, w.Close())
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.String()), &got), out.String())
	assert.Equal(t, "2026-12-04T17:00:00.123Z", got["time"])
	assert.Equal(t, "192.0.2.7", got["clientIP"])
	assert.Equal(t, "/api/orders?id=7&q=a b", got["requestUri"])
	assert.Equal(t, "a\tb", got["userAgent"])
	assert.Equal(t, 200.0, got["httpStatus"])
	assert.Equal(t, 1.234567, got["timeTaken"])
	assert.Equal(t, 0.0008, got["serverResponseLatency"])
	assert.Equal(t, true, got["sslEnabled"])
	assert.Equal(t, true, got["backendSslResumed"])
	assert.Equal(t, "10.0.0.4:8443", got["serverRouted"])
	assert.Equal(t, "untrusted-root", got["error_info"])
	assert.Equal(t, "backendtls: \"x\"\n\x01bad\ufffdutf8", got["error"])
	assert.True(t, strings.HasSuffix(out.String(), "}\n"))
	assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one line")
}

func TestTextRecord(t *testing.T) {
	var out syncBuffer
	w := New(&out, Options{})
	w.Log(sample())
	plain := sample()
	plain.SSLProtocol, plain.Pool, plain.BackendSSLProtocol, plain.Status = "", "", "", 404
	plain.Reason = "no-listener"
	w.Log(plain)
	require.NoError(t, w.Close())
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 2)
	// Records written within one flush come in shard order, not
	// necessarily in the order they were logged.
	if strings.Contains(lines[0], "httpStatus=404") {
		lines[0], lines[1] = lines[1], lines[0]
	}
	assert.Equal(t, `time=2026-12-04T17:00:00.123Z clientIP=192.0.2.7 clientPort=51000 httpMethod=GET requestUri="/api/orders?id=7&q=a b" httpVersion=HTTP/2.0 host=orders.internal originalHost=shop.example userAgent="curl/8.5 \"quoted\" \\ <b>" httpStatus=200 receivedBytes=12 sentBytes=1024 timeTaken=1.234567 sslProtocol=TLSv1_3 sslCipher=TLS_AES_128_GCM_SHA256 sslResumed=false listenerName=https ruleName=api backendPoolName=orders backendSettingName=orders-tls serverRouted=10.0.0.4:8443 serverStatus=200 serverResponseLatency=0.000800 backendSslProtocol=TLSv1_3 backendSslCipher=TLS_AES_256_GCM_SHA384 backendSslResumed=true transactionId=0123456789abcdef0123456789abcdef`, lines[0])
	assert.Contains(t, lines[1], "httpStatus=404")
	assert.Contains(t, lines[1], "error_info=no-listener")
	assert.NotContains(t, lines[1], "backendPoolName")
}

// blockingWriter takes nothing until released.
type blockingWriter struct {
	release chan struct{}
	syncBuffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	return b.syncBuffer.Write(p)
}

// TestSlowSinkDropsAndCounts: a sink that takes nothing never blocks a
// request; what does not fit MaxPending is dropped and counted, and the
// rest is written once the sink moves again.
func TestSlowSinkDropsAndCounts(t *testing.T) {
	sink := &blockingWriter{release: make(chan struct{})}
	var logs syncBuffer
	w := New(sink, Options{FlushInterval: 10 * time.Millisecond, BatchSize: 1 << 10, MaxPending: 8 << 10,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	start := time.Now()
	for i := 0; i < 1000; i++ {
		w.Log(sample())
	}
	assert.Less(t, time.Since(start), 2*time.Second, "logging waited for the sink")
	st := w.Stats()
	assert.Greater(t, st.Dropped, uint64(900), "most records could not be kept")
	close(sink.release)
	require.NoError(t, w.Close())
	st = w.Stats()
	assert.Equal(t, uint64(1000), st.Written+st.Dropped, "every record written or counted")
	assert.Equal(t, int(st.Written), strings.Count(sink.String(), "\n"))
	assert.Contains(t, logs.String(), "access log records dropped")
}

// TestFlushes: a record is written within the flush interval, a full batch
// at once, and what is queued on Close.
func TestFlushes(t *testing.T) {
	var out syncBuffer
	w := New(&out, Options{FlushInterval: 50 * time.Millisecond, BatchSize: 4 << 10})
	defer w.Close()
	w.Log(sample())
	deadline := time.Now().Add(2 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.NotEmpty(t, out.String(), "not flushed within the interval")

	var big syncBuffer
	wb := New(&big, Options{FlushInterval: time.Hour, BatchSize: 2 << 10})
	for i := 0; i < 10; i++ {
		wb.Log(sample())
	}
	deadline = time.Now().Add(2 * time.Second)
	for big.String() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	assert.NotEmpty(t, big.String(), "a full batch waited for the interval")
	wb.Log(sample())
	require.NoError(t, wb.Close())
	assert.Equal(t, 11, strings.Count(big.String(), "\n"), "Close writes what is queued")
	wb.Log(sample())
	assert.Equal(t, uint64(1), wb.Stats().Dropped, "a record after Close is counted")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorCounted(t *testing.T) {
	var logs syncBuffer
	w := New(failingWriter{}, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	w.Log(sample())
	w.Log(sample())
	err := w.Close()
	require.EqualError(t, err, "disk full")
	assert.Equal(t, Stats{Dropped: 2}, w.Stats())
	assert.Contains(t, logs.String(), "writing the access log failed")
}

// TestTextLinesParse: every text line reads back as key=value pairs.
func TestTextLinesParse(t *testing.T) {
	var out syncBuffer
	w := New(&out, Options{})
	r := sample()
	r.Error = `a "b" = c`
	w.Log(r)
	require.NoError(t, w.Close())
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		kv := parseLogfmt(t, sc.Text())
		assert.Equal(t, `a "b" = c`, kv["error"])
		assert.Equal(t, `curl/8.5 "quoted" \ <b>`, kv["userAgent"])
	}
}

// parseLogfmt reads key=value pairs with quoted values.
func parseLogfmt(t *testing.T, line string) map[string]string {
	kv := map[string]string{}
	for line != "" {
		k, rest, ok := strings.Cut(line, "=")
		require.True(t, ok, line)
		var v string
		if strings.HasPrefix(rest, `"`) {
			dec := json.NewDecoder(strings.NewReader(rest))
			require.NoError(t, dec.Decode(&v))
			rest = rest[dec.InputOffset():]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
			rest = " " + rest
		}
		kv[k] = v
		line = strings.TrimPrefix(rest, " ")
	}
	return kv
}

func BenchmarkLog(b *testing.B) {
	for _, f := range []struct {
		name   string
		format Format
	}{{"text", Text}, {"json", JSON}} {
		b.Run(f.name, func(b *testing.B) {
			w := New(io.Discard, Options{Format: f.format, Log: slog.New(slog.DiscardHandler)})
			defer w.Close()
			r := sample()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w.Log(r)
				}
			})
		})
	}
}
