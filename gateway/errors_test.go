package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/gateway"
)

// TestVerificationCodes: every backendtls.Reason has its exported code,
// and the code parses back to the reason.
func TestVerificationCodes(t *testing.T) {
	codes := []gateway.ErrorCode{
		gateway.CodeUntrustedRoot, gateway.CodeIntermediateMissing, gateway.CodeLeafNotAllowed, gateway.CodePinMismatch,
		gateway.CodeHostnameMismatch, gateway.CodeExpired, gateway.CodeNotYetValid, gateway.CodeWeakKey,
		gateway.CodeWeakSignature, gateway.CodeKeyUsage, gateway.CodePolicy, gateway.CodeHandshake, gateway.CodeCustom,
	}
	reasons := backendtls.Reasons()
	assert.Len(t, codes, len(reasons), "a reason without a code")
	for i, r := range reasons {
		assert.Equal(t, gateway.CodeOf(r), codes[i])
		back, ok := codes[i].Reason()
		assert.True(t, ok, codes[i])
		assert.Equal(t, r, back)
	}
	_, ok := gateway.CodeTimeout.Reason()
	assert.False(t, ok, "the gateway's own codes are not verification reasons")
	_, ok = backendtls.ParseReason("no-such-reason")
	assert.False(t, ok)
}
