package errorpage_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/e2etls/e2etls/internal/errorpage"
)

// A maintenance page for 502 on every listener, read from a file, served
// in place of the gateway's own 502.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "errorpage")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "maintenance.html")
	if err := os.WriteFile(file, []byte("<!DOCTYPE html><h1>Back soon</h1>"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	pages, err := errorpage.Load(context.Background(), errorpage.Config{
		Global:    map[int]string{502: file},
		Listeners: map[string]map[int]string{"api": {503: file}},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("web 502:", pages.Lookup("web", 502) != nil)
	fmt.Println("api 502:", pages.Lookup("api", 502) != nil) // the listener's own pages replace the global ones

	rec := httptest.NewRecorder()
	pages.Lookup("web", 502).Write(rec, 502)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	// Output:
	// web 502: true
	// api 502: false
	// 502 text/html; charset=utf-8 <!DOCTYPE html><h1>Back soon</h1>
}
