package policy_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"

	"github.com/e2etls/e2etls/policy"
)

func ExamplePredefined() {
	p, err := policy.Predefined("AppGwSslPolicy20220101")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	for _, id := range p.CipherSuites {
		fmt.Println("  ", policy.CipherSuiteName(id))
	}
	for _, d := range p.Dropped {
		fmt.Printf("   dropped %s: %s\n", d.Name, d.Reason)
	}
	fmt.Println("   curves:", p.Curves)
	// Output:
	// AppGwSslPolicy20220101 (TLS 1.2-1.3, 6 suites, 2 dropped)
	//    ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	//    ECDHE_RSA_WITH_AES_128_GCM_SHA256
	//    ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	//    ECDHE_RSA_WITH_AES_256_GCM_SHA384
	//    ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
	//    ECDHE_RSA_WITH_AES_128_CBC_SHA256
	//    dropped ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: crypto/tls does not implement CBC suites with an HMAC-SHA384 MAC
	//    dropped ECDHE_RSA_WITH_AES_256_CBC_SHA384: crypto/tls does not implement CBC suites with an HMAC-SHA384 MAC
	//    curves: [X25519MLKEM768 X25519 CurveP256 CurveP384]
}

func ExampleCustom() {
	_, err := policy.Custom("TLSv1_2", []string{
		"ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"ECDHE_ECDSA_WITH_AES_128_GCM_SHA265", // misspelt
	})
	fmt.Println(err)

	var ne *policy.NameError
	if errors.As(err, &ne) {
		fmt.Println("refused:", ne.Field, ne.Name, errors.Is(err, policy.ErrUnknown))
	}

	p, err := policy.Custom("TLSv1_2", []string{
		"ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", // the IANA spelling works too
	})
	fmt.Println(p, err)
	// Output:
	// policy: cipher suite "ECDHE_ECDSA_WITH_AES_128_GCM_SHA265" (cipherSuites[1]): unknown (did you mean "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"?)
	// refused: cipherSuites[1] ECDHE_ECDSA_WITH_AES_128_GCM_SHA265 true
	// custom (TLS 1.2-1.3, 2 suites) <nil>
}

func ExamplePolicy_Apply() {
	// The zero Policy stands for Default, AppGwSslPolicy20220101.
	var p policy.Policy
	cfg := &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	if err := p.Apply(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(policy.VersionName(cfg.MinVersion), "to", policy.VersionName(cfg.MaxVersion))
	fmt.Println(len(cfg.CipherSuites), "TLS 1.2 suites; curves", cfg.CurvePreferences)
	fmt.Println(cfg.NextProtos)

	// After a handshake, Allows tells whether what was negotiated lies inside the policy.
	fmt.Println(p.Allows(tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256))
	fmt.Println(p.Allows(tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256))
	// Output:
	// TLSv1_2 to TLSv1_3
	// 6 TLS 1.2 suites; curves [X25519MLKEM768 X25519 CurveP256 CurveP384]
	// [h2 http/1.1]
	// true
	// false
}
