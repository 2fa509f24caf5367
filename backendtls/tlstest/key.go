package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
)

// KeyType selects the kind and size of a generated key pair.
type KeyType int

// Key types. The zero value is [RSA2048].
const (
	RSA2048 KeyType = iota
	RSA1024
	RSA3072
	RSA4096
	ECDSAP256
	ECDSAP384
	ECDSAP224
	Ed25519
)

// String returns a short name such as "RSA-2048" or "ECDSA-P256".
func (t KeyType) String() string {
	switch t {
	case RSA2048:
		return "RSA-2048"
	case RSA1024:
		return "RSA-1024"
	case RSA3072:
		return "RSA-3072"
	case RSA4096:
		return "RSA-4096"
	case ECDSAP256:
		return "ECDSA-P256"
	case ECDSAP384:
		return "ECDSA-P384"
	case ECDSAP224:
		return "ECDSA-P224"
	case Ed25519:
		return "Ed25519"
	}
	return fmt.Sprintf("KeyType(%d)", int(t))
}

func (t KeyType) rsaBits() int {
	switch t {
	case RSA2048:
		return 2048
	case RSA1024:
		return 1024
	case RSA3072:
		return 3072
	case RSA4096:
		return 4096
	}
	return 0
}

// NewKey generates a fresh private key of type t. Unlike the keys that
// [NewRoot] and friends pick for RSA key types, it never comes from the pool.
// It panics if t is unknown or generation fails.
func NewKey(t KeyType) crypto.Signer {
	var (
		k   crypto.Signer
		err error
	)
	switch t {
	case RSA2048, RSA1024, RSA3072, RSA4096:
		k, err = rsa.GenerateKey(rand.Reader, t.rsaBits())
	case ECDSAP256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case ECDSAP224:
		k, err = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	case Ed25519:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic(fmt.Sprintf("tlstest: unknown key type %d", int(t)))
	}
	if err != nil {
		panic(fmt.Sprintf("tlstest: generating %v key: %v", t, err))
	}
	return k
}

// rsaPoolSize is how many distinct RSA keys of each size a process
// generates before it starts handing out the same keys again.
const rsaPoolSize = 8

// keyPool hands out RSA keys. RSA key generation costs tens to hundreds of
// milliseconds, so a test binary that mints many certificates would spend
// most of its time there; the pool bounds that to rsaPoolSize keys per size.
// Keys are handed out round-robin, so consecutive calls for one size return
// distinct keys.
type keyPool struct {
	mu   sync.Mutex
	keys map[KeyType][]crypto.Signer
	next map[KeyType]int
}

var pool = keyPool{keys: map[KeyType][]crypto.Signer{}, next: map[KeyType]int{}}

// key returns a key of type t: from the pool for RSA types, fresh otherwise.
func (p *keyPool) key(t KeyType) crypto.Signer {
	if t.rsaBits() == 0 {
		return NewKey(t)
	}
	p.mu.Lock()
	if len(p.keys[t]) >= rsaPoolSize {
		k := p.keys[t][p.next[t]%rsaPoolSize]
		p.next[t]++
		p.mu.Unlock()
		return k
	}
	p.mu.Unlock()
	// Generate without holding the lock so that parallel tests generate
	// in parallel; a few extra keys beyond the pool size are harmless.
	k := NewKey(t)
	p.mu.Lock()
	if len(p.keys[t]) < rsaPoolSize {
		p.keys[t] = append(p.keys[t], k)
	}
	p.mu.Unlock()
	return k
}
