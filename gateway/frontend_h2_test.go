package gateway_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
	"github.com/e2etls/e2etls/internal/httpwire"
)

// h2Backend serves the HTTP/2 frontend tests: /big is 1 MiB with a
// Content-Length, /upload answers the size and SHA-256 of the request body
// and passes the request's X-Checksum trailer back as a response trailer,
// /block waits for its gate.
type h2Backend struct {
	big  []byte
	gate *gate
}

func newH2Backend(t *testing.T) *h2Backend {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	return &h2Backend{big: big, gate: newGate(t)}
}

func (b *h2Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/big":
		w.Header().Set("Content-Length", strconv.Itoa(len(b.big)))
		w.Write(b.big)
	case "/upload":
		w.Header().Set("Trailer", "X-Checksum")
		sum := sha256.New()
		n, err := io.Copy(sum, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, strconv.FormatInt(n, 10)+" "+hex.EncodeToString(sum.Sum(nil)))
		w.Header().Set("X-Checksum", r.Trailer.Get("X-Checksum"))
	case "/endless": // 1 GiB, for a client that stops reading
		chunk := make([]byte, 64<<10)
		for i := 0; i < 1<<14 && r.Context().Err() == nil; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "/block":
		b.gate.wait(r.Context())
		io.WriteString(w, "released")
	default:
		io.WriteString(w, "ok")
	}
}

func startH2Gateway(t *testing.T, fe gateway.Frontend, b *h2Backend, edit func(*gateway.Config)) (*gatewaytest.PKI, *gatewaytest.Gateway) {
	t.Helper()
	pki := gatewaytest.NewPKI()
	srv := pki.StartBackend(t, b, "api.internal")
	cfg := basicConfig(pki, "api.internal", srv.Member())
	if edit != nil {
		edit(&cfg)
	}
	return pki, startWith(t, fe, cfg)
}

// dialH2With is dialH2 with the client's SETTINGS.
func dialH2With(t *testing.T, pki *gatewaytest.PKI, port int, settings ...http2.Setting) *h2Conn {
	t.Helper()
	conn := dialTLS(t, pki, port, "shop.example", tls.VersionTLS13, "h2")
	c := &h2Conn{t: t, conn: conn, fr: http2.NewFramer(conn, conn), authority: "shop.example"}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	c.enc = hpack.NewEncoder(&c.buf)
	_, err := io.WriteString(conn, http2.ClientPreface)
	require.NoError(t, err)
	require.NoError(t, c.fr.WriteSettings(settings...))
	return c
}

// h2Frames reads frames until stop returns true or the connection ends,
// answering SETTINGS and PING as a client must.
func (c *h2Conn) frames(stop func(http2.Frame) bool) error {
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				c.fr.WritePing(true, f.Data)
			}
		}
		if stop(f) {
			return nil
		}
	}
}

// TestHTTP2FlowControl: a response waits for the client's windows, its head
// does not; DATA frames respect the client's frame size; a request body
// larger than the gateway's windows arrives whole, as the gateway refunds
// what it forwards.
func TestHTTP2FlowControl(t *testing.T) {
	eachFrontend(t, testHTTP2FlowControl)
}

func testHTTP2FlowControl(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	b := newH2Backend(t)
	pki, gw := startH2Gateway(t, fe, b, nil)

	t.Run("response held by a closed window", func(t *testing.T) {
		c := dialH2With(t, pki, gw.Port("web"), http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
		require.NoError(t, c.send(1, c.block("/big"), true))
		var status string
		require.NoError(t, c.frames(func(f http2.Frame) bool {
			if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamID == 1 {
				status = h.PseudoValue("status")
				return true
			}
			_, isData := f.(*http2.DataFrame)
			require.False(t, isData, "DATA beyond a zero window")
			return false
		}), "the head comes although the window is closed")
		assert.Equal(t, "200", status)

		// Nothing more while the window stays closed.
		c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		for {
			f, err := c.fr.ReadFrame()
			if err != nil {
				require.True(t, isTimeout(err), "%v", err)
				break
			}
			_, isData := f.(*http2.DataFrame)
			require.False(t, isData, "DATA beyond a zero window")
		}

		// Open the windows a piece at a time: the body arrives whole, in
		// frames of at most 16 KiB, never beyond what was granted.
		require.NoError(t, c.fr.WriteWindowUpdate(0, 1<<20))
		var got bytes.Buffer
		granted := 0
		for granted < len(b.big) {
			require.NoError(t, c.fr.WriteWindowUpdate(1, 100<<10))
			granted += 100 << 10
			ended := false
			require.NoError(t, c.frames(func(f http2.Frame) bool {
				d, ok := f.(*http2.DataFrame)
				if !ok {
					return false
				}
				require.LessOrEqual(t, len(d.Data()), 16<<10)
				got.Write(d.Data())
				require.LessOrEqual(t, got.Len(), granted, "DATA beyond the window")
				ended = d.StreamEnded()
				return ended || got.Len() == min(granted, len(b.big))
			}))
			if ended {
				break
			}
		}
		assert.True(t, bytes.Equal(b.big, got.Bytes()), "the body arrived intact")
	})

	t.Run("upload beyond the gateway's windows", func(t *testing.T) {
		upload(t, pki, gw)
	})
}

// upload POSTs 3 MiB with an announced trailer over HTTP/2 and checks
// that the body and the trailer arrive whole, and that the backend's
// trailer comes back.
func upload(t *testing.T, pki *gatewaytest.PKI, gw *gatewaytest.Gateway) {
	t.Helper()
	{
		client := newClient(t, pki)
		body := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
		pr, pw := io.Pipe()
		go func() {
			pw.Write(body)
			pw.Close()
		}()
		req, err := http.NewRequest(http.MethodPost, gw.URL("web", "shop.example")+"/upload", pr)
		require.NoError(t, err)
		req.Trailer = http.Header{"X-Checksum": nil}
		sum := sha256.Sum256(body)
		req.Trailer.Set("X-Checksum", "sent-after-the-body")
		r := do(t, client, req)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, 2, r.resp.ProtoMajor)
		assert.Equal(t, strconv.Itoa(len(body))+" "+hex.EncodeToString(sum[:]), r.body)
		assert.Equal(t, "sent-after-the-body", r.resp.Trailer.Get("X-Checksum"), "trailers pass both ways")
	}
}

// TestHTTP2TrailersToHTTP2Backend: request trailers reach an HTTP/2
// backend, whose transport reads the body in a goroutine of its own while
// the handler holds the request (run with -race).
func TestHTTP2TrailersToHTTP2Backend(t *testing.T) {
	eachFrontend(t, testHTTP2TrailersToHTTP2Backend)
}

func testHTTP2TrailersToHTTP2Backend(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	b := newH2Backend(t)
	pki := gatewaytest.NewPKI()
	srv := tlstest.NewServer(tlstest.ServerOptions{Name: "b", Certificate: pki.Leaf("api.internal").FullChain(),
		NextProtos: []string{"h2"}, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/upload" && r.ProtoMajor != 2 {
				http.Error(w, "want HTTP/2, got "+r.Proto, http.StatusBadRequest)
				return
			}
			b.ServeHTTP(w, r)
		})})
	t.Cleanup(srv.Close)
	cfg := basicConfig(pki, "api.internal", gateway.Member{Address: "127.0.0.1", Port: srv.Port()})
	cfg.BackendHTTPSettings[0].HTTP2 = true
	gw := startWith(t, fe, cfg)
	for i := 0; i < 3; i++ {
		upload(t, pki, gw)
	}

	// Head, body and trailers back to back on many streams: the trailers
	// arrive while the backend's transport starts the request.
	c := dialH2With(t, pki, gw.Port("web"))
	const streams = 100
	for i := 0; i < streams; i++ {
		id := uint32(2*i + 1)
		c.buf.Reset()
		for _, f := range []hpack.HeaderField{
			{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "https"},
			{Name: ":authority", Value: "shop.example"}, {Name: ":path", Value: "/upload"},
			{Name: "trailer", Value: "x-checksum"},
		} {
			c.enc.WriteField(f)
		}
		require.NoError(t, c.send(id, bytes.Clone(c.buf.Bytes()), false))
		require.NoError(t, c.fr.WriteData(id, false, []byte("abc")))
		c.buf.Reset()
		c.enc.WriteField(hpack.HeaderField{Name: "x-checksum", Value: "t" + strconv.Itoa(i)})
		require.NoError(t, c.send(id, bytes.Clone(c.buf.Bytes()), true))
	}
	trailers := map[uint32]string{}
	require.NoError(t, c.frames(func(f http2.Frame) bool {
		if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamEnded() {
			for _, hf := range h.RegularFields() {
				if hf.Name == "x-checksum" {
					trailers[h.StreamID] = hf.Value
				}
			}
		}
		return len(trailers) == streams
	}))
	for i := 0; i < streams; i++ {
		assert.Equal(t, "t"+strconv.Itoa(i), trailers[uint32(2*i+1)], "stream %d's trailer", 2*i+1)
	}
}

// TestHTTP2ExpectContinue: a request with Expect: 100-continue gets 100
// before it sends its body, when the gateway starts forwarding it.
func TestHTTP2ExpectContinue(t *testing.T) {
	eachFrontend(t, testHTTP2ExpectContinue)
}

func testHTTP2ExpectContinue(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	b := newH2Backend(t)
	pki, gw := startH2Gateway(t, fe, b, nil)
	c := dialH2With(t, pki, gw.Port("web"))
	c.buf.Reset()
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "shop.example"}, {Name: ":path", Value: "/upload"},
		{Name: "content-length", Value: "5"}, {Name: "expect", Value: "100-continue"},
	} {
		c.enc.WriteField(f)
	}
	require.NoError(t, c.send(1, bytes.Clone(c.buf.Bytes()), false))
	var first string
	require.NoError(t, c.frames(func(f http2.Frame) bool {
		if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamID == 1 {
			first = h.PseudoValue("status")
			return true
		}
		return false
	}))
	require.Equal(t, "100", first)
	require.NoError(t, c.fr.WriteData(1, true, []byte("hello")))
	var final string
	var body bytes.Buffer
	require.NoError(t, c.frames(func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == 1 && final == "" {
				final = f.PseudoValue("status")
			}
			return f.StreamEnded()
		case *http2.DataFrame:
			body.Write(f.Data())
			return f.StreamEnded()
		}
		return false
	}))
	assert.Equal(t, "200", final)
	sum := sha256.Sum256([]byte("hello"))
	assert.Equal(t, "5 "+hex.EncodeToString(sum[:]), body.String())
}

// TestHTTP2MalformedRequests: requests RFC 9113 calls malformed reset
// their stream with PROTOCOL_ERROR and reach no backend; the connection
// serves the next request. Frames that break the connection's rules end
// it with GOAWAY.
func TestHTTP2MalformedRequests(t *testing.T) {
	eachFrontend(t, testHTTP2MalformedRequests)
}

func testHTTP2MalformedRequests(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	backend := &countingBackend{name: "b"}
	srv := pki.StartBackend(t, backend, "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))

	field := func(name, value string) hpack.HeaderField { return hpack.HeaderField{Name: name, Value: value} }
	// Each answer as "reset" (RST_STREAM PROTOCOL_ERROR) or "status reason"
	// (reason: X-E2etls-Error, none for the server's own answers). An
	// empty netHTTP column means as the own server.
	for _, tt := range []struct {
		name      string
		fields    []hpack.HeaderField // replace the request's
		extra     []hpack.HeaderField // added to a GET of /
		data      []byte              // a body after the head, ending the stream
		priority  bool                // HEADERS with a priority on the stream itself
		want      string
		netHTTP   string
		forwarded bool // net/http passes it on to the backend
	}{
		// net/http answers connection-specific fields with its own 400.
		{name: "connection field", extra: []hpack.HeaderField{field("connection", "keep-alive")}, want: "reset", netHTTP: "400"},
		{name: "transfer-encoding", extra: []hpack.HeaderField{field("transfer-encoding", "chunked")}, want: "reset", netHTTP: "400"},
		{name: "te other than trailers", extra: []hpack.HeaderField{field("te", "gzip")}, want: "reset", netHTTP: "400"},
		{name: "upper-case name", extra: []hpack.HeaderField{field("X-Upper", "1")}, want: "reset"},
		{name: "no :path", fields: []hpack.HeaderField{field(":method", "GET"), field(":scheme", "https"), field(":authority", "shop.example")}, want: "reset"},
		{name: "unknown pseudo field", extra: []hpack.HeaderField{field(":protocol", "websocket")}, want: "reset"},
		// net/http runs the handler at HEADERS and ends the body with an
		// error at END_STREAM, without a reset: the backend gets the head
		// and the 3 bytes, then the connection breaks (its server reads
		// an unexpected EOF); the client gets 502.
		{name: "content-length larger than the body", extra: []hpack.HeaderField{field("content-length", "10")}, data: []byte("abc"),
			want: "reset", netHTTP: "502 backend-unreachable", forwarded: true},
		// net/http ignores a content-length it cannot parse on a stream
		// without a body; the gateway forwards no content-length.
		{name: "content-length not a number", extra: []hpack.HeaderField{field("content-length", "+5")}, want: "reset", netHTTP: "200", forwarded: true},
		{name: "depends on itself", priority: true, want: "reset"},
		// net/http routes by :authority and drops the host field.
		{name: "host differs from :authority", extra: []hpack.HeaderField{field("host", "other.example")}, want: "400 bad-host", netHTTP: "200", forwarded: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, forwarded := tt.want, false
			if fe == gateway.FrontendNetHTTP && tt.netHTTP != "" {
				want, forwarded = tt.netHTTP, tt.forwarded
			}
			before := backend.hits.Load()
			c := dialH2(t, pki, gw.Port("web"))
			var block []byte
			if tt.fields != nil {
				c.buf.Reset()
				for _, f := range tt.fields {
					c.enc.WriteField(f)
				}
				block = bytes.Clone(c.buf.Bytes())
			} else {
				block = c.block("/", tt.extra...)
			}
			if tt.priority {
				require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block,
					EndStream: true, EndHeaders: true, Priority: http2.PriorityParam{StreamDep: 1}}))
			} else {
				require.NoError(t, c.send(1, block, tt.data == nil))
			}
			if tt.data != nil {
				require.NoError(t, c.fr.WriteData(1, true, tt.data))
			}
			o := c.await(1)
			got := strings.TrimSpace(strconv.Itoa(o.status) + " " + o.reason)
			if o.reset && o.rst == http2.ErrCodeProtocol {
				got = "reset"
			}
			assert.Equal(t, want, got, "%+v", o)
			// The connection still serves.
			require.NoError(t, c.send(3, c.block("/next"), true))
			assert.Equal(t, 200, c.await(3).status)
			if forwarded {
				before++
			}
			assert.Equal(t, before+1, backend.hits.Load(), "requests forwarded")
		})
	}

	for _, tt := range []struct {
		name string
		send func(c *h2Conn) error
	}{
		{"HEADERS on an even stream", func(c *h2Conn) error { return c.send(2, c.block("/"), true) }},
		{"DATA on an idle stream", func(c *h2Conn) error { return c.fr.WriteData(7, true, []byte("x")) }},
		{"stream ids going back", func(c *h2Conn) error {
			if err := c.send(5, c.block("/"), true); err != nil {
				return err
			}
			return c.send(3, c.block("/"), true)
		}},
		{"SETTINGS with over 100 entries", func(c *h2Conn) error {
			settings := make([]http2.Setting, 101)
			for i := range settings {
				settings[i] = http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(i)}
			}
			return c.fr.WriteSettings(settings...)
		}},
		{"WINDOW_UPDATE of 0 on the connection", func(c *h2Conn) error {
			c.fr.AllowIllegalWrites = true
			return c.fr.WriteWindowUpdate(0, 0)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialH2(t, pki, gw.Port("web"))
			require.NoError(t, tt.send(c))
			var goAway *http2.GoAwayFrame
			err := c.frames(func(f http2.Frame) bool {
				goAway, _ = f.(*http2.GoAwayFrame)
				return goAway != nil
			})
			require.NoError(t, err, "want GOAWAY")
			assert.Equal(t, http2.ErrCodeProtocol, goAway.ErrCode)
		})
	}
}

// TestHTTP2IdleAndShutdown: an idle HTTP/2 connection gets GOAWAY at the
// idle timeout; Shutdown sends GOAWAY naming the last stream, lets that
// stream finish, then closes the connection.
func TestHTTP2IdleAndShutdown(t *testing.T) {
	eachFrontend(t, testHTTP2IdleAndShutdown)
}

func testHTTP2IdleAndShutdown(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	b := newH2Backend(t)
	pki, gw := startH2Gateway(t, fe, b, func(cfg *gateway.Config) { cfg.IdleTimeout = 500 * time.Millisecond })

	t.Run("idle timeout", func(t *testing.T) {
		c := dialH2With(t, pki, gw.Port("web"))
		require.NoError(t, c.send(1, c.block("/"), true))
		start := time.Now()
		var goAway *http2.GoAwayFrame
		require.NoError(t, c.frames(func(f http2.Frame) bool {
			goAway, _ = f.(*http2.GoAwayFrame)
			return goAway != nil
		}))
		assert.Equal(t, http2.ErrCodeNo, goAway.ErrCode)
		assert.Equal(t, uint32(1), goAway.LastStreamID)
		assert.Less(t, time.Since(start), 5*time.Second)
	})

	t.Run("shutdown", func(t *testing.T) {
		c := dialH2With(t, pki, gw.Port("web"))
		require.NoError(t, c.send(1, c.block("/block"), true))
		// Keep the connection busy past the idle timeout: only Shutdown
		// ends it.
		time.Sleep(100 * time.Millisecond)
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done <- gw.Gateway.Shutdown(ctx)
		}()
		var goAway *http2.GoAwayFrame
		require.NoError(t, c.frames(func(f http2.Frame) bool {
			goAway, _ = f.(*http2.GoAwayFrame)
			return goAway != nil
		}))
		assert.Equal(t, http2.ErrCodeNo, goAway.ErrCode)
		assert.Equal(t, uint32(1), goAway.LastStreamID)
		b.gate.open()
		var body strings.Builder
		require.NoError(t, c.frames(func(f http2.Frame) bool {
			if d, ok := f.(*http2.DataFrame); ok && d.StreamID == 1 {
				body.Write(d.Data())
				return d.StreamEnded()
			}
			return false
		}))
		assert.Equal(t, "released", body.String())
		_, err := c.fr.ReadFrame()
		assert.Error(t, err, "the connection closes after its last stream")
		require.NoError(t, <-done)
	})
}

// TestHTTP2ShutdownWithStalledClient: a client that stops reading while
// its response is written holds only its own connection: Shutdown returns
// when its context ends, and Close ends the stalled write.
func TestHTTP2ShutdownWithStalledClient(t *testing.T) {
	eachFrontend(t, testHTTP2ShutdownWithStalledClient)
}

func testHTTP2ShutdownWithStalledClient(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	b := newH2Backend(t)
	pki, gw := startH2Gateway(t, fe, b, nil)
	c := dialH2With(t, pki, gw.Port("web"), http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
	require.NoError(t, c.fr.WriteWindowUpdate(0, 1<<31-1-65535))
	require.NoError(t, c.send(1, c.block("/endless"), true))
	// Read the head, then nothing: the socket buffers fill and the
	// gateway's write blocks.
	require.NoError(t, c.frames(func(f http2.Frame) bool {
		_, isData := f.(*http2.DataFrame)
		return isData
	}))
	time.Sleep(time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- gw.Gateway.Shutdown(ctx) }()
	select {
	case err := <-shut:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		c.conn.Close() // let the test end
		<-shut
		t.Fatal("Shutdown waited past its context behind the stalled write")
	}
	closed := make(chan struct{})
	go func() {
		gw.Gateway.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked behind the stalled write")
	}
}

// TestHTTP2Settings: both frontends advertise the same HTTP/2 limits: 250
// concurrent streams, a header list of httpwire.ServerHeaderBytes, frames
// of 16 KiB (the default, so not sent), 256 KiB of request body buffered a
// stream and 1 MiB a connection.
func TestHTTP2Settings(t *testing.T) {
	eachFrontend(t, testHTTP2Settings)
}

func testHTTP2Settings(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, gw := startH2Gateway(t, fe, newH2Backend(t), nil)
	c := dialH2With(t, pki, gw.Port("web"))
	settings := map[http2.SettingID]uint32{}
	var connWindow uint32
	gotSettings := false
	require.NoError(t, c.frames(func(f http2.Frame) bool {
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				gotSettings = true
				f.ForeachSetting(func(s http2.Setting) error {
					settings[s.ID] = s.Val
					return nil
				})
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				connWindow = 65535 + f.Increment
			}
		}
		return gotSettings && connWindow != 0
	}))
	assert.Equal(t, uint32(httpwire.MaxConcurrentStreams), settings[http2.SettingMaxConcurrentStreams])
	assert.Equal(t, uint32(httpwire.ServerHeaderBytes), settings[http2.SettingMaxHeaderListSize])
	assert.Equal(t, uint32(256<<10), settings[http2.SettingInitialWindowSize])
	if v, ok := settings[http2.SettingMaxFrameSize]; ok {
		assert.Equal(t, uint32(16<<10), v)
	}
	assert.Equal(t, uint32(1<<20), connWindow)
	// net/http also states HPACK's default table size (4096).
	delete(settings, http2.SettingHeaderTableSize)
	delete(settings, http2.SettingMaxFrameSize)
	assert.Len(t, settings, 3, "%v", settings)
}

// TestHTTP2OverProhibitedSuite: a client that negotiates h2 over TLS 1.2
// with a CBC suite the TLS policy allows (AppGwSslPolicy20220101, the
// default, has ECDHE_ECDSA_WITH_AES_128_CBC_SHA256), one that RFC 9113
// (appendix A) prohibits for HTTP/2: the own server serves it, as the
// policy allows the suite; net/http's ends the connection with GOAWAY
// INADEQUATE_SECURITY (RFC 9113 section 9.2.2 allows either).
func TestHTTP2OverProhibitedSuite(t *testing.T) {
	eachFrontend(t, testHTTP2OverProhibitedSuite)
}

func testHTTP2OverProhibitedSuite(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki, gw := startH2Gateway(t, fe, newH2Backend(t), nil)
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(gw.Port("web"))), &tls.Config{
		ServerName: "shop.example", RootCAs: pki.Pool(), NextProtos: []string{"h2"},
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
	})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.Equal(t, "h2", conn.ConnectionState().NegotiatedProtocol)
	c := &h2Conn{t: t, conn: conn, fr: http2.NewFramer(conn, conn), authority: "shop.example"}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(65536, nil)
	c.enc = hpack.NewEncoder(&c.buf)
	if fe == gateway.FrontendNetHTTP {
		// net/http refuses before it reads the client's preface: the
		// client writes nothing, so that the GOAWAY is not lost to a reset.
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := c.fr.ReadFrame()
		require.NoError(t, err)
		goAway, ok := f.(*http2.GoAwayFrame)
		require.True(t, ok, "want GOAWAY, got %v", f)
		assert.Equal(t, http2.ErrCodeInadequateSecurity, goAway.ErrCode)
		_, err = c.fr.ReadFrame()
		assert.Error(t, err, "the connection ends")
		return
	}
	_, err = io.WriteString(conn, http2.ClientPreface)
	require.NoError(t, err)
	require.NoError(t, c.fr.WriteSettings())
	require.NoError(t, c.send(1, c.block("/"), true))
	o := c.await(1)
	assert.Equal(t, http.StatusOK, o.status, "%+v", o)
}
