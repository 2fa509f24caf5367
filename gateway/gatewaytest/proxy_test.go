package gatewaytest_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// TestOrder is the README's ten-line test, verbatim: a service behind the
// gateway, end-to-end TLS, from backend to assertions.
func TestOrder(t *testing.T) {
	site := gatewaytest.Proxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "order %s over TLS to %s", r.URL.Path, r.TLS.ServerName)
	}))
	resp, err := site.Client().Get(site.URL + "/orders/1")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "order /orders/1 over TLS to backend.test", string(body))
}

// TestREADMEShowsTestOrder: the README's test example is TestOrder as it
// is here, so that the README's ten lines are lines that run.
func TestREADMEShowsTestOrder(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	self, err := os.ReadFile("proxy_test.go")
	require.NoError(t, err)
	block := regexp.MustCompile("(?s)```go\n(func TestOrder\\(.*?\n}\n)```").FindSubmatch(readme)
	require.NotNil(t, block, "README.md has no TestOrder example")
	assert.Contains(t, string(self), string(block[1]))
	lines := strings.Split(strings.TrimSuffix(string(block[1]), "\n"), "\n")
	assert.Len(t, lines[1:len(lines)-1], 10, "from backend to assertions")
}
