// Command tlsscan serves the e2etls gateway with one HTTPS listener per
// predefined TLS policy and certificate key type, and checks what an
// independent scanner (sslscan, testssl.sh) found on each against the
// policy: the same protocol versions and cipher suites, no more, no fewer.
// bench/tlsscan.sh drives it.
//
//	tlsscan serve -port 19440 -plan plan.json   # serves until SIGTERM
//	tlsscan check -plan plan.json -sslscan out.xml -testssl out.json -port 19440
//
// A policy's TLS 1.0-1.2 suites are split by the certificate they need
// (ECDHE_ECDSA suites an ECDSA certificate, the others an RSA one), so each
// policy gets two listeners, one per key type; each listener is expected to
// offer the policy's suites for its key type at every version they work at,
// and at TLS 1.3 the three suites crypto/tls always offers.
package main

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: tlsscan serve|check [flags]")
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "check":
		return check(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "tlsscan: unknown command %q: want serve or check\n", args[0])
	return 2
}

// target is one listener: a policy with a key type, and what it must offer.
type target struct {
	Port    int                 `json:"port"`
	Policy  string              `json:"policy"`
	KeyType string              `json:"keyType"` // "RSA" or "ECDSA"
	Offers  map[string][]string `json:"offers"`  // version ("TLSv1.2") -> suite IDs ("0xC02F")
}

// plan lists every target for every predefined policy, on ports from base.
func plan(base int) ([]target, error) {
	var out []target
	for _, name := range policy.PredefinedNames() {
		p, err := policy.Predefined(name)
		if err != nil {
			return nil, err
		}
		for _, kt := range []string{"ECDSA", "RSA"} {
			t := target{Port: base + len(out), Policy: name, KeyType: kt, Offers: map[string][]string{}}
			for v := p.MinVersion; v <= p.MaxVersion; v++ {
				var ids []string
				if v == tls.VersionTLS13 {
					for _, id := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256} {
						ids = append(ids, suiteID(id))
					}
				} else {
					for _, id := range p.CipherSuites {
						if worksAt(id, v) && strings.Contains(tls.CipherSuiteName(id), "_ECDSA_") == (kt == "ECDSA") {
							ids = append(ids, suiteID(id))
						}
					}
				}
				sort.Strings(ids)
				t.Offers[versionName(v)] = ids
			}
			out = append(out, t)
		}
	}
	return out, nil
}

func worksAt(id, version uint16) bool {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.ID == id {
			return slices.Contains(s.SupportedVersions, version)
		}
	}
	return false
}

func suiteID(id uint16) string { return fmt.Sprintf("0x%04X", id) }

func versionName(v uint16) string {
	return map[uint16]string{tls.VersionTLS10: "TLSv1.0", tls.VersionTLS11: "TLSv1.1", tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[v]
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.Int("port", 19440, "the first listener's port; the others follow")
	planFile := fs.String("plan", "", "where to write the targets, JSON (required)")
	if err := fs.Parse(args); err != nil || *planFile == "" {
		fmt.Fprintln(stderr, "tlsscan serve: -plan is required")
		return 2
	}
	targets, err := plan(*base)
	if err != nil {
		fmt.Fprintf(stderr, "tlsscan: %v\n", err)
		return 1
	}
	root := tlstest.NewRoot(tlstest.Options{CommonName: "tlsscan root", KeyType: tlstest.ECDSAP256})
	cfg := gateway.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SSLCertificates: []gateway.SSLCertificate{
			{Name: "ECDSA", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"scan.example"}, KeyType: tlstest.ECDSAP256}).FullChain()},
			{Name: "RSA", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"scan.example"}, KeyType: tlstest.RSA2048}).FullChain()},
		},
		// Scanners only handshake: the pool is empty and answers 502.
		Pools:               []gateway.Pool{{Name: "none"}},
		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "plain", Protocol: gateway.HTTP, Port: 80}},
	}
	for _, t := range targets {
		p, _ := policy.Predefined(t.Policy)
		name := t.Policy + "-" + t.KeyType
		cfg.Listeners = append(cfg.Listeners, gateway.Listener{Name: name, Protocol: gateway.HTTPS, Address: "127.0.0.1",
			Port: t.Port, SSLCertificate: t.KeyType, SSLPolicy: p})
		cfg.Rules = append(cfg.Rules, gateway.Rule{Name: name, Listener: name, Pool: "none", BackendHTTPSetting: "plain"})
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tlsscan: %v\n", err)
		return 1
	}
	b, _ := json.MarshalIndent(targets, "", "  ")
	if err := os.WriteFile(*planFile, b, 0o644); err != nil {
		fmt.Fprintf(stderr, "tlsscan: %v\n", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- gw.ListenAndServe() }()
	fmt.Fprintf(stdout, "tlsscan: %d listeners on 127.0.0.1:%d-%d\n", len(targets), *base, *base+len(targets)-1)
	select {
	case <-sig:
		gw.Close()
		<-served
		return 0
	case err := <-served:
		fmt.Fprintf(stderr, "tlsscan: %v\n", err)
		return 1
	}
}

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	planFile := fs.String("plan", "", "the targets, from serve (required)")
	port := fs.Int("port", 0, "the target's port (required)")
	sslscan := fs.String("sslscan", "", "sslscan --xml output for the target")
	testssl := fs.String("testssl", "", "testssl.sh --jsonfile output for the target")
	if err := fs.Parse(args); err != nil || *planFile == "" || *port == 0 || (*sslscan == "") == (*testssl == "") {
		fmt.Fprintln(stderr, "tlsscan check: -plan, -port and one of -sslscan or -testssl are required")
		return 2
	}
	b, err := os.ReadFile(*planFile)
	if err != nil {
		fmt.Fprintf(stderr, "tlsscan: %v\n", err)
		return 1
	}
	var targets []target
	if err := json.Unmarshal(b, &targets); err != nil {
		fmt.Fprintf(stderr, "tlsscan: %s: %v\n", *planFile, err)
		return 1
	}
	i := slices.IndexFunc(targets, func(t target) bool { return t.Port == *port })
	if i < 0 {
		fmt.Fprintf(stderr, "tlsscan: no target on port %d in %s\n", *port, *planFile)
		return 1
	}
	t := targets[i]
	tool, file, parse := "sslscan", *sslscan, parseSSLScan
	if *testssl != "" {
		tool, file, parse = "testssl.sh", *testssl, parseTestSSL
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "tlsscan: %v\n", err)
		return 1
	}
	defer f.Close()
	found, err := parse(f)
	if err != nil {
		fmt.Fprintf(stderr, "tlsscan: %s: %v\n", file, err)
		return 1
	}
	diffs := compare(t.Offers, found)
	suites := 0
	for _, ids := range found {
		suites += len(ids)
	}
	versions := make([]string, 0, len(found))
	for v := range found {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	status := "PASS"
	if len(diffs) > 0 {
		status = "FAIL"
	}
	fmt.Fprintf(stdout, "%s %-10s %-24s %-5s %s, %d suites\n", status, tool, t.Policy, t.KeyType, strings.Join(versions, " "), suites)
	for _, d := range diffs {
		fmt.Fprintf(stdout, "     %s\n", d)
	}
	if len(diffs) > 0 {
		return 1
	}
	return 0
}

// compare lists what found has that want has not, and the reverse.
func compare(want, found map[string][]string) []string {
	var diffs []string
	versions := map[string]bool{}
	for v := range want {
		versions[v] = true
	}
	for v := range found {
		versions[v] = true
	}
	keys := make([]string, 0, len(versions))
	for v := range versions {
		keys = append(keys, v)
	}
	sort.Strings(keys)
	for _, v := range keys {
		w, wok := want[v]
		f, fok := found[v]
		switch {
		case fok && !wok:
			diffs = append(diffs, "protocol offered but not in the policy: "+v)
		case wok && !fok:
			diffs = append(diffs, "protocol in the policy but not offered: "+v)
		}
		for _, id := range f {
			if !slices.Contains(w, id) {
				diffs = append(diffs, fmt.Sprintf("offered but not in the policy: %s %s", v, describe(id)))
			}
		}
		for _, id := range w {
			if !slices.Contains(f, id) {
				diffs = append(diffs, fmt.Sprintf("in the policy but not offered: %s %s", v, describe(id)))
			}
		}
	}
	return diffs
}

func describe(id string) string {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "0x"), 16, 16)
	if err != nil {
		return id
	}
	return id + " " + tls.CipherSuiteName(uint16(n))
}

// parseSSLScan reads sslscan's --xml output: the protocols enabled, and
// the accepted ciphers with their protocol and ID (--show-cipher-ids).
func parseSSLScan(r io.Reader) (map[string][]string, error) {
	var doc struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"ssltest>protocol"`
		Ciphers []struct {
			Status  string `xml:"status,attr"`
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"ssltest>cipher"`
	}
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, p := range doc.Protocols {
		if p.Enabled == "1" {
			out[strings.ToUpper(p.Type[:1])+strings.ToUpper(p.Type[1:])+"v"+p.Version] = nil
		}
	}
	for _, c := range doc.Ciphers {
		if c.Status != "accepted" && c.Status != "preferred" {
			continue
		}
		if c.ID == "" {
			return nil, errors.New("a cipher without an id: run sslscan with --show-cipher-ids")
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(c.ID), "0x"), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("cipher id %q: %w", c.ID, err)
		}
		out[c.Version] = append(out[c.Version], suiteID(uint16(n)))
	}
	for v := range out {
		sort.Strings(out[v])
	}
	return out, nil
}

// parseTestSSL reads testssl.sh's flat --jsonfile output: the findings
// "cipher-<proto>_x<id>" of --cipher-per-proto.
func parseTestSSL(r io.Reader) (map[string][]string, error) {
	var findings []struct {
		ID      string `json:"id"`
		Finding string `json:"finding"`
	}
	if err := json.NewDecoder(r).Decode(&findings); err != nil {
		return nil, err
	}
	protos := map[string]string{"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3", "ssl3": "SSLv3", "ssl2": "SSLv2"}
	out := map[string][]string{}
	protocols := map[string]string{"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
	for _, f := range findings {
		if v, ok := protocols[f.ID]; ok && strings.HasPrefix(f.Finding, "offered") {
			out[v] = nil
		}
	}
	for _, f := range findings {
		rest, ok := strings.CutPrefix(f.ID, "cipher-")
		if !ok || strings.HasPrefix(rest, "order") {
			continue
		}
		proto, hex, ok := strings.Cut(rest, "_x")
		v, known := protos[proto]
		if !ok || !known {
			continue
		}
		n, err := strconv.ParseUint(hex, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("finding %q: %w", f.ID, err)
		}
		if n > 0xffff {
			continue // an SSLv2 cipher kind, never a TLS suite
		}
		out[v] = append(out[v], suiteID(uint16(n)))
	}
	for v := range out {
		sort.Strings(out[v])
	}
	return out, nil
}
