package certsource

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/e2etls/e2etls/revocation"
)

// WatchKeyPair watches a certificate file (PEM: the certificate, then its
// intermediates) and its private key file (PEM), for a listener's
// certificate or a client certificate. A new version is taken only when
// both parse and the key matches the certificate, so a pair written in two
// steps is never half-read; the result's Leaf is set. The value is safe to
// return from tls.Config.GetCertificate.
func WatchKeyPair(certFile, keyFile string, opts Options) (*Watcher[*tls.Certificate], error) {
	return Watch(parseKeyPair, opts, certFile, keyFile)
}

// parseKeyPair is WatchKeyPair's parse function: files are the
// certificate file and the key file. Its errors name the files; the
// Watcher prefixes them.
func parseKeyPair(files []File) (*tls.Certificate, error) {
	if len(files) != 2 {
		return nil, fmt.Errorf("a key pair needs a certificate file and a key file, not %d files", len(files))
	}
	pair, err := tls.X509KeyPair(files[0].Data, files[1].Data)
	if err != nil {
		return nil, fmt.Errorf("certificate %s and key %s: %w", files[0].Name, files[1].Name, err)
	}
	if pair.Leaf == nil {
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("certificate %s: %w", files[0].Name, err)
		}
		pair.Leaf = leaf
	}
	return &pair, nil
}

// WatchCertificates watches files of certificates (PEM "CERTIFICATE"
// blocks, or one DER certificate per file), such as a CA bundle or one of
// Azure's trusted client CA chains, and yields them all, in order. Each
// file must hold at least one certificate.
func WatchCertificates(opts Options, files ...string) (*Watcher[[]*x509.Certificate], error) {
	return Watch(parseCertificateFiles, opts, files...)
}

// parseCertificateFiles is WatchCertificates's parse function.
func parseCertificateFiles(files []File) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, f := range files {
		certs, err := parseCertificates(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, certs...)
	}
	return out, nil
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out), err)
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		return out, nil
	}
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, errors.New("no PEM CERTIFICATE block, and not a DER certificate")
	}
	return []*x509.Certificate{c}, nil
}

// WatchCRLs watches CRL files (PEM "X509 CRL" blocks or DER) and yields
// every CRL, in order. Signatures are checked where the CRLs are used
// (clientauth.New, revocation.NewCRLSet), which keep the previous CRLs
// when the new ones do not verify.
func WatchCRLs(opts Options, files ...string) (*Watcher[[]*x509.RevocationList], error) {
	return Watch(parseCRLFiles, opts, files...)
}

// parseCRLFiles is WatchCRLs's parse function.
func parseCRLFiles(files []File) ([]*x509.RevocationList, error) {
	var out []*x509.RevocationList
	for _, f := range files {
		crls, err := revocation.ParseCRLs(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, crls...)
	}
	return out, nil
}
