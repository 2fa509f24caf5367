package certsource

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/e2etls/e2etls/backendtls"
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

// WatchCertificates watches files of certificates, such as a CA bundle or
// one of Azure's trusted client CA chains, and yields them all, in order.
// Each file is read as backendtls.ParseCertificates reads it: PEM, the
// base64 of DER (Azure's .cer), or DER; a file that holds a private key, or
// no certificate, is a bad version.
func WatchCertificates(opts Options, files ...string) (*Watcher[[]*x509.Certificate], error) {
	return Watch(parseCertificateFiles, opts, files...)
}

// parseCertificateFiles is WatchCertificates's parse function.
func parseCertificateFiles(files []File) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, f := range files {
		certs, err := backendtls.ParseCertificates(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, certs...)
	}
	return out, nil
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
