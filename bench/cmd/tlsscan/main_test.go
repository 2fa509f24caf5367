package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlan(t *testing.T) {
	targets, err := plan(1000)
	require.NoError(t, err)
	require.Len(t, targets, 10, "five predefined policies, two key types each")
	for i, tt := range targets {
		assert.Equal(t, 1000+i, tt.Port)
	}
	byName := map[string]target{}
	for _, tt := range targets {
		byName[tt.Policy+"/"+tt.KeyType] = tt
	}
	def := byName["AppGwSslPolicy20220101/ECDSA"]
	assert.Equal(t, []string{"0x1301", "0x1302", "0x1303"}, def.Offers["TLSv1.3"])
	assert.Equal(t, []string{"0xC023", "0xC02B", "0xC02C"}, def.Offers["TLSv1.2"], "Azure's three ECDSA suites of the policy")
	old := byName["AppGwSslPolicy20150501/RSA"]
	assert.Contains(t, old.Offers["TLSv1.0"], "0x000A", "3DES, which the 2015 policy allows")
	assert.NotContains(t, old.Offers["TLSv1.0"], "0xC02F", "a GCM suite does not work at TLS 1.0")
	assert.NotContains(t, old.Offers, "TLSv1.3")
}

func TestParseAndCompare(t *testing.T) {
	xml := `<document><ssltest host="127.0.0.1" port="1">
<protocol type="tls" version="1.2" enabled="1" /><protocol type="tls" version="1.3" enabled="1" /><protocol type="tls" version="1.1" enabled="0" />
<cipher status="preferred" sslversion="TLSv1.2" cipher="ECDHE-ECDSA-AES128-GCM-SHA256" id="0xC02B" />
<cipher status="accepted" sslversion="TLSv1.2" cipher="ECDHE-ECDSA-AES128-SHA" id="0xC009" />
</ssltest></document>`
	found, err := parseSSLScan(strings.NewReader(xml))
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"TLSv1.2": {"0xC009", "0xC02B"}, "TLSv1.3": nil}, found)

	json := `[{"id":"TLS1_1","finding":"not offered"},{"id":"TLS1_2","finding":"offered"},
{"id":"cipher-tls1_2_xc02b","finding":"TLS 1.2 xc02b TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
{"id":"cipherorder_TLSv1_2","finding":"x"},{"id":"cipher-tls1_2_xc009","finding":"TLS 1.2 xc009"}]`
	fromTestSSL, err := parseTestSSL(strings.NewReader(json))
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"TLSv1.2": {"0xC009", "0xC02B"}}, fromTestSSL)

	want := map[string][]string{"TLSv1.2": {"0xC02B", "0xC02C"}}
	diffs := compare(want, found)
	assert.Equal(t, []string{
		"offered but not in the policy: TLSv1.2 0xC009 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
		"in the policy but not offered: TLSv1.2 0xC02C TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"protocol offered but not in the policy: TLSv1.3",
	}, diffs)
	assert.Empty(t, compare(want, want))
}

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, run(nil, &bytes.Buffer{}, &stderr))
	assert.Equal(t, 2, run([]string{"scan"}, &bytes.Buffer{}, &stderr))
	assert.Equal(t, 2, run([]string{"check", "-port", "1"}, &bytes.Buffer{}, &stderr))
	assert.Contains(t, stderr.String(), "unknown command")
}
