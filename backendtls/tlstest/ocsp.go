package tlstest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrNoOpenSSL reports that the openssl command, which [NewOCSPResponder]
// runs, is not installed.
var ErrNoOpenSSL = errors.New("tlstest: the openssl command is not installed")

// OCSPResponderOptions configures an [OCSPResponder]. CA is required.
type OCSPResponderOptions struct {
	// CA is the issuer of the certificates the responder answers for.
	// Required.
	CA *Cert
	// Signer signs the responses: a delegated responder certificate issued
	// by CA ([Cert.NewOCSPResponder]), or CA itself. If nil, CA signs.
	Signer *Cert
	// NextUpdate, if positive, is how long each response stays valid (its
	// nextUpdate field), rounded up to whole minutes as openssl counts
	// them. If zero, responses carry no nextUpdate.
	NextUpdate time.Duration
	// OpenSSL is the openssl command to run. If empty, "openssl" is looked
	// up in PATH.
	OpenSSL string
}

// OCSPResponder is a real OCSP responder, `openssl ocsp` run as a server
// (RFC 6960 over HTTP, GET and POST), answering from an index of the
// certificates it knows: those marked [OCSPResponder.Good] are good,
// those marked [OCSPResponder.Revoke] revoked, all others unknown.
// openssl 3.0 listens on every interface, on a port the system picks; use
// URL, which names 127.0.0.1. Its methods are safe for concurrent use.
// Close it when done.
type OCSPResponder struct {
	// URL is the responder's address, such as "http://127.0.0.1:41234",
	// to put in certificates (Options.OCSPServers) or configurations.
	URL string

	dir    string
	cmd    *exec.Cmd
	done   chan struct{} // closed when the output reader ends
	stderr *lockedBuffer

	mu      sync.Mutex
	entries map[string]string // serial (uppercase hex) -> index line
	order   []string          // serials in insertion order
	version int               // index rewrites, for distinct mtimes
	closed  bool
}

// acceptLine is what openssl prints once it listens: "ACCEPT [::]:PORT PID=N".
var acceptLine = regexp.MustCompile(`^ACCEPT .*:(\d+) PID=\d+`)

// startTimeout bounds how long NewOCSPResponder waits for openssl to listen.
const startTimeout = 10 * time.Second

// NewOCSPResponder writes the CA, the signer and an empty index to a
// temporary directory and starts `openssl ocsp -port 0` on them. It
// returns an error wrapping [ErrNoOpenSSL] if openssl is not installed, and
// an error with openssl's output if it does not start listening within 10
// seconds.
func NewOCSPResponder(o OCSPResponderOptions) (*OCSPResponder, error) {
	if o.CA == nil {
		return nil, errors.New("tlstest: OCSPResponderOptions.CA is required")
	}
	signer := o.Signer
	if signer == nil {
		signer = o.CA
	}
	bin := o.OpenSSL
	if bin == "" {
		bin = "openssl"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoOpenSSL, err)
	}
	dir, err := os.MkdirTemp("", "tlstest-ocsp-")
	if err != nil {
		return nil, fmt.Errorf("tlstest: OCSP responder directory: %w", err)
	}
	r := &OCSPResponder{dir: dir, entries: map[string]string{}, done: make(chan struct{}), stderr: &lockedBuffer{}}
	files := map[string][]byte{
		"ca.pem":         o.CA.CertPEM(),
		"signer.pem":     signer.CertPEM(),
		"signer.key":     signer.KeyPEM(),
		"index.txt.attr": []byte("unique_subject = no\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("tlstest: writing %s: %w", name, err)
		}
	}
	if err := r.writeIndex(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"ocsp", "-port", "0", "-index", "index.txt", "-CA", "ca.pem",
		"-rsigner", "signer.pem", "-rkey", "signer.key", "-ignore_err"}
	if o.NextUpdate > 0 {
		minutes := (o.NextUpdate + time.Minute - 1) / time.Minute
		args = append(args, "-nmin", fmt.Sprint(int64(minutes)))
	}
	r.cmd = exec.Command(path, args...)
	r.cmd.Dir = dir
	r.cmd.Stderr = r.stderr
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("tlstest: openssl ocsp: %w", err)
	}
	if err := r.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("tlstest: starting openssl ocsp: %w", err)
	}
	port := make(chan string, 1)
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := acceptLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // after a scanner error, drain until exit
	}()
	select {
	case p := <-port:
		r.URL = "http://127.0.0.1:" + p
	case <-r.done:
		err := r.cmd.Wait()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("tlstest: openssl ocsp exited before listening (%v): %s", err, strings.TrimSpace(r.stderr.String()))
	case <-time.After(startTimeout):
		r.stop()
		return nil, fmt.Errorf("tlstest: openssl ocsp did not listen within %v: %s", startTimeout, strings.TrimSpace(r.stderr.String()))
	}
	return r, nil
}

// Good marks certs, issued by the responder's CA, as good.
func (r *OCSPResponder) Good(certs ...*Cert) error {
	return r.update(func() {
		for _, c := range certs {
			r.set(c, fmt.Sprintf("V\t%s\t\t%s\tunknown\t%s", indexTime(c.Certificate.NotAfter), serialHex(c), indexSubject(c)))
		}
	})
}

// Revoke marks c, issued by the responder's CA, as revoked at at (a zero
// at means now). Once Revoke returns, every request the responder receives
// gets the new status.
func (r *OCSPResponder) Revoke(c *Cert, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	return r.update(func() {
		r.set(c, fmt.Sprintf("R\t%s\t%s\t%s\tunknown\t%s", indexTime(c.Certificate.NotAfter), indexTime(at), serialHex(c), indexSubject(c)))
	})
}

func (r *OCSPResponder) set(c *Cert, line string) {
	s := serialHex(c)
	if _, ok := r.entries[s]; !ok {
		r.order = append(r.order, s)
	}
	r.entries[s] = line
}

// update applies change to the index, rewrites it, and makes openssl
// reload it. openssl checks whether its index changed only before it waits
// for the next request, so a change made while it waits would first be seen
// by the request after next: update sends one throwaway request, whose
// answer proves openssl has gone round its loop and reloaded.
func (r *OCSPResponder) update(change func()) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("tlstest: OCSP responder is closed")
	}
	change()
	if err := r.writeIndex(); err != nil {
		return err
	}
	if r.URL == "" {
		return nil // not started yet: openssl reads the index at start
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/", nil)
	if err != nil {
		return fmt.Errorf("tlstest: OCSP responder: %w", err)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return fmt.Errorf("tlstest: making openssl ocsp reload its index: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil
}

// writeIndex writes the index to a new file and renames it over the old
// one: a new inode, which openssl notices even within the same second.
func (r *OCSPResponder) writeIndex() error {
	var b bytes.Buffer
	for _, s := range r.order {
		b.WriteString(r.entries[s])
		b.WriteByte('\n')
	}
	r.version++
	tmp := filepath.Join(r.dir, fmt.Sprintf("index.txt.%d", r.version))
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("tlstest: writing the OCSP index: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(r.dir, "index.txt")); err != nil {
		return fmt.Errorf("tlstest: replacing the OCSP index: %w", err)
	}
	return nil
}

// Close stops openssl, waits for it to exit and removes its directory.
func (r *OCSPResponder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	return r.stop()
}

func (r *OCSPResponder) stop() error {
	_ = r.cmd.Process.Kill()
	<-r.done
	_ = r.cmd.Wait() // killed: the error says so
	if err := os.RemoveAll(r.dir); err != nil {
		return fmt.Errorf("tlstest: removing the OCSP responder's directory: %w", err)
	}
	return nil
}

// serialHex writes c's serial number as openssl's index does: uppercase
// hexadecimal, two digits per byte.
func serialHex(c *Cert) string {
	b := c.Certificate.SerialNumber.Bytes()
	if len(b) == 0 {
		return "00"
	}
	return fmt.Sprintf("%X", b)
}

// indexTime writes t as the index's ASN.1 time: UTCTime before 2050,
// GeneralizedTime after.
func indexTime(t time.Time) string {
	t = t.UTC()
	if t.Year() < 2050 {
		return t.Format("060102150405Z")
	}
	return t.Format("20060102150405Z")
}

// indexSubject writes c's subject for the index, which openssl does not
// consult when it answers: a name without tabs or new lines.
func indexSubject(c *Cert) string {
	s := c.Certificate.Subject.String()
	if s == "" {
		s = "serialNumber=" + serialHex(c)
	}
	return "/" + strings.NewReplacer("\t", " ", "\n", " ", ",", "/").Replace(s)
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutine of exec and
// readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
