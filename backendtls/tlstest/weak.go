package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// Object identifiers of the insecure signature algorithms (RFC 3279).
var (
	oidMD5WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidECDSAWithSHA1 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
)

func insecureAlgorithm(a x509.SignatureAlgorithm) bool {
	return a == x509.MD5WithRSA || a == x509.SHA1WithRSA || a == x509.ECDSAWithSHA1
}

// certificate is the outer structure of an X.509 certificate (RFC 5280
// section 4.1), with the to-be-signed part kept raw.
type certificate struct {
	TBSCertificate     asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	SignatureValue     asn1.BitString
}

// resign replaces the signature algorithm of the certificate der (in both
// the TBSCertificate and the outer structure) with alg and signs it again
// with signer, which must be the issuer's key.
func resign(der []byte, alg x509.SignatureAlgorithm, signer crypto.Signer) ([]byte, error) {
	var (
		ai    pkix.AlgorithmIdentifier
		h     hash.Hash
		hashF crypto.Hash
	)
	switch alg {
	case x509.MD5WithRSA:
		ai = pkix.AlgorithmIdentifier{Algorithm: oidMD5WithRSA, Parameters: asn1.NullRawValue}
		h, hashF = md5.New(), crypto.MD5
	case x509.SHA1WithRSA:
		ai = pkix.AlgorithmIdentifier{Algorithm: oidSHA1WithRSA, Parameters: asn1.NullRawValue}
		h, hashF = sha1.New(), crypto.SHA1
	case x509.ECDSAWithSHA1:
		ai = pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA1}
		h, hashF = sha1.New(), crypto.SHA1
	default:
		return nil, fmt.Errorf("unsupported algorithm %v", alg)
	}
	switch signer.(type) {
	case *rsa.PrivateKey:
		if alg == x509.ECDSAWithSHA1 {
			return nil, errors.New("issuer key is RSA, not ECDSA")
		}
	case *ecdsa.PrivateKey:
		if alg != x509.ECDSAWithSHA1 {
			return nil, errors.New("issuer key is ECDSA, not RSA")
		}
	default:
		return nil, fmt.Errorf("issuer key %T cannot sign with %v", signer, alg)
	}

	var cert certificate
	if rest, err := asn1.Unmarshal(der, &cert); err != nil {
		return nil, err
	} else if len(rest) != 0 {
		return nil, errors.New("trailing data after certificate")
	}
	tbs, err := replaceTBSAlgorithm(cert.TBSCertificate, ai)
	if err != nil {
		return nil, err
	}
	h.Write(tbs)
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), hashF)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(certificate{
		TBSCertificate:     asn1.RawValue{FullBytes: tbs},
		SignatureAlgorithm: ai,
		SignatureValue:     asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
}

// replaceTBSAlgorithm returns the DER of tbs with its signature field (the
// AlgorithmIdentifier after the optional version and the serial number)
// replaced by ai.
func replaceTBSAlgorithm(tbs asn1.RawValue, ai pkix.AlgorithmIdentifier) ([]byte, error) {
	var fields []asn1.RawValue
	for rest := tbs.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			return nil, err
		}
		fields = append(fields, f)
	}
	i := 1 // serialNumber
	if len(fields) > 0 && fields[0].Class == asn1.ClassContextSpecific && fields[0].Tag == 0 {
		i = 2 // [0] version present
	}
	if len(fields) <= i {
		return nil, errors.New("truncated TBSCertificate")
	}
	algDER, err := asn1.Marshal(ai)
	if err != nil {
		return nil, err
	}
	fields[i] = asn1.RawValue{FullBytes: algDER}
	var body []byte
	for _, f := range fields {
		body = append(body, f.FullBytes...)
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
}
