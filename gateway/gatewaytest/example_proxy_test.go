package gatewaytest_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// A service behind the gateway, with end-to-end TLS, tested in ten lines:
//
//	func TestOrder(t *testing.T) {
//		site := gatewaytest.Proxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			fmt.Fprintf(w, "order %s over TLS to %s", r.URL.Path, r.TLS.ServerName)
//		}))
//		resp, err := site.Client().Get(site.URL + "/orders/1")
//		require.NoError(t, err)
//		defer resp.Body.Close()
//		body, err := io.ReadAll(resp.Body)
//		require.NoError(t, err)
//		assert.Equal(t, http.StatusOK, resp.StatusCode)
//		assert.Equal(t, "order /orders/1 over TLS to backend.test", string(body))
//	}
//
// An example has no test to close the site when it ends, so it runs the
// same lines with NewSite, which its caller closes.
func ExampleProxy() {
	site, err := gatewaytest.NewSite(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "order %s over TLS to %s", r.URL.Path, r.TLS.ServerName)
	}))
	if err != nil {
		panic(err)
	}
	defer site.Close()
	resp, err := site.Client().Get(site.URL + "/orders/1")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 order /orders/1 over TLS to backend.test
}
